#pragma once
// The tables of `corridor`: "corridors" (one row per corridor and a totals row),
// "segments" (one row per segment) and "blocking" (the stretches, worst first).
#include "landclear/analysis/corridor.hpp"
#include "landclear/report/table.hpp"

#include <vector>

namespace landclear {

std::vector<Table> corridor_tables(const std::vector<CorridorReport>& reports,
                                   const CorridorOptions& options);

} // namespace landclear
