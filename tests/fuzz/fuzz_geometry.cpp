// libFuzzer harness: the geometry path of an import (analysis/import.cpp's FeatureConverter
// ::geometry, step for step through the same library calls) on WKB or GeoJSON geometry text.
// The first byte chooses: even, the rest is WKB (OGR reads it, as from a GeoPackage or a
// shapefile); odd, the rest is a GeoJSON geometry (OGR's GeoJSON reader). Then: curves made
// linear, 2-D, ISO WKB, GEOS from_wkb, validity and MakeValid repair to a MultiPolygon, area,
// point on surface; the stored WKB is read back by GEOS and by the ellipsoidal area (32号
// formula, geom/ellipsoidal.hpp) in EPSG:4547. Also GEOS's WKB reader on the raw bytes, as when a
// store's blob is read. Only landclear::Error may escape a landclear call; areas are never
// negative.
#include "landclear/core/error.hpp"
#include "landclear/geom/ellipsoidal.hpp"
#include "landclear/geom/geos.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ogr_api.h>
#include <ogr_geometry.h>
#include <span>
#include <string>
#include <vector>

namespace {

using landclear::Geos;

// NaN is let through: non-finite coordinates are refused by the import's value checks before
// this path, and GEOS passes them on as they are.
void check_area(double a) {
    if (a < 0)
        __builtin_trap();
}

// The polygon branch of the import: valid as it is, or repaired into a MultiPolygon.
void polygon_path(const Geos& geos, const landclear::EllipsoidalArea& ellipsoidal,
                  std::span<const unsigned char> wkb) {
    auto geom = geos.from_wkb(wkb);
    // The import refuses a vertex outside the working CRS's area of use before GEOS sees it
    // (check_vertices); without that, MakeValid turns a 1.5e151 vertex into a collection with a
    // negative area (found by this harness). The same bound here, generously; NaN goes on.
    for (const auto& ring : geos.polygon_rings(geom.get()))
        for (const auto& p : ring)
            if (std::fabs(p.x) > 1e8 || std::fabs(p.y) > 1e8)
                return;
    if (!geos.is_valid(geom.get())) {
        geos.invalid_reason(geom.get());
        // The import refuses to repair a scrambled boundary (found by this harness: MakeValid
        // took minutes on a random 300-vertex ring).
        if (geos.boundary_self_nodes(geom.get()) > landclear::make_valid_max_self_nodes)
            return;
        geom = geos.polygonal_multi(geos.make_valid(geom.get()).get());
        if (geos.is_empty(geom.get()))
            return; // the import refuses it: "no area left after repair"
    } else {
        geom = geos.polygonal_multi(geom.get());
    }
    double area = geos.area(geom.get());
    check_area(area);
    geos.point_on_surface_xy(geom.get());
    auto stored = geos.to_wkb(geom.get());
    auto back = geos.from_wkb(stored);
    if (std::isfinite(area) && std::fabs(geos.area(back.get()) - area) > 1e-9 * (1 + area))
        __builtin_trap();
    // The ellipsoidal area cuts edges into 20 m pieces: a 1e9 m edge would need gigabytes (found
    // by this harness). The import's value checks keep coordinates inside the CRS's area of use;
    // the same bound here, generously around EPSG:4547's zone.
    if (geos.is_empty(geom.get()))
        return;
    auto box = geos.bounds(geom.get());
    if (!(box.min_x >= 0 && box.max_x <= 1e6 && box.min_y >= 0 && box.max_y <= 1e7))
        return;
    try {
        check_area(ellipsoidal.area_32(stored));
    } catch (const landclear::Error&) {
        // Coordinates outside what PROJ can inverse-project: an input error, named.
    }
}

void line_path(const Geos& geos, std::span<const unsigned char> wkb) {
    auto geom = geos.from_wkb(wkb);
    auto merged = geos.line_merge(geom.get());
    double length = geos.length(merged.get());
    if (length < 0)
        __builtin_trap();
    geos.line_parts(merged.get());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    static const Geos geos;
    static const landclear::EllipsoidalArea ellipsoidal(4547);
    std::span<const unsigned char> rest(data + 1, size - 1);

    // As a store's blob: GEOS reads it or says it cannot.
    try {
        auto raw = geos.from_wkb(rest);
        geos.is_valid(raw.get());
    } catch (const landclear::Error&) {
    }

    OGRGeometry* parsed = nullptr;
    if (data[0] % 2 == 0) {
        if (OGRGeometryFactory::createFromWkb(rest.data(), nullptr, &parsed, rest.size()) !=
            OGRERR_NONE)
            parsed = nullptr;
    } else {
        std::string text(reinterpret_cast<const char*>(rest.data()), rest.size());
        parsed = OGRGeometry::FromHandle(OGR_G_CreateGeometryFromJson(text.c_str()));
    }
    if (!parsed || parsed->IsEmpty()) {
        delete parsed;
        return 0;
    }
    OGRGeometryUniquePtr src(parsed);
    auto type = wkbFlatten(src->getGeometryType());
    bool polygon = type == wkbPolygon || type == wkbMultiPolygon || type == wkbCurvePolygon ||
                   type == wkbMultiSurface;
    bool line = type == wkbLineString || type == wkbMultiLineString || type == wkbCompoundCurve ||
                type == wkbCircularString || type == wkbMultiCurve;
    if (!polygon && !line)
        return 0; // the import refuses other types by name
    OGRGeometryUniquePtr g(src->hasCurveGeometry() ? src->getLinearGeometry() : src->clone());
    if (!g)
        return 0;
    g->flattenTo2D();
    std::vector<unsigned char> wkb(static_cast<std::size_t>(g->WkbSize()));
    g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    try {
        if (polygon)
            polygon_path(geos, ellipsoidal, wkb);
        else
            line_path(geos, wkb);
    } catch (const landclear::Error&) {
    }
    return 0;
}
