#include "command.hpp"
#include "landclear/analysis/bulletin.hpp"
#include "landclear/analysis/plan.hpp"
#include "landclear/core/error.hpp"
#include "landclear/render/bulletin_render.hpp"
#include "landclear/report/bulletin_tables.hpp"
#include "landclear/report/plan_tables.hpp"
#include "landclear/report/xlsx.hpp"

#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace landclear::cli {
namespace {

namespace fs = std::filesystem;

struct BulletinArgs {
    std::string store, week, fortnight, month, known_on, by = "unit", out, lang = "zh";
    std::string format = "table";
    bool quiet = false;
};

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

int run(const BulletinArgs& a) {
    BulletinOptions o;
    int given = !a.week.empty() + !a.fortnight.empty() + !a.month.empty();
    if (given != 1)
        throw_usage("give exactly one of --week DATE, --fortnight DATE, --month YYYY-MM",
                    "--week 2026-11-20 is the week that ends on that day");
    if (!a.week.empty()) {
        o.kind = BulletinKind::weekly;
        o.date = parse_date_option(a.week, "--week");
    } else if (!a.fortnight.empty()) {
        o.kind = BulletinKind::fortnightly;
        o.date = parse_date_option(a.fortnight, "--fortnight");
    } else {
        o.kind = BulletinKind::monthly;
        o.date = parse_month_option(a.month, "--month");
    }
    if (!a.known_on.empty())
        o.known_on = parse_date_option(a.known_on, "--known-on");
    o.by = parse_group_by(a.by, "--by");
    auto lang = parse_lang(a.lang, "--lang");

    auto store = open_store(a.store, StoreMode::read);
    auto b = compute_bulletin(*store, o);
    auto tables = bulletin_tables(b);
    // The ranking table gains each unit's (project's) targets and 完成率 where a plan is stored,
    // as known on the bulletin's knowledge date (docs/PLANS.md).
    if (has_plans(*store)) {
        auto saved = store->known_on();
        store->set_known_on(b.known_on);
        auto plans = compute_plan_status(
            *store, {b.last, b.by == GroupBy::project ? PlanGroupBy::project : PlanGroupBy::unit});
        store->set_known_on(saved);
        add_plan_columns(tables.front(), plans,
                         b.by == GroupBy::project ? PlanKey::project : PlanKey::unit);
    }

    // Reproducible bytes: the workbook is created on the bulletin's last day (00:00 UTC), as the
    // PDF's metadata says, not at the time of the run.
    const std::time_t created = static_cast<std::time_t>(b.last.days()) * 86400;
    std::vector<std::string> written;
    if (!a.out.empty()) {
        if (ends_with(a.out, ".xlsx")) {
            write_xlsx(tables, lang, a.out, created);
            written.push_back(a.out);
        } else if (ends_with(a.out, ".pdf")) {
            write_bulletin_pdf(*store, b, tables, lang, a.out);
            written.push_back(a.out);
        } else {
            std::error_code ec;
            fs::create_directories(a.out, ec);
            if (ec)
                throw_input(fmt::format("cannot create the folder {}: {}", a.out, ec.message()),
                            "give a writable folder, or a .xlsx or .pdf file");
            auto stem = fmt::format("bulletin-{}-{}", bulletin_kind_name(b.kind), b.last.iso());
            auto base = (fs::path(a.out) / stem).string();
            write_xlsx(tables, lang, base + ".xlsx", created);
            write_bulletin_pdf(*store, b, tables, lang, base + ".pdf");
            written.push_back(base + ".xlsx");
            written.push_back(base + ".pdf");
            if (!b.series.empty()) {
                write_bulletin_chart_png(b, lang, base + "-series.png");
                written.push_back(base + "-series.png");
            }
        }
    }
    if (a.format == "json") {
        std::cout << render_json(tables, lang) << '\n';
    } else if (!a.quiet) {
        std::cout << bulletin_title(b, lang) << "\n\n";
        for (const auto& t : tables)
            std::cout << render_text(t, lang) << '\n';
    }
    for (const auto& f : written)
        std::cerr << "wrote " << f << '\n';
    return exit_ok;
}

const bool registered = register_command(47, [](CLI::App& app) {
    auto a = std::make_shared<BulletinArgs>();
    auto* cmd = app.add_subcommand(
        "bulletin", "weekly bulletin, fortnightly dispatch or monthly review, as issued "
                    "(known on the period's last day)");
    cmd->add_option("STORE", a->store, "the store")->required();
    cmd->add_option("--week", a->week, "the week ending on this day (一周一通报)");
    cmd->add_option("--fortnight", a->fortnight,
                    "the two weeks ending on this day, with blocking stretches (半月一调度)");
    cmd->add_option("--month", a->month,
                    "this month, YYYY-MM, with each week's series (一月一讲评)");
    cmd->add_option("--known-on", a->known_on,
                    "as the store knew it on this day (default: the period's last day, as "
                    "issued); a later day shows corrections imported since");
    cmd->add_option("--by", a->by, "unit (default) or project")
        ->check(CLI::IsMember({"unit", "project"}));
    cmd->add_option("--out", a->out,
                    "FILE.xlsx (a sheet per table), FILE.pdf, or a folder for both (and the "
                    "monthly chart as PNG)");
    cmd->add_option("--lang", a->lang, "zh (default) or en")->check(CLI::IsMember({"zh", "en"}));
    cmd->add_option("--format", a->format, "what is printed: table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));
    cmd->add_flag("--quiet", a->quiet, "print nothing but what --format json asks for");
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
