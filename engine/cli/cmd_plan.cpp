// landclear plan import | status: the targets each unit was given (交办) and completion against
// them (docs/PLANS.md).
#include "command.hpp"
#include "known_on.hpp"
#include "landclear/analysis/plan.hpp"
#include "landclear/core/error.hpp"
#include "landclear/report/plan_tables.hpp"

#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace landclear::cli {
namespace {

struct PlanImportArgs {
    std::string store, file, sheet, map, reported;
    bool dry_run = false;
};

struct PlanStatusArgs {
    std::string store, as_of, known_on, by = "unit";
    TableArgs table;
};

int run_import(const PlanImportArgs& a) {
    PlanImportOptions o;
    o.path = a.file;
    if (!a.sheet.empty())
        o.sheet = a.sheet;
    o.mapping = a.map;
    if (!a.reported.empty())
        o.reported = parse_date_option(a.reported, "--reported");
    o.dry_run = a.dry_run;
    // The store must hold the projects the plan names: never created here.
    if (!store_exists(a.store))
        throw_input(fmt::format("store {} does not exist", a.store),
                    "import the projects first: landclear import STORE --projects ...");
    auto store = open_store(a.store, a.dry_run ? StoreMode::read : StoreMode::write);
    auto result = import_plans(*store, o);
    std::cout << render_text(plan_import_table(result, a.dry_run), Lang::zh);
    return exit_ok;
}

int run_status(const PlanStatusArgs& a) {
    PlanStatusOptions o;
    if (!a.as_of.empty())
        o.as_of = parse_date_option(a.as_of, "--as-of");
    o.by = parse_plan_group_by(a.by, "--by");
    auto store = open_store(a.store, StoreMode::read);
    apply_known_on(*store, a.known_on);
    if (!has_plans(*store))
        throw_input(fmt::format("store {} holds no plan{}", a.store,
                                store->known_on()
                                    ? fmt::format(" known on {}", store->known_on()->iso())
                                    : std::string()),
                    "import one: landclear plan import STORE FILE.xlsx (docs/PLANS.md)");
    auto report = compute_plan_status(*store, o);
    auto lang = parse_lang(a.table.lang, "--lang");
    emit_tables({plan_targets_table(report, lang), plan_groups_table(report, lang)}, a.table);
    return exit_ok;
}

const bool registered = register_command(47, [](CLI::App& app) {
    auto ia = std::make_shared<PlanImportArgs>();
    auto sa = std::make_shared<PlanStatusArgs>();
    auto* cmd = app.add_subcommand("plan", "plans (交办): import targets, completion against them");
    cmd->require_subcommand(1);

    auto* imp = cmd->add_subcommand("import", "import a plan file; a known plan id is a revision");
    imp->add_option("STORE", ia->store, "the store (with the projects the plan names)")->required();
    imp->add_option("FILE", ia->file, "the plan: .xlsx, .ods or .csv, one row per target")
        ->required();
    imp->add_option("--sheet", ia->sheet, "the sheet to read (default: the only one)");
    imp->add_option("--map", ia->map, "JSON file with a \"plan\" section naming the columns");
    imp->add_option("--reported", ia->reported,
                    "the day this plan is known from, for --known-on (default: today)");
    imp->add_flag("--dry-run", ia->dry_run, "check the file against the store, write nothing");

    auto* st = cmd->add_subcommand("status", "per target: done, 完成率, 时序进度, 进度差, 逾期");
    st->add_option("STORE", sa->store, "the store")->required();
    st->add_option("--as-of", sa->as_of, "at the end of this day (default: today)");
    add_known_on_option(*st, sa->known_on);
    st->add_option("--by", sa->by, "groups: unit (default), project, plan, batch")
        ->check(CLI::IsMember({"unit", "project", "plan", "batch"}));
    add_table_options(*st, sa->table, {"targets", "groups"});

    return std::pair<CLI::App*, Runner>{cmd, [imp, st, ia, sa] {
                                            if (imp->parsed())
                                                return run_import(*ia);
                                            return run_status(*sa);
                                        }};
});

} // namespace
} // namespace landclear::cli
