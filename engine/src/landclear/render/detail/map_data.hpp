#pragma once
// Private to render/: what the parts of a map's data share. map_data.cpp plans the pages
// (MapPlan: checks the request, reads the status and corridor figures once);
// map_page_builder.cpp reads what one page holds from the store; map_figures.cpp writes its
// titles and the figures beside the map; map_geometry.cpp turns geometries into rings and
// draws a corridor (red line, chainage ticks, blocking stretches); map_issues.cpp adds the
// open issues.
#include "landclear/analysis/corridor.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/linear_ref.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/render/map_strip.hpp"

#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace landclear {

struct IssueListRow;

namespace map_data_detail {

void grow(Envelope& e, bool& empty, double x, double y);

struct Extent {
    Envelope env;
    bool empty = true;
    void add(double x, double y) { grow(env, empty, x, y); }
    void add(const MapRings& rings) {
        for (const auto& r : rings)
            for (const auto& p : r)
                add(p.x, p.y);
    }
};

// Polygon rings (outer and holes) of any polygonal geometry, for an even-odd fill.
void append_rings(const Geos& geos, const GEOSGeometry* g, MapRings& out);
MapRings rings_of(const Geos& geos, const GEOSGeometry* g);
// The outline of many polygons (a district's parcels, a project without red line).
MapRings union_outline(const Geos& geos, std::vector<GeomPtr>& parts);
// The centreline's parts as LinearRefs, the distance running on from part to part (as
// corridor.hpp measures it, from the first vertex); the corridor's Stationing turns it into
// chainage (breaks honoured).
std::vector<LinearRef> measured(const MapLines& parts);
// Corridor drawing: the red line as corridor.hpp makes it (the centreline buffered by its side
// widths), ticks at every whole 100 m of chainage, and the blocking stretches it reported.
// tick_m / label_m: a tick every tick_m of chainage, a K label every label_m (100 / 1000 on a
// project-frame map; denser on a strip sheet). The road's start and end are labelled when they
// are off the end_grid_m grid (the ticks' on a project-frame map, the labels' on a strip).
MapCorridor corridor_geometry(const Geos& geos, const CorridorRow& c,
                              const std::vector<unsigned char>& wkb, const CorridorReport* report,
                              double tick_m = 100, double label_m = 1000, double end_grid_m = 100);

// What a strip map plans once for all its sheets (MapPlan's constructor).
struct StripContext {
    const CorridorRow* corridor = nullptr;
    const CorridorReport* report = nullptr;
    MapCorridor drawn; // centreline, red line, strip ticks and blocking stretches
    std::vector<LinearRef> parts;
    GeomPtr line, red;
    StripFrameSpec spec;
    std::vector<StripSheet> sheets;
};

// "G320-01": the key of a strip map's sheet (names its PNG in a folder).
std::string strip_key(const std::string& code, int number);

struct Context {
    Store& store;
    const MapRequest& req;
    Geos geos;
    StatusReport status;
    std::map<std::string, ProjectRow> projects;
    std::vector<CorridorRow> corridors;
    std::map<std::string, CorridorReport> reports; // by corridor code, from analyse_corridors
    std::string crs_note, source_note;
    PageLayout layout;
    std::optional<StripContext> strip;

    Context(Store& s, const MapRequest& r) : store(s), req(r) {}
};

// Reads one page from the store (map_page_builder.cpp); its titles and figures are
// map_figures.cpp's.
class PageBuilder {
public:
    explicit PageBuilder(Context& ctx) : m_ctx(ctx) {}

    MapPage build(const std::string& key);
    // One sheet of a strip map: the frame the plan gave it, what lies in it, its stretch's
    // figures from the corridor analysis's segments and its blocking parcels.
    MapPage build_strip(std::size_t index);

    void set_district_projects(std::vector<std::string> codes) {
        m_district_projects = std::move(codes);
    }
    const std::vector<std::string>& district_projects() const { return m_district_projects; }

    // The corridors a page draws: the one asked for, or those of the page's projects.
    std::vector<const CorridorRow*> page_corridors(const std::vector<std::string>& project_codes,
                                                   const CorridorRow* only) const;

private:
    CorridorRow m_group_row; // the corridor of several alignments a page is of

    void read_parcels(MapPage& page, const std::vector<std::string>& project_codes,
                      const std::string& district,
                      const std::optional<Envelope>& bbox = std::nullopt);
    void read_buildings(MapPage& page, const std::vector<std::string>& project_codes,
                        const std::optional<Envelope>& bbox = std::nullopt);
    void read_corridors(MapPage& page, const std::vector<const CorridorRow*>& wanted);
    void read_boundary(MapPage& page, const std::vector<std::string>& project_codes);
    // The blocking stretches' parcels with land in this sheet's piece of the red line (cut
    // where the corridor analysis cuts its segments), with that land's area.
    void blocking_parcels(StripPage& sp, const StripContext& st);
    void read_context(MapPage& page);

    Context& m_ctx;
    std::vector<std::string> m_district_projects;
    std::unordered_set<std::string> m_selected, m_blocking;
    std::vector<GeomPtr> m_union_parts;
    std::map<std::string, GeomPtr> m_blocking_geoms; // a strip sheet's blocking parcels
};

// The page's title and subtitle, and its legend and figures (from compute_status and the
// corridor analysis: the same as `landclear status` and `landclear corridor`).
void titles(const Context& ctx, MapPage& page, const CorridorRow* corridor);
void figures(const Context& ctx, MapPage& page, const CorridorRow* corridor);
// The panel's figures on a strip sheet: its stretch, not the whole road.
void strip_rows(MapPage& page, const CorridorRow& c, Lang lang);

// The open issues that reach into the page's frame, overdue first (drawn last, on top).
void add_issues(const Geos& geos, const std::vector<IssueListRow>& issues, MapPage& page);

} // namespace map_data_detail
} // namespace landclear
