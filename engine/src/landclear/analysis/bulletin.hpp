#pragma once
// Bulletins (一周一通报、半月一调度、一月一讲评): per unit or project the cumulative figures, the
// period's increase (本期新增), the share of the total, rank and change of rank against the
// previous bulletin, projects cleared to zero and delivered (清零交地), projects past their
// deadline (逾期), and the corrections imported since the previous bulletin; the fortnightly
// dispatch adds the blocking stretches of every corridor, the monthly review each unit's weekly
// series. Read as known on the period's last day unless told otherwise, so a bulletin comes out
// the same whatever was imported after it (store.hpp: set_known_on).
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/analysis/plan.hpp"
#include "landclear/analysis/status.hpp"
#include "landclear/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace landclear {

enum class BulletinKind { weekly, fortnightly, monthly };

struct BulletinOptions {
    BulletinKind kind = BulletinKind::weekly;
    // weekly, fortnightly: the period's last day (a week is the 7 days ending on it); monthly:
    // any day of the month.
    Date date;
    std::optional<Date> known_on; // default: the period's last day (as issued)
    GroupBy by = GroupBy::unit;   // unit or project
};

struct BulletinRow {
    std::string key, name;
    StatusFigures figures;    // cumulative as of the last day; new_* over the period
    double cleared_rate = 0;  // cleared ÷ total area of the group: the ranking without a plan
    double cleared_share = 0; // the group's cleared ÷ everyone's cleared (占比)
    int rank = 0;             // 1 = best; equal rates share a rank (1, 2, 2, 4)
    std::optional<int> previous_rank; // in the previous bulletin as issued; none if not in it
    // Weekly bulletin with a plan: the group's Σ target, Σ done and Σ due for
    // Bulletin::plan_indicator (analysis/plan.hpp); none when the group has no target for it.
    std::optional<PlanFigures> plan;
};

struct BulletinProject {
    std::string code, name, unit;
    std::optional<Date> deadline;
    StatusFigures figures;
    long days_overdue = 0;
};

// How a correction moved the previous bulletin's figures: issued (as known then) and as known
// now, for one group.
struct BulletinEffect {
    std::string key;
    StatusFigures issued, now;
};

struct BulletinStretch {
    std::string corridor, corridor_name, project_code, unit;
    BlockingStretch stretch;
};

struct BulletinSeries {
    std::string key;
    std::vector<StatusFigures> points; // at each of Bulletin::series_dates
};

struct Bulletin {
    BulletinKind kind = BulletinKind::weekly;
    GroupBy by = GroupBy::unit;
    Date first, last;                      // the period, both days included
    Date known_on;                         // what this bulletin knows
    Date previous_last, previous_known_on; // the previous bulletin of the same kind
    std::vector<BulletinRow> rows;         // by rank, then key
    // Weekly, when the store holds a plan in force on the last day: the indicator the ranking
    // is by (腾地亩 if planned, else the first planned of 征地亩, 交地亩, else of 签约户, 拆除户).
    // Groups with a target for it rank first, by 完成率 then 进度差 (both Σ/Σ, higher first);
    // groups without one follow by cleared rate. docs/PLANS.md.
    std::optional<PlanIndicator> plan_indicator;
    std::optional<PlanFigures> plan_total; // every group's Σ target, done, due
    StatusFigures total;
    std::vector<BulletinProject> cleared;  // 清零交地 in the period
    std::vector<BulletinProject> overdue;  // 逾期 on the last day
    std::vector<ChangeEvent> corrections;  // reported after the previous bulletin, up to known_on
    std::vector<BulletinEffect> effects;   // groups whose previous figures the corrections moved
    std::vector<BulletinStretch> blocking; // fortnightly and monthly; worst first
    std::vector<Date> series_dates;        // monthly: each week's last day in the month
    std::vector<BulletinSeries> series;    // monthly: per group
    // The three most lagging projects (lowest cleared rate on the last day, ties by code; only
    // projects with parcels): the meeting maps of the PDF.
    std::vector<BulletinProject> lagging;
    // 问题清单: open and overdue on the last day, closed in the period, per unit; none when the
    // store keeps no issue list.
    std::optional<IssuePeriod> issues;
};

Bulletin compute_bulletin(Store& store, const BulletinOptions& options);
// "2026-11" -> its first day; Error(usage) naming the option otherwise.
Date parse_month_option(const std::string& text, const std::string& option);
const char* bulletin_kind_name(BulletinKind kind); // weekly, fortnightly, monthly

} // namespace landclear
