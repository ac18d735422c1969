#pragma once
// A fast path for the overlay the corridor spends its time on: a parcel clipped to one segment
// piece of a red line. On straight stretches a piece is a convex polygon (a rectangle, maybe with
// extra vertices on its sides where the outline was noded), and a parcel against a convex polygon
// is clipped by one half-plane per side (Sutherland-Hodgman), about twenty times cheaper than
// GEOS's general overlay with its noding and validation.
//
// The fast path answers only where it can vouch for the result, and says `unsure` otherwise so
// that the caller asks GEOS as before:
// - the piece is one polygon without holes that turns one way only; the parcel is one polygon
//   without holes;
// - no vertex of the parcel (or of the partly clipped parcel) lies within 1e-7 m of a side's
//   line: touching and shared edges (a parcel drawn along the red line) go to GEOS;
// - the parcel's outline crosses each side's line at most twice, so each cut leaves one simple
//   polygon (a concave parcel that would fall apart into two pieces goes to GEOS);
// - the result is thick enough that the rounding of its new vertices (computed in extended
//   precision, then rounded to double, as GEOS rounds its intersection points) cannot move its
//   area by more than 2e-10 of it.
// Vertices of the parcel inside the piece are kept bit for bit; only the cut points are new.
#include "landclear/geom/geos.hpp"

#include <optional>
#include <vector>

namespace landclear {

class ConvexClip {
public:
    // The piece's outline when it can serve as a clip polygon (usable()), else an unusable clip.
    ConvexClip(const Geos& geos, const GEOSGeometry* piece);

    bool usable() const { return !m_ring.empty(); }

    enum class Outcome {
        outside, // no area in common (GEOS's intersection has area 0)
        inside,  // the subject lies wholly inside the piece (GEOS's contains is true)
        clipped, // the intersection is in `geom` (a MultiPolygon of one polygon) with its area
        unsure,  // not decided here: ask GEOS
    };
    struct Result {
        Outcome outcome = Outcome::unsure;
        GeomPtr geom;
        double area = 0;
    };
    // The subject (a parcel) against this piece. Reuses internal buffers: one ConvexClip per
    // thread.
    Result clip(const GEOSGeometry* subject) const;

private:
    const Geos& m_geos;
    std::vector<XY> m_ring; // counter-clockwise, open (first vertex not repeated)
    // Scratch space, reused between calls.
    mutable std::vector<XY> m_a, m_b;
    mutable std::vector<char> m_new_a, m_new_b;
    mutable std::vector<long double> m_side;
    mutable std::vector<double> m_buffer;
};

} // namespace landclear
