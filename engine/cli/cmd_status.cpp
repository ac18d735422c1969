#include "command.hpp"
#include "known_on.hpp"
#include "landclear/analysis/plan.hpp"
#include "landclear/analysis/status.hpp"
#include "landclear/report/plan_tables.hpp"
#include "landclear/report/status_table.hpp"

#include <memory>

namespace landclear::cli {
namespace {

struct StatusArgs {
    std::string store, as_of, since, known_on, by = "project", area = "planar";
    TableArgs table;
};

int run(const StatusArgs& a) {
    StatusOptions o;
    if (!a.as_of.empty())
        o.as_of = parse_date_option(a.as_of, "--as-of");
    if (!a.since.empty())
        o.since = parse_date_option(a.since, "--since");
    o.by = parse_group_by(a.by, "--by");
    o.area = parse_area_basis(a.area, "--area");
    auto store = open_store(a.store, StoreMode::read);
    apply_known_on(*store, a.known_on);
    auto table = status_table(compute_status(*store, o));
    // Where a plan names the project or unit: its targets and 完成率 (docs/PLANS.md).
    if ((o.by == GroupBy::project || o.by == GroupBy::unit) && has_plans(*store))
        add_plan_columns(
            table,
            compute_plan_status(*store, {o.as_of, o.by == GroupBy::project ? PlanGroupBy::project
                                                                           : PlanGroupBy::unit}),
            o.by == GroupBy::project ? PlanKey::project : PlanKey::unit);
    emit_table(table, a.table);
    return exit_ok;
}

const bool registered = register_command(20, [](CLI::App& app) {
    auto a = std::make_shared<StatusArgs>();
    auto* cmd = app.add_subcommand("status", "acquired / cleared / delivered 亩 per group");
    cmd->add_option("STORE", a->store, "the store")->required();
    cmd->add_option("--as-of", a->as_of, "status at the end of this day (default: today)");
    cmd->add_option("--since", a->since, "also show the increase after this day (本周新增)");
    add_known_on_option(*cmd, a->known_on);
    cmd->add_option("--by", a->by, "project, district, unit, village, land_class, owner_type")
        ->check(
            CLI::IsMember({"project", "district", "unit", "village", "land_class", "owner_type"}));
    cmd->add_option("--area", a->area,
                    "area basis: planar (default, working CRS) or ellipsoidal (32号)")
        ->check(CLI::IsMember({"planar", "ellipsoidal"}));
    add_table_options(*cmd, a->table);
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
