#include "command.hpp"
#include "known_on.hpp"
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/plan.hpp"
#include "landclear/core/error.hpp"
#include "landclear/report/corridor_tables.hpp"
#include "landclear/report/plan_tables.hpp"

#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace landclear::cli {
namespace {

struct CorridorArgs {
    std::string store, as_of, since, known_on, redline = "buffer", area = "planar";
    std::vector<std::string> corridors, projects;
    double segment = 100;
    unsigned threads = 0;
    bool quiet = false, no_save = false;
    TableArgs out;
};

int run(const CorridorArgs& a) {
    CorridorOptions o;
    o.corridors = a.corridors;
    o.projects = a.projects;
    if (!a.as_of.empty())
        o.as_of = parse_date_option(a.as_of, "--as-of");
    if (!a.since.empty())
        o.since = parse_date_option(a.since, "--since");
    o.segment_m = a.segment;
    o.red_line = parse_red_line_source(a.redline);
    o.area = parse_area_basis(a.area, "--area");
    o.threads = a.threads;
    o.save = !a.no_save;
    if (!a.quiet)
        o.progress = [](const std::string& msg) { std::cerr << msg << '\n'; };

    // Written when it can be, so the clipped geometry is kept for next time and for maps.
    // Not as known on another day: those results are of that day only, and not kept.
    auto mode = store_exists(a.store) && a.known_on.empty() ? StoreMode::write : StoreMode::read;
    auto store = open_store(a.store, mode);
    apply_known_on(*store, a.known_on);
    auto reports = analyse_corridors(*store, o);
    if (reports.empty())
        throw_input(fmt::format("{} has no corridors", a.store),
                    "import centrelines with: landclear import STORE --corridors FILE");
    if (!a.quiet)
        for (const auto& r : reports)
            if (r.geometry != "stored" && r.geometry != "saved")
                std::cerr << fmt::format("corridor {}: computed {}\n", r.code, r.geometry);

    auto tables = corridor_tables(reports, o);
    // The corridors table names each road's project: its plan targets and 完成率 where it has
    // some (the project's whole figure, not the red line's: docs/PLANS.md).
    if (has_plans(*store))
        add_plan_columns(tables.front(),
                         compute_plan_status(*store, {o.as_of, PlanGroupBy::project}),
                         PlanKey::project, 2);
    emit_tables(tables, a.out);
    return exit_ok;
}

const bool registered = register_command(30, [](CLI::App& app) {
    auto a = std::make_shared<CorridorArgs>();
    auto* cmd = app.add_subcommand(
        "corridor", "land and buildings inside each road's red line, by chainage segment, and "
                    "the stretches that block it");
    cmd->add_option("STORE", a->store, "the store")->required();
    auto* corridor = cmd->add_option("--corridor", a->corridors, "only this corridor (repeatable)");
    cmd->add_option("--project", a->projects, "only the corridors of this project (repeatable)")
        ->excludes(corridor);
    cmd->add_option("--as-of", a->as_of, "status at the end of this day (default: today)");
    add_known_on_option(*cmd, a->known_on);
    cmd->add_option("--since", a->since, "also show the increase after this day (本周新增)");
    // Checked by the library, so a bad value is a usage error (exit 2) like the others.
    cmd->add_option("--segment", a->segment, "segment length in metres (default 100)");
    cmd->add_option("--redline", a->redline,
                    "buffer: centreline ± widths (default); project: the project's polygon "
                    "where it has one")
        ->check(CLI::IsMember({"buffer", "project"}));
    cmd->add_option("--area", a->area,
                    "area basis: planar (default, working CRS) or ellipsoidal (32号)")
        ->check(CLI::IsMember({"planar", "ellipsoidal"}));
    cmd->add_option("--threads", a->threads, "worker threads (default: one per core)");
    cmd->add_flag("--no-save", a->no_save,
                  "do not keep recomputed geometry in the store (it is recomputed next time)");
    cmd->add_flag("--quiet", a->quiet, "no progress messages");
    add_table_options(*cmd, a->out, {"corridors", "segments", "blocking"});
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
