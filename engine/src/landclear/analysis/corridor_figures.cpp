// The corridor's figures for a date (detail/corridor_figures.hpp): facts read by code, the
// per-corridor and per-segment figures, the blocking stretches, and the report of a corridor of
// several alignments.
#include "landclear/analysis/detail/corridor_figures.hpp"

#include "landclear/analysis/detail/corridor_stored.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>
#include <unordered_set>

namespace landclear::corridor_detail {

std::string alignment_prefix(const CorridorRow& c) {
    return c.alignment.empty() ? "K" : c.alignment;
}

// The corridor's stationing: start chainage, the centreline's length, its breaks (断链).
Stationing corridor_stationing(const CorridorRow& c, double length) {
    try {
        return Stationing(c.start_chainage_m, length, parse_chainage_breaks(c.chainage_breaks));
    } catch (Error& e) {
        e.add_context(fmt::format("corridor {}, field chainage_breaks", c.code));
        throw;
    }
}

namespace {

template <class Fn>
void for_codes(Store& store, LayerKind kind, const std::vector<std::string>& codes,
               std::vector<std::string> fields, Fn fn) {
    FeatureFilter filter;
    filter.with_geometry = false;
    filter.fields = std::move(fields);
    // As many codes per read as the store takes (Store::codes_per_read).
    const size_t codes_per_query = std::max<size_t>(1, store.codes_per_read());
    for (size_t i = 0; i < codes.size(); i += codes_per_query) {
        filter.codes.assign(codes.begin() + static_cast<std::ptrdiff_t>(i),
                            codes.begin() + static_cast<std::ptrdiff_t>(
                                                std::min(codes.size(), i + codes_per_query)));
        store.for_each_feature(kind, filter, fn);
    }
}

// Worst first: most outstanding 亩, then most households, then along the line.
void sort_worst_first(std::vector<BlockingStretch>& stretches) {
    std::stable_sort(stretches.begin(), stretches.end(), [](const auto& a, const auto& b) {
        if (a.outstanding_m2() != b.outstanding_m2())
            return a.outstanding_m2() > b.outstanding_m2();
        if (a.outstanding_households != b.outstanding_households)
            return a.outstanding_households > b.outstanding_households;
        return a.along_from_m < b.along_from_m;
    });
}
} // namespace

CorridorReport make_report(const CorridorRow& c, const CorridorClip& clip,
                           const std::unordered_map<std::string, ParcelDates>& parcels,
                           const std::unordered_map<std::string, BuildingFacts>& buildings,
                           const CorridorOptions& o) {
    CorridorReport r;
    r.code = c.code;
    r.row_code = c.code;
    r.name = c.name;
    r.project_code = c.project_code;
    r.start_chainage_m = c.start_chainage_m;
    r.length_m = c.length_m;
    r.widths = corridor_widths(c);
    r.red_line_source = clip.source;
    r.alignment = alignment_prefix(c);
    // The same spans the geometry was cut at (same data version and segment length, the stamp
    // says so): where each segment lies along the line.
    auto stationing = corridor_stationing(c, c.length_m);
    r.breaks = stationing.breaks();
    r.end_chainage_m = stationing.chainage_at(c.length_m);
    auto spans = stationing.segments(o.segment_m);
    bool spans_match = spans.size() == clip.segments.size();
    for (const auto& s : clip.segments) {
        CorridorSegment seg;
        seg.index = s.index;
        seg.from_m = s.from_m;
        seg.to_m = s.to_m;
        auto k = static_cast<size_t>(s.index);
        seg.along_from_m = spans_match ? spans[k].along_from_m : s.from_m - c.start_chainage_m;
        seg.along_to_m = spans_match ? spans[k].along_to_m : s.to_m - c.start_chainage_m;
        seg.label = s.label;
        seg.alignment = r.alignment;
        seg.red_line_m2 = s.area;
        r.red_line_m2 += s.area;
        r.segments.push_back(std::move(seg));
    }
    if (!r.segments.empty()) {
        r.length_m = r.segments.back().along_to_m - r.segments.front().along_from_m;
        r.end_chainage_m = r.segments.back().to_m;
    }

    std::vector<std::set<std::string>> stuck_parcels(r.segments.size());
    std::vector<std::set<std::string>> stuck_buildings(r.segments.size());
    std::unordered_set<std::string> distinct;
    // Land not cleared by its own date, split by whether it is acquired (core/stage.hpp: each
    // date counts on its own, so a piece cleared without an acquired date does not block).
    std::vector<double> not_acquired(r.segments.size()), not_cleared(r.segments.size());
    static const ParcelDates none;
    for (const auto& p : clip.parcels) {
        auto it = parcels.find(p.code);
        const ParcelDates& d = it == parcels.end() ? none : it->second;
        auto k = static_cast<size_t>(p.segment);
        auto& f = r.segments[k].figures;
        distinct.insert(p.code);
        f.add_parcel(d, p.area, o.as_of, o.since);
        if (!reached(d.cleared_on, o.as_of)) {
            (reached(d.acquired_on, o.as_of) ? not_cleared : not_acquired)[k] += p.area;
            if (p.area > blocking_min_m2)
                stuck_parcels[k].insert(p.code);
        }
    }
    static const BuildingFacts no_facts;
    for (const auto& b : clip.buildings) {
        auto it = buildings.find(b.code);
        const BuildingFacts& facts = it == buildings.end() ? no_facts : it->second;
        auto k = static_cast<size_t>(b.segment);
        r.segments[k].figures.add_building(facts.dates, facts.households, facts.floor_area_m2,
                                           o.as_of, o.since);
        if (!reached(facts.dates.demolished_on, o.as_of))
            stuck_buildings[k].insert(b.code);
    }
    for (auto& s : r.segments) {
        r.figures.add(s.figures);
        auto k = static_cast<size_t>(s.index);
        s.blocked = !stuck_parcels[k].empty() || !stuck_buildings[k].empty();
    }
    r.figures.parcels = static_cast<std::int64_t>(distinct.size());

    // Blocking stretches: runs of blocked segments.
    for (size_t k = 0; k < r.segments.size();) {
        if (!r.segments[k].blocked) {
            ++k;
            continue;
        }
        BlockingStretch b;
        b.first_segment = r.segments[k].index;
        b.from_m = r.segments[k].from_m;
        b.along_from_m = r.segments[k].along_from_m;
        std::set<std::string> ps, bs;
        for (; k < r.segments.size() && r.segments[k].blocked; ++k) {
            const auto& s = r.segments[k];
            const auto& f = s.figures;
            b.last_segment = s.index;
            b.to_m = s.to_m;
            b.along_to_m = s.along_to_m;
            b.not_acquired_m2 += not_acquired[k];
            b.not_cleared_m2 += not_cleared[k];
            b.outstanding_households += f.households - f.demolished_households;
            b.unsigned_households += f.households - f.signed_households;
            ps.insert(stuck_parcels[k].begin(), stuck_parcels[k].end());
            bs.insert(stuck_buildings[k].begin(), stuck_buildings[k].end());
        }
        b.label = format_chainage_range(b.from_m, b.to_m, r.alignment);
        b.alignment = r.alignment;
        b.parcels.assign(ps.begin(), ps.end());
        b.buildings.assign(bs.begin(), bs.end());
        r.blocking.push_back(std::move(b));
    }
    sort_worst_first(r.blocking);
    return r;
}

// The figures inside a corridor's union red line (one piece): each parcel piece and building
// once, however many alignments' red lines hold it.
StatusFigures union_figures(const CorridorClip& clip,
                            const std::unordered_map<std::string, ParcelDates>& parcels,
                            const std::unordered_map<std::string, BuildingFacts>& buildings,
                            const CorridorOptions& o) {
    StatusFigures f;
    std::unordered_set<std::string> distinct;
    static const ParcelDates none;
    for (const auto& p : clip.parcels) {
        auto it = parcels.find(p.code);
        f.add_parcel(it == parcels.end() ? none : it->second, p.area, o.as_of, o.since);
        distinct.insert(p.code);
    }
    static const BuildingFacts no_facts;
    for (const auto& b : clip.buildings) {
        auto it = buildings.find(b.code);
        const BuildingFacts& facts = it == buildings.end() ? no_facts : it->second;
        f.add_building(facts.dates, facts.households, facts.floor_area_m2, o.as_of, o.since);
    }
    f.parcels = static_cast<std::int64_t>(distinct.size());
    return f;
}

// A corridor of several alignments from its alignments' reports and its union's figures (one
// alignment: its own). Chainage fields are the first alignment's (CorridorReport::alignments).
CorridorReport group_report(const std::string& code, std::vector<CorridorReport> members,
                            const CorridorClip* union_clip, const std::string& union_geometry,
                            const std::string& union_row, const StatusFigures& union_f) {
    CorridorReport g = members.front();
    g.code = code;
    g.segments.clear();
    g.blocking.clear();
    if (union_clip) {
        g.row_code = union_row;
        g.red_line_m2 = union_clip->segments.empty() ? 0 : union_clip->segments.front().area;
        g.figures = union_f;
        g.geometry = union_geometry;
        g.red_line_source = union_clip->source;
    }
    for (auto& m : members) {
        m.code = code;
        g.segments.insert(g.segments.end(), m.segments.begin(), m.segments.end());
        g.blocking.insert(g.blocking.end(), m.blocking.begin(), m.blocking.end());
        if (m.geometry != "stored" && m.geometry != "saved")
            g.geometry = m.geometry;
    }
    sort_worst_first(g.blocking);
    g.alignments = std::move(members);
    return g;
}

// The dates of the parcels and the facts of the buildings the clipped pieces name that were not
// read with their geometry (corridors whose saved geometry is reused): read once, by code, with
// only the fields the figures need.
void read_facts(Store& store, const std::vector<CorridorClip>& clips,
                std::unordered_map<std::string, ParcelDates>& parcel_dates,
                std::unordered_map<std::string, BuildingFacts>& building_facts) {
    std::set<std::string> parcel_set, building_set;
    for (const auto& clip : clips) {
        for (const auto& p : clip.parcels)
            if (!parcel_dates.count(p.code))
                parcel_set.insert(p.code);
        for (const auto& b : clip.buildings)
            if (!building_facts.count(b.code))
                building_set.insert(b.code);
    }
    for (auto kind : {LayerKind::parcels, LayerKind::buildings}) {
        FactFields ff(kind);
        const auto& set = kind == LayerKind::parcels ? parcel_set : building_set;
        if (set.empty())
            continue;
        std::vector<std::string> fields{std::string(ff.def.key)};
        fields.insert(fields.end(), ff.names.begin(), ff.names.end());
        for_codes(store, kind, {set.begin(), set.end()}, fields, [&](const FeatureRow& r) {
            auto code = text_value(r.values[static_cast<size_t>(ff.key)]);
            if (kind == LayerKind::parcels)
                parcel_dates[code] = ff.parcel(r);
            else
                building_facts[code] = ff.building(r);
        });
    }
}

} // namespace landclear::corridor_detail
