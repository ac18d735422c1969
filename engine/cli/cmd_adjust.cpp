#include "command.hpp"
#include "landclear/analysis/adjust.hpp"
#include "landclear/core/area_basis.hpp"
#include "landclear/report/adjusted_ledger.hpp"

#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace landclear::cli {
namespace {

struct AdjustArgs {
    std::string store, ledger, sheet, map, encoding, area = "planar", out, lang = "zh";
    double total = 0;
    int decimals = 2;
};

int run(const AdjustArgs& a) {
    AdjustOptions o;
    o.area = parse_area_basis(a.area, "--area");
    o.decimals = a.decimals;
    o.total = a.total;
    auto lang = parse_lang(a.lang, "--lang");
    LedgerOptions lo;
    lo.path = a.ledger;
    if (!a.sheet.empty())
        lo.sheet = a.sheet;
    lo.encoding = a.encoding;
    lo.mapping = a.map;
    auto store = open_store(a.store, StoreMode::read);
    auto ledger = read_ledger(lo);
    auto r = adjust_ledger(*store, ledger, o);
    write_adjusted_ledger(ledger, r, a.out, lang);
    auto unit = format_units(1, r.decimals);
    bool zh = lang == Lang::zh;
    std::cout
        << (zh ? fmt::format(
                     "平差：{} 行合计 {}（{}，{}），{} 行上调 {}，{} 行下调 {}，其余为四舍五入值；"
                     "已写入 {}\n",
                     r.rows.size(), format_units(r.total, r.decimals), r.column->header,
                     area_basis_zh(o.area), r.moved_up, unit, r.moved_down, unit, a.out)
               : fmt::format("adjusted: {} rows total {} ({}, {}), {} moved up by {}, {} "
                             "down by {}, the others as rounded; written to {}\n",
                             r.rows.size(), format_units(r.total, r.decimals), r.column->header,
                             area_basis_en(o.area), r.moved_up, unit, r.moved_down, unit, a.out));
    for (const auto& n : r.notes)
        std::cout << "  " << (zh ? n.zh : n.en) << "\n";
    return exit_ok;
}

const bool registered = register_command(45, [](CLI::App& app) {
    auto a = std::make_shared<AdjustArgs>();
    auto* cmd = app.add_subcommand(
        "adjust", "平差: round a ledger's areas so that they add up exactly to a control total");
    cmd->add_option("STORE", a->store, "the store (its parcels give the unrounded areas)")
        ->required();
    cmd->add_option("--ledger", a->ledger, "the ledger: XLSX, ODS or CSV")->required();
    cmd->add_option("--to", a->total, "the control total, in the area column's unit (亩)")
        ->required();
    cmd->add_option("--decimals", a->decimals, "decimals of the figures (default 2)")
        ->check(CLI::Range(0, 6));
    cmd->add_option("--out", a->out, "the adjusted ledger: FILE.xlsx or FILE.csv")->required();
    cmd->add_option("--sheet", a->sheet, "the ledger's sheet (XLSX/ODS with several sheets)");
    cmd->add_option("--map", a->map,
                    "mapping file whose \"ledger\" section names the ledger's columns");
    cmd->add_option("--encoding", a->encoding,
                    "text encoding of a CSV ledger, e.g. GBK (default: as detected)");
    cmd->add_option("--area", a->area, "map area basis: planar (default) or ellipsoidal (32号)")
        ->check(CLI::IsMember({"planar", "ellipsoidal"}));
    cmd->add_option("--lang", a->lang, "headers of the added columns and the summary: zh or en")
        ->check(CLI::IsMember({"zh", "en"}));
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
