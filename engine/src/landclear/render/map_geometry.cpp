#include "landclear/core/error.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/redline.hpp"
#include "landclear/render/detail/map_data.hpp"

#include <algorithm>
#include <cmath>

namespace landclear::map_data_detail {

namespace {

MapRing to_map_ring(const Vertices& v) {
    MapRing out(v.size());
    for (size_t i = 0; i < v.size(); ++i)
        out[i] = {v[i].x, v[i].y};
    return out;
}

void append_lines(const Geos& geos, const GEOSGeometry* g, MapLines& out) {
    for (const auto& l : geos.line_parts(g))
        out.push_back(to_map_ring(l));
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

} // namespace

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

void append_rings(const Geos& geos, const GEOSGeometry* g, MapRings& out) {
    for (const auto& r : geos.polygon_rings(g))
        out.push_back(to_map_ring(r));
}

MapRings rings_of(const Geos& geos, const GEOSGeometry* g) {
    MapRings r;
    append_rings(geos, g, r);
    return r;
}

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

MapCorridor corridor_geometry(const Geos& geos, const CorridorRow& c,
                              const std::vector<unsigned char>& wkb, const CorridorReport* report,
                              double tick_m, double label_m, double end_grid_m) {
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

} // namespace landclear::map_data_detail
