#pragma once
// What a meeting map shows, read from the store: the parcels of a project, corridor or district
// with their status as of a date, the buildings, the corridor red line and chainage ticks, the
// boundary, and the figures beside the map (taken from compute_status, so they equal
// `landclear status`). Coordinates stay in the working CRS; map_render draws them.
#include "landclear/analysis/status.hpp"
#include "landclear/core/date.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/render/map_layout.hpp"
#include "landclear/report/table.hpp"
#include "landclear/store/store.hpp"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

enum class MapScope { project, corridor, district, all_projects };

struct MapRequest {
    MapScope scope = MapScope::project;
    std::string code; // project or corridor code, or district name
    Date as_of = Date::today();
    std::optional<Date> since; // parcels changed in (since, as_of] are marked
    std::string title;         // replaces the generated title (an atlas: heads every page)
    PaperSize size = PaperSize::a4;
    Orientation orientation = Orientation::landscape;
    Lang lang = Lang::zh; // the words on the page
    // A strip map (带状图) of the corridor: one sheet per stretch at 1:strip_scale, landscape
    // (map_strip.hpp). Only with MapScope::corridor.
    bool strip = false;
    double strip_scale = 2000;
    // A corridor of several alignments (ZK/YK, a fork's AK/BK): the alignment a strip map runs
    // along (its prefix, "ZK"). A project-frame corridor map draws every alignment.
    std::string alignment;
};

struct MapPoint {
    double x = 0, y = 0;
};
using MapRing = std::vector<MapPoint>;
using MapRings = std::vector<MapRing>; // polygon rings, filled even-odd
using MapLines = std::vector<MapRing>; // line parts

struct MapParcel {
    std::string code;
    ParcelStage state = ParcelStage::not_acquired; // parcel_stage(): its fill colour
    bool overdue = false;                          // past the project's deadline and not delivered
    bool blocking = false;                         // in a corridor's blocking stretch
    bool changed = false;                          // a status date in (since, as_of]
    double area_m2 = 0;
    MapRings rings;
    MapPoint label_at; // a point inside the parcel
    Envelope envelope;
};

struct MapBuilding {
    std::string code;
    BuildingStage state = BuildingStage::not_signed;
    MapRings rings;
};

// An issue of the issue list (analysis/issue_list.hpp) open on the map's day, drawn on what it
// is tied to and marked with its id: red when overdue, orange otherwise.
struct MapIssue {
    std::string id, unit, text;
    Date deadline;
    bool overdue = false;
    long days_overdue = 0;
    MapRings rings;   // the parcel, building, red-line stretch or project it is tied to
    MapPoint mark_at; // where its marker sits (a point inside the geometry)
    Envelope envelope;
};

struct ChainageTick {
    MapPoint at;
    double dx = 0, dy = 0; // unit vector along the centreline (direction of rising chainage)
    double chainage_m = 0;
    bool kilometre = false; // every 1 km: longer tick with a K label
    bool end_point = false; // the line's start or end off the 100 m grid: labelled too
    bool labelled = false;  // carries a K label (the kilometres; every 100 m on a strip sheet)
};

struct MapCorridor {
    std::string code, name;
    MapRings red_line; // centreline buffered by the red-line widths
    MapLines centreline;
    std::vector<ChainageTick> ticks;
    MapLines blocking;           // blocking stretches along the centreline
    std::string alignment = "K"; // the labels' chainage prefix (ZK1+200 on a left alignment)
};

// One legend line: a stage, its 亩 and share of the selection's parcel area. The figures are
// those of `landclear status` (core/stage.hpp: each date counts on its own, so 已征 is the land
// with an acquired date, 未征 the rest, and 已腾 may exceed 已征 where land is cleared without
// an acquisition date).
struct LegendEntry {
    ParcelStage state = ParcelStage::not_acquired;
    std::string label;
    double mu = 0;
    double share_pct = 0;
};

struct FigureRow {
    std::string label, value;
};

// A line across the road where the next or the previous sheet of a strip begins (接图线).
struct MatchLine {
    MapPoint a, b;         // across the road, beyond the red line on both sides
    int sheet = 0;         // the sheet on the other side
    bool next = true;      // the next sheet (at the end of this one's stretch)
    double chainage_m = 0; // where it crosses the centreline
};

// What a strip sheet adds to its page: its stretch, its frame in the working CRS, the match
// lines, and the stretch's figures summed from the corridor analysis's segments.
struct StripPage {
    int number = 0, count = 0;
    double from_chainage_m = 0, to_chainage_m = 0;
    double along_from_m = 0, along_to_m = 0; // the same, along the centreline (breaks: 断链)
    std::string alignment = "K";             // chainage prefix of the labels
    MapRing frame; // the map frame's corners in the working CRS (closed ring)
    std::vector<MatchLine> match_lines;
    double red_line_m2 = 0; // Σ of the stretch's segment pieces
    StatusFigures figures;  // Σ of the stretch's segments (parcels: not summed, 0)
    int segments = 0;       // how many segments the stretch holds
    // Blocking stretches that reach into this stretch, clipped to it ("K0+200–K0+400").
    std::vector<std::string> blocking;
    // Their parcels with land in this stretch's piece of the red line: code and that area.
    std::vector<std::pair<std::string, double>> blocking_parcels;
};

struct MapPage {
    MapScope scope = MapScope::project;
    Lang lang = Lang::zh;
    std::string key; // project/corridor code or district name (names the PNG in a folder)
    std::string title, subtitle;
    StatusFigures figures; // the selection's row of compute_status
    std::array<LegendEntry, 4> legend;
    std::vector<FigureRow> figure_rows; // the small table beside the legend
    std::vector<MapParcel> parcels;
    std::vector<MapRings> context; // other parcels in view, outline only
    std::vector<MapBuilding> buildings;
    std::vector<MapCorridor> corridors;
    std::vector<MapIssue> issues; // open on the map's day, within the map frame
    MapRings boundary;
    std::string boundary_label;
    std::optional<Date> since;
    Envelope extent; // of the selection
    PageLayout layout;
    MapTransform transform; // where the map frame shows the selection
    std::string crs_note, source_note;
    std::optional<StripPage> strip;
    // The day in the footer's "made by landclear": today unless set (a bulletin's map carries
    // the bulletin's own day, so the file comes out the same whenever it is written).
    std::optional<Date> made_on;
};

// Checks the request against the store when constructed (unknown code: Error(usage) listing
// what exists; nothing to draw: Error(input)), then reads one page at a time, so an atlas never
// holds every page. Status figures are computed once, by compute_status.
class MapPlan {
public:
    MapPlan(Store& store, const MapRequest& request);
    ~MapPlan();
    MapPlan(const MapPlan&) = delete;
    MapPlan& operator=(const MapPlan&) = delete;

    // The pages it will make, in order: project/corridor codes or the district name.
    const std::vector<std::string>& keys() const;
    // Projects an atlas leaves out, with the reason ("P9: no parcels").
    const std::vector<std::string>& skipped() const;
    MapPage page(std::size_t index);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// All pages at once (tests and small maps).
std::vector<MapPage> collect_map_pages(Store& store, const MapRequest& request);

} // namespace landclear
