#include "command.hpp"
#include "landclear/analysis/history.hpp"
#include "landclear/core/error.hpp"
#include "landclear/report/history_table.hpp"

#include <memory>

namespace landclear::cli {
namespace {

struct HistoryArgs {
    std::string store, parcel, building, project, corridor, since, until;
    TableArgs table;
};

int run(const HistoryArgs& a) {
    HistoryOptions o;
    int chosen = !a.parcel.empty() + !a.building.empty() + !a.project.empty() + !a.corridor.empty();
    if (chosen > 1)
        throw_usage("give at most one of --parcel, --building, --project, --corridor");
    if (!a.parcel.empty()) {
        o.layer = LayerKind::parcels;
        o.code = a.parcel;
    }
    if (!a.building.empty()) {
        o.layer = LayerKind::buildings;
        o.code = a.building;
    }
    o.project = a.project;
    o.corridor = a.corridor;
    if (!a.since.empty())
        o.since = parse_date_option(a.since, "--since");
    if (!a.until.empty())
        o.until = parse_date_option(a.until, "--until");
    auto store = open_store(a.store, StoreMode::read);
    auto r = compute_history(*store, o);
    emit_tables({history_changes_table(r), history_batches_table(r)}, a.table);
    return exit_ok;
}

const bool registered = register_command(45, [](CLI::App& app) {
    auto a = std::make_shared<HistoryArgs>();
    auto* cmd =
        app.add_subcommand("history", "what each import changed, newest first; corrections marked");
    cmd->add_option("STORE", a->store, "the store")->required();
    cmd->add_option("--parcel", a->parcel, "only this parcel");
    cmd->add_option("--building", a->building, "only this building");
    cmd->add_option("--project", a->project, "only this project and its parcels and buildings");
    cmd->add_option("--corridor", a->corridor, "only this corridor and its project's features");
    cmd->add_option("--since", a->since, "only batches reported on or after this day");
    cmd->add_option("--until", a->until, "only batches reported on or before this day");
    add_table_options(*cmd, a->table, {"changes", "batches"});
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
