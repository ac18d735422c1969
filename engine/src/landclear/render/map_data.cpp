#include "landclear/render/map_data.hpp"

#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/linear_ref.hpp"
#include "landclear/geom/redline.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/render/map_strip.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <ogr_spatialref.h>
#include <set>
#include <unordered_set>

namespace landclear {

namespace {

// Lists what exists when a code is unknown: the first few, then how many more.
std::string list_some(const std::vector<std::string>& names) {
    if (names.empty())
        return "none";
    std::string out;
    size_t shown = std::min<size_t>(names.size(), 12);
    for (size_t i = 0; i < shown; ++i)
        out += (i ? ", " : "") + names[i];
    if (names.size() > shown)
        out += fmt::format(" … and {} more", names.size() - shown);
    return out;
}

const std::string* text_of(const Value& v) {
    return std::get_if<std::string>(&v);
}
std::optional<Date> date_of(const Value& v) {
    if (auto d = std::get_if<Date>(&v))
        return *d;
    return std::nullopt;
}

void grow(Envelope& e, bool& empty, double x, double y) {
    if (empty) {
        e = {x, y, x, y};
        empty = false;
        return;
    }
    e.min_x = std::min(e.min_x, x);
    e.min_y = std::min(e.min_y, y);
    e.max_x = std::max(e.max_x, x);
    e.max_y = std::max(e.max_y, y);
}

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

MapRing to_map_ring(const Vertices& v) {
    MapRing out(v.size());
    for (size_t i = 0; i < v.size(); ++i)
        out[i] = {v[i].x, v[i].y};
    return out;
}

// Polygon rings (outer and holes) of any polygonal geometry, for an even-odd fill.
void append_rings(const Geos& geos, const GEOSGeometry* g, MapRings& out) {
    for (const auto& r : geos.polygon_rings(g))
        out.push_back(to_map_ring(r));
}

void append_lines(const Geos& geos, const GEOSGeometry* g, MapLines& out) {
    for (const auto& l : geos.line_parts(g))
        out.push_back(to_map_ring(l));
}

MapRings rings_of(const Geos& geos, const GEOSGeometry* g) {
    MapRings r;
    append_rings(geos, g, r);
    return r;
}

// The outline of many polygons (a district's parcels, a project without red line).
MapRings union_outline(const Geos& geos, std::vector<GeomPtr>& parts) {
    if (parts.empty())
        return {};
    GeomPtr merged;
    try {
        merged = geos.union_of(std::move(parts));
    } catch (const Error&) {
        // A union that GEOS cannot do leaves the map without outline rather than failing.
        parts.clear();
        return {};
    }
    parts.clear();
    return rings_of(geos, merged.get());
}

std::string fmt_pct(double part, double whole) {
    return fmt::format("{:.1f}%", percent(part, whole));
}

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

std::string strip_key(const std::string& code, int number) {
    return fmt::format("{}-{:02d}", code, number);
}

// Chinese by default, English with --lang en.
const char* tr(Lang lang, const char* zh, const char* en) {
    return lang == Lang::en ? en : zh;
}
// The same, formatted: trf(lang, "{} 亩", "{} mu", x).
template <class... A> std::string trf(Lang lang, const char* zh, const char* en, const A&... args) {
    return fmt::vformat(tr(lang, zh, en), fmt::make_format_args(args...));
}
std::string mu_text(double m2, Lang lang) {
    return fmt::format("{:.2f} {}", m2_to_mu(m2), tr(lang, "亩", "mu"));
}

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

const StatusFigures* find_group(const StatusReport& r, const std::string& key) {
    for (const auto& g : r.groups)
        if (g.key == key)
            return &g.figures;
    return nullptr;
}

std::vector<std::string> district_names(Store& store) {
    std::set<std::string> names;
    store.for_each_parcel([&](const ParcelRow& p) {
        if (!p.district.empty())
            names.insert(p.district);
    });
    return {names.begin(), names.end()};
}

// The centreline's parts as LinearRefs, the distance running on from part to part (as
// corridor.hpp measures it, from the first vertex); the corridor's Stationing turns it into
// chainage (breaks honoured).
std::vector<LinearRef> measured(const MapLines& parts) {
    std::vector<LinearRef> out;
    double offset = 0;
    for (const auto& part : parts) {
        std::vector<LinePoint> points;
        points.reserve(part.size());
        for (const auto& p : part)
            points.push_back({p.x, p.y});
        out.emplace_back(std::move(points), offset);
        if (out.back().size() > 0)
            offset = out.back().end();
    }
    return out;
}

// The piece of the centreline between two distances along it.
MapLines substring(const std::vector<LinearRef>& parts, double d0, double d1) {
    MapLines out;
    for (const auto& part : parts) {
        auto piece = part.clipped(d0, d1);
        if (piece.empty())
            continue;
        MapRing ring;
        for (const auto& p : piece)
            ring.push_back({p.x, p.y});
        out.push_back(std::move(ring));
    }
    return out;
}

// Corridor drawing: the red line as corridor.hpp makes it (the centreline buffered by its side
// widths), ticks at every whole 100 m of chainage, and the blocking stretches it reported.
// tick_m / label_m: a tick every tick_m of chainage, a K label every label_m (100 / 1000 on a
// project-frame map; denser on a strip sheet). The road's start and end are labelled when they
// are off the end_grid_m grid (the ticks' on a project-frame map, the labels' on a strip).
MapCorridor corridor_geometry(const Geos& geos, const CorridorRow& c,
                              const std::vector<unsigned char>& wkb, const CorridorReport* report,
                              double tick_m = 100, double label_m = 1000, double end_grid_m = 100) {
    MapCorridor mc;
    mc.code = c.code;
    mc.name = c.name;
    auto line = geos.from_wkb(wkb);
    append_lines(geos, line.get(), mc.centreline);
    auto red = buffer_centreline(geos, line.get(), corridor_widths(c));
    append_rings(geos, red.get(), mc.red_line);

    auto parts = measured(mc.centreline);
    if (parts.empty())
        return mc;
    // The stationing as the analysis reads it: start chainage, length, breaks (断链). Ticks are
    // placed run by run, so after a break they continue from the chainage ahead of it.
    const double len = parts.back().end();
    Stationing stationing(c.start_chainage_m, len,
                          report ? report->breaks : parse_chainage_breaks(c.chainage_breaks));
    mc.alignment = report ? report->alignment : (c.alignment.empty() ? "K" : c.alignment);
    for (const auto& part : parts) {
        if (part.size() < 2)
            continue;
        for (const auto& run : stationing.runs()) {
            double lo = std::max(part.start(), run.along_from_m);
            double hi = std::min(part.end(), run.along_to_m);
            if (hi < lo)
                continue;
            double start = run.from_m + (lo - run.along_from_m);
            double end = run.from_m + (hi - run.along_from_m);
            double first = std::ceil(start / tick_m - 1e-9) * tick_m;
            for (int k = 0;; ++k) {
                double ch = first + k * tick_m;
                if (ch > end + 1e-6)
                    break;
                double d = std::clamp(run.along_from_m + (ch - run.from_m), lo, hi);
                size_t edge = part.edge_at(d);
                auto at = part.point_on_edge(edge, d);
                auto dir = part.direction(edge);
                bool degenerate = dir.x == 0 && dir.y == 0;
                ChainageTick tick;
                tick.at = {at.x, at.y};
                tick.dx = degenerate ? 1 : dir.x;
                tick.dy = degenerate ? 0 : dir.y;
                tick.chainage_m = ch;
                tick.kilometre = std::fmod(std::fabs(std::round(ch)), 1000.0) < 0.5;
                double q = ch / label_m;
                tick.labelled = std::fabs(q - std::round(q)) < 1e-9;
                mc.ticks.push_back(tick);
            }
        }
    }
    // The start and end of the road are labelled with their chainage when they fall between
    // the 100 m ticks (K1+180 ... K4+011.181).
    if (!mc.centreline.empty() && mc.centreline.front().size() >= 2 &&
        mc.centreline.back().size() >= 2) {
        auto off_grid = [&](double ch) {
            return std::fabs(ch / end_grid_m - std::round(ch / end_grid_m)) > 1e-6;
        };
        const auto& first = mc.centreline.front();
        const auto& last = mc.centreline.back();
        auto unit = [](const MapPoint& a, const MapPoint& b) {
            double l = std::hypot(b.x - a.x, b.y - a.y);
            return l > 0 ? std::pair{(b.x - a.x) / l, (b.y - a.y) / l} : std::pair{1.0, 0.0};
        };
        const double start_ch = stationing.start(), end_ch = strip_chainage_of(stationing, len);
        if (off_grid(start_ch)) {
            auto [dx, dy] = unit(first[0], first[1]);
            mc.ticks.insert(mc.ticks.begin(),
                            ChainageTick{first[0], dx, dy, start_ch, false, true, true});
        }
        if (off_grid(end_ch)) {
            auto [dx, dy] = unit(last[last.size() - 2], last.back());
            mc.ticks.push_back(ChainageTick{last.back(), dx, dy, end_ch, false, true, true});
        }
    }
    if (report)
        for (const auto& b : report->blocking) {
            // Along the line, not chainage − start: they differ after a chainage break (断链).
            auto piece = substring(parts, b.along_from_m, b.along_to_m);
            mc.blocking.insert(mc.blocking.end(), piece.begin(), piece.end());
        }
    return mc;
}

// The symbol lines map_render puts under the status colours (same conditions).
int legend_symbol_rows(const MapPage& page) {
    bool flagged = std::any_of(page.parcels.begin(), page.parcels.end(),
                               [](const MapParcel& p) { return p.overdue || p.blocking; });
    bool blocking = std::any_of(page.corridors.begin(), page.corridors.end(),
                                [](const MapCorridor& c) { return !c.blocking.empty(); });
    return int(flagged) + int(page.since.has_value()) + (page.buildings.empty() ? 0 : 3) +
           (page.corridors.empty() ? 0 : 2 + int(blocking)) + int(!page.boundary.empty());
}

class PageBuilder {
public:
    explicit PageBuilder(Context& ctx) : m_ctx(ctx) {}

