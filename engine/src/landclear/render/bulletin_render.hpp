#pragma once
// A bulletin on paper: its tables (and, for the monthly review, each group's weekly series as a
// line chart) and the meeting maps of the three most lagging projects in an A4 landscape PDF with
// its CJK font embedded, and the chart as a PNG. The PDF's dates are the bulletin's last day, so
// the same bulletin gives the same file text on any day it is written.
#include "landclear/analysis/bulletin.hpp"
#include "landclear/report/table.hpp"
#include "landclear/store/store.hpp"

#include <string>
#include <vector>

namespace landclear {

// After the tables, one meeting map page per project of bulletin.lagging, drawn from the store
// by the map renderer (map_data.hpp, the pages of `landclear map`) as of the bulletin's last
// day and as known on its knowledge date (the store's own knowledge date is put back after).
void write_bulletin_pdf(Store& store, const Bulletin& bulletin, const std::vector<Table>& tables,
                        Lang lang, const std::string& path);
// The monthly series chart (cumulative cleared 亩 per group at each week's end); Error(usage)
// for a bulletin without a series.
void write_bulletin_chart_png(const Bulletin& bulletin, Lang lang, const std::string& path);

} // namespace landclear
