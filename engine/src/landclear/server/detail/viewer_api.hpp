#pragma once
// Private to server/: what the files of ViewerApi (server_api.hpp) share, by job: the connection,
// the parameters, /api/info, tiles and the warm-up in server_api.cpp; the JSON figures (projects,
// corridors, blocking parcels, one parcel) in server_api_figures.cpp; the GeoJSON answers
// (features, issues) in server_api_geojson.cpp.
#include "landclear/io/crs.hpp"
#include "landclear/server/server_api.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace landclear::server_detail {

using nlohmann::json;

inline std::optional<Date> date_value(const Value& v) {
    if (auto d = std::get_if<Date>(&v))
        return *d;
    return std::nullopt;
}

inline std::string text_value(const Value& v) {
    if (auto s = std::get_if<std::string>(&v))
        return *s;
    return value_text(v);
}

// The working-CRS fields of a parcel feature as the status code sees them.
inline ParcelRow parcel_row(const FeatureRow& f) {
    const auto& def = layer_def(LayerKind::parcels);
    auto at = [&](std::string_view name) -> const Value& {
        return f.values.at(static_cast<size_t>(field_index(def, name)));
    };
    ParcelRow p;
    p.code = text_value(at("parcel_code"));
    p.project_code = text_value(at("project_code"));
    p.district = text_value(at("district"));
    p.village = text_value(at("village"));
    p.owner_type = text_value(at("owner_type"));
    p.land_class = text_value(at("land_class"));
    p.acquired_on = date_value(at("acquired_on"));
    p.cleared_on = date_value(at("cleared_on"));
    p.delivered_on = date_value(at("delivered_on"));
    p.area_m2 = f.measure;
    return p;
}

inline BuildingDates building_dates(const FeatureRow& f) {
    const auto& def = layer_def(LayerKind::buildings);
    auto at = [&](std::string_view name) -> const Value& {
        return f.values.at(static_cast<size_t>(field_index(def, name)));
    };
    return {date_value(at("signed_on")), date_value(at("demolished_on"))};
}

inline OGRGeometryUniquePtr geometry_from_wkb(const std::vector<unsigned char>& wkb) {
    OGRGeometry* g = nullptr;
    if (wkb.empty() ||
        OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &g, wkb.size()) != OGRERR_NONE)
        return nullptr;
    return OGRGeometryUniquePtr(g);
}

inline void expand(std::optional<Envelope>& env, const OGREnvelope& e) {
    if (!env) {
        env = Envelope{e.MinX, e.MinY, e.MaxX, e.MaxY};
        return;
    }
    env->min_x = std::min(env->min_x, e.MinX);
    env->min_y = std::min(env->min_y, e.MinY);
    env->max_x = std::max(env->max_x, e.MaxX);
    env->max_y = std::max(env->max_y, e.MaxY);
}

inline json box_json(const std::optional<LonLatBox>& b) {
    if (!b)
        return nullptr;
    return json::array({b->west, b->south, b->east, b->north});
}

// Every corridor's reports as of the date, from the shared cache (server_api_figures.cpp).
std::shared_ptr<const ViewerCache::Corridors> corridor_data(Store& store, ViewerCache& cache,
                                                            const Date& as_of);

} // namespace landclear::server_detail

namespace landclear {

struct ViewerApi::Impl {
    ApiLimits limits;
    std::shared_ptr<ViewerCache> cache;
    std::string store_name;
    int epsg = 0;
    std::unique_ptr<OGRSpatialReference> work_srs, wgs84;
    TransformPtr to_wgs, from_wgs;

    // The box around a box's edges, each densified to 21 points, after transformation. (GDAL's
    // TransformBounds took ~0.1 s for lon/lat to Gauss-Krüger here; this takes microseconds.)
    static std::optional<Envelope> transform_box(OGRCoordinateTransformation& ct, double x0,
                                                 double y0, double x1, double y1) {
        constexpr int n = 21;
        std::vector<double> xs, ys;
        for (int i = 0; i < n; ++i) {
            double t = static_cast<double>(i) / (n - 1);
            double x = x0 + (x1 - x0) * t, y = y0 + (y1 - y0) * t;
            xs.insert(xs.end(), {x, x, x0, x1});
            ys.insert(ys.end(), {y0, y1, y, y});
        }
        std::vector<int> ok(xs.size(), 0);
        if (!ct.Transform(xs.size(), xs.data(), ys.data(), nullptr, ok.data()))
            return std::nullopt;
        std::optional<Envelope> out;
        for (size_t i = 0; i < xs.size(); ++i) {
            if (!ok[i] || !std::isfinite(xs[i]) || !std::isfinite(ys[i]))
                return std::nullopt;
            OGREnvelope e;
            e.MinX = e.MaxX = xs[i];
            e.MinY = e.MaxY = ys[i];
            server_detail::expand(out, e);
        }
        return out;
    }

    std::optional<LonLatBox> to_lonlat(const Envelope& e) const {
        auto b = transform_box(*to_wgs, e.min_x, e.min_y, e.max_x, e.max_y);
        if (!b)
            return std::nullopt;
        return LonLatBox{b->min_x, b->min_y, b->max_x, b->max_y};
    }

    Envelope to_working(const LonLatBox& b) const {
        auto e = transform_box(*from_wgs, b.west, b.south, b.east, b.north);
        if (!e)
            throw ApiError(400, "bbox cannot be transformed into the store's working CRS",
                           "ask for a box near the data (see /api/info extent)");
        return *e;
    }
};

} // namespace landclear
