#pragma once
// Internals shared by the export modules: export.cpp (names, checks, the run), export_layers.cpp
// (field lists and feature assembly), export_ogr.cpp (GDAL formats), export_shapefile.cpp,
// export_xlsx.cpp and export_pending.cpp (progress, files moved into place together).
#include "landclear/report/export.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

class OGRSpatialReference;
class OGRCoordinateTransformation;
class OGRFeature;
class OGRGeometry;
struct OGRGeometryUniquePtrDeleter; // OGRGeometryUniquePtr's deleter (ogr_geometry.h)

namespace landclear::detail {

namespace fs = std::filesystem;

// How a column adds up in the XLSX totals row.
enum class Total { none, sum, ratio };

struct OutField {
    std::string key; // long name: GeoJSON, GeoPackage, FlatGeobuf, KML, English CSV headers
    std::string shp; // dBASE name, at most 10 ASCII bytes
    std::string zh;  // Chinese label: Chinese CSV/XLSX headers, GeoPackage alias
    FieldType type = FieldType::text;
    ColumnKind kind = ColumnKind::text;
    Total total = Total::none;
    int numerator = -1, denominator = -1; // Total::ratio: percent of these two fields' totals
};

struct OutFeature {
    std::vector<Value> values;               // in field order
    const std::vector<unsigned char>* wkb{}; // working CRS; null or empty: no geometry
    double area_m2 = 0;
    double length_m = 0;
};

using Sink = std::function<void(const OutFeature&)>;

// One exported layer: its fields and a scan that can run more than once (the shapefile
// writer sizes its fields in a first pass).
struct Source {
    ExportLayer layer{};
    std::string name; // layer / file name inside the output: parcels, corridor_parcels, ...
    std::string zh;   // 宗地, ...
    std::vector<OutField> fields;
    int geometry = 0; // OGRwkbGeometryType of the layer (0 = unknown / mixed)
    bool polygons = false, lines = false;
    std::function<void(const Sink&)> scan;
};

// Files written under temporary names and moved into place together by commit(); without
// commit() (an exception on the way) the temporaries are removed and the targets untouched.
class PendingFiles {
public:
    explicit PendingFiles(fs::path target_dir);
    ~PendingFiles();
    PendingFiles(const PendingFiles&) = delete;
    PendingFiles& operator=(const PendingFiles&) = delete;

    // A temporary path beside the target with the same extension.
    fs::path temp_for(const fs::path& target);
    // A private temporary folder inside the target folder (shapefile sets).
    const fs::path& temp_dir();
    void add(const fs::path& temp, const fs::path& target);
    // A stale file of the target set (an old .sbn index) removed once the new set is in place.
    void remove_on_commit(const fs::path& path);
    std::vector<std::string> commit(); // the targets, in order

private:
    fs::path m_dir;
    fs::path m_temp_dir;
    std::vector<std::pair<fs::path, fs::path>> m_moves;
    std::vector<fs::path> m_temps;
    std::vector<fs::path> m_stale;
    bool m_committed = false;
};

struct WriteContext {
    const ExportOptions& options;
    const OGRSpatialReference* working_srs; // null when the store has no CRS
    const OGRSpatialReference* target_srs;
    // Working to target CRS, made once: PROJ's search for a transformation costs far more than
    // applying it, so one per geometry would dominate an export.
    OGRCoordinateTransformation* transform; // null when no reprojection is needed
    ExportSummary& summary;
};

// A geometry from the store's WKB, transformed into the target CRS; null for none.
// (OGRGeometryUniquePtr, spelt out: this header includes no GDAL header.)
std::unique_ptr<OGRGeometry, OGRGeometryUniquePtrDeleter> make_geometry(const OutFeature& f,
                                                                        const WriteContext& ctx);
// The feature's identity for messages: "parcels feature 'P-001'".
std::string describe_feature(const Source& source, const OutFeature& f);

// Writes one layer as an ESRI Shapefile set (target ends in .shp) plus its field dictionary.
void write_shapefile(const Source& source, const fs::path& target, PendingFiles& pending,
                     const WriteContext& ctx, ExportedLayer& result);

// The field dictionary of a source as CSV (UTF-8 with BOM) through GDAL's CSV driver.
void write_field_dictionary(const Source& source, const std::vector<int>& widths,
                            const std::vector<int>& precisions, const fs::path& path);

void report_progress(const ExportOptions& o, const std::string& message);

// The sources of an export's layers with what their scans read (the store's lookups, the
// selection); checks the --project and --corridor codes against the store first. Warnings of
// the scans go into summary.
class ExportSources {
public:
    ExportSources(Store& store, const ExportOptions& o, ExportSummary& summary);
    ~ExportSources();
    ExportSources(const ExportSources&) = delete;
    ExportSources& operator=(const ExportSources&) = delete;

    const std::vector<Source>& sources() const { return m_sources; }

private:
    struct Impl;
    std::unique_ptr<Impl> m;
    std::vector<Source> m_sources;
};

// A layer's field list, without a store.
std::vector<OutField> layer_fields(ExportLayer layer);

// Writes the sources into one GDAL dataset (GeoJSON, GeoPackage, FlatGeobuf, KML, CSV).
void write_gdal(const std::vector<Source>& sources, const fs::path& target, PendingFiles& pending,
                const WriteContext& ctx);

// Writes the sources as an XLSX workbook, a sheet each.
void write_layers_xlsx(const std::vector<Source>& sources, const fs::path& target,
                       const WriteContext& ctx);

// An export whose selection matches nothing fails (unless --allow-empty) before anything is
// put in place; among several layers an empty one is only reported.
void check_empty(const std::vector<Source>& sources, const ExportOptions& o,
                 ExportSummary& summary);

// The selection options as a parenthesised suffix for messages; empty without a selection.
std::string describe_selection(const ExportOptions& o);

} // namespace landclear::detail