    MapPage build(const std::string& key) {
        MapPage page;
        page.scope =
            m_ctx.req.scope == MapScope::all_projects ? MapScope::project : m_ctx.req.scope;
        page.key = key;
        page.lang = m_ctx.req.lang;
        page.since = m_ctx.req.since;
        page.layout = m_ctx.layout;
        page.crs_note = m_ctx.crs_note;
        page.source_note = m_ctx.source_note;

        std::vector<std::string> project_codes;
        std::string district;
        const CorridorRow* corridor = nullptr;
        switch (page.scope) {
        case MapScope::project:
            project_codes = {key};
            break;
        case MapScope::corridor:
            // A corridor of several alignments is drawn whole, titled and figured as the
            // corridor (its union red line), not as one of its stored rows.
            for (const auto& c : m_ctx.corridors)
                if (!corridor && corridor_of_row(c) == key)
                    corridor = &c;
            if (corridor && corridor->code != key) {
                m_group_row = *corridor;
                m_group_row.code = key;
                corridor = &m_group_row;
            }
            project_codes = {corridor->project_code};
            break;
        case MapScope::district:
            district = key;
            project_codes = m_district_projects;
            break;
        case MapScope::all_projects:
            break;
        }

        auto shown = page_corridors(project_codes, corridor);
        m_blocking.clear();
        for (const auto* c : shown)
            if (auto it = m_ctx.reports.find(c->code); it != m_ctx.reports.end())
                for (const auto& b : it->second.blocking)
                    m_blocking.insert(b.parcels.begin(), b.parcels.end());
        read_parcels(page, project_codes, district);
        read_buildings(page, project_codes);
        read_corridors(page, shown);
        read_boundary(page, project_codes);
        titles(page, corridor);
        figures(page, corridor);

        reserve_panel(page.layout, legend_symbol_rows(page), int(page.figure_rows.size()));
        Extent ext;
        // A corridor map is framed on the corridor's red line, not on its project (a 1 km road
        // of a large project would sit in a corner); the project's other parcels show around it.
        if (page.scope == MapScope::corridor)
            for (const auto& c : page.corridors)
                ext.add(c.red_line);
        if (ext.empty) {
            for (const auto& p : page.parcels)
                ext.add(p.rings);
            if (page.scope != MapScope::district)
                ext.add(page.boundary);
        }
        page.extent = ext.env;
        page.transform = MapTransform::fit(page.extent, page.layout.map);
        read_context(page);
        return page;
    }

