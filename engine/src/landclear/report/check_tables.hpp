#pragma once
// The tables of `check`: the summary by kind and every finding.
#include "landclear/analysis/check.hpp"
#include "landclear/report/table.hpp"

#include <vector>

namespace landclear {

Table check_summary_table(const CheckReport& report);
Table check_findings_table(const CheckReport& report);

} // namespace landclear
