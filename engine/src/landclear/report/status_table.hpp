#pragma once
// Turns a status report into its table.
#include "landclear/analysis/status.hpp"
#include "landclear/report/table.hpp"

#include <vector>

namespace landclear {

Table status_table(const StatusReport& report);

} // namespace landclear
