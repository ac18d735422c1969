#pragma once
// Data-quality checks over a store: invalid and overlapping parcels, gaps and slivers inside a
// project's red line, parcels reaching outside it, duplicate codes and duplicate parcels,
// buildings outside any parcel or straddling two, dates out of order, corridor red lines with no
// parcel (hence no status). Each problem is a Finding with its location, kept in the store's
// findings layer (origin "check") so it can be exported and mapped.
#include "landclear/store/store.hpp"

#include <map>
#include <string>
#include <vector>

namespace landclear {

struct CheckOptions {
    // Overlaps and gaps smaller than this are rounding noise along shared edges.
    double min_area_m2 = 0.01;
    // A gap whose mean width (2·area/perimeter) is below this is a sliver (a digitising seam)
    // rather than land left out.
    double sliver_width_m = 0.5;
    // Share of both parcels an overlap must cover to call them one parcel drawn twice.
    double duplicate_share = 0.99;
    // Uncovered corridor pieces smaller than this are left out (red lines buffered here and in
    // the source differ by a few cm² at bends).
    double corridor_min_area_m2 = 1.0;
};

struct CheckReport {
    std::vector<Finding> findings;
    std::int64_t parcels = 0, buildings = 0, projects = 0, corridors = 0;
};

// Runs every check; with write = true the findings replace the previous "check" findings in the
// store (one transaction) and the ellipsoidal-area cache is refreshed.
CheckReport run_check(Store& store, const CheckOptions& options, bool write = true);

// Finding kinds with their Chinese and English names, in report order.
struct FindingKindInfo {
    const char* kind;
    const char* zh;
    const char* en;
};
std::vector<FindingKindInfo> check_finding_kinds();

// Codes that differ only by case, full-width characters or spaces ('zd-001', 'ＺＤ－００１') name
// the same thing to a person: this is the form they are compared in.
std::string normalise_code(const std::string& code);

} // namespace landclear
