#include "landclear/report/issue_list_table.hpp"

#include <fmt/format.h>

namespace landclear {

namespace {

using K = ColumnKind;

Cell optional_date(const std::optional<Date>& d) {
    return d ? Cell{d->iso()} : Cell{};
}

std::vector<Column> issue_columns(bool with_area) {
    std::vector<Column> c{{"id", "编号", "id", K::text},
                          {"target", "对象类型", "tied to", K::text},
                          {"target_code", "对象", "what", K::text},
                          {"project_code", "项目", "project", K::text},
                          {"unit", "责任单位", "unit", K::text},
                          {"text", "问题描述", "problem", K::text},
                          {"raised_on", "提出日期", "raised on", K::text},
                          {"deadline", "限期", "deadline", K::text},
                          {"status", "状态", "status", K::text},
                          {"status_key", "状态代码", "status key", K::text},
                          {"days_overdue", "逾期天数", "days overdue", K::count},
                          {"closed_on", "销号日期", "closed on", K::text},
                          {"note", "备注", "note", K::text}};
    if (with_area)
        c.push_back({"area_m2", "面积(平方米)", "area (m²)", K::m2});
    return c;
}

Row issue_cells(const IssueListRow& r, bool with_area) {
    const auto& i = r.issue;
    Row row{i.id,
            std::string(issue_target_zh(i.target)),
            i.target_label(),
            i.project_code,
            i.unit,
            i.text,
            i.raised_on.iso(),
            r.state.deadline.iso(),
            std::string(issue_status_zh(r.state)),
            std::string(issue_status_key(r.state)),
            std::int64_t{r.state.days_overdue},
            optional_date(r.state.closed_on),
            r.state.note};
    if (with_area)
        row.push_back(i.area_m2);
    return row;
}

} // namespace

const char* issue_status_zh(const IssueState& s) {
    return !s.open ? "已销号" : s.overdue ? "逾期" : "未销号";
}

const char* issue_status_key(const IssueState& s) {
    return !s.open ? "closed" : s.overdue ? "overdue" : "open";
}

Table issue_list_table(const IssueList& list) {
    Table t;
    t.name = "issues";
    t.title_zh = fmt::format("问题清单（截至 {}）", list.as_of.iso());
    t.title_en = fmt::format("Issue list as of {}", list.as_of.iso());
    t.columns = issue_columns(true);
    for (const auto& r : list.rows)
        t.rows.push_back(issue_cells(r, true));
    t.notes.emplace_back("截至 / as of", list.as_of.iso());
    if (list.known_on)
        t.notes.emplace_back("知悉日 / known on", list.known_on->iso());
    t.notes.emplace_back("问题 / issues", std::to_string(list.rows.size()));
    t.notes.emplace_back("未销号 / open", std::to_string(list.open));
    t.notes.emplace_back("其中逾期 / overdue", std::to_string(list.overdue));
    t.notes.emplace_back("已销号 / closed", std::to_string(list.closed));
    return t;
}

std::vector<Table> issue_period_tables(const IssuePeriod& p) {
    std::string period = fmt::format("{} 至 {}", p.from.iso(), p.to.iso());
    std::string period_en = fmt::format("{} to {}", p.from.iso(), p.to.iso());
    Table units;
    units.name = "issues_by_unit";
    units.title_zh = fmt::format("问题清单：各责任单位（{}）", period);
    units.title_en = fmt::format("Issue list by unit, {}", period_en);
    units.columns = {{"unit", "责任单位", "unit", K::text},
                     {"open", "未销号", "open", K::count},
                     {"overdue", "其中逾期", "overdue", K::count},
                     {"max_days_overdue", "最长逾期天数", "most days overdue", K::count},
                     {"raised", "本期新增", "raised in period", K::count},
                     {"closed", "本期销号", "closed in period", K::count}};
    std::int64_t open = 0, overdue = 0, raised = 0, closed = 0;
    long most = 0;
    for (const auto& u : p.units) {
        units.rows.push_back(
            {u.unit, u.open, u.overdue, std::int64_t{u.max_days_overdue}, u.raised, u.closed});
        open += u.open;
        overdue += u.overdue;
        raised += u.raised;
        closed += u.closed;
        most = std::max(most, u.max_days_overdue);
    }
    units.totals = Row{std::monostate{}, open, overdue, std::int64_t{most}, raised, closed};

    Table open_t;
    open_t.name = "issues_open";
    open_t.title_zh = fmt::format("未销号问题（截至 {}，逾期在前）", p.to.iso());
    open_t.title_en = fmt::format("Open issues on {}, overdue first", p.to.iso());
    open_t.columns = issue_columns(false);
    for (const auto& r : p.open)
        open_t.rows.push_back(issue_cells(r, false));

    Table closed_t;
    closed_t.name = "issues_closed";
    closed_t.title_zh = fmt::format("本期销号（{}）", period);
    closed_t.title_en = fmt::format("Closed in the period, {}", period_en);
    closed_t.columns = issue_columns(false);
    for (const auto& r : p.closed)
        closed_t.rows.push_back(issue_cells(r, false));
    return {units, open_t, closed_t};
}

} // namespace landclear
