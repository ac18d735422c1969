#include "landclear/analysis/issue_list.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/redline.hpp"
#include "landclear/io/ledger.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>

namespace landclear {

namespace {

constexpr const char* id_prefix = "WT-"; // 问题 (wèntí)

std::string text_of(const Value& v) {
    if (auto s = std::get_if<std::string>(&v))
        return *s;
    return value_text(v);
}

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

// The feature's WKB and values, if the layer holds that code.
std::optional<FeatureRow> feature(Store& store, LayerKind kind, const std::string& code) {
    FeatureFilter filter;
    filter.codes = {code};
    std::optional<FeatureRow> out;
    store.for_each_feature(kind, filter, [&](const FeatureRow& r) { out = r; });
    return out;
}

// A few codes of the layer, for the message about an unknown one.
std::string some_codes(Store& store, LayerKind kind) {
    FeatureFilter filter;
    filter.with_geometry = false;
    std::vector<std::string> codes;
    std::int64_t n = 0;
    const auto& def = layer_def(kind);
    int key = field_index(def, def.key);
    store.for_each_feature(kind, filter, [&](const FeatureRow& r) {
        if (++n <= 5)
            codes.push_back(text_of(r.values[static_cast<size_t>(key)]));
    });
    if (n == 0)
        return fmt::format("the store's {} layer is empty", def.name);
    return fmt::format("the store's {} layer holds {}{} ({} in all)", def.name,
                       fmt::join(codes, ", "), n > 5 ? ", …" : "", n);
}

std::string option_of(IssueTarget t) {
    return fmt::format("--{}", issue_target_name(t));
}

// Along-line position of a chainage: the first run of the stationing that holds it (after a
// long chain 长链 the same chainage is read twice; the first reading is the one meant).
std::optional<double> along_of(const Stationing& st, double chainage, double after = -1) {
    for (const auto& r : st.runs()) {
        double lo = std::min(r.from_m, r.to_m), hi = std::max(r.from_m, r.to_m);
        if (chainage < lo - 1e-6 || chainage > hi + 1e-6)
            continue;
        double along = r.along_from_m + (chainage - r.from_m);
        along = std::clamp(along, r.along_from_m, r.along_to_m);
        if (along > after)
            return along;
    }
    return std::nullopt;
}

struct Located {
    std::string project_code;
    std::vector<unsigned char> wkb;
    double area = 0;
};

Located locate_corridor(Store& store, const IssueDraft& d) {
    std::optional<CorridorRow> corridor;
    for (auto& c : store.corridors())
        if (c.code == d.target_code)
            corridor = c;
    if (!corridor)
        throw_usage(fmt::format("--corridor {}: no such corridor ({})", d.target_code,
                                some_codes(store, LayerKind::corridors)),
                    "give a corridor code the store holds (landclear corridor STORE lists them)");
    auto line_row = feature(store, LayerKind::corridors, d.target_code);
    if (!line_row || line_row->wkb.empty())
        throw_input(fmt::format("corridor {} has no centreline in the store", d.target_code),
                    "import the corridor's centreline again");
    Geos geos;
    auto line = geos.from_wkb(line_row->wkb);
    double length = geos.length(line.get());
    auto red = buffer_centreline(geos, line.get(), corridor_widths(*corridor));
    Located out;
    out.project_code = corridor->project_code;
    std::string prefix = corridor->alignment.empty() ? "K" : corridor->alignment;
    if (!d.from_m && !d.to_m) {
        out.area = geos.area(red.get());
        out.wkb = geos.to_wkb(geos.polygonal_multi(red.get()).get());
        return out;
    }
    if (!d.from_m || !d.to_m)
        throw_usage(fmt::format("--corridor {}: give both --from and --to, or neither (the whole "
                                "red line)",
                                d.target_code));
    Stationing st(corridor->start_chainage_m, length,
                  parse_chainage_breaks(corridor->chainage_breaks));
    double end = st.chainage_at(length);
    auto outside = [&](const char* option, double v) {
        throw_usage(fmt::format("{} {}: outside corridor {}, which runs {}", option,
                                format_chainage(v, prefix), d.target_code,
                                format_chainage_range(st.start(), end, prefix)),
                    "give chainages within the corridor");
    };
    auto a = along_of(st, *d.from_m);
    if (!a)
        outside("--from", *d.from_m);
    auto b = along_of(st, *d.to_m, *a);
    if (!b) {
        if (along_of(st, *d.to_m))
            throw_usage(fmt::format("--to {}: not after --from {} along corridor {}",
                                    format_chainage(*d.to_m, prefix),
                                    format_chainage(*d.from_m, prefix), d.target_code),
                        "give the stretch from its lower chainage to its higher one");
        outside("--to", *d.to_m);
    }
    if (*b - *a < 0.001)
        throw_usage(fmt::format("--from {} --to {}: the stretch is empty",
                                format_chainage(*d.from_m, prefix),
                                format_chainage(*d.to_m, prefix)),
                    "give a stretch at least 1 mm long");
    // The same cut `landclear corridor` makes into segments (geom/redline.hpp), with the
    // stretch as one interval between the pieces before and after it.
    std::vector<double> positions;
    int piece = 0;
    if (*a > 0.0005) {
        positions.push_back(0);
        piece = 1;
    }
    positions.push_back(*a);
    positions.push_back(*b);
    if (*b < length - 0.0005)
        positions.push_back(length);
    auto pieces = split_red_line(geos, red.get(), line.get(), positions);
    const auto* g = pieces[static_cast<size_t>(piece)].get();
    out.area = geos.area(g);
    out.wkb = geos.to_wkb(g);
    return out;
}

Located locate(Store& store, const IssueDraft& d) {
    if ((d.from_m || d.to_m) && d.target != IssueTarget::corridor)
        throw_usage(fmt::format("--from/--to: a chainage stretch needs --corridor, not {} {}",
                                option_of(d.target), d.target_code));
    if (d.target == IssueTarget::corridor)
        return locate_corridor(store, d);
    LayerKind kind = d.target == IssueTarget::parcel     ? LayerKind::parcels
                     : d.target == IssueTarget::building ? LayerKind::buildings
                                                         : LayerKind::projects;
    auto row = feature(store, kind, d.target_code);
    if (!row)
        throw_usage(fmt::format("{} {}: no such {} ({})", option_of(d.target), d.target_code,
                                layer_def(kind).name == std::string_view("projects")
                                    ? "project"
                                    : issue_target_name(d.target),
                                some_codes(store, kind)),
                    "give a code the store holds");
    Located out;
    if (d.target == IssueTarget::project) {
        out.project_code = d.target_code;
    } else if (d.target == IssueTarget::parcel) {
        out.project_code = text_of(row->values[1]);
    } else {
        auto parcel = feature(store, LayerKind::parcels, text_of(row->values[1]));
        if (parcel)
            out.project_code = text_of(parcel->values[1]);
    }
    if (!row->wkb.empty()) {
        Geos geos;
        auto g = geos.polygonal_multi(geos.from_wkb(row->wkb).get());
        out.area = geos.area(g.get());
        out.wkb = geos.to_wkb(g.get());
    }
    return out;
}

// The state after every recorded event (whatever day each took effect on).
IssueState latest_state(const Issue& i) {
    Date last = i.raised_on;
    for (const auto& e : i.events)
        last = std::max(last, e.on);
    return issue_state(i, last);
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

Issue make_issue(Store& store, const IssueDraft& d, const std::vector<Issue>& existing) {
    if (d.target_code.empty())
        throw_usage(fmt::format("{}: empty code", option_of(d.target)));
    if (d.unit.empty())
        throw_usage("--unit: empty; every issue has a responsible unit (责任单位)",
                    "give the unit it is assigned to, e.g. --unit 雨湖区征拆办");
    if (d.text.empty())
        throw_usage("--text: empty; say what the problem is", "e.g. --text \"2 户未签约\"");
    if (d.deadline < d.raised_on)
        throw_usage(fmt::format("--deadline {}: before the day the issue is raised (--on {})",
                                d.deadline.iso(), d.raised_on.iso()),
                    "give a deadline on or after the day it is raised");
    if (d.closed_on && *d.closed_on < d.raised_on)
        throw_usage(fmt::format("closed on {}: before the day the issue is raised ({})",
                                d.closed_on->iso(), d.raised_on.iso()));
    if (d.id) {
        if (d.id->empty())
            throw_usage("issue id: empty");
        for (const auto& i : existing)
            if (i.id == *d.id)
                throw_usage(fmt::format("issue id {}: already in the store (raised {}: {})", *d.id,
                                        i.raised_on.iso(), i.text),
                            "leave the id empty for a new number, or close or move the "
                            "existing issue instead");
    }
    auto where = locate(store, d);
    Issue i;
    i.target = d.target;
    i.target_code = d.target_code;
    i.from_m = d.from_m;
    i.to_m = d.to_m;
    i.project_code = where.project_code;
    i.unit = d.unit;
    i.text = d.text;
    i.raised_on = d.raised_on;
    i.deadline = d.deadline;
    i.area_m2 = where.area;
    i.wkb = std::move(where.wkb);
    i.id = d.id ? *d.id : next_id(existing, {});
    add_event(i, IssueEventKind::raised, d.raised_on, "", d.deadline.iso(),
              d.closed_on ? "" : d.note);
    if (d.closed_on)
        add_event(i, IssueEventKind::closed, *d.closed_on, "open", "closed", d.note);
    return i;
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

namespace {

// The columns an issue list may have, by the headers offices write (compared after NFKC, without
// spaces, lower-cased) and the English field names.
enum class Col {
    id,
    parcel,
    building,
    corridor,
    from,
    to,
    project,
    unit,
    text,
    raised,
    deadline,
    closed,
    note
};

const std::vector<std::pair<Col, std::vector<std::string>>>& column_names() {
    static const std::vector<std::pair<Col, std::vector<std::string>>> names{
        {Col::id, {"编号", "问题编号", "序号编号", "id", "issue_id"}},
        {Col::parcel, {"宗地编号", "宗地代码", "地块编号", "parcel", "parcel_code"}},
        {Col::building, {"房屋编号", "建筑编号", "building", "building_code"}},
        {Col::corridor, {"线路编号", "道路编号", "corridor", "corridor_code"}},
        {Col::from, {"起点桩号", "起始桩号", "起桩号", "from", "chainage_from"}},
        {Col::to, {"终点桩号", "止点桩号", "讫点桩号", "止桩号", "to", "chainage_to"}},
        {Col::project, {"项目编号", "project", "project_code"}},
        {Col::unit, {"责任单位", "unit"}},
        {Col::text, {"问题描述", "问题", "问题内容", "存在问题", "text", "description"}},
        {Col::raised, {"提出日期", "交办日期", "发现日期", "raised_on", "raised"}},
        {Col::deadline, {"限期", "完成时限", "办结时限", "销号时限", "deadline"}},
        {Col::closed, {"销号日期", "办结日期", "closed_on", "closed"}},
        {Col::note, {"备注", "销号说明", "note"}},
    };
    return names;
}

std::optional<Col> column_of(const std::string& header) {
    auto h = normalise_sheet_header(header);
    for (const auto& [col, names] : column_names())
        for (const auto& n : names)
            if (h == normalise_sheet_header(n))
                return col;
    return std::nullopt;
}

// The header the file gives the column, else the first name it is known by.
std::string canonical_name(Col col) {
    for (const auto& [c, names] : column_names())
        if (c == col)
            return names.front();
    return {};
}

// Replaces the option name (a whole word: "--to" but not "--to-x") by the column's name.
void replace_option(std::string& m, const std::string& option, const std::string& column) {
    for (size_t p = 0; (p = m.find(option, p)) != std::string::npos;) {
        size_t end = p + option.size();
        if (end < m.size() &&
            (std::isalnum(static_cast<unsigned char>(m[end])) || m[end] == '-' || m[end] == '/')) {
            p = end;
            continue;
        }
        m.replace(p, option.size(), column);
        p += column.size();
    }
}

struct RowError {
    int row = 0;
    std::string message;
};

} // namespace

std::vector<std::string> import_issues(Store& store, const IssueImportOptions& options) {
    LedgerOptions lo;
    lo.path = options.path;
    lo.sheet = options.sheet;
    auto sheet = read_sheet(lo);
    // The header: the first of the top rows with a 责任单位 and a 问题描述 column (title rows
    // above it are skipped, as in ledgers).
    size_t header = sheet.rows.size();
    std::map<Col, size_t> cols;
    std::vector<std::string> headers;
    for (size_t r = 0; r < sheet.rows.size() && r < 10 && header == sheet.rows.size(); ++r) {
        std::map<Col, size_t> found;
        for (size_t c = 0; c < sheet.rows[r].cells.size(); ++c)
            if (auto col = column_of(sheet.rows[r].cells[c].text))
                found.try_emplace(*col, c);
        if (found.count(Col::unit) && found.count(Col::text)) {
            header = r;
            cols = found;
            for (const auto& cell : sheet.rows[r].cells)
                headers.push_back(cell.text);
        }
    }
    if (header == sheet.rows.size())
        throw_input(fmt::format("{}: no header row with 责任单位 and 问题描述 in its first rows",
                                sheet.display),
                    "name the columns 问题描述, 责任单位, 限期 and one of 宗地编号, 房屋编号, "
                    "线路编号 (with 起点桩号, 终点桩号) or 项目编号 (docs/ISSUE_LIST.md)");
    if (!cols.count(Col::deadline))
        throw_input(fmt::format("{}: no 限期 (deadline) column in the header (row {})",
                                sheet.display, sheet.rows[header].row),
                    "add a 限期 column: every issue has a deadline");

    auto existing = read_issues(store);
    std::vector<Issue> made;
    std::vector<RowError> errors;
    std::set<std::string> ids;
    for (size_t r = header + 1; r < sheet.rows.size(); ++r) {
        const auto& row = sheet.rows[r];
        auto cell = [&](Col c) -> const SheetCell* {
            auto it = cols.find(c);
            if (it == cols.end() || it->second >= row.cells.size())
                return nullptr;
            return &row.cells[it->second];
        };
        auto header_of = [&](Col c) {
            auto it = cols.find(c);
            return it != cols.end() && !headers[it->second].empty() ? headers[it->second]
                                                                    : canonical_name(c);
        };
        auto column_label = header_of;
        auto cell_text = [&](Col c) -> std::string {
            auto* x = cell(c);
            return x ? x->text : std::string();
        };
        bool any = false, not_utf8 = false;
        for (const auto& c : row.cells) {
            any = any || !c.text.empty() || c.number || c.date;
            not_utf8 = not_utf8 || c.not_utf8;
        }
        if (!any)
            continue;
        try {
            if (not_utf8)
                throw_input("the text is not UTF-8", "save the file as UTF-8");
            auto date = [&](Col c, bool required) -> std::optional<Date> {
                auto* x = cell(c);
                if (!x || (x->text.empty() && !x->date && !x->number)) {
                    if (required)
                        throw_usage(fmt::format("{}: empty", header_of(c)));
                    return std::nullopt;
                }
                if (x->date)
                    return x->date;
                // Excel keeps an unformatted date as its day number from 1899-12-30.
                if (x->number && *x->number >= 20000 && *x->number < 80000 &&
                    std::floor(*x->number) == *x->number)
                    return Date::from_days(static_cast<long>(*x->number) - 25569);
                auto d = parse_date(text::nfkc(x->text));
                if (!d)
                    throw_usage(
                        fmt::format("{}: cannot read '{}' as a date", header_of(c), x->text));
                return d;
            };
            auto chainage = [&](Col c) -> std::optional<double> {
                auto t = cell_text(c);
                if (t.empty())
                    return std::nullopt;
                auto v = parse_chainage(text::nfkc(t));
                if (!v)
                    throw_usage(fmt::format("{}: cannot read '{}' as a chainage (K1+200 or "
                                            "metres)",
                                            header_of(c), t));
                return v;
            };
            IssueDraft d;
            std::vector<std::pair<IssueTarget, std::string>> targets;
            for (auto [col, t] : {std::pair{Col::parcel, IssueTarget::parcel},
                                  std::pair{Col::building, IssueTarget::building},
                                  std::pair{Col::corridor, IssueTarget::corridor}})
                if (!cell_text(col).empty())
                    targets.emplace_back(t, cell_text(col));
            if (targets.size() > 1) {
                auto col = [](IssueTarget t) {
                    return t == IssueTarget::parcel     ? Col::parcel
                           : t == IssueTarget::building ? Col::building
                                                        : Col::corridor;
                };
                throw_usage(fmt::format("{} {} and {} {} both given: an issue is tied to one thing",
                                        header_of(col(targets[0].first)), targets[0].second,
                                        header_of(col(targets[1].first)), targets[1].second));
            }
            std::string project = cell_text(Col::project);
            if (targets.empty()) {
                if (project.empty())
                    throw_usage("no 宗地编号, 房屋编号, 线路编号 or 项目编号: say what the issue "
                                "is about");
                targets.emplace_back(IssueTarget::project, project);
            }
            d.target = targets[0].first;
            d.target_code = targets[0].second;
            d.from_m = chainage(Col::from);
            d.to_m = chainage(Col::to);
            if (!cell_text(Col::id).empty())
                d.id = cell_text(Col::id);
            d.unit = cell_text(Col::unit);
            d.text = cell_text(Col::text);
            d.note = cell_text(Col::note);
            if (d.unit.empty())
                throw_usage(fmt::format("{}: empty", header_of(Col::unit)));
            if (d.text.empty())
                throw_usage(fmt::format("{}: empty", header_of(Col::text)));
            d.raised_on = date(Col::raised, false).value_or(options.today);
            d.deadline = *date(Col::deadline, true);
            d.closed_on = date(Col::closed, false);
            if (d.id && (ids.count(*d.id)))
                throw_usage(
                    fmt::format("{} {}: given twice in the file", header_of(Col::id), *d.id));
            if (!d.id)
                d.id = next_id(existing, ids);
            std::vector<Issue> all = existing;
            auto i = make_issue(store, d, all);
            if (!project.empty() && d.target != IssueTarget::project && i.project_code != project)
                throw_usage(fmt::format("{} {}: {} {} is in project {}", header_of(Col::project),
                                        project, issue_target_zh(d.target), d.target_code,
                                        i.project_code));
            ids.insert(i.id);
            made.push_back(std::move(i));
        } catch (const Error& e) {
            // The CLI's option names mean nothing in a spreadsheet: name its columns.
            std::string m = e.message();
            for (auto [opt, col] :
                 {std::pair{"--parcel", Col::parcel}, std::pair{"--building", Col::building},
                  std::pair{"--corridor", Col::corridor}, std::pair{"--project", Col::project},
                  std::pair{"--from", Col::from}, std::pair{"--to", Col::to},
                  std::pair{"--deadline", Col::deadline}, std::pair{"--unit", Col::unit},
                  std::pair{"--text", Col::text}, std::pair{"--on", Col::raised}})
                replace_option(m, opt, column_label(col));
            errors.push_back({row.row, m});
        }
    }
    if (!errors.empty()) {
        std::string list;
        for (const auto& e : errors)
            list += fmt::format("\n  row {}: {}", e.row, e.message);
        throw_input(fmt::format("{}: {} row{} cannot be imported, nothing was imported:{}",
                                sheet.display, errors.size(), errors.size() == 1 ? "" : "s", list),
                    "correct these rows and import the file again");
    }
    if (made.empty())
        throw_input(fmt::format("{} is empty: below its header (row {}) there is no issue",
                                sheet.display, sheet.rows[header].row),
                    "fill in the list's rows, or choose the sheet that holds them with --sheet");
    std::vector<const Issue*> all;
    std::vector<std::string> out;
    for (const auto& i : made) {
        all.push_back(&i);
        out.push_back(i.id);
    }
    save(store, all);
    return out;
}

IssueList list_issues(Store& store, const IssueListOptions& o) {
    IssueList out;
    out.as_of = o.as_of;
    std::set<std::string> projects(o.projects.begin(), o.projects.end());
    for (auto& i : read_issues(store)) {
        if (!o.unit.empty() && i.unit != o.unit)
            continue;
        if (!projects.empty() && !projects.count(i.project_code))
            continue;
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
