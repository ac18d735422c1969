#include "landclear/geom/simple_ring.hpp"

#include <algorithm>
#include <cmath>

namespace landclear {

namespace {

// The sign of the orientation of (a, b, c), +1 or -1, when the floating-point determinant
// provably has the sign of the exact one (Shewchuk's orient2d filter, error bound
// (3 + 16 eps) eps); 0 when it cannot tell. Tiny magnitudes, where the bound's assumption of no
// underflow could fail, count as cannot tell.
int certain_orientation(const XY& a, const XY& b, const XY& c) {
    const double left = (a.x - c.x) * (b.y - c.y);
    const double right = (a.y - c.y) * (b.x - c.x);
    const double det = left - right;
    const double sum = std::fabs(left) + std::fabs(right);
    if (!(sum > 1e-200))
        return 0;
    const double bound = 3.3306690738754716e-16 * sum;
    if (det > bound)
        return 1;
    if (det < -bound)
        return -1;
    return 0;
}

// Segments p1-p2 and q1-q2 certainly share no point: their boxes are apart, or one lies
// strictly on one side of the other's line.
bool certainly_apart(const XY& p1, const XY& p2, const XY& q1, const XY& q2) {
    if (std::max(p1.x, p2.x) < std::min(q1.x, q2.x) ||
        std::max(q1.x, q2.x) < std::min(p1.x, p2.x) ||
        std::max(p1.y, p2.y) < std::min(q1.y, q2.y) || std::max(q1.y, q2.y) < std::min(p1.y, p2.y))
        return true;
    int a = certain_orientation(p1, p2, q1);
    if (a != 0 && a == certain_orientation(p1, p2, q2))
        return true;
    int b = certain_orientation(q1, q2, p1);
    return b != 0 && b == certain_orientation(q1, q2, p2);
}

} // namespace

bool ring_certainly_simple(std::span<const XY> ring) {
    const size_t n = ring.size();
    if (n < 4 || n > simple_ring_max_points)
        return false;
    for (const auto& p : ring)
        if (!std::isfinite(p.x) || !std::isfinite(p.y))
            return false;
    if (ring.front().x != ring.back().x || ring.front().y != ring.back().y)
        return false;           // not closed
    const size_t edges = n - 1; // edge i runs from ring[i] to ring[i + 1]
    for (size_t i = 0; i < edges; ++i)
        if (ring[i].x == ring[i + 1].x && ring[i].y == ring[i + 1].y)
            return false; // a repeated point: a zero-length edge
    // Adjacent edges (i, i + 1, and the last with the first) meet only at their shared vertex
    // when the three points turn: a straight or folded-back corner is left to GEOS.
    for (size_t i = 0; i < edges; ++i) {
        const XY& a = ring[i];
        const XY& b = ring[i + 1];
        const XY& c = ring[i + 2 <= edges ? i + 2 : 1];
        if (certain_orientation(a, b, c) == 0)
            return false;
    }
    // Non-adjacent edges share no point.
    for (size_t i = 0; i < edges; ++i)
        for (size_t j = i + 2; j < edges; ++j) {
            if (i == 0 && j == edges - 1)
                continue; // adjacent through the closing vertex
            if (!certainly_apart(ring[i], ring[i + 1], ring[j], ring[j + 1]))
                return false;
        }
    return true;
}

} // namespace landclear