    // One sheet of a strip map: the frame the plan gave it, what lies in it, its stretch's
    // figures from the corridor analysis's segments and its blocking parcels.
    MapPage build_strip(std::size_t index) {
        const auto& st = *m_ctx.strip;
        const auto& sheet = st.sheets.at(index);
        const auto& c = *st.corridor;
        const Lang lang = m_ctx.req.lang;
        MapPage page;
        page.scope = MapScope::corridor;
        page.lang = lang;
        page.key = strip_key(c.code, sheet.number);
        page.since = m_ctx.req.since;
        page.layout = m_ctx.layout;
        page.crs_note = m_ctx.crs_note;
        page.source_note = m_ctx.source_note;
        page.transform = MapTransform::oriented(sheet.centre_x, sheet.centre_y, sheet.angle_rad,
                                                m_ctx.req.strip_scale, page.layout.map);
        const Envelope view = page.transform.world_extent();
        page.strip.emplace();
        auto& sp = *page.strip;
        sp.number = sheet.number;
        sp.count = static_cast<int>(st.sheets.size());
        sp.from_chainage_m = sheet.from_chainage_m;
        sp.to_chainage_m = sheet.to_chainage_m;
        sp.along_from_m = sheet.along_from_m;
        sp.along_to_m = sheet.along_to_m;
        sp.alignment = st.report->alignment;
        for (const auto& [x, y] : page.transform.world_frame())
            sp.frame.push_back({x, y});
        sp.frame.push_back(sp.frame.front());

        const std::vector<std::string> project_codes{c.project_code};
        m_blocking.clear();
        for (const auto& b : st.report->blocking)
            m_blocking.insert(b.parcels.begin(), b.parcels.end());
        read_parcels(page, project_codes, "", view);
        read_buildings(page, project_codes, view);
        page.corridors.push_back(st.drawn);
        read_boundary(page, project_codes);
        titles(page, &c);
        figures(page, &c);

        match_lines(page, st, sheet);
        stretch_figures(sp, *st.report);
        blocking_parcels(sp, st);
        strip_rows(page, c, lang);
        page.extent = view;
        read_context(page);
        return page;
    }

    void set_district_projects(std::vector<std::string> codes) {
        m_district_projects = std::move(codes);
    }
    const std::vector<std::string>& district_projects() const { return m_district_projects; }

    // The corridors a page draws: the one asked for, or those of the page's projects.
    std::vector<const CorridorRow*> page_corridors(const std::vector<std::string>& project_codes,
                                                   const CorridorRow* only) const {
        std::vector<const CorridorRow*> out;
        for (const auto& c : m_ctx.corridors)
            if (only ? &c == only || corridor_of_row(c) == only->code
                     : std::find(project_codes.begin(), project_codes.end(), c.project_code) !=
                           project_codes.end())
                out.push_back(&c);
        return out;
    }

private:
    CorridorRow m_group_row; // the corridor of several alignments a page is of

    void read_parcels(MapPage& page, const std::vector<std::string>& project_codes,
                      const std::string& district,
                      const std::optional<Envelope>& bbox = std::nullopt) {
        const auto& def = layer_def(LayerKind::parcels);
        const int i_code = field_index(def, "parcel_code");
        const int i_project = field_index(def, "project_code");
        const int i_district = field_index(def, "district");
        const int i_acq = field_index(def, "acquired_on");
        const int i_clr = field_index(def, "cleared_on");
        const int i_del = field_index(def, "delivered_on");
        const Date& as_of = m_ctx.req.as_of;
        const auto& since = m_ctx.req.since;
        FeatureFilter filter;
        filter.project_codes = project_codes;
        filter.bbox = bbox;
        m_union_parts.clear();
        m_blocking_geoms.clear();
        bool keep_for_union = page.scope == MapScope::district;
        m_ctx.store.for_each_feature(LayerKind::parcels, filter, [&](const FeatureRow& row) {
            if (!district.empty()) {
                auto d = text_of(row.values[i_district]);
                if (!d || *d != district)
                    return;
            }
            MapParcel p;
            if (auto c = text_of(row.values[i_code]))
                p.code = *c;
            ParcelDates dates{date_of(row.values[i_acq]), date_of(row.values[i_clr]),
                              date_of(row.values[i_del])};
            p.state = parcel_stage(dates, as_of);
            p.changed = reached_within(dates.acquired_on, since, as_of) ||
                        reached_within(dates.cleared_on, since, as_of) ||
                        reached_within(dates.delivered_on, since, as_of);
            if (auto pc = text_of(row.values[i_project])) {
                auto it = m_ctx.projects.find(*pc);
                if (it != m_ctx.projects.end() && it->second.deadline &&
                    *it->second.deadline < as_of && p.state != ParcelStage::delivered)
                    p.overdue = true;
            }
            p.blocking = m_blocking.count(p.code) > 0;
            p.area_m2 = row.measure;
            if (row.wkb.empty())
                return;
            auto g = with_context([&] { return "parcel " + p.code; },
                                  [&] { return m_ctx.geos.from_wkb(row.wkb); });
            append_rings(m_ctx.geos, g.get(), p.rings);
            if (p.rings.empty())
                return;
            Extent e;
            e.add(p.rings);
            p.envelope = e.env;
            if (auto pt = m_ctx.geos.point_on_surface_xy(g.get())) {
                p.label_at = {pt->x, pt->y};
            } else {
                p.label_at = {(e.env.min_x + e.env.max_x) / 2, (e.env.min_y + e.env.max_y) / 2};
            }
            if (keep_for_union)
                m_union_parts.push_back(std::move(g));
            else if (p.blocking && page.strip)
                m_blocking_geoms.emplace(p.code, std::move(g));
            m_selected.insert(p.code);
            page.parcels.push_back(std::move(p));
        });
    }

    void read_buildings(MapPage& page, const std::vector<std::string>& project_codes,
                        const std::optional<Envelope>& bbox = std::nullopt) {
        const auto& def = layer_def(LayerKind::buildings);
        const int i_code = field_index(def, "building_code");
        const int i_parcel = field_index(def, "parcel_code");
        const int i_signed = field_index(def, "signed_on");
        const int i_demolished = field_index(def, "demolished_on");
        FeatureFilter filter;
        filter.project_codes = project_codes;
        filter.bbox = bbox;
        m_ctx.store.for_each_feature(LayerKind::buildings, filter, [&](const FeatureRow& row) {
            auto parcel = text_of(row.values[i_parcel]);
            if (!parcel || !m_selected.count(*parcel) || row.wkb.empty())
                return;
            MapBuilding b;
            if (auto c = text_of(row.values[i_code]))
                b.code = *c;
            b.state = building_stage(
                BuildingDates{date_of(row.values[i_signed]), date_of(row.values[i_demolished])},
                m_ctx.req.as_of);
            auto g = with_context([&] { return "building " + b.code; },
                                  [&] { return m_ctx.geos.from_wkb(row.wkb); });
            append_rings(m_ctx.geos, g.get(), b.rings);
            page.buildings.push_back(std::move(b));
        });
    }

    void read_corridors(MapPage& page, const std::vector<const CorridorRow*>& wanted) {
        if (wanted.empty())
            return;
        FeatureFilter filter;
        for (auto* c : wanted)
            filter.codes.push_back(c->code);
        const int i_code = field_index(layer_def(LayerKind::corridors), "corridor_code");
        std::map<std::string, std::vector<unsigned char>> wkbs;
        m_ctx.store.for_each_feature(LayerKind::corridors, filter, [&](const FeatureRow& row) {
            if (auto c = text_of(row.values[i_code]))
                wkbs[*c] = row.wkb;
        });
        for (auto* c : wanted) {
            auto it = wkbs.find(c->code);
            if (it == wkbs.end() || it->second.empty())
                continue;
            auto report = m_ctx.reports.find(c->code);
            page.corridors.push_back(
                corridor_geometry(m_ctx.geos, *c, it->second,
                                  report == m_ctx.reports.end() ? nullptr : &report->second));
        }
    }

