#pragma once
// A proof, cheaper than GEOS's IsValid, that a polygon of one ring without holes is valid.
//
// GEOS's IsValid builds a topology graph, monotone chains and an STRtree for every polygon: it
// was a tenth of the import's CPU at a million parcels, whose outlines are mostly a handful of
// vertices. For a polygon of one closed ring and no holes, GEOS's rules (coordinates finite,
// ring closed, at least 4 points, no self-intersection or self-touch) come down to the ring
// being a simple closed curve. This test says `valid` only when it can prove that, in exact
// arithmetic: no two non-adjacent edges meet and no two adjacent edges overlap. Every sign it
// relies on passes Shewchuk's error bound for the floating-point orientation test, so GEOS's own
// robust predicates find the same signs. Anything it cannot prove (repeated or shared
// vertices, collinear or nearly collinear neighbours, edges too close to call, many vertices)
// is `unsure`, and the caller asks GEOS as before: the test never changes an answer.
#include "landclear/geom/geos.hpp"

#include <span>

namespace landclear {

// Largest ring tested: the pairwise edge test is quadratic; longer rings go to GEOS.
inline constexpr size_t simple_ring_max_points = 64;

// ring: the points of one closed ring, first == last. True when the polygon made of that ring
// alone is certainly valid for GEOS; false when unsure (not: certainly invalid).
bool ring_certainly_simple(std::span<const XY> ring);

} // namespace landclear
