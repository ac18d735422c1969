#include "landclear/geom/convex_clip.hpp"

#include "landclear/core/error.hpp"

#define GEOS_USE_ONLY_R_API
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <geos_c.h>

namespace landclear {

namespace {

// A vertex this close to a side's line (metres) is left to GEOS: touching, shared edges.
constexpr long double near_line_m = 1e-7L;
// The largest area the rounding of the cut points may move, as a share of the result's area.
constexpr double max_rounding_share = 5e-10;

// The outline of g when g is one polygon without holes (a Polygon, or a MultiPolygon of one),
// as an open ring (the closing vertex dropped); false otherwise.
bool single_shell(GEOSContextHandle_t ctx, const GEOSGeometry* g, std::vector<double>& buffer,
                  std::vector<XY>& ring) {
    int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_MULTIPOLYGON) {
        if (GEOSGetNumGeometries_r(ctx, g) != 1)
            return false;
        g = GEOSGetGeometryN_r(ctx, g, 0);
        type = GEOSGeomTypeId_r(ctx, g);
    }
    if (type != GEOS_POLYGON || GEOSisEmpty_r(ctx, g) == 1 ||
        GEOSGetNumInteriorRings_r(ctx, g) != 0)
        return false;
    const GEOSGeometry* shell = GEOSGetExteriorRing_r(ctx, g);
    const GEOSCoordSequence* seq = shell ? GEOSGeom_getCoordSeq_r(ctx, shell) : nullptr;
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n) || n < 4)
        return false;
    buffer.resize(2 * static_cast<size_t>(n));
    if (!GEOSCoordSeq_copyToBuffer_r(ctx, seq, buffer.data(), 0, 0))
        return false;
    ring.clear();
    for (unsigned int i = 0; i + 1 < n; ++i) {
        XY p{buffer[2 * i], buffer[2 * i + 1]};
        if (!std::isfinite(p.x) || !std::isfinite(p.y))
            return false;
        if (ring.empty() || p.x != ring.back().x || p.y != ring.back().y)
            ring.push_back(p);
    }
    while (ring.size() > 1 && ring.back().x == ring.front().x && ring.back().y == ring.front().y)
        ring.pop_back();
    return ring.size() >= 3;
}

// Twice the signed area of the triangle a, b, p: positive when p is left of a -> b. Extended
// precision (64-bit significand): the differences of nearby coordinates are exact, the products
// nearly so.
long double cross(const XY& a, const XY& b, const XY& p) {
    long double ux = static_cast<long double>(b.x) - a.x, uy = static_cast<long double>(b.y) - a.y;
    long double vx = static_cast<long double>(p.x) - a.x, vy = static_cast<long double>(p.y) - a.y;
    return ux * vy - uy * vx;
}

double ulp(double v) {
    v = std::fabs(v);
    return std::nextafter(v, INFINITY) - v;
}

} // namespace

ConvexClip::ConvexClip(const Geos& geos, const GEOSGeometry* piece) : m_geos(geos) {
    std::vector<XY> ring;
    if (!single_shell(geos.handle(), piece, m_buffer, ring))
        return;
    // Orientation from the signed area; then every turn must go the same way (collinear vertices
    // are fine: their two sides lie on one line).
    long double twice_area = 0;
    for (size_t i = 0; i < ring.size(); ++i)
        twice_area += cross(ring[0], ring[i], ring[(i + 1) % ring.size()]);
    if (twice_area == 0)
        return;
    if (twice_area < 0)
        std::reverse(ring.begin(), ring.end());
    for (size_t i = 0; i < ring.size(); ++i) {
        const auto& a = ring[i];
        const auto& b = ring[(i + 1) % ring.size()];
        const auto& c = ring[(i + 2) % ring.size()];
        if (cross(a, b, c) < 0)
            return; // a reflex corner (inside of a bend): not convex
    }
    m_ring = std::move(ring);
}

