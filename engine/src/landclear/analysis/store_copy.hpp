#pragma once
// `landclear copy SRC DST`: a whole store into a new one, between any two backends (a file to
// PostGIS and back), through the Store interface only.
#include <cstdint>
#include <functional>
#include <string>

namespace landclear {

struct CopySummary {
    std::int64_t batches = 0, changes = 0, findings = 0, derived_rows = 0, stamps = 0;
    std::int64_t features = 0; // current features of the four layers
    int working_epsg = 0;
};

// Copies SRC into DST, which must not exist yet: the four layers with their history (replayed
// batch by batch: each batch's reported date, mode, files and counts, its change events, and
// the layers as known on its date, so that --known-on reads the same in both), the findings,
// plans and the issue list (in the data's transaction), the derived layers landclear keeps
// (corridor pieces, the ellipsoidal area cache) and the
// stamps that are current. The data in one transaction (a failure leaves no DST), then the
// derived results in a second.
CopySummary copy_store(const std::string& src, const std::string& dst,
                       const std::function<void(const std::string&)>& progress = {});

} // namespace landclear
