#pragma once
// A store's history as tables: the changes (newest first, corrections marked) and the batches.
#include "landclear/analysis/history.hpp"
#include "landclear/report/table.hpp"

#include <vector>

namespace landclear {

Table history_changes_table(const HistoryReport& report);
Table history_batches_table(const HistoryReport& report);
// The label of a change as printed: 新增 / 删除 / 修改 / 更正 / 首次导入 (zh), or in English.
std::string change_label(const ChangeEvent& change, Lang lang);

} // namespace landclear
