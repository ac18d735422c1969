#include "command.hpp"
#include "landclear/analysis/reconcile.hpp"
#include "landclear/io/source.hpp"
#include "landclear/report/reconcile_tables.hpp"

#include <memory>

namespace landclear::cli {
namespace {

struct ReconcileArgs {
    std::string store, ledger, sheet, map, encoding, key = "parcel", area = "planar", as_of,
                                                     measure, tolerance_mode = "any";
    std::vector<std::string> tolerance;
    TableArgs table;
};

int run(const ReconcileArgs& a) {
    ReconcileOptions o;
    o.key = parse_reconcile_key(a.key, "--key");
    o.area = parse_area_basis(a.area, "--area");
    o.tolerance = parse_tolerance(a.tolerance, a.tolerance_mode, "--tolerance");
    if (!a.as_of.empty())
        o.as_of = parse_date_option(a.as_of, "--as-of");
    if (!a.measure.empty())
        o.measure = parse_measure(a.measure, "--measure");
    LedgerOptions lo;
    lo.path = a.ledger;
    if (!a.sheet.empty())
        lo.sheet = a.sheet;
    check_encoding(a.encoding, "--encoding");
    lo.encoding = a.encoding;
    lo.mapping = a.map;
    auto store = open_store(a.store, StoreMode::read);
    auto ledger = read_ledger(lo);
    auto report = reconcile(*store, ledger, o);
    emit_tables(reconcile_tables(report, parse_lang(a.table.lang, "--lang")), a.table);
    // Gates a script: 0 when nothing is beyond --tolerance (every difference explained or
    // tolerated), 3 when something is (1 stays "could not reconcile").
    return report.reconciled ? exit_ok : exit_problems;
}

const bool registered = register_command(40, [](CLI::App& app) {
    auto a = std::make_shared<ReconcileArgs>();
    auto* cmd = app.add_subcommand(
        "reconcile", "compare the map with a ledger (台账) and explain every difference");
    cmd->add_option("STORE", a->store, "the store")->required();
    cmd->add_option("--ledger", a->ledger,
                    "the ledger: XLSX, ODS or CSV (any encoding; a .zip or /vsizip/ path too)")
        ->required();
    cmd->add_option("--sheet", a->sheet, "the ledger's sheet (XLSX/ODS with several sheets)");
    cmd->add_option("--map", a->map,
                    "mapping file whose \"ledger\" section names the ledger's columns");
    cmd->add_option("--encoding", a->encoding,
                    "text encoding of a CSV ledger, e.g. GBK (default: as detected)");
    cmd->add_option("--key", a->key, "parcel (default): rows are parcels; project: project totals")
        ->check(CLI::IsMember({"parcel", "project"}));
    cmd->add_option("--area", a->area, "map area basis: planar (default) or ellipsoidal (32号)")
        ->check(CLI::IsMember({"planar", "ellipsoidal"}));
    cmd->add_option("--measure", a->measure,
                    "area, acquired, cleared or delivered (default: from the ledger's columns)")
        ->check(CLI::IsMember({"area", "acquired", "cleared", "delivered"}));
    cmd->add_option("--tolerance", a->tolerance,
                    "per row, unexplained differences up to 0.05 (亩) or 0.1% (of the ledger's "
                    "figure) are tolerated (class within_tolerance); both may be given")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->take_all();
    cmd->add_option("--tolerance-mode", a->tolerance_mode,
                    "any (default): within either tolerance; all: within every one given")
        ->check(CLI::IsMember({"any", "all"}));
    cmd->add_option("--as-of", a->as_of, "status at the end of this day (default: today)");
    add_table_options(*cmd, a->table, {"reconcile", "reconcile_items", "reconcile_unreadable"});
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
