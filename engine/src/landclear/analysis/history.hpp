#pragma once
// The history of a store: what each import changed, newest first, chosen by feature, project or
// corridor and by the dates the batches report.
#include "landclear/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace landclear {

struct HistoryOptions {
    std::optional<LayerKind> layer; // with code: one feature
    std::string code;
    std::string project;  // the project's features (buildings through their parcel) and itself
    std::string corridor; // the corridor and the features of its project
    std::optional<Date> since, until; // reported dates of the batches, inclusive
};

struct HistoryReport {
    std::vector<BatchInfo> batches;   // every batch, oldest first
    std::vector<ChangeEvent> changes; // newest first
};

HistoryReport compute_history(Store& store, const HistoryOptions& options);

} // namespace landclear
