#pragma once
// The adjusted ledger (平差 result) as a file: the ledger's columns and rows as they were read,
// the area column replaced by the adjusted figures printed to the chosen decimals, plus the
// unrounded figure and the adjustment (−1, 0 or +1 unit against plain rounding), and a 合计 row
// holding the control total. XLSX (libxlsxwriter, a fixed creation time so that a second run
// gives the same bytes) or CSV (GDAL, UTF-8 with BOM), chosen by the extension; written
// atomically.
#include "landclear/analysis/adjust.hpp"
#include "landclear/report/table.hpp"

#include <string>

namespace landclear {

void write_adjusted_ledger(const Ledger& ledger, const AdjustResult& result,
                           const std::string& path, Lang lang = Lang::zh);

} // namespace landclear
