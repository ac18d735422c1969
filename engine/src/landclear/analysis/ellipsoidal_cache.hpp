#pragma once
// The ellipsoidal areas of the parcels, kept in the store as a derived table so that status,
// check and reconcile compute them once per data version.
#include "landclear/store/store.hpp"

#include <string>
#include <unordered_map>

namespace landclear {

// Ellipsoidal (32号) area in m² of every parcel, by parcel code. Read from the store's cache (the
// derived table parcel_ellipsoidal_area) when it matches the store's data version, else computed
// from the parcel geometries.
std::unordered_map<std::string, double> parcel_ellipsoidal_areas(Store& store);
// The derived table itself (for `landclear copy`, which moves it with the store).
const DerivedLayerDef& parcel_ellipsoidal_area_layer();
// Computes the cache and writes it; call between begin_write() and commit().
void refresh_parcel_ellipsoidal_areas(Store& store);

} // namespace landclear
