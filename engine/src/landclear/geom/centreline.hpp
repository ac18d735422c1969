#pragma once
// A corridor's centreline from a multi-part line as drawn: parts whose ends touch or nearly
// touch are joined into one line (GEOS line merge after snapping ends within a tolerance), and
// a line that branches (a Y or T junction) or stays in separate pieces is told apart, with
// where, so import can say so.
#include "landclear/geom/geos.hpp"

#include <vector>

namespace landclear {

// Ends of parts closer than this (m) are the same point: digitising slack, not a gap.
inline constexpr double centreline_join_tolerance_m = 0.05;

struct CentrelineMerge {
    GeomPtr line;          // the merged LineString; null when it branches or has gaps
    int parts = 1;         // parts as given
    double max_gap_m = 0;  // the widest gap closed by snapping (0: the parts touched)
    bool branches = false; // three or more ends meet, or an end lies on another part
    double x = 0, y = 0;   // where it branches, or the nearest ends of two separate pieces
    double gap_m = 0;      // separate pieces: how far apart their nearest ends are
    double along_m = 0;    // distance of (x, y) along the longest merged piece
    GeomPtr pieces;        // not one line: what the line merge made (a MultiLineString)
};

// A LineString is returned as it is. Error(internal) on a geometry that is not lineal.
CentrelineMerge merge_centreline(const Geos& geos, const GEOSGeometry* g,
                                 double tolerance_m = centreline_join_tolerance_m);

// The arms of a branching centreline, to import a fork as several alignments of one corridor:
// the pieces the line merge makes (each runs from a junction or an end to the next), longest
// first, ties by their first vertex. Empty unless the merge branches (merge.branches) and every
// piece touches another within the tolerance (a fork, not separate pieces).
std::vector<GeomPtr> centreline_arms(const Geos& geos, const CentrelineMerge& merge,
                                     double tolerance_m = centreline_join_tolerance_m);

} // namespace landclear
