#pragma once
// A bulletin as tables (a sheet each in the XLSX, a section each in the PDF): the ranking
// table, 清零交地, 逾期, the corrections and what they moved, the blocking stretches and the
// monthly series. Values unrounded, as every table.
#include "landclear/analysis/bulletin.hpp"
#include "landclear/report/table.hpp"

#include <vector>

namespace landclear {

std::vector<Table> bulletin_tables(const Bulletin& bulletin);
// "湘潭市征拆工作周通报（2026-11-14 至 2026-11-20）" / "Weekly bulletin, 2026-11-14 to 2026-11-20"
std::string bulletin_title(const Bulletin& bulletin, Lang lang);

} // namespace landclear
