// Property test of the import's shortcut past GEOS's IsValid (geom/simple_ring): on random rings
// every ring ring_certainly_simple() vouches for is valid for GEOS (GEOSisValid_r, called here
// straight from the GEOS C API), as a Polygon and as a MultiPolygon of one part. The rings: star
// polygons around a centre (simple), the same points shuffled (mostly self-crossing), and
// near-misses built to sit on the edge of the rules: a vertex on or a hair from another edge,
// a spike folding back on its neighbour, three points in a line, a repeated point, a ring
// passing twice through one point, an unclosed ring. The simple stars must mostly take the
// shortcut, or it saves nothing. Seeded and deterministic.
#include "landclear/geom/simple_ring.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <fmt/format.h>
#include <random>
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

using namespace landclear;

namespace {

// Xiangtan-sized coordinates (CGCS2000 GK zone 38), so rounding behaves as on real data.
constexpr double ox = 390123.4567, oy = 3080456.789;

struct GeosValid {
    GEOSContextHandle_t h = GEOS_init_r();
    ~GeosValid() { GEOS_finish_r(h); }
    // GEOS's answer for the ring as a Polygon and as a one-part MultiPolygon (they must agree).
    bool operator()(const std::vector<XY>& ring) const {
        auto* seq = GEOSCoordSeq_create_r(h, static_cast<unsigned>(ring.size()), 2);
        for (size_t i = 0; i < ring.size(); ++i)
            GEOSCoordSeq_setXY_r(h, seq, static_cast<unsigned>(i), ring[i].x, ring[i].y);
        auto* lr = GEOSGeom_createLinearRing_r(h, seq);
        if (!lr)
            return false; // GEOS refuses to build it (unclosed): certainly not valid
        auto* poly = GEOSGeom_createPolygon_r(h, lr, nullptr, 0);
        bool valid = GEOSisValid_r(h, poly) == 1;
        auto* copy = GEOSGeom_clone_r(h, poly);
        GEOSGeometry* parts[] = {copy};
        auto* multi = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, 1);
        bool multi_valid = GEOSisValid_r(h, multi) == 1;
        GEOSGeom_destroy_r(h, poly);
        GEOSGeom_destroy_r(h, multi);
        BOOST_REQUIRE_EQUAL(valid, multi_valid);
        return valid;
    }
};

std::string wkt(const std::vector<XY>& ring) {
    std::string s = "POLYGON((";
    for (size_t i = 0; i < ring.size(); ++i)
        s += fmt::format("{}{:.17g} {:.17g}", i ? "," : "", ring[i].x, ring[i].y);
    return s + "))";
}

std::vector<XY> closed(std::vector<XY> pts) {
    pts.push_back(pts.front());
    return pts;
}

// A star polygon: points at increasing angles around a centre, at random distances.
std::vector<XY> star(std::mt19937_64& rng, int n, double size) {
    std::uniform_real_distribution<double> r(0.2, 1.0), jitter(0.0, 0.9);
    std::vector<XY> pts;
    double step = 2 * M_PI / n;
    for (int i = 0; i < n; ++i) {
        double a = (i + jitter(rng)) * step;
        double d = size * r(rng);
        pts.push_back({ox + d * std::cos(a), oy + d * std::sin(a)});
    }
    return pts;
}

struct Tally {
    int rings = 0, vouched = 0, geos_valid = 0;
};

void check(const GeosValid& geos, const std::vector<XY>& ring, Tally& t) {
    ++t.rings;
    bool fast = ring_certainly_simple(ring);
    bool valid = geos(ring);
    t.vouched += fast;
    t.geos_valid += valid;
    if (fast && !valid)
        BOOST_ERROR("vouched for a ring GEOS finds invalid: " << wkt(ring));
}

} // namespace

BOOST_AUTO_TEST_CASE(star_polygons_take_the_shortcut_and_are_valid) {
    GeosValid geos;
    std::mt19937_64 rng(20261202);
    Tally t;
    for (int k = 0; k < 20000; ++k) {
        int n = 3 + static_cast<int>(rng() % 30);
        double size = k % 3 == 0 ? 0.5 : k % 3 == 1 ? 20.0 : 400.0;
        check(geos, closed(star(rng, n, size)), t);
    }
    BOOST_TEST_MESSAGE(fmt::format("stars: {} rings, {} valid for GEOS, {} vouched for", t.rings,
                                   t.geos_valid, t.vouched));
    BOOST_TEST(t.vouched > t.rings * 95 / 100);
}

BOOST_AUTO_TEST_CASE(shuffled_rings_are_never_wrongly_vouched_for) {
    GeosValid geos;
    std::mt19937_64 rng(7);
    Tally t;
    for (int k = 0; k < 20000; ++k) {
        int n = 3 + static_cast<int>(rng() % 12);
        auto pts = star(rng, n, k % 2 ? 1.0 : 50.0);
        std::shuffle(pts.begin(), pts.end(), rng);
        check(geos, closed(pts), t);
    }
    BOOST_TEST_MESSAGE(fmt::format("shuffled: {} rings, {} valid for GEOS, {} vouched for", t.rings,
                                   t.geos_valid, t.vouched));
    BOOST_TEST(t.geos_valid < t.rings); // the shuffle does make invalid rings
}