ConvexClip::Result ConvexClip::clip(const GEOSGeometry* subject) const {
    Result r;
    if (m_ring.empty() || !single_shell(m_geos.handle(), subject, m_buffer, m_a)) {
        return r;
    }
    m_new_a.assign(m_a.size(), 0);
    bool changed = false;
    const size_t sides = m_ring.size();
    for (size_t k = 0; k < sides; ++k) {
        const XY& a = m_ring[k];
        const XY& b = m_ring[(k + 1) % sides];
        long double length =
            std::hypot(static_cast<long double>(b.x) - a.x, static_cast<long double>(b.y) - a.y);
        if (length == 0)
            continue;
        const size_t n = m_a.size();
        m_side.resize(n);
        size_t inside = 0;
        for (size_t i = 0; i < n; ++i) {
            long double s = cross(a, b, m_a[i]);
            if (std::fabs(s) <= near_line_m * length) {
                return r;
            } // on or next to the line: GEOS decides
            m_side[i] = s;
            inside += s > 0;
        }
        if (inside == n)
            continue;
        if (inside == 0) {
            r.outcome = Outcome::outside;
            return r;
        }
        size_t crossings = 0;
        m_b.clear();
        m_new_b.clear();
        for (size_t i = 0; i < n; ++i) {
            size_t j = (i + 1) % n;
            bool in_i = m_side[i] > 0, in_j = m_side[j] > 0;
            if (in_i) {
                m_b.push_back(m_a[i]);
                m_new_b.push_back(m_new_a[i]);
            }
            if (in_i != in_j) {
                if (++crossings > 2) {
                    return r;
                } // the cut would leave more than one polygon
                const XY& p = m_a[i];
                const XY& q = m_a[j];
                long double t = m_side[i] / (m_side[i] - m_side[j]);
                XY x{static_cast<double>(p.x + t * (static_cast<long double>(q.x) - p.x)),
                     static_cast<double>(p.y + t * (static_cast<long double>(q.y) - p.y))};
                if (!m_b.empty() && x.x == m_b.back().x && x.y == m_b.back().y)
                    continue;
                m_b.push_back(x);
                m_new_b.push_back(1);
            }
        }
        if (m_b.size() > 1 && m_b.back().x == m_b.front().x && m_b.back().y == m_b.front().y) {
            m_b.pop_back();
            m_new_b.pop_back();
        }
        if (m_b.size() < 3) {
            return r;
        }
        std::swap(m_a, m_b);
        std::swap(m_new_a, m_new_b);
        changed = true;
    }
    if (!changed) {
        r.outcome = Outcome::inside;
        return r;
    }
    // A cut point at a corner of the clip polygon (two consecutive cuts meeting there) is that
    // corner, as in GEOS's result: take the corner's own coordinates.
    for (size_t i = 0; i < m_a.size(); ++i)
        if (m_new_a[i])
            for (const XY& c : m_ring)
                if (std::fabs(m_a[i].x - c.x) <= 4 * ulp(c.x) &&
                    std::fabs(m_a[i].y - c.y) <= 4 * ulp(c.y)) {
                    m_a[i] = c;
                    m_new_a[i] = 0;
                    break;
                }
    m_b.clear();
    m_new_b.clear();
    for (size_t i = 0; i < m_a.size(); ++i)
        if (m_b.empty() || m_a[i].x != m_b.back().x || m_a[i].y != m_b.back().y) {
            m_b.push_back(m_a[i]);
            m_new_b.push_back(m_new_a[i]);
        }
    while (m_b.size() > 1 && m_b.back().x == m_b.front().x && m_b.back().y == m_b.front().y) {
        m_b.pop_back();
        m_new_b.pop_back();
    }
    std::swap(m_a, m_b);
    std::swap(m_new_a, m_new_b);
    const size_t n = m_a.size();
    if (n < 3) {
        return r;
    }
    // What the rounding of the new vertices can do to the area: ours and GEOS's are each within
    // half an ulp of the exact cut point, so the two differ by at most an ulp in x and in y; a
    // vertex moved by (dx, dy) changes the area by (dx * (next.y - prev.y) - dy * (next.x -
    // prev.x)) / 2.
    double rounding = 0;
    long double twice_area = 0;
    for (size_t i = 0; i < n; ++i) {
        const XY& p = m_a[i];
        const XY& next = m_a[(i + 1) % n];
        twice_area += cross(m_a[0], p, next);
        if (m_new_a[i]) {
            const XY& prev = m_a[(i + n - 1) % n];
            rounding += 0.5 * std::max(ulp(p.x), ulp(p.y)) *
                        (std::fabs(next.x - prev.x) + std::fabs(next.y - prev.y));
        }
    }
    // Shells clockwise, as GEOS's overlay returns them; the ring closed.
    m_buffer.clear();
    m_buffer.reserve(2 * (n + 1));
    for (size_t k = 0; k <= n; ++k) {
        const XY& p = m_a[twice_area > 0 ? (n - k) % n : k % n];
        m_buffer.push_back(p.x);
        m_buffer.push_back(p.y);
    }
    GEOSContextHandle_t ctx = m_geos.handle();
    GEOSCoordSequence* seq =
        GEOSCoordSeq_copyFromBuffer_r(ctx, m_buffer.data(), static_cast<unsigned int>(n + 1), 0, 0);
    if (!seq)
        throw_internal(fmt::format("GEOS: {}", m_geos.last_message()));
    GEOSGeometry* shell = GEOSGeom_createLinearRing_r(ctx, seq);
    if (!shell)
        throw_internal(fmt::format("GEOS: {}", m_geos.last_message()));
    GEOSGeometry* polygon = GEOSGeom_createPolygon_r(ctx, shell, nullptr, 0);
    if (!polygon) {
        GEOSGeom_destroy_r(ctx, shell);
        throw_internal(fmt::format("GEOS: {}", m_geos.last_message()));
    }
    GEOSGeometry* collection = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, &polygon, 1);
    if (!collection)
        GEOSGeom_destroy_r(ctx, polygon);
    auto multi = m_geos.own(collection);
    double area = m_geos.area(multi.get());
    if (!(area > 0) || rounding > max_rounding_share * area) {
        return r;
    } // thin: the rounding could matter, GEOS decides
    r.outcome = Outcome::clipped;
    r.geom = std::move(multi);
    r.area = area;
    return r;
}

} // namespace landclear
