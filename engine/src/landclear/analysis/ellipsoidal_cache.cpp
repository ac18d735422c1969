#include "landclear/analysis/ellipsoidal_cache.hpp"

#include "landclear/core/error.hpp"
#include "landclear/geom/ellipsoidal.hpp"

namespace landclear {

namespace {

const DerivedLayerDef& cache_def() {
    static const DerivedLayerDef def{
        "parcel_ellipsoidal_area",
        {{"parcel_code", FieldType::text}, {"project_code", FieldType::text}},
        ""};
    return def;
}

// The cache is current when the store stamped it on the data as it is now.
bool cache_current(Store& store) {
    auto stamp = store.derived_stamp(cache_def().name);
    return stamp && stamp->data_version == store.data_version() &&
           store.has_derived(cache_def().name);
}

std::vector<FeatureRow> compute_rows(Store& store) {
    std::vector<FeatureRow> rows;
    auto epsg = store.working_epsg();
    if (!epsg)
        return rows;
    EllipsoidalArea calc(*epsg);
    const auto& def = layer_def(LayerKind::parcels);
    int code = field_index(def, "parcel_code");
    int project = field_index(def, "project_code");
    store.for_each_feature(LayerKind::parcels, FeatureFilter{}, [&](const FeatureRow& f) {
        FeatureRow r;
        r.values = {f.values[static_cast<size_t>(code)], f.values[static_cast<size_t>(project)]};
        r.measure = with_context([&] { return "parcel " + value_text(r.values[0]); },
                                 [&] { return calc.area_32(f.wkb); });
        rows.push_back(std::move(r));
    });
    return rows;
}

} // namespace

const DerivedLayerDef& parcel_ellipsoidal_area_layer() {
    return cache_def();
}

std::unordered_map<std::string, double> parcel_ellipsoidal_areas(Store& store) {
    std::unordered_map<std::string, double> out;
    if (cache_current(store)) {
        store.for_each_derived(cache_def(), "", "", [&](const FeatureRow& r) {
            out[value_text(r.values[0])] = r.measure;
        });
        return out;
    }
    for (const auto& r : compute_rows(store))
        out[value_text(r.values[0])] = r.measure;
    return out;
}

void refresh_parcel_ellipsoidal_areas(Store& store) {
    if (cache_current(store))
        return;
    store.replace_derived(cache_def(), "", "", compute_rows(store));
    store.set_derived_stamp(cache_def().name, "");
}

} // namespace landclear
