// Planar layouts for the generator: a jittered grid cut into parcels (a planar partition with
// shared vertices) and corridor centrelines made of straights and circular arcs.
#pragma once

#include "geos_raii.hpp"
#include "random.hpp"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace landclear::sample {

// Signed area of an open ring (positive when counter-clockwise).
double ring_area(const Vec2* p, std::size_t n);

// A regular grid in a parameter space (u, v): nu x nv cells of du x dv from (u0, v0).
struct Grid {
    int nu = 0;
    int nv = 0;
    double u0 = 0, v0 = 0, du = 0, dv = 0;
    std::uint32_t vid(int i, int j) const { return static_cast<std::uint32_t>(i * (nv + 1) + j); }
    int cell(int i, int j) const { return i * nv + j; }
    int hedge(int i, int j) const { return i * (nv + 1) + j; } // (i,j)-(i+1,j)
    int vedge(int i, int j) const { return i * nv + j; }       // (i,j)-(i,j+1)
};

// One parcel: a counter-clockwise ring of vertex ids, and the grid cell it grew from.
struct Piece {
    std::vector<std::uint32_t> ring;
    int i = 0;
    int j = 0;
};

struct PartitionRules {
    double merge_rate = 0.12;
    double split_rate = 0.14;
    double mid_rate = 0.25;
    double min_area = 300;
    double max_area = 3000;
    double jitter = 0.16; // fraction of the spacing; < 0.25 keeps every cell convex
};

// Grid vertices, each moved at random by up to `jitter` of the spacing.
std::vector<Vec2> jittered_vertices(Rng& rng, const Grid& g, double jitter);

// Exactly `target` pieces out of the kept cells (merging neighbours, splitting cells and adding
// vertices on interior edges, appended to `uv`), or nothing when the grid is too far off.
std::optional<std::vector<Piece>> partition(Rng& rng, const Grid& g, std::vector<Vec2>& uv,
                                            const std::vector<char>& keep, std::int64_t target,
                                            const PartitionRules& rules);

// A centreline of straights and circular arcs, parametrised by arc length.
class Curve {
public:
    struct Segment {
        double s0, len, x0, y0, h0, k; // k = signed curvature, 0 for a straight
    };

    void add(double len, double k);
    double length() const { return m_length; }
    const std::vector<Segment>& segments() const { return m_segments; }
    // Point at arc length s, shifted by v to the left (extrapolated beyond the ends).
    Vec2 at(double s, double v) const;

private:
    static Vec2 eval(const Segment& seg, double t);

    std::vector<Segment> m_segments;
    double m_length = 0;
};

// Straights and arcs up to `total` metres: gentle for roads, meandering for rivers.
Curve make_curve(Rng& rng, double total, bool river);

// Sampled centreline between two arc lengths: segment ends plus a vertex every `step` on arcs.
std::vector<Vec2> sample_curve(const Curve& c, double from, double to, double step);

} // namespace landclear::sample
