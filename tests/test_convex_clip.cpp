// Property test of the corridor's fast clip (geom/convex_clip): on random segment pieces and
// random parcels, every answer it gives agrees with GEOS's general overlay, called here straight
// from the GEOS C API (GEOSIntersection_r, GEOSContains_r), never through landclear's clip:
// - "clipped": the area is GEOS's intersection area to 1e-9 relative, the polygon is valid and
//   differs from GEOS's by less than 1e-9 of its area (symmetric difference);
// - "inside": GEOS says the piece contains the parcel; "outside": GEOS's intersection has no area.
// Pieces: rotated rectangles (straight stretches) with and without extra vertices on their sides,
// and the real pieces of random bending red lines (geom/redline); parcels: convex and concave,
// small and large, some with an edge on a side of the piece (a parcel drawn along the red line),
// some sharing a corner, some crossing only a segment boundary. Seeded and deterministic.
#include "landclear/geom/convex_clip.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/redline.hpp"

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

std::string ring_wkt(const std::vector<XY>& pts) {
    std::string s = "POLYGON((";
    for (size_t i = 0; i <= pts.size(); ++i) {
        const auto& p = pts[i % pts.size()];
        s += fmt::format("{}{:.17g} {:.17g}", i ? "," : "", p.x, p.y);
    }
    return s + "))";
}

struct Counts {
    int outside = 0, inside = 0, clipped = 0, unsure = 0, partial = 0, partial_fast = 0;
    double worst = 0;
};

// The reference answer from GEOS and the check of the fast one.
// `clip` is made from `piece`; the answer for `parcel` is checked. (Both roles are played both
// ways: a convex piece clipping a parcel, and a convex parcel clipping a piece on a curve.)
void check_pair(const Geos& geos, const GEOSGeometry* piece, const ConvexClip& clip,
                const GEOSGeometry* parcel, bool touching, Counts& n, const std::string& what) {
    auto ctx = geos.handle();
    GeomPtr ref = geos.own(GEOSIntersection_r(ctx, piece, parcel));
    double ref_area = 0, parcel_area = 0;
    GEOSArea_r(ctx, ref.get(), &ref_area);
    GEOSArea_r(ctx, parcel, &parcel_area);
    // Partly inside, not touching a side on purpose: the cases the fast path is for.
    bool partial = !touching && ref_area > 0 && ref_area < parcel_area * (1 - 1e-12);
    n.partial += partial;
    auto r = clip.clip(parcel);
    switch (r.outcome) {
    case ConvexClip::Outcome::outside:
        ++n.outside;
        BOOST_TEST_INFO(what);
        BOOST_TEST(ref_area == 0.0);
        break;
    case ConvexClip::Outcome::inside: {
        ++n.inside;
        auto prepared = GEOSPrepare_r(ctx, piece);
        char contains = GEOSPreparedContains_r(ctx, prepared, parcel);
        GEOSPreparedGeom_destroy_r(ctx, prepared);
        BOOST_TEST_INFO(what);
        BOOST_TEST(contains == 1);
        break;
    }
    case ConvexClip::Outcome::clipped: {
        ++n.clipped;
        n.partial_fast += partial;
        double diff = std::fabs(r.area - ref_area);
        double rel = diff / ref_area;
        n.worst = std::max(n.worst, rel);
        BOOST_TEST_INFO(what);
        BOOST_TEST(rel <= 1e-9, "area " << r.area << " vs GEOS " << ref_area << " (" << rel << ")");
        BOOST_TEST(GEOSisValid_r(ctx, r.geom.get()) == 1);
        GeomPtr sym = geos.own(GEOSSymDifference_r(ctx, r.geom.get(), ref.get()));
        double sym_area = 0;
        GEOSArea_r(ctx, sym.get(), &sym_area);
        BOOST_TEST(sym_area <= 1e-9 * ref_area);
        double own_area = 0;
        GEOSArea_r(ctx, r.geom.get(), &own_area);
        BOOST_TEST(own_area == r.area); // the area reported is the polygon's
        break;
    }
    case ConvexClip::Outcome::unsure:
        ++n.unsure;
        break;
    }
}

