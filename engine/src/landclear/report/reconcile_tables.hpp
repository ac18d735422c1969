#pragma once
// The tables of `reconcile`: summary by project (rounded so that each row balances to 0.01 亩),
// every item, unreadable rows.
#include "landclear/analysis/reconcile.hpp"
#include "landclear/report/table.hpp"

#include <vector>

namespace landclear {

// lang chooses the language of the notes, classes and item notes (headers carry both).
std::vector<Table> reconcile_tables(const ReconcileReport& report, Lang lang = Lang::zh);

} // namespace landclear
