#pragma once
// Corridor status by chainage (桩号): for each road corridor, the land and buildings inside its
// red line as of a date, per chainage segment, and the stretches that still block the road.
//
// The geometric work (red line, segments, parcels clipped to the segments, buildings located in
// them) does not depend on the date: it is kept in the store as three derived layers and redone
// only when an import has changed the data, the segment length or the red-line source differ.
// The as-of figures are then sums over the stored pieces with the parcels' and buildings' dates.
// docs/CORRIDOR.md explains the geometry, the labels and what "blocking" means.
//
// Library use (the CLI, map renderer and web server all go through these two calls):
//     CorridorOptions o;  o.as_of = ...;  o.corridors = {"G320-1"};
//     auto reports = analyse_corridors(store, o);
// and report/corridor_tables.hpp turns the reports into tables.
#include "landclear/analysis/status.hpp"
#include "landclear/core/date.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/redline.hpp"
#include "landclear/store/store.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

// Where a corridor's red line comes from.
enum class RedLineSource {
    buffer,  // the centreline buffered by its widths (default)
    project, // the polygon of the corridor's project, where it has one (else the buffer)
};
RedLineSource parse_red_line_source(const std::string& text); // "buffer" | "project"

struct CorridorOptions {
    std::vector<std::string> corridors; // corridor codes; empty: every corridor
    std::vector<std::string> projects;  // or the corridors of these projects
    Date as_of = Date::today();
    std::optional<Date> since; // also the increase over (since, as_of]
    double segment_m = 100;
    RedLineSource red_line = RedLineSource::buffer;
    // --area: the red line and the clipped parcel pieces measured in the working CRS (planar) or
    // on the ellipsoid (32号, geom/ellipsoidal.hpp, the same as status and reconcile).
    AreaBasis area = AreaBasis::planar;
    bool save = true;     // write recomputed geometry to the store when it is writable
    unsigned threads = 0; // 0: one per core
    std::function<void(const std::string&)> progress;
};

// Figures inside a red line (or one segment of it), as StatusFigures with these meanings:
// parcels = parcels with area inside; area_m2 = parcel area clipped to the red line; acquired,
// cleared and delivered each count by their own date, as in `landclear status` (core/stage.hpp:
// a piece cleared without an acquired date counts as cleared, not as acquired); buildings are those
// whose point-on-surface lies inside (households, floor area, signed, demolished); new_* are
// increases over (since, as_of].
struct CorridorSegment {
    int index = 0;               // 0-based along the centreline
    double from_m = 0, to_m = 0; // chainage, as the stationing reads it (breaks honoured)
    // Distance along the centreline from its first vertex: where to draw it. Differs from
    // from_m − start_chainage_m after a chainage break (断链).
    double along_from_m = 0, along_to_m = 0;
    std::string label;      // "K1+200–K1+300" (with the alignment's prefix: "ZK1+200–ZK1+300")
    std::string alignment;  // the alignment's prefix (K, ZK, YK ...) whose centreline it is on
    double red_line_m2 = 0; // area of this piece of the red line
    StatusFigures figures;
    bool blocked = false; // land not cleared (> blocking_min_m2) or a household not demolished
};

// Consecutive blocked segments.
struct BlockingStretch {
    int first_segment = 0, last_segment = 0;
    double from_m = 0, to_m = 0;
    double along_from_m = 0, along_to_m = 0;                      // as CorridorSegment
    double length_m() const { return along_to_m - along_from_m; } // along the line
    std::string label;
    std::string alignment;                   // as CorridorSegment
    double not_acquired_m2 = 0;              // not cleared, not acquired (by their own dates)
    double not_cleared_m2 = 0;               // acquired but not cleared
    std::int64_t outstanding_households = 0; // not demolished
    std::int64_t unsigned_households = 0;
    std::vector<std::string> parcels;   // parcels with land not cleared, by code
    std::vector<std::string> buildings; // buildings not demolished, by code
    double outstanding_m2() const { return not_acquired_m2 + not_cleared_m2; }
};

// Land smaller than this (m²) does not block a segment: slivers where a parcel edge runs along
// the red line.
inline constexpr double blocking_min_m2 = 0.01;

