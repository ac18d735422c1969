#pragma once
// A bulletin on paper: its tables (and, for the monthly review, each group's weekly series as a
// line chart) in an A4 landscape PDF with its CJK font embedded, and the chart as a PNG. The
// PDF's dates are the bulletin's last day, so the same bulletin gives the same file text on any
// day it is written.
#include "landclear/analysis/bulletin.hpp"
#include "landclear/report/table.hpp"

#include <string>
#include <vector>

namespace landclear {

void write_bulletin_pdf(const Bulletin& bulletin, const std::vector<Table>& tables, Lang lang,
                        const std::string& path);
// The monthly series chart (cumulative cleared 亩 per group at each week's end); Error(usage)
// for a bulletin without a series.
void write_bulletin_chart_png(const Bulletin& bulletin, Lang lang, const std::string& path);

} // namespace landclear
