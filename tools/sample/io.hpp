// Reading the district boundaries and writing the sample through GDAL/OGR.
#pragma once

#include "model.hpp"

#include <memory>
#include <string>
#include <vector>

namespace landclear::sample {

// Districts from any OGR source (WGS84 lon/lat when it declares no CRS), reprojected to the
// working CRS and made valid with GEOS.
std::vector<District> load_districts(const std::string& path, GeosContext& geos);

struct OutputOptions {
    std::string path;
    std::string format = "GPKG";
    std::string crs = "EPSG:4547";
    bool overwrite = false;
    Day as_of = 0; // dates after it are written as null
};

// Writes the layers parcels, buildings, corridors and projects, one project at a time, into one
// dataset (GPKG and other multi-layer formats, in one transaction) or into one file per layer in
// the directory `path` (FlatGeobuf, GeoJSON, ESRI Shapefile, ...).
class SampleWriter {
public:
    SampleWriter(const std::vector<District>& districts, const std::vector<Village>& villages,
                 const OutputOptions& options);
    ~SampleWriter();
    SampleWriter(const SampleWriter&) = delete;
    SampleWriter& operator=(const SampleWriter&) = delete;

    void add(const ProjectData& project);
    // Commits and closes; prints one line per layer (features, seconds) to stderr.
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace landclear::sample