// A corridor of several alignments (twin alignments 左线 ZK / 右线 YK, ramps, the arms of a fork):
// the corridors layer holds one feature per alignment, sharing the corridor code and differing
// in `alignment`; the store keeps one row per alignment, keyed corridor_row_code(code,
// alignment) = "G320-1~ZK" ("~" then the alignment's prefix). A corridor with one feature keeps
// its code as it is. docs/CORRIDOR.md#twin-alignments.
inline constexpr char alignment_separator = '~';
std::string corridor_row_code(const std::string& corridor_code, const std::string& alignment);
// The corridor a stored row belongs to: "G320-1" for the row "G320-1~ZK" whose alignment is ZK;
// the row's own code for a corridor of one feature.
std::string corridor_of_row(const CorridorRow& row);
// Whether the row is one alignment of a corridor of several (its code is corridor_row_code).
bool is_alignment_row(const CorridorRow& row);

struct CorridorReport {
    std::string code, name, project_code;
    // The stored row (corridors layer, derived layers' corridor_code) this report's segments
    // belong to: the code for a corridor of one alignment, "G320-1~ZK" for an alignment's own
    // report, the corridor code (its union red line) for a corridor of several.
    std::string row_code;
    double start_chainage_m = 0, length_m = 0; // length along the centreline
    double end_chainage_m = 0;                 // start + length + Σ (ahead − back) of the breaks
    std::string alignment = "K";               // chainage prefix: K, ZK (左线), YK (右线) ...
    std::vector<ChainageBreak> breaks;         // 断链, in order along the line
    SideWidths widths;
    RedLineSource red_line_source = RedLineSource::buffer; // what was used
    double red_line_m2 = 0;
    StatusFigures figures; // the sum of its segments (several alignments: of the union)
    std::vector<CorridorSegment> segments;
    std::vector<BlockingStretch> blocking; // worst first: most outstanding 亩, then households
    // A corridor of several alignments: each alignment's own report (its centreline, widths,
    // stationing, segments and blocking stretches; figures the sum of its segments), in the
    // order of their prefixes. The corridor's red_line_m2 and figures are then those of the
    // union of the alignments' red lines (land where they overlap counted once), so they are
    // not the sum of the alignments'; its segments and blocking stretches are all the
    // alignments' (each names its alignment), its chainage fields (start, length, end,
    // breaks, widths, alignment) are the first alignment's. Empty for a corridor of one.
    std::vector<CorridorReport> alignments;
    // How the geometry was obtained: "stored" (read from the store), "saved" (recomputed and
    // written), or "in memory: <why not saved>".
    std::string geometry;
};

// Error(usage) listing the corridors that exist when a code is unknown, and the projects with
// corridors when a project code matches none; Error(input) for a corridor whose widths or
// centreline cannot make a red line. A corridor without parcels reports zeros.
std::vector<CorridorReport> analyse_corridors(Store& store, const CorridorOptions& options);

// The derived layers, scoped by corridor_code (Store::for_each_derived(def, "corridor_code",
// code, ...)); geometry in the store's working CRS.
//   corridor_segments: corridor_code, segment_index, chainage_from_m, chainage_to_m, label;
//                      measure = area of the red-line piece (m²); MULTIPOLYGON.
//   corridor_parcels:  corridor_code, segment_index, chainage_from_m, chainage_to_m,
//                      parcel_code, whole (1 when the parcel lies wholly in the piece);
//                      measure = clipped area (m²); MULTIPOLYGON (the parcel clipped).
//   corridor_buildings: corridor_code, segment_index, building_code, parcel_code;
//                      measure = footprint area (m²); POINT (the point-on-surface used).
// Whether the derived layers hold a corridor's pieces (analysed: some `landclear corridor` run
// saved them) and whether they were computed from the store's data as it is now (else stale:
// an import came after). Options such as the segment length are not compared.
enum class StoredCorridor { not_analysed, stale, current };
StoredCorridor stored_corridor(Store& store, const std::string& code);

const DerivedLayerDef& corridor_segments_layer();
const DerivedLayerDef& corridor_parcels_layer();
const DerivedLayerDef& corridor_buildings_layer();

} // namespace landclear
