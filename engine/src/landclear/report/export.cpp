#include "landclear/report/export.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/atomic_file.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/report/detail/export_detail.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <ogr_spatialref.h>
#include <optional>
#include <set>
#include <unistd.h>

namespace landclear {

namespace {

using namespace detail;

struct NamedLayer {
    ExportLayer layer;
    const char* name;
};
constexpr NamedLayer layer_names[] = {
    {ExportLayer::parcels, "parcels"},
    {ExportLayer::buildings, "buildings"},
    {ExportLayer::corridors, "corridors"},
    {ExportLayer::projects, "projects"},
    {ExportLayer::corridor_parcels, "corridor-parcels"},
    {ExportLayer::corridor_segments, "corridor-segments"},
    {ExportLayer::findings, "findings"},
    {ExportLayer::issues, "issues"},
};

struct NamedFormat {
    ExportFormat format;
    const char* name;
    const char* extension;
};
constexpr NamedFormat format_names[] = {
    {ExportFormat::geojson, "geojson", ".geojson"},
    {ExportFormat::shp, "shp", ".shp"},
    {ExportFormat::gpkg, "gpkg", ".gpkg"},
    {ExportFormat::fgb, "fgb", ".fgb"},
    {ExportFormat::kml, "kml", ".kml"},
    {ExportFormat::csv, "csv", ".csv"},
    {ExportFormat::xlsx, "xlsx", ".xlsx"},
};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

} // namespace

ExportLayer parse_export_layer(const std::string& text) {
    std::string t = lower(text);
    std::replace(t.begin(), t.end(), '_', '-');
    for (const auto& l : layer_names)
        if (t == l.name)
            return l.layer;
    std::vector<std::string> names;
    for (const auto& l : layer_names)
        names.emplace_back(l.name);
    throw_usage(fmt::format("unknown layer '{}'", text),
                fmt::format("choose --layer {}", fmt::join(names, ", ")));
}

ExportFormat parse_export_format(const std::string& text) {
    std::string t = lower(text);
    if (t == "shapefile" || t == "esri shapefile")
        t = "shp";
    if (t == "flatgeobuf")
        t = "fgb";
    if (t == "geopackage")
        t = "gpkg";
    for (const auto& f : format_names)
        if (t == f.name)
            return f.format;
    std::vector<std::string> names;
    for (const auto& f : format_names)
        names.emplace_back(f.name);
    throw_usage(fmt::format("unknown format '{}'", text),
                fmt::format("choose --format {}", fmt::join(names, ", ")));
}

TextEncoding parse_text_encoding(const std::string& text) {
    std::string t = lower(text);
    if (t == "utf-8" || t == "utf8")
        return TextEncoding::utf8;
    if (t == "gbk" || t == "cp936")
        return TextEncoding::gbk;
    throw_usage(fmt::format("unknown encoding '{}'", text),
                "choose --encoding UTF-8 (default) or GBK (CP936, for ArcGIS 10 and older "
                "Chinese software)");
}

std::optional<ExportFormat> export_format_from_path(const std::string& path) {
    std::string ext = lower(std::filesystem::path(path).extension().string());
    if (ext == ".json")
        return ExportFormat::geojson;
    for (const auto& f : format_names)
        if (ext == f.extension)
            return f.format;
    return std::nullopt;
}

std::string export_layer_name(ExportLayer layer) {
    for (const auto& l : layer_names)
        if (l.layer == layer)
            return l.name;
    return "?";
}

std::string export_format_name(ExportFormat format) {
    for (const auto& f : format_names)
        if (f.format == format)
            return f.name;
    return "?";
}

std::string stage_label(ParcelStage stage, Lang lang) {
    const auto& style = stage_style(stage);
    return lang == Lang::zh ? style.zh : style.en;
}

std::string stage_label(BuildingStage stage, Lang lang) {
    const auto& style = stage_style(stage);
    return lang == Lang::zh ? style.zh : style.en;
}

namespace detail {

// An export whose selection matches nothing fails (unless --allow-empty) before anything is
// put in place. Among several layers, an empty one (a store without findings) is only
// reported.
void check_empty(const std::vector<Source>& sources, const ExportOptions& o,
                 ExportSummary& summary) {
    std::vector<std::string> empty;
    for (size_t i = 0; i < sources.size() && i < summary.layers.size(); ++i)
        if (summary.layers[i].features == 0)
            empty.push_back(export_layer_name(sources[i].layer));
    if (empty.empty() || o.allow_empty)
        return;
    // With no selection an empty result is an empty layer (a store without buildings yet):
    // said as that, not as a selection that matched nothing.
    auto selection = describe_selection(o);
    if (empty.size() == sources.size()) {
        if (selection.empty())
            throw_input(fmt::format("the store's {} layer{} empty; nothing written",
                                    fmt::join(empty, " and "), empty.size() > 1 ? "s are" : " is"),
                        "pass --allow-empty to write an empty file anyway");
        throw_input(fmt::format("no {} match the selection{}; nothing written",
                                fmt::join(empty, " or "), selection),
                    "check the codes and names (landclear status STORE lists them), or pass "
                    "--allow-empty to write an empty file anyway");
    }
    for (const auto& name : empty)
        summary.warnings.push_back(
            selection.empty()
                ? fmt::format("the store's {} layer is empty", name)
                : fmt::format("no {} match the selection{}; that layer is empty", name, selection));
}

std::string describe_selection(const ExportOptions& o) {
    std::string out;
    if (!o.projects.empty())
        out += fmt::format(" --project {}", fmt::join(o.projects, ","));
    if (!o.corridors.empty())
        out += fmt::format(" --corridor {}", fmt::join(o.corridors, ","));
    if (!o.district.empty())
        out += fmt::format(" --district {}", o.district);
    return out.empty() ? std::string() : " (" + out.substr(1) + ")";
}

} // namespace detail

namespace {

// ---------------------------------------------------------------------------------------------
// Checks before anything is written.

void check_request(const ExportOptions& o) {
    if (o.layers.empty())
        throw_usage("no layer to export", "pass --layer parcels (or another layer)");
    bool multi = o.format == ExportFormat::gpkg || o.format == ExportFormat::xlsx;
    if (o.layers.size() > 1 && !multi)
        throw_usage(fmt::format("--format {} holds one layer; {} were asked for",
                                export_format_name(o.format), o.layers.size()),
                    "export the layers one by one, or use --format gpkg or xlsx (one layer or "
                    "sheet each)");
    std::set<ExportLayer> seen;
    for (auto l : o.layers)
        if (!seen.insert(l).second)
            throw_usage(fmt::format("--layer {} is given twice", export_layer_name(l)));
    if (o.encoding == TextEncoding::gbk && o.format != ExportFormat::shp)
        throw_usage(fmt::format("--encoding GBK applies to shapefiles; {} is always UTF-8",
                                export_format_name(o.format)),
                    "drop --encoding, or use --format shp");
    if (o.csv_geometry && o.format != ExportFormat::csv)
        throw_usage("--wkt adds a geometry column to CSV only",
                    "drop --wkt; the other formats carry geometry anyway");
    bool wgs84_only = o.format == ExportFormat::geojson || o.format == ExportFormat::kml;
    if (o.epsg && wgs84_only && *o.epsg != 4326)
        throw_usage(fmt::format("{} is always WGS84 longitude/latitude (EPSG:4326)",
                                o.format == ExportFormat::geojson ? "GeoJSON (RFC 7946)" : "KML"),
                    "drop --crs, or use --format gpkg, shp, fgb or csv for another CRS");
    if (o.epsg && o.format == ExportFormat::xlsx)
        throw_usage("XLSX holds no geometry, so --crs does not apply", "drop --crs");
    if (o.out.empty())
        throw_usage("no output file", "pass --out FILE");
}

// The files an export writes (a shapefile is several).
std::vector<fs::path> target_files(const fs::path& target, ExportFormat format) {
    if (format != ExportFormat::shp)
        return {target};
    std::vector<fs::path> files;
    for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"})
        files.push_back(fs::path(target).replace_extension(ext));
    files.push_back(target.parent_path() / (target.stem().string() + "_fields.csv"));
    return files;
}

void check_output(const ExportOptions& o) {
    fs::path target(o.out);
    std::string ext = lower(target.extension().string());
    bool ext_ok = false;
    for (const auto& f : format_names)
        if (f.format == o.format)
            ext_ok = ext == f.extension || (o.format == ExportFormat::geojson && ext == ".json");
    if (!ext_ok)
        throw_usage(fmt::format("--out {} does not end in the {} extension", o.out,
                                export_format_name(o.format)),
                    fmt::format("name the file like parcels.{}",
                                o.format == ExportFormat::geojson ? "geojson"
                                                                  : export_format_name(o.format)));
    fs::path dir = target.parent_path();
    if (dir.empty())
        dir = ".";
    std::error_code ec;
    if (!fs::exists(dir, ec))
        throw_input(
            fmt::format("the output folder {} does not exist", dir.string()),
            fmt::format("create it first (mkdir -p {}) or choose another --out", dir.string()));
    if (!fs::is_directory(dir, ec))
        throw_input(fmt::format("{} is not a folder", dir.string()), "choose another --out");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw_input(fmt::format("the output folder {} is not writable", dir.string()),
                    "choose a folder you can write to");
    for (const auto& f : target_files(target, o.format))
        if (!fs::is_directory(f, ec))
            require_regular_or_new(f);
    if (fs::is_directory(target, ec))
        throw_usage(fmt::format("--out {} is a folder", o.out),
                    fmt::format("give a file name inside it, e.g. {}/parcels.{}", o.out,
                                export_format_name(o.format)));
    if (!o.overwrite)
        for (const auto& f : target_files(target, o.format))
            if (fs::exists(f, ec))
                throw_usage(fmt::format("{} exists", f.string()),
                            o.format == ExportFormat::gpkg
                                ? "pass --overwrite to add or replace the exported layers in "
                                  "it (its other layers are kept), or choose another --out"
                                : "pass --overwrite to replace it, or choose another --out");
}

} // namespace

ExportSummary export_layers(Store& store, const ExportOptions& o) {
    ensure_gdal_registered();
    check_request(o);
    check_output(o);
    ExportSummary summary;
    ExportSources sources_of(store, o, summary);
    const std::vector<Source>& sources = sources_of.sources();

    std::unique_ptr<OGRSpatialReference> working, target;
    if (auto epsg = store.working_epsg())
        working = srs_from_epsg(*epsg);
    bool wgs84 = o.format == ExportFormat::geojson || o.format == ExportFormat::kml;
    if (wgs84)
        target = srs_from_epsg(4326);
    else if (o.epsg)
        target = srs_from_epsg(*o.epsg);
    else if (working)
        target = srs_from_epsg(*store.working_epsg());

    summary.path = o.out;
    if (target && o.format != ExportFormat::xlsx &&
        !(o.format == ExportFormat::csv && !o.csv_geometry))
        summary.crs = describe_srs(*target);
    TransformPtr transform;
    if (working && target)
        transform = make_transform(*working, *target);
    WriteContext ctx{o, working.get(), target.get(), transform.get(), summary};

    fs::path out(o.out);
    fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    PendingFiles pending(dir);
    switch (o.format) {
    case ExportFormat::xlsx: {
        write_layers_xlsx(sources, out, ctx);
        summary.files.push_back(o.out);
        return summary;
    }
    case ExportFormat::shp: {
        ExportedLayer r;
        r.name = sources.front().name;
        write_shapefile(sources.front(), out, pending, ctx, r);
        summary.layers.push_back(r);
        check_empty(sources, o, summary);
        break;
    }
    default:
        write_gdal(sources, out, pending, ctx);
        break;
    }
    summary.files = pending.commit();
    return summary;
}

std::vector<ShapefileField> shapefile_dictionary(ExportLayer layer) {
    std::vector<ShapefileField> out;
    for (const auto& f : layer_fields(layer)) {
        const char* type = f.type == FieldType::text      ? "text"
                           : f.type == FieldType::integer ? "integer"
                           : f.type == FieldType::real    ? "real"
                                                          : "date";
        out.push_back({f.shp, f.key, f.zh, type});
    }
    return out;
}

} // namespace landclear
