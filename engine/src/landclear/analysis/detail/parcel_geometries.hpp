#pragma once
// Private to analysis/ (check and reconcile): GEOS types stay out of the public headers.
#include "landclear/analysis/check.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/store/store.hpp"

#include <string>
#include <vector>

namespace landclear {

// Shared with reconcile: the parcels' geometries and their pairwise overlaps, found with a GEOS
// STRtree and prepared geometries.
struct ParcelGeometry {
    std::string code, project;
    GeomPtr geom;
    double area_m2 = 0;
};
std::vector<ParcelGeometry> load_parcel_geometries(Store& store, const Geos& geos);

struct ParcelOverlap {
    size_t a = 0, b = 0; // indexes into the parcels, a < b
    double area_m2 = 0;
    bool duplicate = false; // covers duplicate_share of both parcels
    GeomPtr geom;
};
std::vector<ParcelOverlap> find_parcel_overlaps(const Geos& geos,
                                                const std::vector<ParcelGeometry>& parcels,
                                                const CheckOptions& options);

} // namespace landclear
