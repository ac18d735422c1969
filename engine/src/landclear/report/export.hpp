#pragma once
// Exports of the store's layers for other programs: GeoJSON (RFC 7946), Shapefile (UTF-8 or
// GBK), GeoPackage, FlatGeobuf, KML, CSV and styled XLSX. Every feature carries its identity,
// its status as of a date (未征/已征/已腾/已交), its dates and its area in m² and 亩. All
// writing goes through GDAL/OGR (and libxlsxwriter); files are written under temporary names
// and renamed, so a failed export leaves nothing under the target name. docs/EXPORT.md
// describes the formats and the shapefile field dictionary.
#include "landclear/core/area_basis.hpp"
#include "landclear/core/date.hpp"
#include "landclear/core/schema.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/report/table.hpp"
#include "landclear/store/store.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

enum class ExportLayer {
    parcels,
    buildings,
    corridors,
    projects,
    corridor_parcels,
    corridor_segments,
    findings,
    issues // the issue list (analysis/issue_list.hpp), status as of the date
};
enum class ExportFormat { geojson, shp, gpkg, fgb, kml, csv, xlsx };
enum class TextEncoding { utf8, gbk };

// Error(usage) listing the valid names for anything else.
ExportLayer parse_export_layer(const std::string& text); // "parcels", "corridor-parcels", ...
ExportFormat parse_export_format(const std::string& text);
TextEncoding parse_text_encoding(const std::string& text); // UTF-8 / GBK (CP936)
std::optional<ExportFormat> export_format_from_path(const std::string& path);
std::string export_layer_name(ExportLayer layer);    // as on the command line
std::string export_format_name(ExportFormat format); // as on the command line

struct ExportOptions {
    std::vector<ExportLayer> layers; // several only for gpkg and xlsx (a layer / sheet each)
    ExportFormat format = ExportFormat::geojson;
    std::string out;
    std::vector<std::string> projects;  // project codes; empty: all
    std::vector<std::string> corridors; // corridor codes; empty: all
    std::string district;               // empty: all
    Date as_of = Date::today();
    std::optional<int> epsg; // output CRS; default: the working CRS (GeoJSON/KML: always 4326)
    TextEncoding encoding = TextEncoding::utf8; // shapefile text
    Lang lang = Lang::zh;                       // status words, CSV/XLSX headers
    bool overwrite = false;
    bool allow_empty = false;
    bool csv_geometry = false; // CSV: a WKT column
    // --area ellipsoidal: the land areas of parcels, corridor-parcels and corridor-segments are
    // 32号 ellipsoidal areas (geom/ellipsoidal.hpp) and their fields say so (ellipsoidal_area_m2,
    // EAREA_M2, 椭球面积); other layers refuse it (Error(usage)).
    AreaBasis area = AreaBasis::planar;
    // Shapefile limit per .shp/.dbf (ArcGIS and the dBASE offsets stop at 2 GB); tests lower it.
    std::uint64_t shapefile_limit_bytes = 2147483647ull;
    std::function<void(const std::string&)> progress;
};

struct ExportedLayer {
    std::string name; // layer / sheet name in the output
    std::int64_t features = 0;
    double area_m2 = 0;  // sum of the exported areas (clipped for corridor-parcels)
    double length_m = 0; // for line layers
};

struct ExportSummary {
    std::string path;
    std::vector<std::string> files; // every file written (shapefile sidecars, field dictionary)
    std::string crs;                // "EPSG:4547 CGCS2000 / ..." or "" for XLSX
    std::vector<ExportedLayer> layers;
    std::vector<std::string> warnings;
};

ExportSummary export_layers(Store& store, const ExportOptions& options);

// The shapefile field dictionary of a layer: short dBASE name (at most 10 bytes), the long
// name used by the other formats, the Chinese label and the type (docs/EXPORT.md lists them).
struct ShapefileField {
    std::string shp, key, zh, type;
};
std::vector<ShapefileField> shapefile_dictionary(ExportLayer layer);

// A stage's label in the export's language (core/stage.hpp holds the stages and labels).
std::string stage_label(ParcelStage stage, Lang lang);
std::string stage_label(BuildingStage stage, Lang lang);

} // namespace landclear
