#pragma once
// Red lines (红线) of road corridors and their chainage segments, as plain geometry:
// - the red line is the centreline buffered by a width on each side, flat ends, round joins with
//   8 segments per quarter circle (the GEOS default), or a project polygon given instead;
// - the red line is cut into consecutive pieces at chainage boundaries. The pieces tile the red
//   line exactly (their areas sum to its area), also where the road bends or crosses itself.
// How the cut works and why: docs/CORRIDOR.md.
#include "landclear/geom/geos.hpp"

#include <span>
#include <vector>

namespace landclear {

struct CorridorRow;

// Red-line width on each side of the centreline, seen in the direction it was digitised.
struct SideWidths {
    double left_m = 0;
    double right_m = 0;
    double max() const { return left_m > right_m ? left_m : right_m; }
};

// left_width_m / right_width_m where the corridor gives them, half of width_m for a side that
// is missing. Error(input) naming the corridor when a width is missing, not finite, negative, or
// both sides are zero (import rejects these already; other writers of a store may not).
SideWidths corridor_widths(const CorridorRow& corridor);

// The centreline buffered by the side widths: flat ends, round joins, 8 segments per quarter
// circle. Equal sides are one ordinary buffer (what ST_Buffer(geom, w/2, 'endcap=flat') gives);
// unequal sides are the union of a left and a right single-sided buffer. A centreline that
// crosses itself gives one polygon: the overlap is not counted twice.
GeomPtr buffer_centreline(const Geos& geos, const GEOSGeometry* line, const SideWidths& widths);

// Segment boundaries as chainages: the start, every multiple of segment_m strictly inside the
// line, the end (start + length). Boundaries within 1 mm of the start or end are dropped, so no
// segment is shorter than that. Error(usage) unless segment_m is finite and >= 1.
std::vector<double> segment_chainages(double start_chainage_m, double length_m, double segment_m);

// Cuts a red line into pieces, one per interval [positions[k], positions[k+1]] measured along
// the line from its first vertex (0 .. length). Each interval has a zone: its sub-line buffered
// (flat ends) wider than the red line reaches. The red line is cut along the zone outlines (and
// along the bisector where a boundary falls on a vertex); a face covered by one zone goes to
// it, a face covered by several (inside of bends, crossings, hairpins) to the nearest sub-line.
// So on straight stretches a piece is exactly the flat-ended buffer of its sub-line, and in
// every case the pieces tile the red line. Returns positions.size() - 1 MultiPolygons (empty
// where an interval gets none of the red line).
std::vector<GeomPtr> split_red_line(const Geos& geos, const GEOSGeometry* red_line,
                                    const GEOSGeometry* line, std::span<const double> positions);

} // namespace landclear