    void read_boundary(MapPage& page, const std::vector<std::string>& project_codes) {
        if (page.scope == MapScope::district) {
            page.boundary = union_outline(m_ctx.geos, m_union_parts);
            page.boundary_label = tr(m_ctx.req.lang, "区内征拆宗地范围", "Extent of the parcels");
            return;
        }
        if (project_codes.size() != 1)
            return;
        FeatureFilter filter;
        filter.codes = project_codes;
        m_ctx.store.for_each_feature(LayerKind::projects, filter, [&](const FeatureRow& row) {
            if (row.wkb.empty())
                return;
            auto g = m_ctx.geos.from_wkb(row.wkb);
            append_rings(m_ctx.geos, g.get(), page.boundary);
        });
        if (!page.boundary.empty())
            page.boundary_label = tr(m_ctx.req.lang, "项目红线范围", "Project red line");
    }

    void titles(MapPage& page, const CorridorRow* corridor) {
        const Lang lang = m_ctx.req.lang;
        std::string generated;
        switch (page.scope) {
        case MapScope::project: {
            auto it = m_ctx.projects.find(page.key);
            std::string name = it != m_ctx.projects.end() ? it->second.name : std::string();
            generated = name.empty()
                            ? trf(lang, "{} 征拆进度图", "{}: land clearance map", page.key)
                            : trf(lang, "{}（{}）征拆进度图", "{} ({}): land clearance map", name,
                                  page.key);
            break;
        }
        case MapScope::corridor: {
            const std::string& code = corridor->code;
            if (page.strip)
                generated =
                    corridor->name.empty()
                        ? trf(lang, "线路 {} 带状图", "Corridor {} strip map", code)
                        : trf(lang, "{}（{}）带状图", "{} ({}) strip map", corridor->name, code);
            else
                generated =
                    corridor->name.empty()
                        ? trf(lang, "线路 {} 征拆进度图", "Corridor {}: land clearance map", code)
                        : trf(lang, "{}（{}）线路征拆进度图",
                              "{} ({}): corridor land clearance map", corridor->name, code);
            break;
        }
        case MapScope::district:
            generated = trf(lang, "{} 征拆进度图", "{}: land clearance map", page.key);
            break;
        case MapScope::all_projects:
            break;
        }
        const auto& t = m_ctx.req.title;
        if (t.empty())
            page.title = generated;
        else if (m_ctx.req.scope == MapScope::all_projects)
            page.title = fmt::format("{} · {}", t, generated);
        else
            page.title = t;
        if (page.strip) {
            const auto& sp = *page.strip;
            page.title +=
                trf(lang, "　第 {}/{} 张　{}", " · sheet {} of {} · {}", sp.number, sp.count,
                    format_chainage_range(sp.from_chainage_m, sp.to_chainage_m, sp.alignment));
        }
        page.subtitle = trf(lang, "截至 {}", "as of {}", m_ctx.req.as_of.iso());
        if (m_ctx.req.since)
            page.subtitle += trf(lang, "　本期自 {} 起（不含当日）",
                                 ", this period from the day after {}", m_ctx.req.since->iso());
    }

    void figures(MapPage& page, const CorridorRow* corridor) {
        std::string group = page.scope == MapScope::corridor ? corridor->project_code : page.key;
        if (auto f = find_group(m_ctx.status, group))
            page.figures = *f;
        const auto& f = page.figures;
        const bool en = m_ctx.req.lang == Lang::en;
        auto name = [&](ParcelStage st) { return en ? stage_style(st).en : stage_style(st).zh; };
        page.legend = {
            LegendEntry{ParcelStage::not_acquired, name(ParcelStage::not_acquired),
                        m2_to_mu(f.area_m2 - f.acquired_m2),
                        percent(f.area_m2 - f.acquired_m2, f.area_m2)},
            LegendEntry{ParcelStage::acquired, name(ParcelStage::acquired), m2_to_mu(f.acquired_m2),
                        percent(f.acquired_m2, f.area_m2)},
            LegendEntry{ParcelStage::cleared, name(ParcelStage::cleared), m2_to_mu(f.cleared_m2),
                        percent(f.cleared_m2, f.area_m2)},
            LegendEntry{ParcelStage::delivered, name(ParcelStage::delivered),
                        m2_to_mu(f.delivered_m2), percent(f.delivered_m2, f.area_m2)},
        };
        auto& rows = page.figure_rows;
        const Lang L = m_ctx.req.lang;
        auto mu = [&](double m2) { return mu_text(m2, L); };
        auto share = [&](double m2) {
            return trf(L, "{}（{}）", "{} ({})", mu(m2), fmt_pct(m2, f.area_m2));
        };
        const CorridorReport* report = nullptr;
        if (page.scope == MapScope::corridor) {
            if (auto it = m_ctx.reports.find(corridor->code); it != m_ctx.reports.end())
                report = &it->second;
            auto it = m_ctx.projects.find(corridor->project_code);
            rows.push_back({tr(L, "所属项目", "Project"),
                            it != m_ctx.projects.end() && !it->second.name.empty()
                                ? it->second.name
                                : corridor->project_code});
            rows.push_back({tr(L, "项目进度（与图例同）", "Project progress (as the legend)"), ""});
        }
        rows.push_back({tr(L, "宗地 / 总面积", "Parcels / area"),
                        trf(L, "{} 宗 / {}", "{} / {}", f.parcels, mu(f.area_m2))});
        rows.push_back({tr(L, "已征（征地率）", "Acquired (rate)"), share(f.acquired_m2)});
        rows.push_back({tr(L, "已腾（腾地率）", "Cleared (rate)"), share(f.cleared_m2)});
        rows.push_back({tr(L, "已交（交地率）", "Delivered (rate)"), share(f.delivered_m2)});
        rows.push_back({tr(L, "签约户数 / 总户数", "Households signed / all"),
                        trf(L, "{} / {} 户", "{} / {}", f.signed_households, f.households)});
        rows.push_back({tr(L, "拆除户数 / 总户数", "Households demolished / all"),
                        trf(L, "{} / {} 户", "{} / {}", f.demolished_households, f.households)});
        if (m_ctx.req.since) {
            rows.push_back(
                {tr(L, "本期新增 征 / 腾 / 交", "This period: acquired / cleared / delivered"),
                 trf(L, "{:.2f} / {:.2f} / {:.2f} 亩", "{:.2f} / {:.2f} / {:.2f} mu",
                     m2_to_mu(f.new_acquired_m2), m2_to_mu(f.new_cleared_m2),
                     m2_to_mu(f.new_delivered_m2))});
            rows.push_back({tr(L, "本期新增 签约 / 拆除", "This period: signed / demolished"),
                            trf(L, "{} / {} 户", "{} / {}", f.new_signed_households,
                                f.new_demolished_households)});
        }
        if (page.scope != MapScope::district) {
            std::string pc = page.scope == MapScope::corridor ? corridor->project_code : page.key;
            auto it = m_ctx.projects.find(pc);
            if (it != m_ctx.projects.end() && it->second.deadline) {
                size_t n = 0;
                double m2 = 0;
                for (const auto& p : page.parcels)
                    if (p.overdue)
                        ++n, m2 += p.area_m2;
                std::string v = it->second.deadline->iso();
                if (n)
                    v += trf(L, "，逾期未交 {} 宗 {}", ", overdue {} parcels {}", n, mu(m2));
                rows.push_back({tr(L, "交地限期", "Delivery deadline"), v});
            }
        }
        if (report)
            corridor_rows(rows, *report, L);
        else
            for (const auto& c : page.corridors)
                if (auto it = m_ctx.reports.find(c.code); it != m_ctx.reports.end()) {
                    const auto& blocking = it->second.blocking;
                    double len = 0;
                    for (const auto& b : blocking)
                        len += b.to_m - b.from_m;
                    rows.push_back({trf(L, "线路 {} 阻塞段", "Corridor {} blocking", c.code),
                                    blocking.empty()
                                        ? std::string(tr(L, "无", "none"))
                                        : trf(L, "{} 段，共 {:.0f} 米", "{} stretches, {:.0f} m",
                                              blocking.size(), len)});
                }
    }

