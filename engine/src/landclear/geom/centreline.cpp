#include "landclear/geom/centreline.hpp"

#include "landclear/core/error.hpp"

#define GEOS_USE_ONLY_R_API
#include <algorithm>
#include <cmath>
#include <geos_c.h>
#include <limits>
#include <vector>

namespace landclear {

namespace {

struct XYPoint {
    double x = 0, y = 0;
};

double dist(const XYPoint& a, const XYPoint& b) {
    return std::hypot(a.x - b.x, a.y - b.y);
}

} // namespace

CentrelineMerge merge_centreline(const Geos& geos, const GEOSGeometry* g, double tol) {
    auto ctx = geos.handle();
    CentrelineMerge out;
    int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_LINESTRING) {
        out.line = geos.clone(g);
        return out;
    }
    if (type != GEOS_MULTILINESTRING)
        throw_internal("merge_centreline: not a line");
    // Each part's vertices; ends within the tolerance of an earlier end move onto it.
    std::vector<std::vector<XYPoint>> parts;
    for (int i = 0, n = GEOSGetNumGeometries_r(ctx, g); i < n; ++i) {
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, GEOSGetGeometryN_r(ctx, g, i));
        unsigned size = 0;
        GEOSCoordSeq_getSize_r(ctx, seq, &size);
        if (size < 2)
            continue;
        std::vector<XYPoint> pts(size);
        for (unsigned k = 0; k < size; ++k)
            GEOSCoordSeq_getXY_r(ctx, seq, k, &pts[k].x, &pts[k].y);
        parts.push_back(std::move(pts));
    }
    out.parts = static_cast<int>(parts.size());
    std::vector<XYPoint*> ends;
    for (auto& p : parts) {
        ends.push_back(&p.front());
        ends.push_back(&p.back());
    }
    for (size_t i = 1; i < ends.size(); ++i)
        for (size_t j = 0; j < i; ++j) {
            double d = dist(*ends[i], *ends[j]);
            if (d > 0 && d <= tol && (i / 2 != j / 2)) {
                out.max_gap_m = std::max(out.max_gap_m, d);
                *ends[i] = *ends[j];
                break;
            }
        }
    std::vector<GEOSGeometry*> lines;
    for (const auto& p : parts) {
        auto* seq = GEOSCoordSeq_create_r(ctx, static_cast<unsigned>(p.size()), 2);
        for (size_t k = 0; k < p.size(); ++k)
            GEOSCoordSeq_setXY_r(ctx, seq, static_cast<unsigned>(k), p[k].x, p[k].y);
        lines.push_back(GEOSGeom_createLineString_r(ctx, seq));
    }
    auto multi = geos.own(GEOSGeom_createCollection_r(ctx, GEOS_MULTILINESTRING, lines.data(),
                                                      static_cast<unsigned>(lines.size())));
    auto merged = geos.line_merge(multi.get());
    if (GEOSGeomTypeId_r(ctx, merged.get()) == GEOS_LINESTRING) {
        out.line = std::move(merged);
        return out;
    }
    // Not one line: where three or more ends meet, or an end touches another part's inside,
    // it branches; otherwise the pieces are apart, and the nearest two ends say where.
    auto at = [&](const XYPoint& p) {
        out.x = p.x;
        out.y = p.y;
    };
    bool found = false;
    for (size_t i = 0; i < ends.size() && !found; ++i) {
        int meeting = 0;
        for (size_t j = 0; j < ends.size(); ++j)
            meeting += dist(*ends[i], *ends[j]) <= tol;
        if (meeting >= 3) {
            out.branches = found = true;
            at(*ends[i]);
        }
    }
    for (size_t i = 0; i < ends.size() && !found; ++i) {
        auto pt = geos.own(GEOSGeom_createPointFromXY_r(ctx, ends[i]->x, ends[i]->y));
        for (size_t j = 0; j < parts.size() && !found; ++j) {
            if (j == i / 2)
                continue;
            double d = 0;
            GEOSDistance_r(ctx, GEOSGetGeometryN_r(ctx, multi.get(), static_cast<int>(j)), pt.get(),
                           &d);
            if (d <= tol && dist(*ends[i], parts[j].front()) > tol &&
                dist(*ends[i], parts[j].back()) > tol) {
                out.branches = found = true;
                at(*ends[i]);
            }
        }
    }
    if (!found) {
        double best = std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < ends.size(); ++i)
            for (size_t j = 0; j < ends.size(); ++j)
                if (i / 2 != j / 2 && dist(*ends[i], *ends[j]) < best) {
                    best = dist(*ends[i], *ends[j]);
                    at(*ends[i]);
                }
        out.gap_m = best;
    }
    // Distance along the longest merged piece, so the message can give a chainage.
    const GEOSGeometry* longest = nullptr;
    double longest_len = -1;
    for (int i = 0, n = GEOSGetNumGeometries_r(ctx, merged.get()); i < n; ++i) {
        double len = 0;
        GEOSLength_r(ctx, GEOSGetGeometryN_r(ctx, merged.get(), i), &len);
        if (len > longest_len) {
            longest_len = len;
            longest = GEOSGetGeometryN_r(ctx, merged.get(), i);
        }
    }
    if (longest) {
        auto pt = geos.own(GEOSGeom_createPointFromXY_r(ctx, out.x, out.y));
        out.along_m = GEOSProject_r(ctx, longest, pt.get());
    }
    out.pieces = std::move(merged);
    return out;
}

std::vector<GeomPtr> centreline_arms(const Geos& geos, const CentrelineMerge& merge, double tol) {
    if (!merge.branches || !merge.pieces)
        return {};
    auto ctx = geos.handle();
    auto arms = geos.parts(merge.pieces.get());
    // Every arm meets another: pieces further apart are a gap, which no option imports.
    for (size_t i = 0; i < arms.size(); ++i) {
        bool meets = false;
        for (size_t j = 0; j < arms.size() && !meets; ++j) {
            double d = 0;
            meets =
                i != j && GEOSDistance_r(ctx, arms[i].get(), arms[j].get(), &d) == 1 && d <= tol;
        }
        if (!meets)
            return {};
    }
    struct Keyed {
        double length, x, y;
        GeomPtr arm;
    };
    std::vector<Keyed> keyed;
    for (auto& a : arms) {
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, a.get());
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(ctx, seq, 0, &x, &y);
        keyed.push_back({geos.length(a.get()), x, y, std::move(a)});
    }
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
        if (a.length != b.length)
            return a.length > b.length;
        return a.x != b.x ? a.x < b.x : a.y < b.y;
    });
    std::vector<GeomPtr> out;
    for (auto& k : keyed)
        out.push_back(std::move(k.arm));
    return out;
}

} // namespace landclear
