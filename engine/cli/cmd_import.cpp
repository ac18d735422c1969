#include "command.hpp"
#include "landclear/analysis/import.hpp"
#include "landclear/core/units.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/io/source.hpp"

#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace landclear::cli {
namespace {

struct ImportArgs {
    std::string store, parcels, buildings, corridors, projects, map, encoding, s_crs, crs;
    std::string invalid = "repair", reported;
    bool append = false, update = false, quiet = false, fork_as_alignments = false;
};

int run(const ImportArgs& a) {
    ImportOptions o;
    o.store = a.store;
    auto add = [&](LayerKind kind, const std::string& spec) {
        if (!spec.empty())
            o.sources.emplace_back(kind, parse_source_spec(spec));
    };
    add(LayerKind::projects, a.projects);
    add(LayerKind::corridors, a.corridors);
    add(LayerKind::parcels, a.parcels);
    add(LayerKind::buildings, a.buildings);
    o.mapping = a.map;
    check_encoding(a.encoding, "--encoding");
    o.encoding = a.encoding;
    if (!a.s_crs.empty())
        o.source_epsg = parse_epsg(a.s_crs, "--s-crs");
    if (!a.crs.empty())
        o.working_epsg = parse_epsg(a.crs, "--crs");
    o.append = a.append;
    o.update = a.update;
    o.fork_as_alignments = a.fork_as_alignments;
    if (!a.reported.empty())
        o.reported = parse_date_option(a.reported, "--reported");
    o.invalid = a.invalid == "reject" ? InvalidPolicy::reject : InvalidPolicy::repair;
    if (!a.quiet)
        o.progress = [](const std::string& msg) { std::cerr << msg << '\n'; };

    auto s = import_layers(o);
    std::cout << fmt::format("{} {}; working CRS {}\n", s.created ? "Created" : "Updated", s.store,
                             s.working_crs);
    for (const auto& l : s.layers) {
        std::string measure = l.layer == "corridors"
                                  ? fmt::format("{:.2f} m", l.measure_total)
                                  : fmt::format("{:.2f} 亩", m2_to_mu(l.measure_total));
        std::cout << fmt::format("  {:<10} {} read, {} written, {} repaired, {} (from {}, {})\n",
                                 l.layer, l.read, l.written, l.repaired, measure, l.source,
                                 l.source_crs);
        if (!l.detected_encoding.empty())
            std::cout << fmt::format("             text encoding: {}\n", l.detected_encoding);
        if (!s.created)
            std::cout << fmt::format("             {} added, {} changed, {} removed\n", l.added,
                                     l.changed, l.removed);
        if (!l.absent_fields.empty())
            std::cout << fmt::format("             not in source, left empty: {}\n",
                                     fmt::join(l.absent_fields, ", "));
    }
    for (const auto& f : s.findings)
        std::cout << fmt::format("  repaired: {} {} (feature {} of {}): {}\n", f.layer,
                                 f.feature_code, f.source_fid, f.source, f.message);
    return exit_ok;
}

const bool registered = register_command(10, [](CLI::App& app) {
    auto a = std::make_shared<ImportArgs>();
    auto* cmd = app.add_subcommand("import", "import layers into a store (created if missing)");
    cmd->add_option("STORE", a->store, "the store (a SpatiaLite file)")->required();
    cmd->add_option("--parcels", a->parcels, "parcels source: FILE[:LAYER]");
    cmd->add_option("--buildings", a->buildings, "buildings source: FILE[:LAYER]");
    cmd->add_option("--corridors", a->corridors, "corridor centrelines: FILE[:LAYER]");
    cmd->add_option("--projects", a->projects, "projects (red lines optional): FILE[:LAYER]");
    cmd->add_option("--map", a->map, "mapping file or preset (chinese, zongdi, dltb)");
    cmd->add_option("--encoding", a->encoding, "text encoding of the sources, e.g. GBK");
    cmd->add_option("--s-crs", a->s_crs, "CRS of the sources (overrides theirs), EPSG:n");
    cmd->add_option("--crs", a->crs,
                    "working CRS of a new store, EPSG:n (default: the CGCS2000 3-degree GK "
                    "zone of the data's centre)");
    cmd->add_flag("--append", a->append, "add features instead of replacing the layer");
    cmd->add_flag("--update", a->update,
                  "the sources hold only changed or new features: replace those, keep the others");
    cmd->add_option("--reported", a->reported,
                    "the date the data describes, YYYY-MM-DD (default today): what --known-on "
                    "and bulletins go by");
    cmd->add_option("--invalid", a->invalid, "invalid polygons: repair (default) or reject")
        ->check(CLI::IsMember({"repair", "reject"}));
    cmd->add_flag("--fork-as-alignments", a->fork_as_alignments,
                  "import a branching corridor centreline as alignments AK, BK, ... of its "
                  "corridor (longest first) instead of refusing it");
    cmd->add_flag("--quiet", a->quiet, "no progress messages");
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
