#pragma once
// Coordinate reference systems: the working CRS of a store and transformations into it.
// Always GIS axis order (easting/longitude first), whatever the EPSG definition says.
#include <memory>
#include <optional>
#include <string>

class OGRSpatialReference;
class OGRCoordinateTransformation;
class OGRGeometry;

namespace landclear {

// "EPSG:4547" or "4547" -> 4547; Error(usage) naming the option otherwise.
int parse_epsg(const std::string& text, const std::string& option);

// EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (no zone prefix, EPSG:4534–4554) whose
// central meridian is nearest to the longitude; Error(input) outside China's zones 25–45.
int cgcs2000_gk3_epsg(double longitude);

// A spatial reference for an EPSG code with traditional GIS axis order.
std::unique_ptr<OGRSpatialReference> srs_from_epsg(int epsg);

// Throws unless the CRS is projected with metre units (areas need a planar metric CRS).
void require_metric_projected(int epsg);

std::string describe_srs(const OGRSpatialReference& srs); // "EPSG:4547 CGCS2000 / 3-degree ..."

// True for a CRS that says nothing about where coordinates lie: empty, a local (engineering)
// CRS, or GDAL's placeholders for a GeoPackage's undefined srs_id 0 / -1 ("Undefined
// geographic SRS", "Undefined Cartesian SRS"), which would otherwise read metres as degrees.
bool is_undefined_srs(const OGRSpatialReference& srs);

// The CRS a source declares, in GIS axis order; null when it declares none or an undefined one.
std::unique_ptr<OGRSpatialReference> declared_srs(const OGRSpatialReference* srs);

// Where coordinates in a working CRS may lie: the projected box around the CRS's area of use
// (PROJ's, from the EPSG database) widened by 3° of longitude and 1° of latitude each way, so a
// city straddling two Gauss-Krüger zones still fits its one working zone. A CRS without an
// area of use gets the stated bound |x|, |y| <= 40,000 km (the equator's length).
struct CoordinateBounds {
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    std::string text; // how the bound was made, for messages
};
CoordinateBounds coordinate_bounds(const OGRSpatialReference& working);

// The first vertex of g that is not finite or lies outside the bounds, described ("vertex 3
// (1e+308, 3080000) lies outside ..."); nullopt when every vertex is fine.
std::optional<std::string> check_vertices(const OGRGeometry& g, const CoordinateBounds& bounds);

struct TransformDeleter {
    void operator()(OGRCoordinateTransformation* ct) const;
};
using TransformPtr = std::unique_ptr<OGRCoordinateTransformation, TransformDeleter>;

// Null when source and target are the same CRS.
TransformPtr make_transform(const OGRSpatialReference& from, const OGRSpatialReference& to);

} // namespace landclear
