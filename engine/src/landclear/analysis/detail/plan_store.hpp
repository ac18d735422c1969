#pragma once
// How plans are kept in the store: two plain derived tables (plan_revisions, plan_targets), so
// every Store backend holds them through replace_derived / for_each_derived. Private to
// analysis (plan.cpp reads, plan_import.cpp writes).
#include "landclear/analysis/plan.hpp"

#include <vector>

namespace landclear::detail {

// Adds the revisions (each under its own scope, so nothing stored is replaced); must run inside
// a write.
void store_plan_revisions(Store& store, const std::vector<PlanRevision>& revisions);
// Every stored revision, known or not on the store's knowledge date.
std::vector<PlanRevision> all_stored_plans(Store& store);

} // namespace landclear::detail
