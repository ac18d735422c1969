#pragma once
// The issue list (问题清单) as tables: `landclear issue list`, and the bulletin's section of open,
// overdue and closed issues per unit (analysis/issue_list.hpp).
#include "landclear/analysis/issue_list.hpp"
#include "landclear/report/table.hpp"

#include <vector>

namespace landclear {

// One row per issue: id, what it is tied to, unit, text, raised, deadline, status on the as-of
// day (未销号 / 逾期 / 已销号), days overdue, closed on, note, area of its geometry.
Table issue_list_table(const IssueList& list);

// The bulletin's 问题清单: per unit (open and overdue on the last day, raised and closed in the
// period, most days overdue) with a totals row; the open issues, overdue first; those closed in
// the period.
std::vector<Table> issue_period_tables(const IssuePeriod& period);

// 未销号 / 逾期 / 已销号 and open / overdue / closed.
const char* issue_status_zh(const IssueState& state);
const char* issue_status_key(const IssueState& state);

} // namespace landclear