// A random parcel near the box (x0, y0)-(x1, y1): convex (jittered polygon) or concave (a star).
std::vector<XY> random_parcel(std::mt19937_64& rng, double x0, double y0, double x1, double y1) {
    std::uniform_real_distribution<double> u(0, 1);
    auto pick = [&](double a, double b) { return a + (b - a) * u(rng); };
    double cx = pick(x0 - 20, x1 + 20), cy = pick(y0 - 20, y1 + 20);
    double radius = u(rng) < 0.2 ? pick(0.5, 4) : pick(5, 45);
    int n = 3 + static_cast<int>(u(rng) * 9);
    bool star = u(rng) < 0.3 && n >= 5;
    double a0 = pick(0, 2 * M_PI);
    std::vector<XY> pts;
    for (int i = 0; i < n; ++i) {
        double a = a0 + 2 * M_PI * i / n + pick(-0.25, 0.25) * M_PI / n;
        double r = radius * (star && i % 2 ? pick(0.25, 0.6) : pick(0.8, 1.0));
        pts.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
    }
    if (u(rng) < 0.5)
        std::reverse(pts.begin(), pts.end()); // either orientation
    return pts;
}

// A parcel with one edge on the line a-b (points computed along it, as a digitiser snapping to
// the red line would): inside or outside the piece, or straddling the segment boundary.
std::vector<XY> parcel_on_side(std::mt19937_64& rng, const XY& a, const XY& b, bool inward) {
    std::uniform_real_distribution<double> u(0, 1);
    double s0 = u(rng) * 0.8 - 0.2, s1 = s0 + 0.1 + u(rng) * 0.5;
    XY p{a.x + s0 * (b.x - a.x), a.y + s0 * (b.y - a.y)};
    XY q{a.x + s1 * (b.x - a.x), a.y + s1 * (b.y - a.y)};
    double len = std::hypot(b.x - a.x, b.y - a.y);
    double nx = -(b.y - a.y) / len, ny = (b.x - a.x) / len; // left of a-b
    double depth = (inward ? 1 : -1) * (1 + u(rng) * 15);
    return {p, q, {q.x + nx * depth, q.y + ny * depth}, {p.x + nx * depth, p.y + ny * depth}};
}

std::vector<XY> outline(const Geos& geos, const GEOSGeometry* piece) {
    auto rings = geos.polygon_rings(piece);
    if (rings.empty())
        return {};
    auto v = rings.front();
    v.pop_back();
    return v;
}

