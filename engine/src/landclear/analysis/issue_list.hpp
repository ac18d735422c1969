#pragma once
// The issue list (问题清单, 挂图作战, 限期销号): open problems — a household not signed, a grave
// not moved, a stretch of road blocked — each tied to a parcel, a building, a chainage stretch
// of a corridor's red line or a whole project, with a responsible unit (责任单位) and a deadline
// (限期), crossed off (销号) when solved. An issue carries the geometry of what it is tied to, so
// it exports and maps like a finding.
//
// Every change is an event (raised, deadline moved, closed, reopened) with the day it took
// effect: the state of an issue on a date is its events up to that date, so a list "as of" a
// past day shows what was open and overdue then. Kept in two derived tables through the Store's
// generic derived-table methods (docs/ISSUE_LIST.md):
//   issues       issue_id, target, target_code, chainage_from_m, chainage_to_m, project_code,
//                unit, raised_on, deadline, status, closed_on, text, note; measure = area (m²);
//                MULTIPOLYGON (empty for a project without a red line). deadline, status,
//                closed_on and note are the latest, for exports and the viewer.
//   issue_events issue_id, seq, kind, on_date, old_value, new_value, note, recorded_at.
#include "landclear/core/date.hpp"
#include "landclear/core/phrase.hpp"
#include "landclear/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

enum class IssueTarget { parcel, building, corridor, project };
const char* issue_target_name(IssueTarget target); // "parcel", ...
const char* issue_target_zh(IssueTarget target);   // 宗地, 房屋, 线路, 项目

enum class IssueEventKind { raised, deadline, closed, reopened };
const char* issue_event_name(IssueEventKind kind); // "raised", "deadline", "closed", "reopened"

struct IssueEvent {
    int seq = 0; // order of recording, from 1
    IssueEventKind kind = IssueEventKind::raised;
    Date on;                          // the day it took effect
    std::string old_value, new_value; // deadline: the dates; closed/reopened: status
    std::string note;
    std::string recorded_at; // UTC, when the command ran
};

struct Issue {
    std::string id; // WT-0001
    IssueTarget target = IssueTarget::parcel;
    std::string target_code;
    std::optional<double> from_m, to_m; // corridor stretch (chainage); none: the whole red line
    std::string project_code;           // of the target
    std::string unit, text;
    Date raised_on;
    Date deadline; // as first set (events move it)
    std::vector<IssueEvent> events;
    double area_m2 = 0;
    std::vector<unsigned char> wkb; // working CRS; empty when the target has no geometry
    // "T-1", "TC K0+030–K0+080", "TC" (whole corridor), "T"
    std::string target_label() const;
};

// An issue as it stood at the end of a day.
struct IssueState {
    bool raised = false; // raised on or before the day
    bool open = false;
    Date deadline;
    std::optional<Date> closed_on; // when closed: the day of the closing in force
    bool overdue = false;          // open after its deadline
    long days_overdue = 0;
    std::string note; // of the latest event in force
};
IssueState issue_state(const Issue& issue, const Date& as_of);

// The local day an event was recorded on (the day its command ran: recorded_at is UTC), or none
// when recorded_at cannot be read.
std::optional<Date> recorded_day(const IssueEvent& event);
// The issue as it was known at the end of a day: only the events recorded on or before it (an
// event whose recorded_at cannot be read counts as recorded on the day it took effect). None
// when the issue had not been raised in the store by then.
std::optional<Issue> issue_known_on(const Issue& issue, const Date& day);

// Every issue in the store, by id (empty when the store has none).
std::vector<Issue> read_issues(Store& store);
bool store_has_issues(Store& store);

struct IssueDraft {
    std::optional<std::string> id; // import may give one; else the next free WT-nnnn
    IssueTarget target = IssueTarget::parcel;
    std::string target_code;
    std::optional<double> from_m, to_m;
    std::string unit, text, note;
    Date raised_on = Date::today();
    Date deadline;
    std::optional<Date> closed_on; // import: already crossed off
};

// Checks a draft against the store and the issues it holds and gives the issue with its
// geometry and project. Error(usage) naming the field and value: an unknown code, --from/--to
// outside the corridor or not in order, a stretch without a corridor, a deadline before the
// raised day, an empty unit or text, an id already used; nothing is written.
Issue make_issue(Store& store, const IssueDraft& draft, const std::vector<Issue>& existing);

// The commands. Each checks first and writes in one transaction: on an error the store is as
// it was. Error(usage) for an unknown id, closing a closed issue, reopening an open one, a day
// before the issue was raised or before its latest status change.
std::string add_issue(Store& store, const IssueDraft& draft); // returns the new id
void close_issue(Store& store, const std::string& id, const Date& on, const std::string& note);
void reopen_issue(Store& store, const std::string& id, const Date& on, const std::string& note);
void move_issue_deadline(Store& store, const std::string& id, const Date& to, const Date& on,
                         const std::string& note);

// A list kept in Excel or CSV, one issue a row (Chinese headers: docs/ISSUE_LIST.md). Every row
// is checked before any is written; Error(input) listing each bad row with its spreadsheet row
// number, field and value, and then nothing is imported. Returns the ids added, in row order.
struct IssueImportOptions {
    std::string path;
    std::optional<std::string> sheet;
    Date today = Date::today(); // raised day of rows that give none
};
std::vector<std::string> import_issues(Store& store, const IssueImportOptions& options);

struct IssueListOptions {
    Date as_of = Date::today();
    // The list as known on this day (issue_known_on): what had been recorded by then.
    std::optional<Date> known_on;
    bool open_only = false;
    bool overdue_only = false;
    std::optional<std::pair<Date, Date>> closed_between; // closed in [first, second]
    std::string unit;                                    // empty: every unit
    std::vector<std::string> projects;                   // empty: every project
};

struct IssueListRow {
    Issue issue;
    IssueState state;
};

struct IssueList {
    Date as_of;
    std::optional<Date> known_on;
    std::vector<IssueListRow> rows;                 // by id
    std::int64_t open = 0, overdue = 0, closed = 0; // over the rows listed
};

// Issues raised on or before as_of that pass the filters, each with its state on as_of (as
// known on known_on when given).
IssueList list_issues(Store& store, const IssueListOptions& options);

// Per unit for a period (a bulletin): open and overdue at its end, raised and closed in it.
struct IssueUnitSummary {
    std::string unit;
    std::int64_t open = 0, overdue = 0, raised = 0, closed = 0;
    long max_days_overdue = 0;
};
struct IssuePeriod {
    Date from, to;
    std::vector<IssueListRow> open;   // open on `to`, overdue first, then by deadline
    std::vector<IssueListRow> closed; // closed in [from, to]
    std::vector<IssueUnitSummary> units;
};
IssuePeriod summarise_issues(Store& store, const Date& from, const Date& to,
                             const std::vector<std::string>& projects = {});

const DerivedLayerDef& issues_layer();
const DerivedLayerDef& issue_events_layer();

} // namespace landclear
