#include "landclear/analysis/bulletin.hpp"

#include "landclear/core/error.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace landclear {

namespace {

Date add_days(const Date& d, long n) {
    return Date::from_days(d.days() + n);
}

Date last_of_month(const Date& d) {
    int y = d.year(), m = d.month() + 1;
    if (m == 13) {
        m = 1;
        ++y;
    }
    return add_days(Date(y, m, 1), -1);
}

// The figures of every group of a status report, by key.
std::map<std::string, StatusGroup> by_key(const StatusReport& r) {
    std::map<std::string, StatusGroup> out;
    for (const auto& g : r.groups)
        out.emplace(g.key, g);
    return out;
}

double rate(const StatusFigures& f) {
    return f.area_m2 > 0 ? f.cleared_m2 / f.area_m2 : 0;
}

// Each group's figures against its plan for one indicator, by key.
using PlanByKey = std::map<std::string, PlanFigures>;

// Competition ranking, best first: equal keys share the better rank. Without a plan the key is
// the cleared rate; with one, groups with a target come first by 完成率 then 进度差, the rest
// after them by cleared rate.
std::map<std::string, int> ranks(const std::vector<StatusGroup>& groups,
                                 const PlanByKey* plan = nullptr) {
    struct Key {
        bool planned = false;
        double rate = 0, gap = 0, cleared = 0;
        bool operator==(const Key&) const = default;
        bool better(const Key& o) const {
            if (planned != o.planned)
                return planned;
            if (rate != o.rate)
                return rate > o.rate;
            if (gap != o.gap)
                return gap > o.gap;
            return cleared > o.cleared;
        }
    };
    std::vector<std::pair<Key, std::string>> order;
    for (const auto& g : groups) {
        Key k;
        auto it = plan ? plan->find(g.key) : PlanByKey::const_iterator{};
        if (plan && it != plan->end()) {
            k.planned = true;
            k.rate = it->second.rate();
            k.gap = it->second.gap();
        } else {
            k.cleared = rate(g.figures);
        }
        order.emplace_back(k, g.key);
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        return !(a.first == b.first) ? a.first.better(b.first) : a.second < b.second;
    });
    std::map<std::string, int> out;
    for (size_t i = 0; i < order.size(); ++i)
        out[order[i].second] = i > 0 && order[i].first == order[i - 1].first
                                   ? out[order[i - 1].second]
                                   : static_cast<int>(i) + 1;
    return out;
}

// 腾地亩 if the report has targets for it, else the first land indicator with targets, else
// the first household one; none without targets.
std::optional<PlanIndicator> ranking_indicator(const PlanStatusReport& r) {
    auto planned = [&](PlanIndicator i) {
        for (const auto& t : r.totals)
            if (t.indicator == i && t.figures.target > 0)
                return true;
        return false;
    };
    for (auto i :
         {PlanIndicator::cleared_mu, PlanIndicator::acquired_mu, PlanIndicator::delivered_mu,
          PlanIndicator::signed_households, PlanIndicator::demolished_households})
        if (planned(i))
            return i;
    return std::nullopt;
}

// The groups' figures for one indicator (only groups with a positive target).
PlanByKey plan_by_key(const PlanStatusReport& r, PlanIndicator indicator) {
    PlanByKey out;
    for (const auto& g : r.groups)
        if (g.indicator == indicator && g.figures.target > 0)
            out.emplace(g.key, g.figures);
    return out;
}

bool same(const StatusFigures& a, const StatusFigures& b) {
    return a.parcels == b.parcels && a.area_m2 == b.area_m2 && a.acquired_m2 == b.acquired_m2 &&
           a.cleared_m2 == b.cleared_m2 && a.delivered_m2 == b.delivered_m2 &&
           a.households == b.households && a.signed_households == b.signed_households &&
           a.demolished_households == b.demolished_households &&
           a.new_acquired_m2 == b.new_acquired_m2 && a.new_cleared_m2 == b.new_cleared_m2 &&
           a.new_delivered_m2 == b.new_delivered_m2 &&
           a.new_signed_households == b.new_signed_households &&
           a.new_demolished_households == b.new_demolished_households;
}

// Every parcel delivered and every household's building demolished. The delivered area is
// the same parcels' areas added in the same order as the total when all are delivered, so
// equal means equal; the tolerance only guards a sum taken in another order.
bool cleared_to_zero(const StatusFigures& f) {
    return f.parcels > 0 && f.delivered_m2 >= f.area_m2 * (1 - 1e-12) &&
           f.demolished_households == f.households;
}

// Restores the store's knowledge date however the bulletin ends.
struct KnownOnGuard {
    Store& store;
    std::optional<Date> saved;
    ~KnownOnGuard() { store.set_known_on(saved); }
};

} // namespace

