#include "command.hpp"
#include "known_on.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/report/export.hpp"

#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace landclear::cli {
namespace {

struct ExportArgs {
    std::string store, format, out, district, as_of, known_on, crs, encoding = "UTF-8", lang = "zh",
                                                                    area = "planar";
    std::vector<std::string> layers, projects, corridors;
    bool overwrite = false, allow_empty = false, wkt = false, quiet = false;
};

std::vector<std::string> split_list(const std::vector<std::string>& items) {
    std::vector<std::string> out;
    for (const auto& item : items) {
        size_t start = 0;
        while (start <= item.size()) {
            size_t comma = item.find(',', start);
            auto part =
                item.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!part.empty())
                out.push_back(part);
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
    }
    return out;
}

int run(const ExportArgs& a) {
    ExportOptions o;
    for (const auto& l : split_list(a.layers))
        o.layers.push_back(parse_export_layer(l));
    if (!a.format.empty()) {
        o.format = parse_export_format(a.format);
    } else if (auto f = export_format_from_path(a.out)) {
        o.format = *f;
    } else {
        throw_usage(fmt::format("cannot tell the format from --out {}", a.out),
                    "pass --format geojson, shp, gpkg, fgb, kml, csv or xlsx");
    }
    o.out = a.out;
    o.projects = split_list(a.projects);
    o.corridors = split_list(a.corridors);
    o.district = a.district;
    if (!a.as_of.empty())
        o.as_of = parse_date_option(a.as_of, "--as-of");
    if (!a.crs.empty())
        o.epsg = parse_epsg(a.crs, "--crs");
    o.encoding = parse_text_encoding(a.encoding);
    o.lang = parse_lang(a.lang, "--lang");
    o.overwrite = a.overwrite;
    o.allow_empty = a.allow_empty;
    o.csv_geometry = a.wkt;
    o.area = parse_area_basis(a.area, "--area");
    if (!a.quiet)
        o.progress = [](const std::string& msg) { std::cerr << msg << '\n'; };

    auto store = open_store(a.store, StoreMode::read);
    apply_known_on(*store, a.known_on);
    auto s = export_layers(*store, o);
    for (const auto& l : s.layers) {
        std::string measure;
        if (l.length_m > 0)
            measure = fmt::format(", {:.2f} m", l.length_m);
        else if (l.area_m2 > 0)
            measure = fmt::format(", {:.2f} 亩 ({:.2f} m²)", m2_to_mu(l.area_m2), l.area_m2);
        std::cout << fmt::format("{}: {} feature{}{}, status as of {}\n", l.name, l.features,
                                 l.features == 1 ? "" : "s", measure, o.as_of.iso());
    }
    std::cout << fmt::format("  to {} ({}{})\n", s.path, export_format_name(o.format),
                             s.crs.empty() ? std::string() : ", " + s.crs);
    if (s.files.size() > 1)
        for (const auto& f : s.files)
            std::cout << "  " << f << '\n';
    for (const auto& w : s.warnings)
        std::cerr << "landclear: warning: " << w << '\n';
    return exit_ok;
}

const bool registered = register_command(60, [](CLI::App& app) {
    auto a = std::make_shared<ExportArgs>();
    auto* cmd = app.add_subcommand(
        "export", "write a layer as GeoJSON, Shapefile, GeoPackage, FlatGeobuf, KML, CSV or XLSX");
    cmd->add_option("STORE", a->store, "the store")->required();
    cmd->add_option("--layer", a->layers,
                    "parcels, buildings, corridors, projects, corridor-parcels, "
                    "corridor-segments, findings or issues (gpkg and xlsx take several: a,b)")
        ->required();
    cmd->add_option("--format", a->format,
                    "geojson, shp, gpkg, fgb, kml, csv or xlsx (default: from --out)");
    cmd->add_option("--out", a->out, "the file to write (a .shp writes its sidecar files too)")
        ->required();
    cmd->add_option("--project", a->projects, "only these projects (codes, repeat or a,b)");
    cmd->add_option("--corridor", a->corridors, "only these corridors (codes)");
    cmd->add_option("--district", a->district, "only this district (区县)");
    cmd->add_option("--as-of", a->as_of, "status at the end of this day (default: today)");
    add_known_on_option(*cmd, a->known_on);
    cmd->add_option("--crs", a->crs,
                    "output CRS, EPSG:n (default: the store's working CRS; GeoJSON and KML are "
                    "always EPSG:4326)");
    cmd->add_option("--encoding", a->encoding, "shapefile text: UTF-8 (default) or GBK");
    cmd->add_option("--lang", a->lang, "status words and CSV/XLSX headers: zh (default) or en");
    cmd->add_flag("--overwrite", a->overwrite,
                  "replace an existing file (a GeoPackage keeps its other layers)");
    cmd->add_flag("--allow-empty", a->allow_empty,
                  "write an empty file when nothing matches instead of failing");
    cmd->add_option("--area", a->area,
                    "land areas: planar (default, working CRS) or ellipsoidal (32号); "
                    "parcels, corridor-parcels and corridor-segments")
        ->check(CLI::IsMember({"planar", "ellipsoidal"}));
    cmd->add_flag("--wkt", a->wkt, "CSV: add the geometry as WKT");
    cmd->add_flag("--quiet", a->quiet, "no progress messages");
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
