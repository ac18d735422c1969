#include "landclear/core/error.hpp"
#include "landclear/geom/redline.hpp"
#include "landclear/render/detail/map_data.hpp"
#include "landclear/render/detail/words.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace landclear::map_data_detail {

using render_detail::tr;

namespace {

const std::string* text_of(const Value& v) {
    return std::get_if<std::string>(&v);
}
std::optional<Date> date_of(const Value& v) {
    if (auto d = std::get_if<Date>(&v))
        return *d;
    return std::nullopt;
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

// Where the previous sheet ends and the next begins: a line across the road at that
// chainage, long enough to cross the whole frame (the drawing clips it).
void match_lines(MapPage& page, const StripContext& st, const StripSheet& sheet) {
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
void stretch_figures(StripPage& sp, const CorridorReport& r) {
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

} // namespace

MapPage PageBuilder::build(const std::string& key) {
    MapPage page;
    page.scope = m_ctx.req.scope == MapScope::all_projects ? MapScope::project : m_ctx.req.scope;
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
    titles(m_ctx, page, corridor);
    figures(m_ctx, page, corridor);

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

MapPage PageBuilder::build_strip(std::size_t index) {
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
    titles(m_ctx, page, &c);
    figures(m_ctx, page, &c);

    match_lines(page, st, sheet);
    stretch_figures(sp, *st.report);
    blocking_parcels(sp, st);
    strip_rows(page, c, lang);
    page.extent = view;
    read_context(page);
    return page;
}

std::vector<const CorridorRow*>
PageBuilder::page_corridors(const std::vector<std::string>& project_codes,
                            const CorridorRow* only) const {
    std::vector<const CorridorRow*> out;
    for (const auto& c : m_ctx.corridors)
        if (only ? &c == only || corridor_of_row(c) == only->code
                 : std::find(project_codes.begin(), project_codes.end(), c.project_code) !=
                       project_codes.end())
            out.push_back(&c);
    return out;
}

void PageBuilder::read_parcels(MapPage& page, const std::vector<std::string>& project_codes,
                               const std::string& district, const std::optional<Envelope>& bbox) {
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
            if (it != m_ctx.projects.end() && it->second.deadline && *it->second.deadline < as_of &&
                p.state != ParcelStage::delivered)
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

void PageBuilder::read_buildings(MapPage& page, const std::vector<std::string>& project_codes,
                                 const std::optional<Envelope>& bbox) {
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

void PageBuilder::read_corridors(MapPage& page, const std::vector<const CorridorRow*>& wanted) {
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
        page.corridors.push_back(corridor_geometry(
            m_ctx.geos, *c, it->second, report == m_ctx.reports.end() ? nullptr : &report->second));
    }
}

void PageBuilder::read_boundary(MapPage& page, const std::vector<std::string>& project_codes) {
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

void PageBuilder::blocking_parcels(StripPage& sp, const StripContext& st) {
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

void PageBuilder::read_context(MapPage& page) {
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

} // namespace landclear::map_data_detail