    static std::vector<const CorridorReport*> alignments_of(const CorridorReport& r) {
        std::vector<const CorridorReport*> out;
        for (const auto& a : r.alignments)
            out.push_back(&a);
        if (out.empty())
            out.push_back(&r);
        return out;
    }

    // Figures inside the red line, from analyse_corridors (the same as `landclear corridor`).
    static void corridor_rows(std::vector<FigureRow>& rows, const CorridorReport& r, Lang L) {
        const auto& f = r.figures;
        auto mu = [&](double m2) { return mu_text(m2, L); };
        auto share = [&](double m2) {
            return trf(L, "{}（{}）", "{} ({})", mu(m2), fmt_pct(m2, f.area_m2));
        };
        rows.push_back(
            {tr(L, "红线内（按桩号分段统计）", "Inside the red line (by chainage)"), ""});
        // Several alignments (ZK/YK): a chainage and length row for each; figures of the union.
        for (const auto* a : alignments_of(r)) {
            rows.push_back(
                {tr(L, "起止桩号", "Chainage"),
                 format_chainage_range(a->start_chainage_m, a->end_chainage_m, a->alignment)});
            std::string widths =
                a->widths.left_m == a->widths.right_m
                    ? trf(L, "{:g} 米", "{:g} m", a->widths.left_m + a->widths.right_m)
                    : trf(L, "左 {:g} 米 / 右 {:g} 米", "left {:g} m / right {:g} m",
                          a->widths.left_m, a->widths.right_m);
            rows.push_back({tr(L, "线路长度 / 红线宽度", "Length / red-line width"),
                            trf(L, "{:.0f} 米 / {}", "{:.0f} m / {}", a->length_m, widths)});
        }
        rows.push_back({tr(L, "红线面积", "Red-line area"), mu(r.red_line_m2)});
        rows.push_back({tr(L, "红线内宗地面积", "Parcel land inside"), mu(f.area_m2)});
        rows.push_back({tr(L, "红线内已征", "Acquired inside"), share(f.acquired_m2)});
        rows.push_back({tr(L, "红线内已腾", "Cleared inside"), share(f.cleared_m2)});
        rows.push_back({tr(L, "红线内已交", "Delivered inside"), share(f.delivered_m2)});
        rows.push_back({tr(L, "红线内签约 / 拆除 / 总户数", "Signed / demolished / households"),
                        trf(L, "{} / {} / {} 户", "{} / {} / {}", f.signed_households,
                            f.demolished_households, f.households)});
        double len = 0;
        for (const auto& b : r.blocking)
            len += b.to_m - b.from_m;
        rows.push_back({tr(L, "阻塞段", "Blocking stretches"),
                        r.blocking.empty() ? std::string(tr(L, "无", "none"))
                                           : trf(L, "{} 段，共 {:.0f} 米", "{} stretches, {:.0f} m",
                                                 r.blocking.size(), len)});
        // The worst stretches (analyse_corridors sorts them worst first).
        for (size_t i = 0; i < r.blocking.size() && i < 5; ++i) {
            const auto& b = r.blocking[i];
            std::string what =
                trf(L, "未腾 {:.2f} 亩", "{:.2f} mu not cleared", m2_to_mu(b.outstanding_m2()));
            if (b.outstanding_households)
                what += trf(L, "，未拆 {} 户", ", {} households left", b.outstanding_households);
            rows.push_back({"　" + b.label, what});
        }
        if (r.blocking.size() > 5)
            rows.push_back({"　…", trf(L, "另 {} 段", "{} more", r.blocking.size() - 5)});
    }

    // Where the previous sheet ends and the next begins: a line across the road at that
    // chainage, long enough to cross the whole frame (the drawing clips it).
    static void match_lines(MapPage& page, const StripContext& st, const StripSheet& sheet) {
        auto& sp = *page.strip;
        const double half = std::hypot(st.spec.width_m, st.spec.height_m);
        // d: along the line (a chainage may be stationed twice after a long chain, 长链).
        auto add = [&](double chainage, double d, int other, bool next) {
            const LinearRef* part = &st.parts.back();
            for (const auto& p : st.parts)
                if (p.size() >= 2 && d <= p.end() + 1e-9) {
                    part = &p;
                    break;
                }
            size_t edge = part->edge_at(d);
            auto at = part->point_on_edge(edge, d);
            auto dir = part->direction(edge);
            MatchLine m;
            m.a = {at.x + dir.y * half, at.y - dir.x * half};
            m.b = {at.x - dir.y * half, at.y + dir.x * half};
            m.sheet = other;
            m.next = next;
            m.chainage_m = chainage;
            sp.match_lines.push_back(m);
        };
        if (sheet.number > 1)
            add(sheet.from_chainage_m, sheet.along_from_m, sheet.number - 1, false);
        if (sheet.number < sp.count)
            add(sheet.to_chainage_m, sheet.along_to_m, sheet.number + 1, true);
    }

