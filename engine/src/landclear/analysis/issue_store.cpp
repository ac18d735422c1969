#include "landclear/analysis/detail/issue_list.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <map>

namespace landclear {

namespace issue_detail {

std::string text_of(const Value& v) {
    if (auto s = std::get_if<std::string>(&v))
        return *s;
    return value_text(v);
}

} // namespace issue_detail

using issue_detail::id_number;
using issue_detail::latest_state;
using issue_detail::text_of;

namespace {

std::optional<double> real_of(const Value& v) {
    if (auto d = std::get_if<double>(&v))
        return *d;
    if (auto i = std::get_if<std::int64_t>(&v))
        return static_cast<double>(*i);
    return std::nullopt;
}

std::optional<Date> date_of(const Value& v) {
    if (auto d = std::get_if<Date>(&v))
        return *d;
    if (auto s = std::get_if<std::string>(&v))
        return parse_date(*s);
    return std::nullopt;
}

Value optional_real(const std::optional<double>& v) {
    return v ? Value{*v} : Value{};
}

std::string utc_now() {
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto day = std::chrono::floor<std::chrono::days>(now);
    std::chrono::year_month_day ymd{day};
    std::chrono::hh_mm_ss hms{now - day};
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::optional<IssueTarget> target_from_name(const std::string& s) {
    for (auto t :
         {IssueTarget::parcel, IssueTarget::building, IssueTarget::corridor, IssueTarget::project})
        if (s == issue_target_name(t))
            return t;
    return std::nullopt;
}

std::optional<IssueEventKind> event_from_name(const std::string& s) {
    for (auto k : {IssueEventKind::raised, IssueEventKind::deadline, IssueEventKind::closed,
                   IssueEventKind::reopened})
        if (s == issue_event_name(k))
            return k;
    return std::nullopt;
}

// "WT-0001, WT-0002 … WT-0009 (9 issues)": what exists, for the message about an unknown id.
std::string ids_held(const std::vector<Issue>& issues) {
    if (issues.empty())
        return "the store holds no issue yet";
    if (issues.size() <= 5) {
        std::string s;
        for (const auto& i : issues)
            s += (s.empty() ? "" : ", ") + i.id;
        return "the store holds " + s;
    }
    return fmt::format("the store holds {} issues, {} to {}", issues.size(), issues.front().id,
                       issues.back().id);
}

FeatureRow issue_row(const Issue& i) {
    auto s = latest_state(i);
    return {{i.id, std::string(issue_target_name(i.target)), i.target_code, optional_real(i.from_m),
             optional_real(i.to_m), i.project_code, i.unit, i.raised_on, s.deadline,
             std::string(s.open ? "open" : "closed"), s.closed_on ? Value{*s.closed_on} : Value{},
             i.text, s.note},
            i.area_m2,
            i.wkb};
}

std::vector<FeatureRow> event_rows(const Issue& i) {
    std::vector<FeatureRow> rows;
    for (const auto& e : i.events)
        rows.push_back({{i.id, std::int64_t{e.seq}, std::string(issue_event_name(e.kind)), e.on,
                         e.old_value, e.new_value, e.note, e.recorded_at},
                        0,
                        {}});
    return rows;
}

} // namespace

namespace issue_detail {

// Writes these issues whole (their row and every event) in one transaction.
void save(Store& store, const std::vector<const Issue*>& issues) {
    store.begin_write();
    try {
        for (const auto* i : issues) {
            store.replace_derived(issues_layer(), "issue_id", i->id, {issue_row(*i)});
            store.replace_derived(issue_events_layer(), "issue_id", i->id, event_rows(*i));
        }
        store.commit();
    } catch (...) {
        store.rollback();
        throw;
    }
}

void add_event(Issue& i, IssueEventKind kind, const Date& on, std::string old_value,
               std::string new_value, std::string note) {
    IssueEvent e;
    e.seq = i.events.empty() ? 1 : i.events.back().seq + 1;
    e.kind = kind;
    e.on = on;
    e.old_value = std::move(old_value);
    e.new_value = std::move(new_value);
    e.note = std::move(note);
    e.recorded_at = utc_now();
    i.events.push_back(std::move(e));
}

} // namespace issue_detail

using issue_detail::add_event;
using issue_detail::save;

namespace {

Issue& find(std::vector<Issue>& issues, const std::string& id) {
    for (auto& i : issues)
        if (i.id == id)
            return i;
    throw_usage(fmt::format("issue {}: no such issue ({})", id, ids_held(issues)),
                "give an id from landclear issue list STORE");
}

// The latest day an event of this kind set took effect on (status changes keep their order in
// time: a closing dated before the reopening it follows would make the history contradict
// itself).
Date latest_status_day(const Issue& i) {
    Date d = i.raised_on;
    for (const auto& e : i.events)
        if (e.kind != IssueEventKind::deadline && e.on > d)
            d = e.on;
    return d;
}

void change_status(Store& store, const std::string& id, const Date& on, const std::string& note,
                   bool close) {
    auto issues = read_issues(store);
    auto& i = find(issues, id);
    auto now = latest_state(i);
    const char* option = close ? "issue close" : "issue reopen";
    if (close && !now.open)
        throw_usage(fmt::format("{} {}: the issue is already closed (销号 on {})", option, id,
                                now.closed_on ? now.closed_on->iso() : "?"),
                    "reopen it first (landclear issue reopen) if the problem came back");
    if (!close && now.open)
        throw_usage(
            fmt::format("{} {}: the issue is open, there is nothing to reopen", option, id));
    if (on < i.raised_on)
        throw_usage(fmt::format("{} {} --on {}: before the issue was raised ({})", option, id,
                                on.iso(), i.raised_on.iso()),
                    "give the day it was solved, on or after the day it was raised");
    auto last = latest_status_day(i);
    if (on < last)
        throw_usage(fmt::format("{} {} --on {}: before its latest status change ({})", option, id,
                                on.iso(), last.iso()),
                    "give a day on or after its latest change");
    add_event(i, close ? IssueEventKind::closed : IssueEventKind::reopened, on,
              now.open ? "open" : "closed", close ? "closed" : "open", note);
    save(store, {&i});
}

} // namespace

const DerivedLayerDef& issues_layer() {
    using FT = FieldType;
    static const DerivedLayerDef def{"issues",
                                     {{"issue_id", FT::text},
                                      {"target", FT::text},
                                      {"target_code", FT::text},
                                      {"chainage_from_m", FT::real},
                                      {"chainage_to_m", FT::real},
                                      {"project_code", FT::text},
                                      {"unit", FT::text},
                                      {"raised_on", FT::date},
                                      {"deadline", FT::date},
                                      {"status", FT::text},
                                      {"closed_on", FT::date},
                                      {"text", FT::text},
                                      {"note", FT::text}},
                                     "MULTIPOLYGON"};
    return def;
}

const DerivedLayerDef& issue_events_layer() {
    using FT = FieldType;
    static const DerivedLayerDef def{"issue_events",
                                     {{"issue_id", FT::text},
                                      {"seq", FT::integer},
                                      {"kind", FT::text},
                                      {"on_date", FT::date},
                                      {"old_value", FT::text},
                                      {"new_value", FT::text},
                                      {"note", FT::text},
                                      {"recorded_at", FT::text}},
                                     ""};
    return def;
}

bool store_has_issues(Store& store) {
    return store.has_derived(issues_layer().name);
}

std::vector<Issue> read_issues(Store& store) {
    std::vector<Issue> out;
    if (!store_has_issues(store))
        return out;
    std::map<std::string, size_t> at;
    store.for_each_derived(issues_layer(), "", "", [&](const FeatureRow& r) {
        Issue i;
        i.id = text_of(r.values[0]);
        i.target = target_from_name(text_of(r.values[1])).value_or(IssueTarget::parcel);
        i.target_code = text_of(r.values[2]);
        i.from_m = real_of(r.values[3]);
        i.to_m = real_of(r.values[4]);
        i.project_code = text_of(r.values[5]);
        i.unit = text_of(r.values[6]);
        i.raised_on = date_of(r.values[7]).value_or(Date());
        i.deadline = date_of(r.values[8]).value_or(Date());
        i.text = text_of(r.values[11]);
        i.area_m2 = r.measure;
        i.wkb = r.wkb;
        at[i.id] = out.size();
        out.push_back(std::move(i));
    });
    store.for_each_derived(issue_events_layer(), "", "", [&](const FeatureRow& r) {
        auto it = at.find(text_of(r.values[0]));
        if (it == at.end())
            return;
        IssueEvent e;
        auto seq = std::get_if<std::int64_t>(&r.values[1]);
        e.seq = seq ? static_cast<int>(*seq) : 0;
        e.kind = event_from_name(text_of(r.values[2])).value_or(IssueEventKind::raised);
        e.on = date_of(r.values[3]).value_or(Date());
        e.old_value = text_of(r.values[4]);
        e.new_value = text_of(r.values[5]);
        e.note = text_of(r.values[6]);
        e.recorded_at = text_of(r.values[7]);
        out[it->second].events.push_back(std::move(e));
    });
    for (auto& i : out) {
        std::sort(i.events.begin(), i.events.end(),
                  [](const auto& a, const auto& b) { return a.seq < b.seq; });
        // The stored deadline is the latest; the one first set is the raised event's.
        for (const auto& e : i.events)
            if (e.kind == IssueEventKind::raised)
                if (auto d = parse_date(e.new_value))
                    i.deadline = *d;
    }
    std::sort(out.begin(), out.end(), [](const Issue& a, const Issue& b) {
        int na = id_number(a.id), nb = id_number(b.id);
        return na != nb ? na < nb : a.id < b.id;
    });
    return out;
}

std::string add_issue(Store& store, const IssueDraft& draft) {
    auto existing = read_issues(store);
    auto i = make_issue(store, draft, existing);
    save(store, {&i});
    return i.id;
}

void close_issue(Store& store, const std::string& id, const Date& on, const std::string& note) {
    change_status(store, id, on, note, true);
}

void reopen_issue(Store& store, const std::string& id, const Date& on, const std::string& note) {
    change_status(store, id, on, note, false);
}

void move_issue_deadline(Store& store, const std::string& id, const Date& to, const Date& on,
                         const std::string& note) {
    auto issues = read_issues(store);
    auto& i = find(issues, id);
    auto now = latest_state(i);
    if (to < i.raised_on)
        throw_usage(fmt::format("issue deadline {} --to {}: before the issue was raised ({})", id,
                                to.iso(), i.raised_on.iso()),
                    "give a deadline on or after the day it was raised");
    if (on < i.raised_on)
        throw_usage(fmt::format("issue deadline {} --on {}: before the issue was raised ({})", id,
                                on.iso(), i.raised_on.iso()));
    if (to == now.deadline)
        throw_usage(
            fmt::format("issue deadline {} --to {}: that is its deadline already", id, to.iso()));
    add_event(i, IssueEventKind::deadline, on, now.deadline.iso(), to.iso(), note);
    save(store, {&i});
}

} // namespace landclear
