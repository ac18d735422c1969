#include "landclear/analysis/issue_list.hpp"

#include "landclear/analysis/detail/issue_list.hpp"
#include "landclear/geom/chainage.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fmt/format.h>
#include <map>
#include <set>

namespace landclear {

namespace issue_detail {

constexpr const char* id_prefix = "WT-"; // 问题 (wèntí)

int id_number(const std::string& id) {
    std::string_view p = id_prefix;
    if (id.size() <= p.size() || id.compare(0, p.size(), p) != 0)
        return 0;
    int n = 0;
    for (size_t i = p.size(); i < id.size(); ++i) {
        if (id[i] < '0' || id[i] > '9' || n > 9'999'999)
            return 0;
        n = n * 10 + (id[i] - '0');
    }
    return n;
}

std::string next_id(const std::vector<Issue>& existing, const std::set<std::string>& taken) {
    int n = 0;
    for (const auto& i : existing)
        n = std::max(n, id_number(i.id));
    for (const auto& t : taken)
        n = std::max(n, id_number(t));
    return fmt::format("{}{:04d}", id_prefix, n + 1);
}

// The state after every recorded event (whatever day each took effect on).
IssueState latest_state(const Issue& i) {
    Date last = i.raised_on;
    for (const auto& e : i.events)
        last = std::max(last, e.on);
    return issue_state(i, last);
}

} // namespace issue_detail

const char* issue_target_name(IssueTarget target) {
    switch (target) {
    case IssueTarget::parcel:
        return "parcel";
    case IssueTarget::building:
        return "building";
    case IssueTarget::corridor:
        return "corridor";
    case IssueTarget::project:
        return "project";
    }
    return "parcel";
}

const char* issue_target_zh(IssueTarget target) {
    switch (target) {
    case IssueTarget::parcel:
        return "宗地";
    case IssueTarget::building:
        return "房屋";
    case IssueTarget::corridor:
        return "线路";
    case IssueTarget::project:
        return "项目";
    }
    return "宗地";
}

const char* issue_event_name(IssueEventKind kind) {
    switch (kind) {
    case IssueEventKind::raised:
        return "raised";
    case IssueEventKind::deadline:
        return "deadline";
    case IssueEventKind::closed:
        return "closed";
    case IssueEventKind::reopened:
        return "reopened";
    }
    return "raised";
}

std::string Issue::target_label() const {
    if (target == IssueTarget::corridor && from_m && to_m)
        return fmt::format("{} {}", target_code, format_chainage_range(*from_m, *to_m));
    return target_code;
}

IssueState issue_state(const Issue& issue, const Date& as_of) {
    IssueState s;
    s.raised = issue.raised_on <= as_of;
    s.open = s.raised;
    s.deadline = issue.deadline;
    for (const auto& e : issue.events) {
        if (e.on > as_of)
            continue;
        switch (e.kind) {
        case IssueEventKind::raised:
            break;
        case IssueEventKind::deadline:
            if (auto d = parse_date(e.new_value))
                s.deadline = *d;
            break;
        case IssueEventKind::closed:
            s.open = false;
            s.closed_on = e.on;
            break;
        case IssueEventKind::reopened:
            s.open = true;
            s.closed_on.reset();
            break;
        }
        if (!e.note.empty())
            s.note = e.note;
    }
    s.overdue = s.open && as_of > s.deadline;
    s.days_overdue = s.overdue ? as_of.days() - s.deadline.days() : 0;
    return s;
}

std::optional<Date> recorded_day(const IssueEvent& event) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    char zone = 0;
    if (std::sscanf(event.recorded_at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi,
                    &s, &zone) != 7 ||
        zone != 'Z')
        return std::nullopt;
    std::tm utc{};
    utc.tm_year = y - 1900;
    utc.tm_mon = mo - 1;
    utc.tm_mday = d;
    utc.tm_hour = h;
    utc.tm_min = mi;
    utc.tm_sec = s;
    // The local calendar day, as Date::today() gives the day a command runs on (an office in
    // UTC+8 records at 01:00 UTC what it did that morning).
    std::time_t when = timegm(&utc);
    std::tm local{};
    if (when == -1 || !localtime_r(&when, &local))
        return std::nullopt;
    return Date(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

std::optional<Issue> issue_known_on(const Issue& issue, const Date& day) {
    Issue out = issue;
    std::erase_if(out.events,
                  [&](const IssueEvent& e) { return recorded_day(e).value_or(e.on) > day; });
    if (std::none_of(out.events.begin(), out.events.end(),
                     [](const IssueEvent& e) { return e.kind == IssueEventKind::raised; }))
        return std::nullopt;
    return out;
}

IssueList list_issues(Store& store, const IssueListOptions& o) {
    IssueList out;
    out.as_of = o.as_of;
    out.known_on = o.known_on;
    std::set<std::string> projects(o.projects.begin(), o.projects.end());
    for (auto& i : read_issues(store)) {
        if (!o.unit.empty() && i.unit != o.unit)
            continue;
        if (!projects.empty() && !projects.count(i.project_code))
            continue;
        if (o.known_on) {
            auto known = issue_known_on(i, *o.known_on);
            if (!known)
                continue;
            i = std::move(*known);
        }
        IssueListRow row{std::move(i), {}};
        const auto& is = row.issue;
        if (o.closed_between) {
            auto [from, to] = *o.closed_between;
            auto s = issue_state(is, to);
            if (!s.raised || s.open || !s.closed_on || *s.closed_on < from)
                continue;
        }
        row.state = issue_state(is, o.as_of);
        if (!row.state.raised)
            continue;
        if (o.open_only && !row.state.open)
            continue;
        if (o.overdue_only && !row.state.overdue)
            continue;
        out.open += row.state.open ? 1 : 0;
        out.overdue += row.state.overdue ? 1 : 0;
        out.closed += row.state.open ? 0 : 1;
        out.rows.push_back(std::move(row));
    }
    return out;
}

IssuePeriod summarise_issues(Store& store, const Date& from, const Date& to,
                             const std::vector<std::string>& projects) {
    IssuePeriod p;
    p.from = from;
    p.to = to;
    std::set<std::string> wanted(projects.begin(), projects.end());
    std::map<std::string, IssueUnitSummary> units;
    for (auto& i : read_issues(store)) {
        if (!wanted.empty() && !wanted.count(i.project_code))
            continue;
        auto s = issue_state(i, to);
        if (!s.raised)
            continue;
        auto& u = units[i.unit];
        u.unit = i.unit;
        u.raised += i.raised_on >= from ? 1 : 0;
        if (s.open) {
            ++u.open;
            u.overdue += s.overdue ? 1 : 0;
            u.max_days_overdue = std::max(u.max_days_overdue, s.days_overdue);
            p.open.push_back({std::move(i), s});
        } else if (s.closed_on && *s.closed_on >= from) {
            ++u.closed;
            p.closed.push_back({std::move(i), s});
        }
    }
    std::stable_sort(p.open.begin(), p.open.end(), [](const auto& a, const auto& b) {
        if (a.state.overdue != b.state.overdue)
            return a.state.overdue;
        return a.state.deadline < b.state.deadline;
    });
    for (auto& [name, u] : units)
        if (u.open || u.raised || u.closed)
            p.units.push_back(u);
    return p;
}

} // namespace landclear
