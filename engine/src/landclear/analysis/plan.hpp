#pragma once
// Plans (任务, 交办): the targets the centre hands each responsible unit per project and
// indicator, with a start, a deadline and optional cumulative milestones; and completion
// against them (完成率, 时序进度, 进度差, 逾期) on a date. docs/PLANS.md is the contract.
//
// A plan is known by its id (交办文号). Importing a plan whose id the store holds is a revision:
// every revision is kept with its issued date and the day its import was reported. On an as-of
// date the plan's figures are those of its latest revision issued on or before that date; with
// a knowledge date (Store::set_known_on) only revisions reported on or before it exist.
//
// Done counts what happened from the target's start to the as-of date, both days included, by
// the rule of core/stage.hpp: the 亩 of the project's parcels whose own date for the indicator
// (acquired_on, cleared_on, delivered_on) falls in that window, and the households of its
// buildings signed or demolished in it. It is the project's figure: a project with targets for
// two units credits each with the project's progress (the store does not say which unit did
// what). Groups add up as Σ done ÷ Σ target, per indicator (亩 and 户 never add).
#include "landclear/core/date.hpp"
#include "landclear/core/phrase.hpp"
#include "landclear/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

enum class PlanIndicator {
    acquired_mu,
    cleared_mu,
    delivered_mu,
    signed_households,
    demolished_households
};

struct PlanIndicatorInfo {
    const char* key; // acquired_mu, ... (stored, JSON)
    const char* zh;  // 征地亩, ...
    const char* en;  // acquired (mu), ...
    bool households; // 户: whole numbers
};
const PlanIndicatorInfo& plan_indicator_info(PlanIndicator indicator);
// In report order.
std::vector<PlanIndicator> all_plan_indicators();
// 征地亩 / 征地 / 征地面积 / acquired / acquired_mu …; nullopt when the text names none.
std::optional<PlanIndicator> parse_plan_indicator(const std::string& text);

struct PlanMilestone {
    Date on;
    double cumulative = 0; // the target's quantity due by the end of that day
};

struct PlanTarget {
    int row = 0; // spreadsheet row it was imported from
    std::string batch, project_code, unit;
    PlanIndicator indicator = PlanIndicator::acquired_mu;
    double target = 0; // 亩 or 户
    Date start_on, deadline;
    std::vector<PlanMilestone> milestones; // by date, within [start_on, deadline]
};

struct PlanRevision {
    std::string plan_id;
    int revision = 1;        // 1, 2, ... per plan id, in import order
    std::int64_t import = 0; // the plan import that brought it (1, 2, ... per store)
    Date issued_on;
    Date reported_on;        // --reported of that import: known from this day on
    std::string imported_at; // UTC
    std::string source, sha256;
    std::vector<PlanTarget> targets;
};

// The quantity the target expects by the end of day `on`: 0 up to the day before the start,
// the target from the deadline on, in between piecewise linear through the milestones (days
// counted whole: the end of the start day is one day of work).
double planned_quantity(const PlanTarget& target, const Date& on);

// ---- Import ----

struct PlanImportOptions {
    std::string path;
    std::optional<std::string> sheet;
    std::string mapping;           // JSON file with a "plan" section; "" = Chinese headers
    Date reported = Date::today(); // known from this day on (--known-on)
    bool dry_run = false;          // read and check everything, write nothing
};

struct PlanImportResult {
    std::string display;                 // file or file:sheet
    std::vector<PlanRevision> revisions; // the new revisions (not written when dry_run)
    std::vector<Phrase> notes;
};

// Reads, checks and stores one plan file in one write: every row problem (row number, field,
// value, what to do) is collected and thrown as one Error(input) before anything is written.
PlanImportResult import_plans(Store& store, const PlanImportOptions& options);

// Every stored revision known on the store's knowledge date (all without one), by plan id then
// revision.
std::vector<PlanRevision> stored_plans(Store& store);
// The two tables a store keeps plans in (plain derived tables: every revision's head, and its
// targets), for what moves a whole store (`landclear copy`).
const DerivedLayerDef& plan_revisions_layer();
const DerivedLayerDef& plan_targets_layer();
bool has_plans(Store& store);

// ---- Completion ----

enum class PlanGroupBy { unit, project, plan, batch };
PlanGroupBy parse_plan_group_by(const std::string& text, const std::string& option = "grouping");

struct PlanStatusOptions {
    Date as_of = Date::today();
    PlanGroupBy by = PlanGroupBy::unit;
};

struct PlanFigures {
    double target = 0, done = 0, planned = 0; // planned: due by the as-of date
    // Σ/Σ: done ÷ target, planned ÷ target (0 for no target).
    double rate() const;
    double time_progress() const;
    double gap() const { return rate() - time_progress(); } // 进度差: > 0 超序时, < 0 滞后
    double remaining() const { return done >= target ? 0 : target - done; }
};

struct TargetStatus {
    std::string plan_id;
    int revision = 1;
    Date issued_on;
    PlanTarget target;
    std::string project_name;
    PlanFigures figures;
    long days_left = 0;   // deadline − as-of (negative past the deadline)
    bool overdue = false; // past the deadline and under 100 %
};

struct PlanGroupStatus {
    std::string key;  // unit, project code, plan id or batch; "" for the totals
    std::string name; // project name when grouped by project
    PlanIndicator indicator = PlanIndicator::acquired_mu;
    std::int64_t targets = 0, overdue = 0;
    PlanFigures figures;
};

struct PlanStatusReport {
    Date as_of;
    std::optional<Date> known_on;
    PlanGroupBy by = PlanGroupBy::unit;
    std::vector<TargetStatus> targets;   // by plan id, then row
    std::vector<PlanGroupStatus> groups; // by key, then indicator
    std::vector<PlanGroupStatus> totals; // one per indicator that has targets
    std::vector<Phrase> notes;           // plans not yet issued on the as-of date, ...
};

PlanStatusReport compute_plan_status(Store& store, const PlanStatusOptions& options);

// One project's figures against its targets for one indicator (status and corridor tables):
// Σ of that project's targets in force on the as-of date; nullopt when it has none.
struct ProjectPlanFigures {
    PlanFigures figures;
    std::int64_t targets = 0;
};
std::optional<ProjectPlanFigures> project_plan(const PlanStatusReport& report,
                                               const std::string& project_code,
                                               PlanIndicator indicator);

} // namespace landclear