    // The stretch's figures: the sum of the analysis's segments that make it up (a sheet starts
    // and ends at segment boundaries, map_strip.hpp).
    static void stretch_figures(StripPage& sp, const CorridorReport& r) {
        for (const auto& seg : r.segments) {
            if (seg.along_from_m < sp.along_from_m - 1e-6 || seg.along_to_m > sp.along_to_m + 1e-6)
                continue;
            sp.red_line_m2 += seg.red_line_m2;
            sp.figures.add(seg.figures);
            ++sp.segments;
        }
        sp.figures.parcels = 0; // a parcel across two segments would count twice
        for (const auto& b : r.blocking) {
            // Clipped along the line; each end keeps the chainage it has there (breaks).
            double lo = std::max(b.along_from_m, sp.along_from_m);
            double hi = std::min(b.along_to_m, sp.along_to_m);
            if (hi > lo + 1e-6)
                sp.blocking.push_back(format_chainage_range(
                    b.along_from_m >= sp.along_from_m ? b.from_m : sp.from_chainage_m,
                    b.along_to_m <= sp.along_to_m ? b.to_m : sp.to_chainage_m, sp.alignment));
        }
        std::sort(sp.blocking.begin(), sp.blocking.end(), [](const auto& a, const auto& b) {
            return a.size() != b.size() ? a.size() < b.size() : a < b;
        });
    }

    // The blocking stretches' parcels with land in this sheet's piece of the red line (cut
    // where the corridor analysis cuts its segments), with that land's area.
    void blocking_parcels(StripPage& sp, const StripContext& st) {
        std::set<std::string> candidates;
        for (const auto& b : st.report->blocking)
            if (std::min(b.along_to_m, sp.along_to_m) >
                std::max(b.along_from_m, sp.along_from_m) + 1e-6)
                candidates.insert(b.parcels.begin(), b.parcels.end());
        if (candidates.empty())
            return;
        const auto& geos = m_ctx.geos;
        double length = st.parts.back().end();
        // The whole line is cut (start, the stretch's ends, end): split_red_line gives every
        // face of the red line to some interval, so a cut of the stretch alone would be all of it.
        const double d0 = std::clamp(sp.along_from_m, 0.0, length);
        const double d1 = std::clamp(sp.along_to_m, 0.0, length);
        std::vector<double> positions{0.0};
        if (d0 > 1e-3)
            positions.push_back(d0);
        const size_t piece = positions.size() - 1;
        positions.push_back(d1);
        if (d1 < length - 1e-3)
            positions.push_back(length);
        auto pieces = split_red_line(geos, st.red.get(), st.line.get(), positions);
        if (pieces.size() <= piece)
            return;
        for (const auto& code : candidates) {
            auto it = m_blocking_geoms.find(code);
            if (it == m_blocking_geoms.end())
                continue;
            auto in = geos.intersection_snapped(pieces[piece].get(), it->second.get(), 1e-6);
            double a = geos.area(in.get());
            if (a > blocking_min_m2)
                sp.blocking_parcels.emplace_back(code, a);
        }
        std::sort(sp.blocking_parcels.begin(), sp.blocking_parcels.end(),
                  [](const auto& a, const auto& b) {
                      return a.second != b.second ? a.second > b.second : a.first < b.first;
                  });
    }

    // The panel's figures on a strip sheet: its stretch, not the whole road.
    void strip_rows(MapPage& page, const CorridorRow& c, Lang lang) {
        const auto& sp = *page.strip;
        const auto& f = sp.figures;
        auto& rows = page.figure_rows;
        rows.clear();
        rows.push_back(
            {tr(lang, "线路", "Corridor"),
             c.name.empty() ? c.code : trf(lang, "{}（{}）", "{} ({})", c.name, c.code)});
        rows.push_back({tr(lang, "本张桩号", "This sheet"),
                        format_chainage_range(sp.from_chainage_m, sp.to_chainage_m, sp.alignment)});
        rows.push_back({tr(lang, "本张长度 / 分段", "Length / segments"),
                        trf(lang, "{:.0f} 米 / {} 段", "{:.0f} m / {}",
                            sp.along_to_m - sp.along_from_m, sp.segments)});
        rows.push_back({tr(lang, "红线面积", "Red-line area"), mu_text(sp.red_line_m2, lang)});
        rows.push_back(
            {tr(lang, "红线内宗地面积", "Parcel land inside"), mu_text(f.area_m2, lang)});
        auto share = [&](double m2) {
            return trf(lang, "{}（{}）", "{} ({})", mu_text(m2, lang), fmt_pct(m2, f.area_m2));
        };
        rows.push_back({tr(lang, "已征（征地率）", "Acquired (rate)"), share(f.acquired_m2)});
        rows.push_back({tr(lang, "已腾（腾地率）", "Cleared (rate)"), share(f.cleared_m2)});
        rows.push_back({tr(lang, "已交（交地率）", "Delivered (rate)"), share(f.delivered_m2)});
        rows.push_back({tr(lang, "签约 / 拆除 / 总户数", "Signed / demolished / households"),
                        trf(lang, "{} / {} / {} 户", "{} / {} / {}", f.signed_households,
                            f.demolished_households, f.households)});
        std::string blocking = sp.blocking.empty()
                                   ? std::string(tr(lang, "无", "none"))
                                   : fmt::format("{}", fmt::join(sp.blocking, ", "));
        rows.push_back({tr(lang, "阻塞段", "Blocking stretches"), blocking});
    }

    void read_context(MapPage& page) {
        FeatureFilter filter;
        filter.bbox = page.transform.world_extent();
        m_ctx.store.for_each_feature(LayerKind::parcels, filter, [&](const FeatureRow& row) {
            auto code = text_of(row.values[0]);
            if ((code && m_selected.count(*code)) || row.wkb.empty())
                return;
            auto g = with_context([&] { return "parcel " + (code ? *code : std::string()); },
                                  [&] { return m_ctx.geos.from_wkb(row.wkb); });
            page.context.push_back(rings_of(m_ctx.geos, g.get()));
        });
        m_selected.clear();
    }

