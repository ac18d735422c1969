#include "landclear/render/map_data.hpp"

#include "landclear/analysis/corridor.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/linear_ref.hpp"
#include "landclear/geom/redline.hpp"
#include "landclear/io/crs.hpp"

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

std::string fmt_mu(double m2) {
    return fmt::format("{:.2f} 亩", m2_to_mu(m2));
}
std::string fmt_pct(double part, double whole) {
    return fmt::format("{:.1f}%", percent(part, whole));
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

// The centreline's parts as LinearRefs, the distance running on from part to part: the
// chainage of a point is start_chainage_m plus this distance (as corridor.hpp measures it,
// from the first vertex).
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
MapCorridor corridor_geometry(const Geos& geos, const CorridorRow& c,
                              const std::vector<unsigned char>& wkb, const CorridorReport* report) {
    MapCorridor mc;
    mc.code = c.code;
    mc.name = c.name;
    auto line = geos.from_wkb(wkb);
    append_lines(geos, line.get(), mc.centreline);
    auto red = buffer_centreline(geos, line.get(), corridor_widths(c));
    append_rings(geos, red.get(), mc.red_line);

    auto parts = measured(mc.centreline);
    for (const auto& part : parts) {
        if (part.size() < 2)
            continue;
        double start = c.start_chainage_m + part.start();
        double first = std::ceil(start / 100.0 - 1e-9) * 100.0;
        for (double ch = first; ch <= c.start_chainage_m + part.end() + 1e-6; ch += 100.0) {
            double d = std::clamp(ch - c.start_chainage_m, part.start(), part.end());
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
            mc.ticks.push_back(tick);
        }
    }
    // The start and end of the road are labelled with their chainage when they fall between
    // the 100 m ticks (K1+180 ... K4+011.181).
    if (!mc.centreline.empty() && mc.centreline.front().size() >= 2 &&
        mc.centreline.back().size() >= 2) {
        auto off_grid = [](double ch) {
            return std::fabs(ch / 100.0 - std::round(ch / 100.0)) > 1e-6;
        };
        const auto& first = mc.centreline.front();
        const auto& last = mc.centreline.back();
        double len = parts.back().end();
        auto unit = [](const MapPoint& a, const MapPoint& b) {
            double l = std::hypot(b.x - a.x, b.y - a.y);
            return l > 0 ? std::pair{(b.x - a.x) / l, (b.y - a.y) / l} : std::pair{1.0, 0.0};
        };
        if (off_grid(c.start_chainage_m)) {
            auto [dx, dy] = unit(first[0], first[1]);
            mc.ticks.insert(mc.ticks.begin(),
                            ChainageTick{first[0], dx, dy, c.start_chainage_m, false, true});
        }
        if (off_grid(c.start_chainage_m + len)) {
            auto [dx, dy] = unit(last[last.size() - 2], last.back());
            mc.ticks.push_back(
                ChainageTick{last.back(), dx, dy, c.start_chainage_m + len, false, true});
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
            for (const auto& c : m_ctx.corridors)
                if (c.code == key)
                    corridor = &c;
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
        for (const auto& p : page.parcels)
            ext.add(p.rings);
        for (const auto& c : page.corridors)
            if (page.scope == MapScope::corridor)
                ext.add(c.red_line);
        if (page.scope != MapScope::district)
            ext.add(page.boundary);
        page.extent = ext.env;
        page.transform = MapTransform::fit(page.extent, page.layout.map);
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
            if (only ? &c == only
                     : std::find(project_codes.begin(), project_codes.end(), c.project_code) !=
                           project_codes.end())
                out.push_back(&c);
        return out;
    }

private:
    void read_parcels(MapPage& page, const std::vector<std::string>& project_codes,
                      const std::string& district) {
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
        m_union_parts.clear();
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
            m_selected.insert(p.code);
            page.parcels.push_back(std::move(p));
        });
    }

    void read_buildings(MapPage& page, const std::vector<std::string>& project_codes) {
        const auto& def = layer_def(LayerKind::buildings);
        const int i_code = field_index(def, "building_code");
        const int i_parcel = field_index(def, "parcel_code");
        const int i_signed = field_index(def, "signed_on");
        const int i_demolished = field_index(def, "demolished_on");
        FeatureFilter filter;
        filter.project_codes = project_codes;
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
            page.boundary_label = "区内征拆宗地范围";
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
            page.boundary_label = "项目红线范围";
    }

    void titles(MapPage& page, const CorridorRow* corridor) {
        std::string generated;
        switch (page.scope) {
        case MapScope::project: {
            auto it = m_ctx.projects.find(page.key);
            std::string name = it != m_ctx.projects.end() ? it->second.name : std::string();
            generated = name.empty() ? fmt::format("{} 征拆进度图", page.key)
                                     : fmt::format("{}（{}）征拆进度图", name, page.key);
            break;
        }
        case MapScope::corridor:
            generated = corridor->name.empty()
                            ? fmt::format("线路 {} 征拆进度图", page.key)
                            : fmt::format("{}（{}）线路征拆进度图", corridor->name, page.key);
            break;
        case MapScope::district:
            generated = fmt::format("{} 征拆进度图", page.key);
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
        page.subtitle = fmt::format("截至 {}", m_ctx.req.as_of.iso());
        if (m_ctx.req.since)
            page.subtitle += fmt::format("　本期自 {} 起（不含当日）", m_ctx.req.since->iso());
    }

    void figures(MapPage& page, const CorridorRow* corridor) {
        std::string group = page.scope == MapScope::corridor ? corridor->project_code : page.key;
        if (auto f = find_group(m_ctx.status, group))
            page.figures = *f;
        const auto& f = page.figures;
        page.legend = {
            LegendEntry{ParcelStage::not_acquired, stage_style(ParcelStage::not_acquired).zh,
                        m2_to_mu(f.area_m2 - f.acquired_m2),
                        percent(f.area_m2 - f.acquired_m2, f.area_m2)},
            LegendEntry{ParcelStage::acquired, stage_style(ParcelStage::acquired).zh,
                        m2_to_mu(f.acquired_m2), percent(f.acquired_m2, f.area_m2)},
            LegendEntry{ParcelStage::cleared, stage_style(ParcelStage::cleared).zh,
                        m2_to_mu(f.cleared_m2), percent(f.cleared_m2, f.area_m2)},
            LegendEntry{ParcelStage::delivered, stage_style(ParcelStage::delivered).zh,
                        m2_to_mu(f.delivered_m2), percent(f.delivered_m2, f.area_m2)},
        };
        auto& rows = page.figure_rows;
        const CorridorReport* report = nullptr;
        if (page.scope == MapScope::corridor) {
            if (auto it = m_ctx.reports.find(corridor->code); it != m_ctx.reports.end())
                report = &it->second;
            auto it = m_ctx.projects.find(corridor->project_code);
            rows.push_back({"所属项目", it != m_ctx.projects.end() && !it->second.name.empty()
                                            ? it->second.name
                                            : corridor->project_code});
            rows.push_back({"项目进度（与图例同）", ""});
        }
        rows.push_back({"宗地 / 总面积", fmt::format("{} 宗 / {}", f.parcels, fmt_mu(f.area_m2))});
        rows.push_back({"已征（征地率）", fmt::format("{}（{}）", fmt_mu(f.acquired_m2),
                                                      fmt_pct(f.acquired_m2, f.area_m2))});
        rows.push_back({"已腾（腾地率）", fmt::format("{}（{}）", fmt_mu(f.cleared_m2),
                                                      fmt_pct(f.cleared_m2, f.area_m2))});
        rows.push_back({"已交（交地率）", fmt::format("{}（{}）", fmt_mu(f.delivered_m2),
                                                      fmt_pct(f.delivered_m2, f.area_m2))});
        rows.push_back(
            {"签约户数 / 总户数", fmt::format("{} / {} 户", f.signed_households, f.households)});
        rows.push_back({"拆除户数 / 总户数",
                        fmt::format("{} / {} 户", f.demolished_households, f.households)});
        if (m_ctx.req.since) {
            rows.push_back({"本期新增 征 / 腾 / 交",
                            fmt::format("{:.2f} / {:.2f} / {:.2f} 亩", m2_to_mu(f.new_acquired_m2),
                                        m2_to_mu(f.new_cleared_m2), m2_to_mu(f.new_delivered_m2))});
            rows.push_back(
                {"本期新增 签约 / 拆除",
                 fmt::format("{} / {} 户", f.new_signed_households, f.new_demolished_households)});
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
                    v += fmt::format("，逾期未交 {} 宗 {}", n, fmt_mu(m2));
                rows.push_back({"交地限期", v});
            }
        }
        if (report)
            corridor_rows(rows, *report);
        else
            for (const auto& c : page.corridors)
                if (auto it = m_ctx.reports.find(c.code); it != m_ctx.reports.end()) {
                    const auto& blocking = it->second.blocking;
                    double len = 0;
                    for (const auto& b : blocking)
                        len += b.to_m - b.from_m;
                    rows.push_back({fmt::format("线路 {} 阻塞段", c.code),
                                    blocking.empty() ? std::string("无")
                                                     : fmt::format("{} 段，共 {:.0f} 米",
                                                                   blocking.size(), len)});
                }
    }

    // Figures inside the red line, from analyse_corridors (the same as `landclear corridor`).
    static void corridor_rows(std::vector<FigureRow>& rows, const CorridorReport& r) {
        const auto& f = r.figures;
        rows.push_back({"红线内（按桩号分段统计）", ""});
        rows.push_back({"起止桩号", format_chainage_range(r.start_chainage_m,
                                                          r.start_chainage_m + r.length_m)});
        std::string widths =
            r.widths.left_m == r.widths.right_m
                ? fmt::format("{:g} 米", r.widths.left_m + r.widths.right_m)
                : fmt::format("左 {:g} 米 / 右 {:g} 米", r.widths.left_m, r.widths.right_m);
        rows.push_back({"线路长度 / 红线宽度", fmt::format("{:.0f} 米 / {}", r.length_m, widths)});
        rows.push_back({"红线面积", fmt_mu(r.red_line_m2)});
        rows.push_back({"红线内宗地面积", fmt_mu(f.area_m2)});
        rows.push_back({"红线内已征", fmt::format("{}（{}）", fmt_mu(f.acquired_m2),
                                                  fmt_pct(f.acquired_m2, f.area_m2))});
        rows.push_back({"红线内已腾", fmt::format("{}（{}）", fmt_mu(f.cleared_m2),
                                                  fmt_pct(f.cleared_m2, f.area_m2))});
        rows.push_back({"红线内已交", fmt::format("{}（{}）", fmt_mu(f.delivered_m2),
                                                  fmt_pct(f.delivered_m2, f.area_m2))});
        rows.push_back(
            {"红线内签约 / 拆除 / 总户数", fmt::format("{} / {} / {} 户", f.signed_households,
                                                       f.demolished_households, f.households)});
        double len = 0;
        for (const auto& b : r.blocking)
            len += b.to_m - b.from_m;
        rows.push_back({"阻塞段", r.blocking.empty() ? std::string("无")
                                                     : fmt::format("{} 段，共 {:.0f} 米",
                                                                   r.blocking.size(), len)});
        // The worst stretches (analyse_corridors sorts them worst first).
        for (size_t i = 0; i < r.blocking.size() && i < 5; ++i) {
            const auto& b = r.blocking[i];
            std::string what = fmt::format("未腾 {:.2f} 亩", m2_to_mu(b.outstanding_m2()));
            if (b.outstanding_households)
                what += fmt::format("，未拆 {} 户", b.outstanding_households);
            rows.push_back({"　" + b.label, what});
        }
        if (r.blocking.size() > 5)
            rows.push_back({"　…", fmt::format("另 {} 段", r.blocking.size() - 5)});
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
        for (const auto& c : ctx.corridors) {
            codes.push_back(c.code);
            if (c.code == req.code)
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
    ctx.layout = page_layout(ctx.req.size, ctx.req.orientation);
    if (auto epsg = ctx.store.working_epsg())
        ctx.crs_note = fmt::format("坐标系 {}", describe_srs(*srs_from_epsg(*epsg)));
    ctx.source_note =
        fmt::format("数据：{}（数据版本 {}）", ctx.store.display_name(), ctx.store.data_version());
}

} // namespace

struct MapPlan::Impl {
    Context ctx;
    PageBuilder builder;
    std::vector<std::string> keys, skipped;
    Impl(Store& store, const MapRequest& request) : ctx(store, request), builder(ctx) {}
};

MapPlan::MapPlan(Store& store, const MapRequest& request)
    : m_impl(std::make_unique<Impl>(store, request)) {
    auto& ctx = m_impl->ctx;
    prepare(ctx);
    m_impl->keys = validate(ctx);
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
                if (c.code == key)
                    only = &c;
        } else if (request.scope == MapScope::district) {
            projects = m_impl->builder.district_projects();
        } else {
            projects = {key};
        }
        for (const auto* c : m_impl->builder.page_corridors(projects, only))
            corridor_codes.insert(c->code);
    }
    if (!corridor_codes.empty()) {
        CorridorOptions o;
        o.corridors.assign(corridor_codes.begin(), corridor_codes.end());
        o.as_of = request.as_of;
        o.since = request.since;
        for (auto& r : analyse_corridors(store, o))
            ctx.reports.emplace(r.code, std::move(r));
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
    return m_impl->builder.build(m_impl->keys.at(index));
}

std::vector<MapPage> collect_map_pages(Store& store, const MapRequest& request) {
    MapPlan plan(store, request);
    std::vector<MapPage> pages;
    for (std::size_t i = 0; i < plan.keys().size(); ++i)
        pages.push_back(plan.page(i));
    return pages;
}

} // namespace landclear
