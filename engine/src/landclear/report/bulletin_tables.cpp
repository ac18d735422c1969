#include "landclear/report/bulletin_tables.hpp"

#include "landclear/core/units.hpp"
#include "landclear/report/issue_list_table.hpp"

#include <fmt/format.h>

namespace landclear {

namespace {

using K = ColumnKind;

Cell optional_int(const std::optional<int>& v) {
    return v ? Cell(std::int64_t{*v}) : Cell(std::monostate{});
}

Table ranking(const Bulletin& b) {
    Table t;
    bool unit = b.by == GroupBy::unit;
    t.name = unit ? "units" : "projects";
    t.title_zh = unit ? "各责任单位进度排名" : "各项目进度排名";
    t.title_en = unit ? "Units ranked by cleared share" : "Projects ranked by cleared share";
    if (b.plan_indicator) {
        const auto& info = plan_indicator_info(*b.plan_indicator);
        t.notes.emplace_back(
            "排名依据 / ranked by",
            fmt::format("按计划{}完成率（Σ已完成 ÷ Σ目标任务），再按进度差；无该项任务的排在其后，"
                        "按腾地率；并列同名次 / {} completion against the plan (Σ done ÷ Σ "
                        "target), then the gap to time progress; groups without a target for it "
                        "after them, by cleared share; ties share a rank",
                        info.zh, info.en));
    } else {
        t.notes.emplace_back("排名依据 / ranked by",
                             "腾地率（已腾 ÷ 总面积），并列同名次 / cleared ÷ total area, ties "
                             "share a rank");
    }
    t.notes.emplace_back("上期 / previous", fmt::format("{}（{} 掌握）", b.previous_last.iso(),
                                                        b.previous_known_on.iso()));
    t.columns = {{"group", unit ? "责任单位" : "项目编号", unit ? "unit" : "project", K::text}};
    if (!unit)
        t.columns.push_back({"name", "项目名称", "name", K::text});
    std::vector<Column> cols{
        {"rank", "排名", "rank", K::count},
        {"previous_rank", "上期排名", "previous rank", K::count},
        {"rank_change", "名次变化(+升)", "rank change (+ up)", K::count},
        {"area_mu", "总面积(亩)", "area (mu)", K::mu},
        {"acquired_mu", "累计已征(亩)", "acquired (mu)", K::mu},
        {"new_acquired_mu", "本期新增已征(亩)", "new acquired (mu)", K::mu},
        {"cleared_mu", "累计已腾(亩)", "cleared (mu)", K::mu},
        {"new_cleared_mu", "本期新增已腾(亩)", "new cleared (mu)", K::mu},
        {"delivered_mu", "累计已交(亩)", "delivered (mu)", K::mu},
        {"new_delivered_mu", "本期新增已交(亩)", "new delivered (mu)", K::mu},
        {"cleared_pct", "腾地率(%)", "cleared %", K::percent},
        {"cleared_share_pct", "占全部已腾(%)", "share of all cleared %", K::percent},
        {"households", "总户数", "households", K::count},
        {"signed_households", "累计签约户数", "signed households", K::count},
        {"new_signed_households", "本期新增签约", "new signed", K::count},
        {"demolished_households", "累计拆除户数", "demolished households", K::count},
        {"new_demolished_households", "本期新增拆除", "new demolished", K::count},
    };
    // With a plan, the figures the ranking is by come right after the rank (the targets and
    // 完成率 of every indicator are appended by add_plan_columns, report/plan_tables.hpp).
    bool plan = b.plan_indicator.has_value();
    if (plan) {
        const auto& info = plan_indicator_info(*b.plan_indicator);
        std::vector<Column> pc{{"plan_rate_pct", fmt::format("{}完成率(%)", info.zh),
                                fmt::format("{} completion %", info.en), K::percent},
                               {"plan_time_pct", fmt::format("{}时序进度(%)", info.zh),
                                fmt::format("{} time progress %", info.en), K::percent},
                               {"plan_gap_pct", "进度差(百分点)", "gap (points)", K::percent}};
        cols.insert(cols.begin() + 3, pc.begin(), pc.end());
    }
    auto plan_cells = [](const std::optional<PlanFigures>& f) {
        if (!f)
            return Row(3, std::monostate{});
        return Row{f->rate() * 100, f->time_progress() * 100, f->gap() * 100};
    };
    t.columns.insert(t.columns.end(), cols.begin(), cols.end());
    auto figures = [](const StatusFigures& f, double cleared_rate, double share) {
        return Row{m2_to_mu(f.area_m2),
                   m2_to_mu(f.acquired_m2),
                   m2_to_mu(f.new_acquired_m2),
                   m2_to_mu(f.cleared_m2),
                   m2_to_mu(f.new_cleared_m2),
                   m2_to_mu(f.delivered_m2),
                   m2_to_mu(f.new_delivered_m2),
                   cleared_rate * 100,
                   share * 100,
                   f.households,
                   f.signed_households,
                   f.new_signed_households,
                   f.demolished_households,
                   f.new_demolished_households};
    };
    for (const auto& r : b.rows) {
        Row row{r.key};
        if (!unit)
            row.push_back(r.name);
        row.push_back(std::int64_t{r.rank});
        row.push_back(optional_int(r.previous_rank));
        row.push_back(r.previous_rank ? Cell(std::int64_t{*r.previous_rank - r.rank})
                                      : Cell(std::monostate{}));
        if (plan) {
            auto p = plan_cells(r.plan);
            row.insert(row.end(), p.begin(), p.end());
        }
        auto f = figures(r.figures, r.cleared_rate, r.cleared_share);
        row.insert(row.end(), f.begin(), f.end());
        t.rows.push_back(std::move(row));
    }
    Row totals{std::string()};
    if (!unit)
        totals.push_back(std::string());
    totals.insert(totals.end(), 3, std::monostate{});
    if (plan) {
        auto p = plan_cells(b.plan_total);
        totals.insert(totals.end(), p.begin(), p.end());
    }
    auto f = figures(b.total, b.total.area_m2 > 0 ? b.total.cleared_m2 / b.total.area_m2 : 0,
                     b.total.cleared_m2 > 0 ? 1.0 : 0.0);
    totals.insert(totals.end(), f.begin(), f.end());
    t.totals = std::move(totals);
    return t;
}

Table projects_table(const std::string& name, const std::string& zh, const std::string& en,
                     const std::vector<BulletinProject>& projects, bool overdue) {
    Table t;
    t.name = name;
    t.title_zh = zh;
    t.title_en = en;
    t.columns = {{"project", "项目编号", "project", K::text},
                 {"name", "项目名称", "name", K::text},
                 {"unit", "责任单位", "unit", K::text},
                 {"deadline", "限期", "deadline", K::text}};
    if (overdue)
        t.columns.push_back({"days_overdue", "逾期天数", "days overdue", K::count});
    std::vector<Column> cols{{"area_mu", "总面积(亩)", "area (mu)", K::mu},
                             {"delivered_mu", "已交(亩)", "delivered (mu)", K::mu},
                             {"delivered_pct", "交地率(%)", "delivered %", K::percent},
                             {"households", "总户数", "households", K::count},
                             {"demolished_households", "拆除户数", "demolished", K::count}};
    t.columns.insert(t.columns.end(), cols.begin(), cols.end());
    for (const auto& p : projects) {
        Row row{p.code, p.name, p.unit, p.deadline ? p.deadline->iso() : std::string()};
        if (overdue)
            row.push_back(std::int64_t{p.days_overdue});
        Row f{m2_to_mu(p.figures.area_m2), m2_to_mu(p.figures.delivered_m2),
              percent(p.figures.delivered_m2, p.figures.area_m2), p.figures.households,
              p.figures.demolished_households};
        row.insert(row.end(), f.begin(), f.end());
        t.rows.push_back(std::move(row));
    }
    return t;
}

Table corrections_table(const Bulletin& b) {
    Table t;
    t.name = "corrections";
    t.title_zh = "上期通报以来的更正";
    t.title_en = "Corrections since the previous bulletin";
    t.columns = {{"reported_on", "上报日期", "reported on", K::text},
                 {"batch", "批次", "batch", K::count},
                 {"layer", "图层", "layer", K::text},
                 {"code", "编码", "code", K::text},
                 {"project_code", "项目", "project", K::text},
                 {"kind", "类型", "kind", K::text},
                 {"field", "字段", "field", K::text},
                 {"old_value", "原值", "old value", K::text},
                 {"new_value", "新值", "new value", K::text}};
    for (const auto& c : b.corrections)
        t.rows.push_back({c.reported_on.iso(), c.batch_id, std::string(layer_def(c.layer).name),
                          c.code, c.project_code, std::string(change_kind_name(c.kind)), c.field,
                          c.old_value, c.new_value});
    return t;
}

Table effects_table(const Bulletin& b) {
    Table t;
    t.name = "correction_effects";
    t.title_zh = fmt::format("更正对上期（{}）通报数的影响", b.previous_last.iso());
    t.title_en = fmt::format("What the corrections moved in the previous bulletin ({})",
                             b.previous_last.iso());
    t.columns = {{"group", b.by == GroupBy::unit ? "责任单位" : "项目编号",
                  b.by == GroupBy::unit ? "unit" : "project", K::text},
                 {"measure", "指标", "measure", K::text},
                 {"issued", "通报数", "as issued", K::mu},
                 {"now", "更正后", "as known now", K::mu},
                 {"change", "差额", "change", K::mu}};
    struct M {
        const char* zh;
        double StatusFigures::*m2;
        std::int64_t StatusFigures::*count;
    };
    const M measures[] = {{"已征(亩)", &StatusFigures::acquired_m2, nullptr},
                          {"已腾(亩)", &StatusFigures::cleared_m2, nullptr},
                          {"已交(亩)", &StatusFigures::delivered_m2, nullptr},
                          {"本期新增已征(亩)", &StatusFigures::new_acquired_m2, nullptr},
                          {"本期新增已腾(亩)", &StatusFigures::new_cleared_m2, nullptr},
                          {"本期新增已交(亩)", &StatusFigures::new_delivered_m2, nullptr},
                          {"签约户数", nullptr, &StatusFigures::signed_households},
                          {"拆除户数", nullptr, &StatusFigures::demolished_households}};
    for (const auto& e : b.effects)
        for (const auto& m : measures) {
            double a = m.m2 ? m2_to_mu(e.issued.*m.m2) : static_cast<double>(e.issued.*m.count);
            double n = m.m2 ? m2_to_mu(e.now.*m.m2) : static_cast<double>(e.now.*m.count);
            if (a != n)
                t.rows.push_back({e.key, std::string(m.zh), a, n, n - a});
        }
    return t;
}

Table blocking_table(const Bulletin& b) {
    Table t;
    t.name = "blocking";
    t.title_zh = "各路段卡点（按未腾面积排序）";
    t.title_en = "Blocking stretches, worst first";
    t.columns = {{"corridor", "路段", "corridor", K::text},
                 {"name", "名称", "name", K::text},
                 {"unit", "责任单位", "unit", K::text},
                 {"stretch", "桩号", "chainage", K::text},
                 {"not_acquired_mu", "未征(亩)", "not acquired (mu)", K::mu},
                 {"not_cleared_mu", "已征未腾(亩)", "acquired, not cleared (mu)", K::mu},
                 {"outstanding_households", "未拆户数", "households not demolished", K::count},
                 {"unsigned_households", "未签约户数", "households not signed", K::count},
                 {"parcels", "卡点宗地", "parcels", K::text},
                 {"buildings", "卡点房屋", "buildings", K::text}};
    for (const auto& s : b.blocking)
        t.rows.push_back({s.corridor, s.corridor_name, s.unit, s.stretch.label,
                          m2_to_mu(s.stretch.not_acquired_m2), m2_to_mu(s.stretch.not_cleared_m2),
                          s.stretch.outstanding_households, s.stretch.unsigned_households,
                          fmt::format("{}", fmt::join(s.stretch.parcels, "、")),
                          fmt::format("{}", fmt::join(s.stretch.buildings, "、"))});
    return t;
}

Table series_table(const Bulletin& b) {
    Table t;
    t.name = "series";
    t.title_zh = "本月各周累计已腾(亩)";
    t.title_en = "Cleared (mu) at each week's end this month";
    t.columns = {{"group", b.by == GroupBy::unit ? "责任单位" : "项目编号",
                  b.by == GroupBy::unit ? "unit" : "project", K::text}};
    for (const auto& d : b.series_dates)
        t.columns.push_back({d.iso(), d.iso(), d.iso(), K::mu});
    for (const auto& s : b.series) {
        Row row{s.key};
        for (const auto& p : s.points)
            row.push_back(m2_to_mu(p.cleared_m2));
        t.rows.push_back(std::move(row));
    }
    return t;
}

} // namespace

std::string bulletin_title(const Bulletin& b, Lang lang) {
    const char* zh = b.kind == BulletinKind::weekly        ? "周通报"
                     : b.kind == BulletinKind::fortnightly ? "半月调度"
                                                           : "月度讲评";
    const char* en = b.kind == BulletinKind::weekly        ? "Weekly bulletin"
                     : b.kind == BulletinKind::fortnightly ? "Fortnightly dispatch"
                                                           : "Monthly review";
    if (lang == Lang::zh)
        return fmt::format("征拆工作{}（{} 至 {}，{} 掌握情况）", zh, b.first.iso(), b.last.iso(),
                           b.known_on.iso());
    return fmt::format("{}, {} to {}, as known on {}", en, b.first.iso(), b.last.iso(),
                       b.known_on.iso());
}

std::vector<Table> bulletin_tables(const Bulletin& b) {
    std::vector<Table> out{
        ranking(b),
        projects_table("cleared", "本期清零交地项目", "Projects cleared and delivered this period",
                       b.cleared, false),
        projects_table("overdue", "逾期项目", "Projects past their deadline", b.overdue, true),
        corrections_table(b), effects_table(b)};
    if (b.kind != BulletinKind::weekly)
        out.push_back(blocking_table(b));
    if (b.kind == BulletinKind::monthly)
        out.push_back(series_table(b));
    if (b.issues)
        for (auto& t : issue_period_tables(*b.issues))
            out.push_back(std::move(t));
    for (auto& t : out) {
        t.notes.insert(t.notes.begin(), {"通报 / bulletin", bulletin_title(b, Lang::zh)});
    }
    return out;
}

} // namespace landclear
