#pragma once
// Strip maps (带状图): a long road cut into sheets along its centreline, each sheet's map turned so
// the road runs across it, at one scale for the whole strip. This module plans the sheets as
// plain geometry (no store, no drawing): where each sheet's stretch starts and ends, and where its
// frame lies in the working CRS. map_data reads each sheet's parcels and figures, map_render draws
// it. docs/MAPS.md ("Strip maps") gives the rule with a worked example.
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/linear_ref.hpp"
#include "landclear/render/map_layout.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace landclear {

// "1:2000", "1:2,000" or "2000": the scale denominator, 500 to 100,000; Error(usage) otherwise.
double parse_map_scale(const std::string& text);

// The ground a strip sheet's map frame shows and the room it keeps.
struct StripFrameSpec {
    double width_m = 0, height_m = 0; // the frame on the ground (frame size on paper × scale)
    double overlap_m = 0;             // road shown before and after the sheet's own stretch
    double inset_m = 0;     // kept free between the red line and the frame edge (labels, ticks)
    double denominator = 0; // the scale, for messages
};

// At 1:denominator on this layout: the frame's ground size, an overlap of 20 mm on paper and an
// inset of the red line's widest side or 10 mm on paper, whichever is more.
StripFrameSpec strip_frame_spec(const PageLayout& layout, double denominator, double half_width_m);

struct StripSheet {
    int number = 0;                                // 1-based
    double from_chainage_m = 0, to_chainage_m = 0; // the sheet's own stretch
    // The same stretch as distance along the centreline (differs after a chainage break, 断链).
    double along_from_m = 0, along_to_m = 0;
    double centre_x = 0, centre_y = 0; // world point at the frame's centre
    double angle_rad = 0; // direction (from grid east, counter-clockwise) running across the sheet
};

// Sheets along the centreline. parts: the centreline's parts, the distance running on from part to
// part. segments: the stretches a sheet may be made of, in order along the line, each with its
// distance along the line and its chainage as the stationing reads it (the corridor analysis's
// segments, so a sheet's figures are whole segments and its ends honour chainage breaks). Greedy
// from the start: each stretch runs to the furthest segment end for which the road from
// overlap_m before it to overlap_m after it, widened by inset_m on every side, fits in the frame
// turned along the chord of the stretch. The frame thus covers the red line of its stretch (and
// the overlap): the sheets together cover the whole red line. Error(input) naming the stretch
// when one segment alone does not fit (a hairpin at a large scale); prefix: the alignment's
// chainage prefix for that message (K, ZK, YK).
std::vector<StripSheet> plan_strip_sheets(const std::vector<LinearRef>& parts,
                                          const std::vector<StationSpan>& segments,
                                          const StripFrameSpec& spec,
                                          std::string_view prefix = "K");

// The distance along the centreline of a chainage and back, as the stationing reads them (breaks
// honoured). A chainage a long chain (长链) stations twice gives its first place; one a short
// chain (短链) skips gives the break; one before the start or past the end, that end.
double strip_distance_of(const Stationing& stationing, double chainage_m);
double strip_chainage_of(const Stationing& stationing, double distance_m);

} // namespace landclear
