#include "landclear/analysis/plan.hpp"

#include "landclear/analysis/detail/plan_store.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/core/text.hpp"
#include "landclear/core/units.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <map>
#include <set>
#include <unordered_map>

namespace landclear {

namespace {

const std::vector<PlanIndicatorInfo>& indicator_infos() {
    static const std::vector<PlanIndicatorInfo> infos{
        {"acquired_mu", "征地亩", "acquired (mu)", false},
        {"cleared_mu", "腾地亩", "cleared (mu)", false},
        {"delivered_mu", "交地亩", "delivered (mu)", false},
        {"signed_households", "签约户", "signed (households)", true},
        {"demolished_households", "拆除户", "demolished (households)", true},
    };
    return infos;
}

// The spellings a plan file uses for each indicator, normalised (NFKC, no spaces, lower case).
const std::vector<std::vector<std::string>>& indicator_spellings() {
    static const std::vector<std::vector<std::string>> names{
        {"征地亩", "征地", "征地面积", "征地(亩)", "征收土地", "acquired", "acquired_mu",
         "acquired(mu)", "acquisition"},
        {"腾地亩", "腾地", "腾地面积", "腾地(亩)", "cleared", "cleared_mu", "cleared(mu)",
         "clearance"},
        {"交地亩", "交地", "交地面积", "交地(亩)", "delivered", "delivered_mu", "delivered(mu)",
         "delivery"},
        {"签约户", "签约", "签约户数", "签约(户)", "signed", "signed_households",
         "signed(households)", "signing"},
        {"拆除户", "拆除", "拆除户数", "拆除(户)", "demolished", "demolished_households",
         "demolished(households)", "demolition"},
    };
    return names;
}

std::string squeeze(const std::string& s) {
    std::string out;
    for (char c : text::nfkc(s))
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string rev_key(const std::string& plan_id, int revision) {
    return fmt::format("{}#{}", plan_id, revision);
}

// Milestones as stored: "2026-03-31=40;2026-05-31=80" (shortest round-trip numbers).
std::string milestones_text(const std::vector<PlanMilestone>& ms) {
    std::string out;
    for (const auto& m : ms)
        out += fmt::format("{}{}={}", out.empty() ? "" : ";", m.on.iso(), m.cumulative);
    return out;
}

std::vector<PlanMilestone> parse_milestones(const std::string& s, const std::string& key) {
    std::vector<PlanMilestone> out;
    size_t pos = 0;
    while (pos < s.size()) {
        auto end = s.find(';', pos);
        if (end == std::string::npos)
            end = s.size();
        auto item = s.substr(pos, end - pos);
        auto eq = item.find('=');
        std::optional<Date> d =
            eq == std::string::npos ? std::nullopt : parse_date(item.substr(0, eq));
        double v = 0;
        auto num = eq == std::string::npos ? std::string() : item.substr(eq + 1);
        auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
        if (!d || ec != std::errc() || ptr != num.data() + num.size())
            throw_store(fmt::format("plan {}: stored milestone '{}' cannot be read", key, item),
                        "import the plan file again");
        out.push_back({*d, v});
        pos = end + 1;
    }
    return out;
}

const std::string& text_of(const Value& v) {
    static const std::string none;
    auto s = std::get_if<std::string>(&v);
    return s ? *s : none;
}
std::int64_t int_of(const Value& v) {
    if (auto i = std::get_if<std::int64_t>(&v))
        return *i;
    if (auto d = std::get_if<double>(&v))
        return static_cast<std::int64_t>(*d);
    return 0;
}
double real_of(const Value& v) {
    if (auto d = std::get_if<double>(&v))
        return *d;
    if (auto i = std::get_if<std::int64_t>(&v))
        return static_cast<double>(*i);
    return 0;
}
Date date_of(const Value& v, const std::string& what) {
    if (auto d = std::get_if<Date>(&v))
        return *d;
    throw_store(fmt::format("the store's {} has no date", what), "import the plan file again");
}

std::optional<PlanIndicator> indicator_by_key(const std::string& key) {
    for (auto i : all_plan_indicators())
        if (key == plan_indicator_info(i).key)
            return i;
    return std::nullopt;
}

} // namespace

const DerivedLayerDef& plan_revisions_layer() {
    static const DerivedLayerDef def{"plan_revisions",
                                     {{"rev_key", FieldType::text},
                                      {"plan_id", FieldType::text},
                                      {"revision", FieldType::integer},
                                      {"import_no", FieldType::integer},
                                      {"issued_on", FieldType::date},
                                      {"reported_on", FieldType::date},
                                      {"imported_at", FieldType::text},
                                      {"source", FieldType::text},
                                      {"sha256", FieldType::text}},
                                     ""};
    return def;
}

const DerivedLayerDef& plan_targets_layer() {
    static const DerivedLayerDef def{"plan_targets",
                                     {{"rev_key", FieldType::text},
                                      {"source_row", FieldType::integer},
                                      {"batch", FieldType::text},
                                      {"project_code", FieldType::text},
                                      {"unit", FieldType::text},
                                      {"indicator", FieldType::text},
                                      {"target", FieldType::real},
                                      {"start_on", FieldType::date},
                                      {"deadline", FieldType::date},
                                      {"milestones", FieldType::text}},
                                     ""};
    return def;
}

const PlanIndicatorInfo& plan_indicator_info(PlanIndicator indicator) {
    return indicator_infos()[static_cast<size_t>(indicator)];
}

std::vector<PlanIndicator> all_plan_indicators() {
    return {PlanIndicator::acquired_mu, PlanIndicator::cleared_mu, PlanIndicator::delivered_mu,
            PlanIndicator::signed_households, PlanIndicator::demolished_households};
}

std::optional<PlanIndicator> parse_plan_indicator(const std::string& text) {
    auto s = squeeze(text);
    const auto& names = indicator_spellings();
    for (size_t i = 0; i < names.size(); ++i)
        if (std::find(names[i].begin(), names[i].end(), s) != names[i].end())
            return static_cast<PlanIndicator>(i);
    return std::nullopt;
}

double planned_quantity(const PlanTarget& t, const Date& on) {
    // Points at the end of days: (start − 1, 0), the milestones, (deadline, target).
    std::vector<std::pair<long, double>> pts{{t.start_on.days() - 1, 0.0}};
    for (const auto& m : t.milestones)
        if (m.on < t.deadline)
            pts.emplace_back(m.on.days(), m.cumulative);
    pts.emplace_back(t.deadline.days(), t.target);
    long x = on.days();
    if (x <= pts.front().first)
        return 0;
    if (x >= pts.back().first)
        return t.target;
    for (size_t i = 1; i < pts.size(); ++i) {
        auto [x1, y1] = pts[i];
        if (x > x1)
            continue;
        auto [x0, y0] = pts[i - 1];
        if (x1 == x0)
            return y1;
        return y0 + (y1 - y0) * static_cast<double>(x - x0) / static_cast<double>(x1 - x0);
    }
    return t.target;
}

double PlanFigures::rate() const {
    return target > 0 ? done / target : 0;
}

double PlanFigures::time_progress() const {
    return target > 0 ? std::clamp(planned / target, 0.0, 1.0) : 0;
}

PlanGroupBy parse_plan_group_by(const std::string& text, const std::string& option) {
    static const std::map<std::string, PlanGroupBy> names{{"unit", PlanGroupBy::unit},
                                                          {"project", PlanGroupBy::project},
                                                          {"plan", PlanGroupBy::plan},
                                                          {"batch", PlanGroupBy::batch}};
    auto it = names.find(text);
    if (it == names.end())
        throw_usage(fmt::format("{} '{}' is not one of unit, project, plan, batch", option, text));
    return it->second;
}

// ---- Storage ----

void detail::store_plan_revisions(Store& store, const std::vector<PlanRevision>& revisions) {
    for (const auto& r : revisions) {
        auto key = rev_key(r.plan_id, r.revision);
        FeatureRow head;
        head.values = {key,           r.plan_id,   static_cast<std::int64_t>(r.revision),
                       r.import,      r.issued_on, r.reported_on,
                       r.imported_at, r.source,    r.sha256};
        store.replace_derived(plan_revisions_layer(), "rev_key", key, {head});
        std::vector<FeatureRow> rows;
        for (const auto& t : r.targets) {
            FeatureRow row;
            row.values = {key,        static_cast<std::int64_t>(t.row),
                          t.batch,    t.project_code,
                          t.unit,     std::string(plan_indicator_info(t.indicator).key),
                          t.target,   t.start_on,
                          t.deadline, milestones_text(t.milestones)};
            rows.push_back(std::move(row));
        }
        store.replace_derived(plan_targets_layer(), "rev_key", key, rows);
    }
}

std::vector<PlanRevision> detail::all_stored_plans(Store& store) {
    std::vector<PlanRevision> out;
    if (!store.has_derived(plan_revisions_layer().name))
        return out;
    std::map<std::string, size_t> by_key;
    store.for_each_derived(plan_revisions_layer(), "", "", [&](const FeatureRow& f) {
        PlanRevision r;
        const auto& v = f.values;
        r.plan_id = text_of(v[1]);
        r.revision = static_cast<int>(int_of(v[2]));
        r.import = int_of(v[3]);
        r.issued_on = date_of(v[4], "plan_revisions.issued_on");
        r.reported_on = date_of(v[5], "plan_revisions.reported_on");
        r.imported_at = text_of(v[6]);
        r.source = text_of(v[7]);
        r.sha256 = text_of(v[8]);
        by_key[text_of(v[0])] = out.size();
        out.push_back(std::move(r));
    });
    store.for_each_derived(plan_targets_layer(), "", "", [&](const FeatureRow& f) {
        const auto& v = f.values;
        auto it = by_key.find(text_of(v[0]));
        if (it == by_key.end())
            return; // a target of no revision cannot be shown against anything
        PlanTarget t;
        t.row = static_cast<int>(int_of(v[1]));
        t.batch = text_of(v[2]);
        t.project_code = text_of(v[3]);
        t.unit = text_of(v[4]);
        auto ind = indicator_by_key(text_of(v[5]));
        if (!ind)
            throw_store(fmt::format("plan {}: stored indicator '{}' is unknown", text_of(v[0]),
                                    text_of(v[5])),
                        "import the plan file again with this landclear");
        t.indicator = *ind;
        t.target = real_of(v[6]);
        t.start_on = date_of(v[7], "plan_targets.start_on");
        t.deadline = date_of(v[8], "plan_targets.deadline");
        t.milestones = parse_milestones(text_of(v[9]), text_of(v[0]));
        out[it->second].targets.push_back(std::move(t));
    });
    std::sort(out.begin(), out.end(), [](const PlanRevision& a, const PlanRevision& b) {
        return std::tie(a.plan_id, a.revision) < std::tie(b.plan_id, b.revision);
    });
    for (auto& r : out)
        std::sort(r.targets.begin(), r.targets.end(),
                  [](const PlanTarget& a, const PlanTarget& b) { return a.row < b.row; });
    return out;
}

std::vector<PlanRevision> stored_plans(Store& store) {
    auto all = detail::all_stored_plans(store);
    if (auto k = store.known_on())
        std::erase_if(all, [&](const PlanRevision& r) { return r.reported_on > *k; });
    return all;
}

bool has_plans(Store& store) {
    return store.has_derived(plan_revisions_layer().name) && !stored_plans(store).empty();
}

// ---- Completion ----

namespace {

struct ProjectFacts {
    std::vector<std::pair<ParcelDates, double>> parcels;           // dates, area m²
    std::vector<std::pair<BuildingDates, std::int64_t>> buildings; // dates, households
};

double done_in_window(const ProjectFacts& facts, const PlanTarget& t, const Date& as_of) {
    // [start, as_of] both included: reached_within counts (since, as_of].
    std::optional<Date> since = Date::from_days(t.start_on.days() - 1);
    switch (t.indicator) {
    case PlanIndicator::acquired_mu:
    case PlanIndicator::cleared_mu:
    case PlanIndicator::delivered_mu: {
        LandAreas a;
        for (const auto& [d, area] : facts.parcels)
            a.add(d, area, as_of, since);
        double m2 = t.indicator == PlanIndicator::acquired_mu  ? a.new_acquired_m2
                    : t.indicator == PlanIndicator::cleared_mu ? a.new_cleared_m2
                                                               : a.new_delivered_m2;
        return m2_to_mu(m2);
    }
    case PlanIndicator::signed_households:
    case PlanIndicator::demolished_households: {
        HouseholdCounts h;
        for (const auto& [d, households] : facts.buildings)
            h.add(d, households, 0, as_of, since);
        return static_cast<double>(t.indicator == PlanIndicator::signed_households
                                       ? h.new_signed_households
                                       : h.new_demolished_households);
    }
    }
    return 0;
}

const std::string& group_key(const TargetStatus& s, PlanGroupBy by) {
    switch (by) {
    case PlanGroupBy::unit:
        return s.target.unit;
    case PlanGroupBy::project:
        return s.target.project_code;
    case PlanGroupBy::plan:
        return s.plan_id;
    case PlanGroupBy::batch:
        return s.target.batch;
    }
    return s.target.unit;
}

void add_to(PlanGroupStatus& g, const TargetStatus& s) {
    g.targets += 1;
    g.overdue += s.overdue ? 1 : 0;
    g.figures.target += s.figures.target;
    g.figures.done += s.figures.done;
    g.figures.planned += s.figures.planned;
}

} // namespace

PlanStatusReport compute_plan_status(Store& store, const PlanStatusOptions& o) {
    PlanStatusReport r;
    r.as_of = o.as_of;
    r.known_on = store.known_on();
    r.by = o.by;

    // Per plan id, the latest revision issued on or before the as-of date.
    std::map<std::string, const PlanRevision*> in_force;
    std::map<std::string, Date> first_issued;
    auto revisions = stored_plans(store);
    for (const auto& rev : revisions) {
        auto [it, fresh] = first_issued.try_emplace(rev.plan_id, rev.issued_on);
        if (!fresh)
            it->second = std::min(it->second, rev.issued_on);
        if (rev.issued_on > o.as_of)
            continue;
        auto& slot = in_force[rev.plan_id];
        if (!slot || rev.revision > slot->revision)
            slot = &rev;
    }
    for (const auto& [id, issued] : first_issued)
        if (!in_force.count(id))
            r.notes.push_back(
                {fmt::format("计划 {} 于 {} 下达，晚于统计日期，未计入", id, issued.iso()),
                 fmt::format("plan {} was issued on {}, after the as-of date: not "
                             "counted",
                             id, issued.iso())});

    std::map<std::string, std::string> names;
    for (const auto& p : store.projects())
        names[p.code] = p.name;
    std::unordered_map<std::string, ProjectFacts> facts;
    for (const auto& [id, rev] : in_force)
        for (const auto& t : rev->targets)
            facts[t.project_code];
    std::unordered_map<std::string, std::string> parcel_project;
    store.for_each_parcel([&](const ParcelRow& p) {
        auto it = facts.find(p.project_code);
        if (it == facts.end())
            return;
        it->second.parcels.emplace_back(dates_of(p), p.area_m2);
        parcel_project.emplace(p.code, p.project_code);
    });
    store.for_each_building([&](const BuildingRow& b) {
        auto pp = parcel_project.find(b.parcel_code);
        if (pp == parcel_project.end())
            return;
        facts[pp->second].buildings.emplace_back(dates_of(b), b.households);
    });

    for (const auto& [id, rev] : in_force)
        for (const auto& t : rev->targets) {
            TargetStatus s;
            s.plan_id = id;
            s.revision = rev->revision;
            s.issued_on = rev->issued_on;
            s.target = t;
            s.project_name = names[t.project_code];
            s.figures.target = t.target;
            s.figures.done = done_in_window(facts[t.project_code], t, o.as_of);
            s.figures.planned = planned_quantity(t, o.as_of);
            s.days_left = t.deadline.days() - o.as_of.days();
            s.overdue = o.as_of > t.deadline && s.figures.done < t.target;
            r.targets.push_back(std::move(s));
        }

    std::map<std::pair<std::string, PlanIndicator>, PlanGroupStatus> groups;
    std::map<PlanIndicator, PlanGroupStatus> totals;
    for (const auto& s : r.targets) {
        const auto& key = group_key(s, o.by);
        auto& g = groups[{key, s.target.indicator}];
        g.key = key;
        g.indicator = s.target.indicator;
        if (o.by == PlanGroupBy::project)
            g.name = s.project_name;
        add_to(g, s);
        auto& tot = totals[s.target.indicator];
        tot.indicator = s.target.indicator;
        add_to(tot, s);
    }
    for (auto& [k, g] : groups)
        r.groups.push_back(std::move(g));
    for (auto& [k, g] : totals)
        r.totals.push_back(std::move(g));
    return r;
}

std::optional<ProjectPlanFigures>
project_plan(const PlanStatusReport& r, const std::string& project_code, PlanIndicator indicator) {
    ProjectPlanFigures out;
    for (const auto& s : r.targets)
        if (s.target.indicator == indicator && s.target.project_code == project_code) {
            out.targets += 1;
            out.figures.target += s.figures.target;
            out.figures.done += s.figures.done;
            out.figures.planned += s.figures.planned;
        }
    if (out.targets == 0)
        return std::nullopt;
    return out;
}

} // namespace landclear
