#include "command.hpp"
#include "landclear/analysis/check.hpp"
#include "landclear/report/check_tables.hpp"

#include <memory>

namespace landclear::cli {
namespace {

struct CheckArgs {
    std::string store;
    double min_area_m2 = 0.01;
    double sliver_width_m = 0.5;
    bool dry_run = false;
    TableArgs table;
};

int run(const CheckArgs& a) {
    CheckOptions o;
    o.min_area_m2 = a.min_area_m2;
    o.sliver_width_m = a.sliver_width_m;
    // Write mode would take a wrong path for a new, empty store; read mode says it is missing.
    if (!a.dry_run)
        open_store(a.store, StoreMode::read);
    auto store = open_store(a.store, a.dry_run ? StoreMode::read : StoreMode::write);
    auto report = run_check(*store, o, !a.dry_run);
    emit_tables({check_summary_table(report), check_findings_table(report)}, a.table);
    // A script can gate on it: 0 clean, 3 findings (1 stays "could not check").
    return report.findings.empty() ? exit_ok : exit_problems;
}

const bool registered = register_command(50, [](CLI::App& app) {
    auto a = std::make_shared<CheckArgs>();
    auto* cmd = app.add_subcommand(
        "check", "data-quality findings: overlaps, gaps, duplicates, dates out of order, ...");
    cmd->add_option("STORE", a->store, "the store")->required();
    cmd->add_option("--min-area", a->min_area_m2,
                    "ignore overlaps and gaps up to this many m² (default 0.01)")
        ->check(non_negative());
    cmd->add_option("--sliver-width", a->sliver_width_m,
                    "gaps narrower than this on average (m) are slivers (default 0.5)")
        ->check(non_negative());
    cmd->add_flag("--dry-run", a->dry_run, "report only; keep the store's findings layer as it is");
    add_table_options(*cmd, a->table, {"check_summary", "check_findings"});
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