const char* bulletin_kind_name(BulletinKind kind) {
    switch (kind) {
    case BulletinKind::weekly:
        return "weekly";
    case BulletinKind::fortnightly:
        return "fortnightly";
    case BulletinKind::monthly:
        return "monthly";
    }
    return "weekly";
}

Date parse_month_option(const std::string& text, const std::string& option) {
    int y = 0, m = 0;
    char dash = 0, extra = 0;
    if (std::sscanf(text.c_str(), "%4d%c%2d%c", &y, &dash, &m, &extra) != 3 || dash != '-' ||
        m < 1 || m > 12 || text.size() != 7)
        throw_usage(fmt::format("{} {}: not a month", option, text), "write it as YYYY-MM");
    return Date(y, m, 1);
}

Bulletin compute_bulletin(Store& store, const BulletinOptions& o) {
    if (o.by != GroupBy::unit && o.by != GroupBy::project)
        throw_usage("a bulletin is by unit or by project");
    KnownOnGuard guard{store, store.known_on()};
    Bulletin b;
    b.kind = o.kind;
    b.by = o.by;
    switch (o.kind) {
    case BulletinKind::weekly:
        b.last = o.date;
        b.first = add_days(b.last, -6);
        b.previous_last = add_days(b.last, -7);
        break;
    case BulletinKind::fortnightly:
        b.last = o.date;
        b.first = add_days(b.last, -13);
        b.previous_last = add_days(b.last, -14);
        break;
    case BulletinKind::monthly:
        b.first = Date(o.date.year(), o.date.month(), 1);
        b.last = last_of_month(b.first);
        b.previous_last = add_days(b.first, -1);
        break;
    }
    b.known_on = o.known_on.value_or(b.last);
    b.previous_known_on = std::min(b.previous_last, b.known_on);
    Date previous_first = o.kind == BulletinKind::monthly
                              ? Date(b.previous_last.year(), b.previous_last.month(), 1)
                              : add_days(b.previous_last, b.first.days() - b.last.days());

    auto status_at = [&](const Date& known, const Date& first, const Date& last, GroupBy by) {
        store.set_known_on(known);
        StatusOptions so;
        so.as_of = last;
        so.since = add_days(first, -1);
        so.by = by;
        return compute_status(store, so);
    };

    // The previous bulletin as it was issued, and its figures as known now.
    auto previous = status_at(b.previous_known_on, previous_first, b.previous_last, o.by);
    auto previous_now = status_at(b.known_on, previous_first, b.previous_last, o.by);
    auto current = status_at(b.known_on, b.first, b.last, o.by);

    // Weekly with a plan: ranked against it, the previous week as its plan stood then.
    std::optional<PlanByKey> plan_now, plan_then;
    if (o.kind == BulletinKind::weekly) {
        store.set_known_on(b.known_on);
        if (has_plans(store)) {
            auto plan_status = [&](const Date& known, const Date& last) {
                store.set_known_on(known);
                PlanStatusOptions po;
                po.as_of = last;
                po.by = o.by == GroupBy::unit ? PlanGroupBy::unit : PlanGroupBy::project;
                return compute_plan_status(store, po);
            };
            auto now_report = plan_status(b.known_on, b.last);
            b.plan_indicator = ranking_indicator(now_report);
            if (b.plan_indicator) {
                plan_now = plan_by_key(now_report, *b.plan_indicator);
                for (const auto& t : now_report.totals)
                    if (t.indicator == *b.plan_indicator)
                        b.plan_total = t.figures;
                plan_then = plan_by_key(plan_status(b.previous_known_on, b.previous_last),
                                        *b.plan_indicator);
            }
        }
    }
    auto previous_ranks = ranks(previous.groups, plan_then ? &*plan_then : nullptr);
    auto current_ranks = ranks(current.groups, plan_now ? &*plan_now : nullptr);
    b.total = current.total;
    for (const auto& g : current.groups) {
        BulletinRow row{g.key,
                        g.name,
                        g.figures,
                        rate(g.figures),
                        b.total.cleared_m2 > 0 ? g.figures.cleared_m2 / b.total.cleared_m2 : 0,
                        current_ranks.at(g.key),
                        std::nullopt,
                        std::nullopt};
        if (auto it = previous_ranks.find(g.key); it != previous_ranks.end())
            row.previous_rank = it->second;
        if (plan_now)
            if (auto it = plan_now->find(g.key); it != plan_now->end())
                row.plan = it->second;
        b.rows.push_back(std::move(row));
    }
    std::sort(b.rows.begin(), b.rows.end(), [](const BulletinRow& x, const BulletinRow& y) {
        return x.rank != y.rank ? x.rank < y.rank : x.key < y.key;
    });

    // Corrections reported after the previous bulletin, and what they moved in it.
    ChangeFilter since_previous;
    since_previous.since = add_days(b.previous_known_on, 1);
    since_previous.until = b.known_on;
    store.for_each_change(since_previous, [&](const ChangeEvent& c) {
        if (c.correction)
            b.corrections.push_back(c);
    });
    auto then = by_key(previous), now = by_key(previous_now);
    std::vector<std::string> keys;
    for (const auto& [k, g] : then)
        keys.push_back(k);
    for (const auto& [k, g] : now)
        if (!then.count(k))
            keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
        StatusFigures a = then.count(k) ? then.at(k).figures : StatusFigures{};
        StatusFigures n = now.count(k) ? now.at(k).figures : StatusFigures{};
        if (!same(a, n))
            b.effects.push_back({k, a, n});
    }

    // Projects: cleared to zero in the period, and past their deadline, as known now.
    auto projects = status_at(b.known_on, b.first, b.last, GroupBy::project);
    store.set_known_on(b.known_on);
    std::map<std::string, ProjectRow> info;
    for (auto& p : store.projects())
        info.emplace(p.code, p);
    for (const auto& g : projects.groups) {
        auto it = info.find(g.key);
        BulletinProject p{g.key,
                          g.name,
                          it != info.end() ? it->second.unit : std::string(),
                          it != info.end() ? it->second.deadline : std::nullopt,
                          g.figures,
                          0};
        bool done = cleared_to_zero(g.figures);
        if (done && (g.figures.new_delivered_m2 > 0 || g.figures.new_demolished_households > 0))
            b.cleared.push_back(p);
        if (!done && p.deadline && *p.deadline < b.last) {
            p.days_overdue = b.last.days() - p.deadline->days();
            b.overdue.push_back(p);
        }
    }
    std::sort(b.overdue.begin(), b.overdue.end(), [](const auto& x, const auto& y) {
        return x.days_overdue != y.days_overdue ? x.days_overdue > y.days_overdue : x.code < y.code;
    });
    for (const auto& g : projects.groups)
        if (g.figures.parcels > 0 && g.figures.area_m2 > 0) {
            auto it = info.find(g.key);
            b.lagging.push_back({g.key, g.name, it != info.end() ? it->second.unit : std::string(),
                                 it != info.end() ? it->second.deadline : std::nullopt, g.figures,
                                 0});
        }
    std::sort(b.lagging.begin(), b.lagging.end(), [](const auto& x, const auto& y) {
        double rx = rate(x.figures), ry = rate(y.figures);
        return rx != ry ? rx < ry : x.code < y.code;
    });
    if (b.lagging.size() > 3)
        b.lagging.resize(3);

    // The dispatch and the review: every corridor's blocking stretches, worst first.
    if (o.kind != BulletinKind::weekly && !store.corridors().empty()) {
        CorridorOptions co;
        co.as_of = b.last;
        co.save = false;
        for (const auto& r : analyse_corridors(store, co)) {
            auto it = info.find(r.project_code);
            for (const auto& s : r.blocking)
                b.blocking.push_back({r.code, r.name, r.project_code,
                                      it != info.end() ? it->second.unit : std::string(), s});
        }
        std::stable_sort(b.blocking.begin(), b.blocking.end(), [](const auto& x, const auto& y) {
            if (x.stretch.outstanding_m2() != y.stretch.outstanding_m2())
                return x.stretch.outstanding_m2() > y.stretch.outstanding_m2();
            if (x.stretch.outstanding_households != y.stretch.outstanding_households)
                return x.stretch.outstanding_households > y.stretch.outstanding_households;
            return std::tie(x.corridor, x.stretch.from_m) < std::tie(y.corridor, y.stretch.from_m);
        });
    }

    // The review: each week's last day in the month, counted back from the month's last day.
    if (o.kind == BulletinKind::monthly) {
        for (Date d = b.last; d >= b.first; d = add_days(d, -7))
            b.series_dates.insert(b.series_dates.begin(), d);
        std::map<std::string, BulletinSeries> series;
        for (const auto& row : b.rows)
            series[row.key].key = row.key;
        for (const auto& d : b.series_dates) {
            auto r = status_at(b.known_on, add_days(d, -6), d, o.by);
            auto groups = by_key(r);
            for (auto& [k, s] : series)
                s.points.push_back(groups.count(k) ? groups.at(k).figures : StatusFigures{});
        }
        for (const auto& row : b.rows)
            b.series.push_back(series.at(row.key));
    }
    if (store_has_issues(store))
        b.issues = summarise_issues(store, b.first, b.last);
    return b;
}

} // namespace landclear
