#pragma once
// Plans as tables: every target's completion (targets), the groups Σ done ÷ Σ target per
// indicator (groups), what an import brought (plan_import); and the plan columns other tables
// gain where a project or unit has targets. Text cells (indicator, 超序时/滞后, 逾期) are in the
// table's language, so the builders take it.
#include "landclear/analysis/plan.hpp"
#include "landclear/report/table.hpp"

#include <vector>

namespace landclear {

Table plan_targets_table(const PlanStatusReport& report, Lang lang);
Table plan_groups_table(const PlanStatusReport& report, Lang lang);
Table plan_import_table(const PlanImportResult& result, bool dry_run);

// Which column of a table names what its rows are (project code or unit).
enum class PlanKey { project, unit };
// Adds, for each indicator with a target in force, 计划<indicator> (Σ target of the row's
// project or unit) and <indicator>完成率 (Σ done ÷ Σ target, %) after the last column; rows
// without a target stay empty; the totals row holds the Σ over all targets. key_column is the
// index of the column holding the row's key. Nothing is added when the report has no target.
void add_plan_columns(Table& table, const PlanStatusReport& report, PlanKey key,
                      size_t key_column = 0);

} // namespace landclear