BOOST_AUTO_TEST_CASE(near_misses_are_left_to_geos) {
    GeosValid geos;
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Tally t;
    for (int k = 0; k < 20000; ++k) {
        int n = 4 + static_cast<int>(rng() % 10);
        auto pts = star(rng, n, k % 2 ? 1.0 : 30.0);
        size_t i = rng() % pts.size(), j = (i + 2 + rng() % (pts.size() - 3)) % pts.size();
        const XY a = pts[j], b = pts[(j + 1) % pts.size()];
        double s = u(rng);
        // A point on edge j, then nudged by a few ulps (or none) across or along it.
        XY on{a.x + s * (b.x - a.x), a.y + s * (b.y - a.y)};
        int ulps = static_cast<int>(rng() % 7) - 3;
        switch (k % 7) {
        case 0: // vertex i moved onto (or a hair off) a non-adjacent edge: touch or cross
            pts[i] = {std::nextafter(on.x, on.x + ulps), std::nextafter(on.y, on.y - ulps)};
            break;
        case 1: // a spike: vertex i folds back along its previous edge
        {
            const XY& p = pts[(i + pts.size() - 1) % pts.size()];
            pts.insert(pts.begin() + static_cast<long>(i) + 1,
                       {p.x + s * (pts[i].x - p.x), p.y + s * (pts[i].y - p.y)});
            break;
        }
        case 2: // three points in a line (a vertex in the middle of an edge), maybe nudged
        {
            const XY& q = pts[(i + 1) % pts.size()];
            XY mid{pts[i].x + s * (q.x - pts[i].x), pts[i].y + s * (q.y - pts[i].y)};
            mid.x = std::nextafter(mid.x, mid.x + ulps);
            pts.insert(pts.begin() + static_cast<long>(i) + 1, mid);
            break;
        }
        case 3: // a repeated point
            pts.insert(pts.begin() + static_cast<long>(i), pts[i]);
            break;
        case 4: // the ring passes twice through one vertex
            pts[i] = pts[j];
            break;
        case 5: // not closed
        {
            auto ring = closed(pts);
            ring.back().x = std::nextafter(ring.back().x, 1e300);
            check(geos, ring, t);
            continue;
        }
        default: // a thin sliver: vertex i pulled to within a few ulps of the line of its
                 // neighbours
        {
            const XY& p = pts[(i + pts.size() - 1) % pts.size()];
            const XY& q = pts[(i + 1) % pts.size()];
            XY m{p.x + s * (q.x - p.x), p.y + s * (q.y - p.y)};
            pts[i] = {std::nextafter(m.x, m.x + ulps), std::nextafter(m.y, m.y + ulps)};
            break;
        }
        }
        check(geos, closed(pts), t);
    }
    BOOST_TEST_MESSAGE(fmt::format("near misses: {} rings, {} valid for GEOS, {} vouched for",
                                   t.rings, t.geos_valid, t.vouched));
    BOOST_TEST(t.geos_valid < t.rings);
}

BOOST_AUTO_TEST_CASE(rules_of_the_shortcut) {
    auto sq = [](double s) {
        return std::vector<XY>{{ox, oy}, {ox + s, oy}, {ox + s, oy + s}, {ox, oy + s}, {ox, oy}};
    };
    BOOST_TEST(ring_certainly_simple(sq(10)));
    BOOST_TEST(
        ring_certainly_simple(std::vector<XY>{{ox, oy}, {ox + 1, oy}, {ox, oy + 1}, {ox, oy}}));
    BOOST_TEST(
        !ring_certainly_simple(std::vector<XY>{{ox, oy}, {ox + 1, oy}, {ox, oy}})); // 3 points
    BOOST_TEST(!ring_certainly_simple(
        std::vector<XY>{{ox, oy}, {ox + 1, oy}, {ox + 1, oy + 1}, {ox, oy + 1}})); // not closed
    BOOST_TEST(!ring_certainly_simple(std::vector<XY>{
        {ox, oy}, {ox + 1, oy + 1}, {ox + 1, oy}, {ox, oy + 1}, {ox, oy}})); // a bow-tie
    BOOST_TEST(!ring_certainly_simple(std::vector<XY>{
        {ox, oy}, {ox + 1, oy}, {ox + 2, oy}, {ox + 1, oy + 1}, {ox, oy}})); // straight corner
    std::vector<XY> nan = sq(1);
    nan[2].x = NAN;
    BOOST_TEST(!ring_certainly_simple(nan));
    std::vector<XY> many;
    for (size_t i = 0; i < simple_ring_max_points; ++i) {
        double a = 2 * M_PI * static_cast<double>(i) / simple_ring_max_points;
        many.push_back({ox + std::cos(a), oy + std::sin(a)});
    }
    BOOST_TEST(ring_certainly_simple(closed(std::vector<XY>(many.begin(), many.end() - 1))));
    BOOST_TEST(!ring_certainly_simple(closed(many))); // one point too many: left to GEOS
}
