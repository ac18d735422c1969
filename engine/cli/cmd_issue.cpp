// landclear issue: the issue list (问题清单, 限期销号): add, close, reopen, move a deadline, list,
// import a list kept in Excel. Every write checks first and is one transaction.
#include "command.hpp"
#include "known_on.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/report/issue_list_table.hpp"

#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace landclear::cli {
namespace {

struct IssueArgs {
    std::string store;
    // add
    std::string parcel, building, corridor, project, from, to, unit, deadline, text, on, note;
    // close, reopen, deadline
    std::string id, to_date;
    // list
    bool open = false, overdue = false;
    std::vector<std::string> closed_between;
    std::string as_of, known_on;
    // import
    std::string file, sheet;
    TableArgs table;
};

// Opens an existing store for writing (a missing one is an error, not a new empty store).
std::unique_ptr<Store> open_for_write(const std::string& location) {
    open_store(location, StoreMode::read);
    return open_store(location, StoreMode::write);
}

Date day_or_today(const std::string& text, const char* option) {
    return text.empty() ? Date::today() : parse_date_option(text, option);
}

double chainage_option(const std::string& text, const char* option) {
    auto v = parse_chainage(text);
    if (!v)
        throw_usage(fmt::format("{} '{}': not a chainage", option, text),
                    "write it K1+200 (or in metres, 1200)");
    return *v;
}

int run_add(const IssueArgs& a) {
    IssueDraft d;
    int chosen = !a.parcel.empty() + !a.building.empty() + !a.corridor.empty() + !a.project.empty();
    if (chosen != 1)
        throw_usage("give exactly one of --parcel, --building, --corridor, --project",
                    "the issue is drawn on what it is tied to");
    if (!a.parcel.empty()) {
        d.target = IssueTarget::parcel;
        d.target_code = a.parcel;
    } else if (!a.building.empty()) {
        d.target = IssueTarget::building;
        d.target_code = a.building;
    } else if (!a.corridor.empty()) {
        d.target = IssueTarget::corridor;
        d.target_code = a.corridor;
    } else {
        d.target = IssueTarget::project;
        d.target_code = a.project;
    }
    if (!a.from.empty())
        d.from_m = chainage_option(a.from, "--from");
    if (!a.to.empty())
        d.to_m = chainage_option(a.to, "--to");
    d.unit = a.unit;
    d.text = a.text;
    d.note = a.note;
    d.deadline = parse_date_option(a.deadline, "--deadline");
    d.raised_on = day_or_today(a.on, "--on");
    auto store = open_for_write(a.store);
    std::cout << add_issue(*store, d) << '\n';
    return exit_ok;
}

int run_close(const IssueArgs& a, bool close) {
    auto on = parse_date_option(a.on, "--on");
    auto store = open_for_write(a.store);
    if (close)
        close_issue(*store, a.id, on, a.note);
    else
        reopen_issue(*store, a.id, on, a.note);
    std::cout << fmt::format("{} {} on {}\n", close ? "closed" : "reopened", a.id, on.iso());
    return exit_ok;
}

int run_deadline(const IssueArgs& a) {
    auto to = parse_date_option(a.to_date, "--to");
    auto on = day_or_today(a.on, "--on");
    auto store = open_for_write(a.store);
    move_issue_deadline(*store, a.id, to, on, a.note);
    std::cout << fmt::format("{}: deadline {} (from {})\n", a.id, to.iso(), on.iso());
    return exit_ok;
}

int run_list(const IssueArgs& a) {
    IssueListOptions o;
    o.known_on = parse_known_on(a.known_on);
    // The list as it was printed on the day it was known: as of that day unless told otherwise.
    o.as_of = o.known_on && a.as_of.empty() ? *o.known_on : day_or_today(a.as_of, "--as-of");
    o.open_only = a.open;
    o.overdue_only = a.overdue;
    o.unit = a.unit;
    if (!a.closed_between.empty()) {
        auto from = parse_date_option(a.closed_between[0], "--closed-between");
        auto to = parse_date_option(a.closed_between[1], "--closed-between");
        if (to < from)
            throw_usage(fmt::format("--closed-between {} {}: the second day is before the first",
                                    from.iso(), to.iso()));
        o.closed_between = std::pair{from, to};
    }
    auto store = open_store(a.store, StoreMode::read);
    emit_table(issue_list_table(list_issues(*store, o)), a.table);
    return exit_ok;
}

int run_import(const IssueArgs& a) {
    IssueImportOptions o;
    o.path = a.file;
    if (!a.sheet.empty())
        o.sheet = a.sheet;
    auto store = open_for_write(a.store);
    auto ids = import_issues(*store, o);
    std::cout << fmt::format("imported {} issue{}: {}\n", ids.size(), ids.size() == 1 ? "" : "s",
                             fmt::join(ids, ", "));
    return exit_ok;
}

const bool registered = register_command(48, [](CLI::App& app) {
    auto a = std::make_shared<IssueArgs>();
    auto* cmd = app.add_subcommand(
        "issue", "the issue list (问题清单): add, close (销号), reopen, deadline, list, import");
    cmd->require_subcommand(1);

    auto* add = cmd->add_subcommand("add", "raise an issue on a parcel, building, corridor "
                                           "stretch or project; prints its id");
    add->add_option("STORE", a->store, "the store")->required();
    add->add_option("--parcel", a->parcel, "tied to this parcel");
    add->add_option("--building", a->building, "tied to this building");
    add->add_option("--corridor", a->corridor,
                    "tied to this corridor's red line (or the stretch --from .. --to)");
    add->add_option("--from", a->from, "with --corridor: where the stretch begins (K0+300)");
    add->add_option("--to", a->to, "with --corridor: where the stretch ends (K0+450)");
    add->add_option("--project", a->project, "tied to this project's red line");
    add->add_option("--unit", a->unit, "the responsible unit (责任单位)")->required();
    add->add_option("--deadline", a->deadline, "solved by this day (限期)")->required();
    add->add_option("--text", a->text, "what the problem is")->required();
    add->add_option("--on", a->on, "the day it was raised (default: today)");
    add->add_option("--note", a->note, "a note");

    auto* close = cmd->add_subcommand("close", "cross an issue off (销号)");
    close->add_option("STORE", a->store, "the store")->required();
    close->add_option("ID", a->id, "the issue's id (WT-0001)")->required();
    close->add_option("--on", a->on, "the day it was solved")->required();
    close->add_option("--note", a->note, "how it was solved");

    auto* reopen = cmd->add_subcommand("reopen", "open a closed issue again");
    reopen->add_option("STORE", a->store, "the store")->required();
    reopen->add_option("ID", a->id, "the issue's id (WT-0001)")->required();
    reopen->add_option("--on", a->on, "the day it came back")->required();
    reopen->add_option("--note", a->note, "why");

    auto* deadline =
        cmd->add_subcommand("deadline", "move an issue's deadline (kept in its history)");
    deadline->add_option("STORE", a->store, "the store")->required();
    deadline->add_option("ID", a->id, "the issue's id (WT-0001)")->required();
    deadline->add_option("--to", a->to_date, "the new deadline")->required();
    deadline->add_option("--on", a->on, "the day the change was decided (default: today)");
    deadline->add_option("--note", a->note, "why");

    auto* list = cmd->add_subcommand("list", "the issues as of a day, with their status");
    list->add_option("STORE", a->store, "the store")->required();
    list->add_flag("--open", a->open, "only issues open on the day");
    list->add_flag("--overdue", a->overdue, "only issues open past their deadline on the day");
    list->add_option("--closed-between", a->closed_between,
                     "only issues closed (销号) between these two days, both included")
        ->expected(2);
    list->add_option("--unit", a->unit, "only this responsible unit's");
    list->add_option("--as-of", a->as_of, "the day (default: today, or the --known-on day)");
    list->add_option("--known-on", a->known_on,
                     "the list as known on this day: only what was recorded (raised, deadline "
                     "moved, closed, reopened) on or before it");
    add_table_options(*list, a->table);

    auto* import = cmd->add_subcommand("import", "add the issues of a list kept in Excel or CSV "
                                                 "(all rows or none)");
    import->add_option("STORE", a->store, "the store")->required();
    import->add_option("FILE", a->file, "FILE.xlsx, .ods or .csv")->required();
    import->add_option("--sheet", a->sheet, "the sheet that holds the list");

    return std::pair<CLI::App*, Runner>{cmd, [a, add, close, reopen, deadline, list, import] {
                                            if (add->parsed())
                                                return run_add(*a);
                                            if (close->parsed())
                                                return run_close(*a, true);
                                            if (reopen->parsed())
                                                return run_close(*a, false);
                                            if (deadline->parsed())
                                                return run_deadline(*a);
                                            if (list->parsed())
                                                return run_list(*a);
                                            if (!import->parsed())
                                                throw_usage("give a subcommand of issue");
                                            return run_import(*a);
                                        }};
});

} // namespace
} // namespace landclear::cli