    Context& m_ctx;
    std::vector<std::string> m_district_projects;
    std::unordered_set<std::string> m_selected, m_blocking;
    std::vector<GeomPtr> m_union_parts;
    std::map<std::string, GeomPtr> m_blocking_geoms; // a strip sheet's blocking parcels
};

// Projects (by code) that have at least one parcel, with the count.
std::map<std::string, std::int64_t> parcel_counts(const StatusReport& r) {
    std::map<std::string, std::int64_t> out;
    for (const auto& g : r.groups)
        out[g.key] = g.figures.parcels;
    return out;
}

std::vector<std::string> validate(Context& ctx) {
    const auto& req = ctx.req;
    auto counts = parcel_counts(ctx.status);
    auto parcels_of = [&](const std::string& key) {
        auto it = counts.find(key);
        return it == counts.end() ? std::int64_t{0} : it->second;
    };
    std::vector<std::string> project_codes;
    for (const auto& [code, p] : ctx.projects)
        project_codes.push_back(code);
    switch (req.scope) {
    case MapScope::project:
        if (!ctx.projects.count(req.code))
            throw_usage(fmt::format("unknown project '{}'; the store has: {}", req.code,
                                    list_some(project_codes)),
                        "pass one of these codes to --project (landclear status STORE lists "
                        "them with their names)");
        if (parcels_of(req.code) == 0)
            throw_input(
                fmt::format("project '{}' has no parcels: there is nothing to map", req.code),
                "import its parcels first, or choose another project");
        return {req.code};
    case MapScope::corridor: {
        std::vector<std::string> codes;
        const CorridorRow* found = nullptr;
        // Corridor codes: an alignment's row (G320-1~ZK) is mapped as its corridor G320-1.
        for (const auto& c : ctx.corridors) {
            if (codes.empty() || codes.back() != corridor_of_row(c))
                codes.push_back(corridor_of_row(c));
            if (!found && corridor_of_row(c) == req.code)
                found = &c;
        }
        if (!found && codes.empty())
            throw_input(fmt::format("the store's corridors layer is empty: there is no "
                                    "corridor '{}' to map",
                                    req.code),
                        "import the centrelines first: landclear import STORE --corridors FILE");
        if (!found)
            throw_usage(
                fmt::format("unknown corridor '{}'; the store has: {}", req.code, list_some(codes)),
                "pass one of these codes to --corridor");
        if (parcels_of(found->project_code) == 0)
            throw_input(fmt::format("corridor '{}' (project '{}') has no parcels: there is "
                                    "nothing to map",
                                    req.code, found->project_code),
                        "import the project's parcels first");
        return {req.code};
    }
    case MapScope::district: {
        auto names = district_names(ctx.store);
        if (!std::binary_search(names.begin(), names.end(), req.code))
            throw_usage(fmt::format("unknown district '{}'; the parcels name: {}", req.code,
                                    list_some(names)),
                        "pass one of these names to --district, as written in the parcels' "
                        "district field");
        return {req.code};
    }
    case MapScope::all_projects: {
        std::vector<std::string> keys;
        for (const auto& code : project_codes)
            if (parcels_of(code) > 0)
                keys.push_back(code);
        if (keys.empty())
            throw_input("no project in the store has parcels: there is nothing to map",
                        "import projects and parcels first (landclear import)");
        return keys;
    }
    }
    return {};
}

void prepare(Context& ctx) {
    for (auto& p : ctx.store.projects())
        ctx.projects.emplace(p.code, p);
    ctx.corridors = ctx.store.corridors();
    StatusOptions so;
    so.as_of = ctx.req.as_of;
    so.since = ctx.req.since;
    so.by = ctx.req.scope == MapScope::district ? GroupBy::district : GroupBy::project;
    ctx.status = compute_status(ctx.store, so);
    // Without a projects layer (or with parcels of projects it lacks), status still groups the
    // parcels by their project_code: those projects are as mappable as the ones with a row.
    if (so.by == GroupBy::project)
        for (const auto& g : ctx.status.groups)
            if (!g.key.empty())
                ctx.projects.emplace(g.key, ProjectRow{g.key, g.name, {}, {}, {}, {}});
    ctx.layout = ctx.req.strip ? strip_page_layout(ctx.req.size)
                               : page_layout(ctx.req.size, ctx.req.orientation);
    if (auto epsg = ctx.store.working_epsg())
        ctx.crs_note =
            trf(ctx.req.lang, "坐标系 {}", "CRS {}", describe_srs(*srs_from_epsg(*epsg)));
    ctx.source_note = trf(ctx.req.lang, "数据：{}（数据版本 {}）", "data: {} (data version {})",
                          ctx.store.display_name(), ctx.store.data_version());
}

// Plans the sheets of a strip map: the corridor's geometry as the analysis makes it, the ticks
// and labels of a strip (denser than on a project-frame map), and the sheets along it.
void prepare_strip(Context& ctx, const std::string& code) {
    StripContext st;
    for (const auto& c : ctx.corridors)
        if (c.code == code)
            st.corridor = &c;
    auto report = ctx.reports.find(code);
    if (!st.corridor || report == ctx.reports.end())
        throw_input(fmt::format("corridor '{}' has no analysis to make a strip map from", code),
                    "run landclear corridor STORE --corridor " + code);
    st.report = &report->second;
    FeatureFilter filter;
    filter.codes = {code};
    Wkb wkb;
    ctx.store.for_each_feature(LayerKind::corridors, filter,
                               [&](const FeatureRow& row) { wkb = row.wkb; });
    if (wkb.empty() || st.report->segments.empty())
        throw_input(fmt::format("corridor '{}' has no centreline to make a strip map along", code),
                    "import its centreline: landclear import STORE --corridors FILE");
    const double scale = ctx.req.strip_scale;
    // A K label every 100 m where 100 m is at least 2 cm on paper, else every 500 m or 1 km.
    const double label_m = scale <= 5000 ? 100 : (scale <= 20000 ? 500 : 1000);
    const double tick_m = label_m == 100 ? 20 : 100;
    st.drawn = corridor_geometry(ctx.geos, *st.corridor, wkb, st.report, tick_m, label_m, label_m);
    st.line = ctx.geos.from_wkb(wkb);
    st.red = buffer_centreline(ctx.geos, st.line.get(), corridor_widths(*st.corridor));
    st.parts = measured(st.drawn.centreline);
    std::vector<StationSpan> segments;
    for (const auto& seg : st.report->segments)
        segments.push_back({seg.along_from_m, seg.along_to_m, seg.from_m, seg.to_m});
    st.spec = strip_frame_spec(ctx.layout, scale, st.report->widths.max());
    st.sheets = plan_strip_sheets(st.parts, segments, st.spec, st.report->alignment);
    ctx.strip.emplace(std::move(st));
}

// The stored row a strip map runs along: the corridor's own, or with several alignments the one
// --alignment names (Error(usage) listing them when it names none of them, or is missing).
std::string strip_row(const Context& ctx, const MapRequest& request) {
    std::vector<std::string> prefixes;
    std::string row;
    for (const auto& c : ctx.corridors)
        if (corridor_of_row(c) == request.code && c.code != request.code) {
            auto prefix = c.alignment.empty() ? std::string("K") : c.alignment;
            prefixes.push_back(prefix);
            if (prefix == request.alignment)
                row = c.code;
        }
    if (prefixes.empty()) {
        if (!request.alignment.empty())
            throw_usage(fmt::format("corridor '{}' has one alignment: --alignment {} does not "
                                    "apply",
                                    request.code, request.alignment),
                        "leave out --alignment");
        return request.code;
    }
    if (row.empty())
        throw_usage(request.alignment.empty()
                        ? fmt::format("corridor '{}' has several alignments ({}): a strip map "
                                      "runs along one",
                                      request.code, fmt::join(prefixes, ", "))
                        : fmt::format("corridor '{}' has no alignment {}; it has {}", request.code,
                                      request.alignment, fmt::join(prefixes, ", ")),
                    fmt::format("choose one with --alignment {}", prefixes.front()));
    return row;
}

} // namespace

// The open issues that reach into the page's frame, overdue first (drawn last, on top).
void add_issues(const Geos& geos, const std::vector<IssueListRow>& issues, MapPage& page) {
    const Envelope view = page.transform.world_extent();
    for (const auto& r : issues) {
        if (r.issue.wkb.empty())
            continue;
        auto g = with_context([&] { return "issue " + r.issue.id; },
                              [&] { return geos.from_wkb(r.issue.wkb); });
        auto box = geos.bounds(g.get());
        if (box.max_x < view.min_x || box.min_x > view.max_x || box.max_y < view.min_y ||
            box.min_y > view.max_y)
            continue;
        MapIssue m;
        m.id = r.issue.id;
        m.unit = r.issue.unit;
        m.text = r.issue.text;
        m.deadline = r.state.deadline;
        m.overdue = r.state.overdue;
        m.days_overdue = r.state.days_overdue;
        m.rings = rings_of(geos, g.get());
        m.envelope = box;
        auto pt = geos.point_on_surface_xy(g.get());
        m.mark_at = pt ? MapPoint{pt->x, pt->y}
                       : MapPoint{(box.min_x + box.max_x) / 2, (box.min_y + box.max_y) / 2};
        page.issues.push_back(std::move(m));
    }
    std::stable_partition(page.issues.begin(), page.issues.end(),
                          [](const MapIssue& m) { return !m.overdue; });
    if (page.issues.empty())
        return;
    // Beside the figures: the issues on this map, overdue first, as many as fit.
    const Lang lang = page.lang;
    long overdue = std::count_if(page.issues.begin(), page.issues.end(),
                                 [](const MapIssue& m) { return m.overdue; });
    page.figure_rows.push_back({trf(lang, "问题清单（未销号 {}，逾期 {}）",
                                    "Open issues ({}, {} overdue)", page.issues.size(), overdue),
                                ""});
    for (auto it = page.issues.rbegin(); it != page.issues.rend(); ++it)
        page.figure_rows.push_back(
            {fmt::format("{} {}", it->id, it->unit),
             it->overdue ? trf(lang, "限期 {}（逾期 {} 天）", "due {} ({} days overdue)",
                               it->deadline.iso(), it->days_overdue)
                         : trf(lang, "限期 {}", "due {}", it->deadline.iso())});
}

struct MapPlan::Impl {
    Context ctx;
    PageBuilder builder;
    std::vector<std::string> keys, skipped;
    std::vector<IssueListRow> issues; // open on the map's day
    Impl(Store& store, const MapRequest& request) : ctx(store, request), builder(ctx) {}
};

MapPlan::MapPlan(Store& store, const MapRequest& request)
    : m_impl(std::make_unique<Impl>(store, request)) {
    auto& ctx = m_impl->ctx;
    prepare(ctx);
    m_impl->keys = validate(ctx);
    IssueListOptions io;
    io.as_of = request.as_of;
    io.open_only = true;
    m_impl->issues = list_issues(store, io).rows;
    if (request.scope == MapScope::all_projects)
        for (const auto& [code, p] : ctx.projects)
            if (!std::binary_search(m_impl->keys.begin(), m_impl->keys.end(), code))
                m_impl->skipped.push_back(fmt::format("{}: no parcels", code));
    if (request.scope == MapScope::district) {
        std::set<std::string> codes;
        store.for_each_parcel([&](const ParcelRow& p) {
            if (p.district == request.code)
                codes.insert(p.project_code);
        });
        m_impl->builder.set_district_projects({codes.begin(), codes.end()});
    }
    // Corridor figures and blocking stretches for every corridor a page will draw, in one call.
    std::set<std::string> corridor_codes;
    for (const auto& key : m_impl->keys) {
        std::vector<std::string> projects;
        const CorridorRow* only = nullptr;
        if (request.scope == MapScope::corridor) {
            for (const auto& c : ctx.corridors)
                if (!only && corridor_of_row(c) == key)
                    only = &c;
        } else if (request.scope == MapScope::district) {
            projects = m_impl->builder.district_projects();
        } else {
            projects = {key};
        }
        for (const auto* c : m_impl->builder.page_corridors(projects, only))
            corridor_codes.insert(corridor_of_row(*c));
    }
    if (!corridor_codes.empty()) {
        CorridorOptions o;
        o.corridors.assign(corridor_codes.begin(), corridor_codes.end());
        o.as_of = request.as_of;
        o.since = request.since;
        // Each alignment of a corridor of several is drawn from its own report, by row code.
        for (auto& r : analyse_corridors(store, o)) {
            for (const auto& a : r.alignments)
                ctx.reports.emplace(a.row_code, a);
            ctx.reports.emplace(r.code, std::move(r));
        }
    }
    if (request.strip) {
        if (request.scope != MapScope::corridor)
            throw_usage("--strip makes a strip map of one corridor",
                        "landclear map STORE --corridor CODE --strip --out FILE.pdf");
        auto code = strip_row(ctx, request);
        prepare_strip(ctx, code);
        m_impl->keys.clear();
        for (const auto& sheet : ctx.strip->sheets)
            m_impl->keys.push_back(strip_key(code, sheet.number));
    }
}

MapPlan::~MapPlan() = default;

const std::vector<std::string>& MapPlan::keys() const {
    return m_impl->keys;
}
const std::vector<std::string>& MapPlan::skipped() const {
    return m_impl->skipped;
}

MapPage MapPlan::page(std::size_t index) {
    auto page = m_impl->ctx.strip ? m_impl->builder.build_strip(index)
                                  : m_impl->builder.build(m_impl->keys.at(index));
    add_issues(m_impl->ctx.geos, m_impl->issues, page);
    return page;
}

std::vector<MapPage> collect_map_pages(Store& store, const MapRequest& request) {
    MapPlan plan(store, request);
    std::vector<MapPage> pages;
    for (std::size_t i = 0; i < plan.keys().size(); ++i)
        pages.push_back(plan.page(i));
    return pages;
}

} // namespace landclear
