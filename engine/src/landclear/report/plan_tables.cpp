#include "landclear/report/plan_tables.hpp"

#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>

namespace landclear {

namespace {

using K = ColumnKind;

const char* tr(Lang lang, const char* zh, const char* en) {
    return lang == Lang::zh ? zh : en;
}

// A quantity as its indicator counts it: households whole, 亩 unrounded.
Cell quantity(PlanIndicator ind, double v) {
    if (plan_indicator_info(ind).households)
        return static_cast<std::int64_t>(std::llround(v));
    return v;
}

std::string progress_label(const PlanFigures& f, Lang lang) {
    double gap = f.gap();
    if (gap > 1e-12)
        return tr(lang, "超序时", "ahead");
    if (gap < -1e-12)
        return tr(lang, "滞后", "behind");
    return tr(lang, "持平", "on time");
}

std::string indicator_label(PlanIndicator ind, Lang lang) {
    const auto& i = plan_indicator_info(ind);
    return lang == Lang::zh ? i.zh : i.en;
}

// The columns every figure row has, from 目标任务 on.
std::vector<Column> figure_columns() {
    return {{"target", "目标任务", "target", K::mu},
            {"done", "已完成", "done", K::mu},
            {"rate_pct", "完成率(%)", "completion %", K::percent},
            {"planned", "序时应完成", "due by as-of", K::mu},
            {"time_pct", "时序进度(%)", "time progress %", K::percent},
            {"gap_pct", "进度差(百分点)", "gap (points)", K::percent},
            {"progress", "进度", "progress", K::text},
            {"remaining", "剩余任务", "remaining", K::mu}};
}

Row figure_cells(PlanIndicator ind, const PlanFigures& f, Lang lang) {
    return {quantity(ind, f.target), quantity(ind, f.done),
            f.rate() * 100,          f.planned,
            f.time_progress() * 100, f.gap() * 100,
            progress_label(f, lang), quantity(ind, f.remaining())};
}

void add_notes(Table& t, const PlanStatusReport& r) {
    t.notes.emplace_back("统计日期 / as of", r.as_of.iso());
    if (r.known_on)
        t.notes.emplace_back("掌握日期 / known on", r.known_on->iso());
    t.notes.emplace_back("完成量 / done",
                         "自开始日期至统计日期（含两端）的已征/已腾/已交亩与签约/拆除户 / from "
                         "the start to the as-of date, both included");
    for (const auto& n : r.notes)
        t.notes.emplace_back("说明 / note", n.zh + " / " + n.en);
}

const char* group_zh(PlanGroupBy by) {
    switch (by) {
    case PlanGroupBy::unit:
        return "责任单位";
    case PlanGroupBy::project:
        return "项目编号";
    case PlanGroupBy::plan:
        return "交办文号";
    case PlanGroupBy::batch:
        return "批次";
    }
    return "";
}

const char* group_en(PlanGroupBy by) {
    switch (by) {
    case PlanGroupBy::unit:
        return "unit";
    case PlanGroupBy::project:
        return "project";
    case PlanGroupBy::plan:
        return "plan";
    case PlanGroupBy::batch:
        return "batch";
    }
    return "";
}

} // namespace

Table plan_targets_table(const PlanStatusReport& r, Lang lang) {
    Table t;
    t.name = "targets";
    t.title_zh = fmt::format("任务完成情况（截至 {}）", r.as_of.iso());
    t.title_en = fmt::format("Completion against plan targets as of {}", r.as_of.iso());
    add_notes(t, r);
    t.columns = {
        {"plan_id", "交办文号", "plan", K::text},     {"revision", "版次", "revision", K::count},
        {"issued_on", "交办日期", "issued", K::text}, {"batch", "批次", "batch", K::text},
        {"project", "项目编号", "project", K::text},  {"name", "项目名称", "name", K::text},
        {"unit", "责任单位", "unit", K::text},        {"indicator", "指标", "indicator", K::text},
        {"start_on", "开始日期", "start", K::text},   {"deadline", "限期", "deadline", K::text}};
    auto f = figure_columns();
    t.columns.insert(t.columns.end(), f.begin(), f.end());
    t.columns.push_back({"days_left", "剩余天数", "days left", K::count});
    t.columns.push_back({"overdue", "逾期", "overdue", K::text});
    for (const auto& s : r.targets) {
        Row row{s.plan_id,
                std::int64_t{s.revision},
                s.issued_on.iso(),
                s.target.batch,
                s.target.project_code,
                s.project_name,
                s.target.unit,
                indicator_label(s.target.indicator, lang),
                s.target.start_on.iso(),
                s.target.deadline.iso()};
        auto cells = figure_cells(s.target.indicator, s.figures, lang);
        row.insert(row.end(), cells.begin(), cells.end());
        row.push_back(std::int64_t{s.days_left});
        row.push_back(s.overdue ? std::string(tr(lang, "逾期", "overdue")) : std::string());
        t.rows.push_back(std::move(row));
    }
    return t;
}

Table plan_groups_table(const PlanStatusReport& r, Lang lang) {
    Table t;
    t.name = "groups";
    t.title_zh = fmt::format("按{}汇总（截至 {}，Σ完成 ÷ Σ目标）", group_zh(r.by), r.as_of.iso());
    t.title_en = fmt::format("By {} as of {} (Σ done ÷ Σ target)", group_en(r.by), r.as_of.iso());
    add_notes(t, r);
    t.columns = {{"group", group_zh(r.by), group_en(r.by), K::text}};
    if (r.by == PlanGroupBy::project)
        t.columns.push_back({"name", "项目名称", "name", K::text});
    t.columns.push_back({"indicator", "指标", "indicator", K::text});
    t.columns.push_back({"targets", "目标数", "targets", K::count});
    auto f = figure_columns();
    t.columns.insert(t.columns.end(), f.begin(), f.end());
    t.columns.push_back({"overdue", "逾期目标数", "overdue targets", K::count});
    auto add = [&](const PlanGroupStatus& g, const std::string& key) {
        Row row{key};
        if (r.by == PlanGroupBy::project)
            row.push_back(g.name);
        row.push_back(indicator_label(g.indicator, lang));
        row.push_back(g.targets);
        auto cells = figure_cells(g.indicator, g.figures, lang);
        row.insert(row.end(), cells.begin(), cells.end());
        row.push_back(g.overdue);
        t.rows.push_back(std::move(row));
    };
    for (const auto& g : r.groups)
        add(g, g.key);
    // One totals row per indicator: 亩 and 户 never add up.
    for (const auto& g : r.totals)
        add(g, totals_label(lang));
    return t;
}

Table plan_import_table(const PlanImportResult& result, bool dry_run) {
    Table t;
    t.name = "plan_import";
    t.title_zh = fmt::format("{}：{}", result.display, dry_run ? "检查通过（未写入）" : "已导入");
    t.title_en = fmt::format("{}: {}", result.display,
                             dry_run ? "checked (dry run, nothing written)" : "imported");
    for (const auto& n : result.notes)
        t.notes.emplace_back("说明 / note", n.zh + " / " + n.en);
    t.columns = {{"plan_id", "交办文号", "plan", K::text},
                 {"revision", "版次", "revision", K::count},
                 {"issued_on", "交办日期", "issued", K::text},
                 {"reported_on", "掌握日期", "reported", K::text},
                 {"targets", "目标数", "targets", K::count},
                 {"rows", "行", "rows", K::text}};
    for (const auto& r : result.revisions) {
        int first = r.targets.empty() ? 0 : r.targets.front().row;
        int last = r.targets.empty() ? 0 : r.targets.back().row;
        for (const auto& x : r.targets) {
            first = std::min(first, x.row);
            last = std::max(last, x.row);
        }
        t.rows.push_back(
            {r.plan_id, std::int64_t{r.revision}, r.issued_on.iso(), r.reported_on.iso(),
             static_cast<std::int64_t>(r.targets.size()),
             first == last ? fmt::format("{}", first) : fmt::format("{}–{}", first, last)});
    }
    return t;
}

void add_plan_columns(Table& t, const PlanStatusReport& r, PlanKey key, size_t key_column) {
    if (r.targets.empty())
        return;
    std::vector<PlanIndicator> present;
    for (auto ind : all_plan_indicators())
        for (const auto& s : r.targets)
            if (s.target.indicator == ind) {
                present.push_back(ind);
                break;
            }
    t.notes.emplace_back(
        "计划 / plan",
        fmt::format("计划列：统计日期 {} 有效的目标，完成量按项目全部宗地与房屋自目标开始日期起计 "
                    "/ plan columns: the targets in force on {}, done over the "
                    "whole project since each target's start",
                    r.as_of.iso(), r.as_of.iso()));
    // The totals hold the targets of the rows shown only.
    std::set<std::string> keys;
    for (const auto& row : t.rows)
        if (key_column < row.size())
            if (auto k = std::get_if<std::string>(&row[key_column]))
                keys.insert(*k);
    for (auto ind : present) {
        const auto& i = plan_indicator_info(ind);
        t.columns.push_back({fmt::format("plan_{}", i.key), fmt::format("计划{}", i.zh),
                             fmt::format("plan {}", i.en), K::mu});
        t.columns.push_back({fmt::format("plan_{}_rate_pct", i.key),
                             fmt::format("{}完成率(%)", i.zh), fmt::format("{} completion %", i.en),
                             K::percent});
    }
    auto cells = [&](const std::string* row_key, Row& row) {
        for (auto ind : present) {
            PlanFigures f;
            bool any = false;
            for (const auto& s : r.targets) {
                if (s.target.indicator != ind)
                    continue;
                const auto& k = key == PlanKey::project ? s.target.project_code : s.target.unit;
                if (row_key ? *row_key != k : !keys.count(k))
                    continue;
                any = true;
                f.target += s.figures.target;
                f.done += s.figures.done;
            }
            if (!any) {
                row.push_back(std::monostate{});
                row.push_back(std::monostate{});
                continue;
            }
            row.push_back(quantity(ind, f.target));
            row.push_back(f.rate() * 100);
        }
    };
    for (auto& row : t.rows) {
        // A copy: the row grows (and moves its cells) while its key is compared.
        std::string k;
        if (key_column < row.size())
            if (auto s = std::get_if<std::string>(&row[key_column]))
                k = *s;
        cells(&k, row);
    }
    if (t.totals)
        cells(nullptr, *t.totals);
}

} // namespace landclear