// Random parcels against one piece: cut by the piece where it is convex, else (a piece on a
// curve) the piece cut by each parcel that is convex, as the corridor does.
void run_piece(const Geos& geos, const GEOSGeometry* piece, std::mt19937_64& rng, int parcels,
               Counts& n, Counts& swapped, const std::string& what) {
    ConvexClip clip(geos, piece);
    auto box = geos.bounds(piece);
    auto ring = outline(geos, piece);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < parcels; ++i) {
        std::vector<XY> pts;
        bool touching = true;
        if (i % 4 == 3 && ring.size() >= 3) {
            size_t k = static_cast<size_t>(u(rng) * ring.size()) % ring.size();
            pts = parcel_on_side(rng, ring[k], ring[(k + 1) % ring.size()], u(rng) < 0.5);
        } else if (i % 9 == 5 && ring.size() >= 3) { // a corner shared with the piece
            size_t k = static_cast<size_t>(u(rng) * ring.size()) % ring.size();
            pts = random_parcel(rng, ring[k].x, ring[k].y, ring[k].x, ring[k].y);
            pts[0] = ring[k];
        } else {
            pts = random_parcel(rng, box.min_x, box.min_y, box.max_x, box.max_y);
            touching = false;
        }
        GeomPtr parcel = geos.from_wkt(ring_wkt(pts));
        if (!geos.is_valid(parcel.get()))
            continue; // a jittered star can cross itself; the store holds valid parcels only
        if (clip.usable()) {
            check_pair(geos, piece, clip, parcel.get(), touching, n,
                       fmt::format("{} parcel {}", what, i));
        } else {
            ConvexClip by_parcel(geos, parcel.get());
            if (by_parcel.usable())
                check_pair(geos, parcel.get(), by_parcel, piece, touching, swapped,
                           fmt::format("{} parcel {} (cutting the piece)", what, i));
        }
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(fast_clip_agrees_with_geos_on_rectangles) {
    Geos geos;
    std::mt19937_64 rng(20261202);
    std::uniform_real_distribution<double> u(0, 1);
    Counts n, swapped;
    for (int c = 0; c < 400; ++c) {
        double h = u(rng) * 2 * M_PI, len = 100, w = 10 + u(rng) * 50;
        XY o{ox + u(rng) * 5000, oy + u(rng) * 5000};
        XY d{std::cos(h), std::sin(h)}, e{-std::sin(h), std::cos(h)};
        auto at = [&](double s, double t) {
            return XY{o.x + s * d.x + t * e.x, o.y + s * d.y + t * e.y};
        };
        std::vector<XY> pts{at(0, -w / 2), at(len, -w / 2), at(len, w / 2), at(0, w / 2)};
        if (c % 3 == 1) // extra vertices on the long sides, as noding leaves them
            pts = {at(0, -w / 2),  at(37.5, -w / 2), at(len, -w / 2),
                   at(len, w / 2), at(61.25, w / 2), at(0, w / 2)};
        if (c % 2)
            std::reverse(pts.begin(), pts.end());
        GeomPtr piece = geos.from_wkt("MULTIPOLYGON(" + ring_wkt(pts).substr(7) + ")");
        run_piece(geos, piece.get(), rng, 60, n, swapped, fmt::format("rectangle {}", c));
    }
    BOOST_TEST_MESSAGE(
        fmt::format("rectangles: {} outside, {} inside, {} clipped ({} of {} partly "
                    "inside), {} left to GEOS; worst relative area difference {:.3g}",
                    n.outside, n.inside, n.clipped, n.partial_fast, n.partial, n.unsure, n.worst));
    // Every outcome occurs, and the fast path takes most of the parcels that need a cut.
    BOOST_TEST(n.outside > 100);
    BOOST_TEST(n.inside > 100);
    BOOST_TEST(n.unsure > 100);
    BOOST_TEST(n.partial_fast > n.partial * 0.75);
}

BOOST_AUTO_TEST_CASE(fast_clip_agrees_with_geos_on_bending_red_lines) {
    Geos geos;
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    Counts n, swapped;
    int usable = 0, pieces_seen = 0;
    for (int c = 0; c < 60; ++c) {
        // Three to six straights with bends of up to 60 degrees.
        std::string wkt = "LINESTRING(";
        double x = ox + u(rng) * 5000, y = oy + u(rng) * 5000, h = u(rng) * 2 * M_PI;
        int k = 3 + static_cast<int>(u(rng) * 4);
        for (int i = 0; i < k; ++i) {
            wkt += fmt::format("{}{:.17g} {:.17g}", i ? "," : "", x, y);
            double len = 40 + u(rng) * 260;
            h += (u(rng) - 0.5) * 2 * M_PI / 3;
            x += len * std::cos(h);
            y += len * std::sin(h);
        }
        wkt += ")";
        GeomPtr line = geos.from_wkt(wkt);
        double half = 5 + u(rng) * 25;
        SideWidths widths{half, u(rng) < 0.3 ? half * 0.5 : half};
        GeomPtr red = buffer_centreline(geos, line.get(), widths);
        double length = geos.length(line.get());
        std::vector<double> positions;
        for (double p = 0; p < length - 1e-3; p += 100)
            positions.push_back(p);
        positions.push_back(length);
        auto pieces = split_red_line(geos, red.get(), line.get(), positions);
        for (size_t p = 0; p < pieces.size(); ++p) {
            if (geos.is_empty(pieces[p].get()))
                continue;
            ++pieces_seen;
            usable += ConvexClip(geos, pieces[p].get()).usable();
            run_piece(geos, pieces[p].get(), rng, 40, n, swapped,
                      fmt::format("line {} piece {}", c, p));
        }
    }
    BOOST_TEST_MESSAGE(fmt::format("bending lines: {} of {} pieces convex; {} outside, {} inside, "
                                   "{} clipped ({} of {} partly inside), {} left to GEOS; worst "
                                   "relative area difference {:.3g}",
                                   usable, pieces_seen, n.outside, n.inside, n.clipped,
                                   n.partial_fast, n.partial, n.unsure, n.worst));
    BOOST_TEST_MESSAGE(fmt::format("pieces on curves cut by convex parcels: {} outside, {} inside, "
                                   "{} clipped ({} of {} partly inside), {} left to GEOS; worst "
                                   "relative area difference {:.3g}",
                                   swapped.outside, swapped.inside, swapped.clipped,
                                   swapped.partial_fast, swapped.partial, swapped.unsure,
                                   swapped.worst));
    BOOST_TEST(usable > 0);
    BOOST_TEST(usable < pieces_seen); // the inside of a bend is reflex
    BOOST_TEST(n.clipped > 100);
    BOOST_TEST(swapped.clipped > 100);
    BOOST_TEST(swapped.partial_fast > swapped.partial / 2);
}

BOOST_AUTO_TEST_CASE(fast_clip_refuses_what_it_cannot_vouch_for) {
    Geos geos;
    auto piece = geos.from_wkt(fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", ox,
                                           oy, ox + 100, oy + 40));
    ConvexClip clip(geos, piece.get());
    BOOST_TEST(clip.usable());
    // A shared edge, a U that one side cuts in two, a hole, a reflex piece.
    auto wkt = [&](std::vector<XY> pts) { return geos.from_wkt(ring_wkt(pts)); };
    auto shared = wkt({{ox + 10, oy}, {ox + 30, oy}, {ox + 30, oy + 10}, {ox + 10, oy + 10}});
    BOOST_TEST((clip.clip(shared.get()).outcome == ConvexClip::Outcome::unsure));
    auto u_shape = wkt({{ox - 10, oy + 5},
                        {ox + 10, oy + 5},
                        {ox + 10, oy + 35},
                        {ox - 10, oy + 35},
                        {ox - 10, oy + 30},
                        {ox + 5, oy + 30},
                        {ox + 5, oy + 10},
                        {ox - 10, oy + 10}});
    // Cut by the side x = ox into one piece here (crosses it 4 times, but the parts join inside):
    // refused all the same, GEOS decides.
    BOOST_TEST((clip.clip(u_shape.get()).outcome == ConvexClip::Outcome::unsure));
    auto holed_parcel = geos.from_wkt(fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} "
                                                  "{1}),({4} {5},{6} {5},{6} {7},{4} {7},{4} {5}))",
                                                  ox - 10, oy + 10, ox + 10, oy + 30, ox - 5,
                                                  oy + 15, ox + 5, oy + 25));
    BOOST_TEST((clip.clip(holed_parcel.get()).outcome == ConvexClip::Outcome::unsure));
    auto crossing =
        wkt({{ox - 10, oy + 10}, {ox + 10, oy + 10}, {ox + 10, oy + 30}, {ox - 10, oy + 30}});
    auto r = clip.clip(crossing.get());
    BOOST_TEST((r.outcome == ConvexClip::Outcome::clipped));
    BOOST_TEST(r.area == 200.0); // 10 m x 20 m inside, by hand
    auto reflex =
        geos.from_wkt(fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{4} {5},{0} {3},{0} {1}))", ox,
                                  oy, ox + 100, oy + 40, ox + 50, oy + 20));
    BOOST_TEST(!ConvexClip(geos, reflex.get()).usable());
}
