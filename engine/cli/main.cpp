// The landclear command line: parses options into the library's option structs, runs, prints.
// Exit codes: 0 ok, 1 failure (bad input, store problem), 2 usage.
#include "landclear/crs.hpp"
#include "landclear/error.hpp"
#include "landclear/import.hpp"
#include "landclear/status.hpp"
#include "landclear/units.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <unistd.h>

namespace lc = landclear;

namespace {

struct ImportArgs {
    std::string store, parcels, buildings, corridors, projects, map, encoding, s_crs, crs;
    std::string invalid = "repair";
    bool append = false, quiet = false;
};

struct TableArgs {
    std::string format = "table", lang = "zh", out;
};

struct StatusArgs {
    std::string store, as_of, since, by = "project";
    TableArgs table;
};

void add_table_options(CLI::App& cmd, TableArgs& a) {
    cmd.add_option("--format", a.format, "table, csv or json")
        ->check(CLI::IsMember({"table", "csv", "json"}));
    cmd.add_option("--lang", a.lang, "column headers: zh (default) or en")
        ->check(CLI::IsMember({"zh", "en"}));
    cmd.add_option("--out", a.out, "write to FILE instead of standard output");
}

void emit(const lc::Table& table, const TableArgs& a) {
    auto lang = lc::parse_lang(a.lang);
    if (a.format == "csv") {
        lc::write_csv(table, lang, a.out.empty() ? "-" : a.out);
        return;
    }
    std::string text = a.format == "json" ? lc::render_json(table, lang)
                                          : lc::render_text(table, lang);
    if (a.out.empty()) {
        std::cout << text;
        return;
    }
    std::string temp = fmt::format("{}.tmp-{}", a.out, ::getpid());
    FILE* f = std::fopen(temp.c_str(), "wb");
    if (!f)
        lc::throw_input(fmt::format("cannot write {}", a.out),
                        "check that the folder exists and is writable");
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = std::fclose(f) == 0 && ok;
    if (!ok || std::rename(temp.c_str(), a.out.c_str()) != 0) {
        std::remove(temp.c_str());
        lc::throw_input(fmt::format("cannot write {}", a.out));
    }
}

int run_import(const ImportArgs& a) {
    lc::ImportOptions o;
    o.store = a.store;
    auto add = [&](lc::LayerKind kind, const std::string& spec) {
        if (!spec.empty())
            o.sources.emplace_back(kind, lc::parse_source_spec(spec));
    };
    add(lc::LayerKind::projects, a.projects);
    add(lc::LayerKind::corridors, a.corridors);
    add(lc::LayerKind::parcels, a.parcels);
    add(lc::LayerKind::buildings, a.buildings);
    o.mapping = a.map;
    o.encoding = a.encoding;
    if (!a.s_crs.empty())
        o.source_epsg = lc::parse_epsg(a.s_crs, "--s-crs");
    if (!a.crs.empty())
        o.working_epsg = lc::parse_epsg(a.crs, "--crs");
    o.append = a.append;
    o.invalid = a.invalid == "reject" ? lc::InvalidPolicy::reject : lc::InvalidPolicy::repair;
    if (!a.quiet)
        o.progress = [](const std::string& msg) { std::cerr << msg << '\n'; };

    auto s = lc::import_layers(o);
    std::cout << fmt::format("{} {}; working CRS {}\n", s.created ? "Created" : "Updated",
                             s.store, s.working_crs);
    for (const auto& l : s.layers) {
        std::string measure =
            l.layer == "corridors"
                ? fmt::format("{:.2f} m", l.measure_total)
                : fmt::format("{:.2f} 亩", lc::m2_to_mu(l.measure_total));
        std::cout << fmt::format("  {:<10} {} read, {} written, {} repaired, {} (from {}, {})\n",
                                 l.layer, l.read, l.written, l.repaired, measure, l.source,
                                 l.source_crs);
        if (!l.absent_fields.empty())
            std::cout << fmt::format("             not in source, left empty: {}\n",
                                     fmt::join(l.absent_fields, ", "));
    }
    for (const auto& f : s.findings)
        std::cout << fmt::format("  repaired: {} {} (feature {} of {}): {}\n", f.layer,
                                 f.feature_code, f.source_fid, f.source, f.message);
    return 0;
}

int run_status(const StatusArgs& a) {
    lc::StatusOptions o;
    if (!a.as_of.empty())
        o.as_of = lc::parse_date_option(a.as_of, "--as-of");
    if (!a.since.empty())
        o.since = lc::parse_date_option(a.since, "--since");
    o.by = lc::parse_group_by(a.by);
    auto store = lc::open_store(a.store, lc::StoreMode::read);
    emit(lc::status_table(lc::compute_status(*store, o)), a.table);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"landclear: land acquisition and clearance status (征地拆迁) from GIS data"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "landclear 0.1.0");

    ImportArgs ia;
    auto* imp = app.add_subcommand("import", "import layers into a store (created if missing)");
    imp->add_option("STORE", ia.store, "the store (a SpatiaLite file)")->required();
    imp->add_option("--parcels", ia.parcels, "parcels source: FILE[:LAYER]");
    imp->add_option("--buildings", ia.buildings, "buildings source: FILE[:LAYER]");
    imp->add_option("--corridors", ia.corridors, "corridor centrelines: FILE[:LAYER]");
    imp->add_option("--projects", ia.projects, "projects (red lines optional): FILE[:LAYER]");
    imp->add_option("--map", ia.map, "mapping file or preset (chinese, zongdi, dltb)");
    imp->add_option("--encoding", ia.encoding, "text encoding of the sources, e.g. GBK");
    imp->add_option("--s-crs", ia.s_crs, "CRS of the sources (overrides theirs), EPSG:n");
    imp->add_option("--crs", ia.crs, "working CRS of a new store, EPSG:n (default: the "
                                     "CGCS2000 3-degree GK zone of the data's centre)");
    imp->add_flag("--append", ia.append, "add features instead of replacing the layer");
    imp->add_option("--invalid", ia.invalid, "invalid polygons: repair (default) or reject")
        ->check(CLI::IsMember({"repair", "reject"}));
    imp->add_flag("--quiet", ia.quiet, "no progress messages");

    StatusArgs sa;
    auto* st = app.add_subcommand("status", "acquired / cleared / delivered 亩 per group");
    st->add_option("STORE", sa.store, "the store")->required();
    st->add_option("--as-of", sa.as_of, "status at the end of this day (default: today)");
    st->add_option("--since", sa.since, "also show the increase after this day (本周新增)");
    st->add_option("--by", sa.by, "project, district, unit, village, land_class, owner_type")
        ->check(CLI::IsMember({"project", "district", "unit", "village", "land_class",
                               "owner_type"}));
    add_table_options(*st, sa.table);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    try {
        if (*imp)
            return run_import(ia);
        if (*st)
            return run_status(sa);
    } catch (const lc::Error& e) {
        std::cerr << "landclear: error: " << e.full_message() << '\n';
        if (!e.hint().empty())
            std::cerr << "  what to do: " << e.hint() << '\n';
        return e.kind() == lc::ErrorKind::usage ? 2 : 1;
    } catch (const std::exception& e) {
        std::cerr << "landclear: internal error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
