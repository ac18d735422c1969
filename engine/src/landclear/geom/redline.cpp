#include "landclear/geom/redline.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/model.hpp"
#include "landclear/geom/linear_ref.hpp"

#define GEOS_USE_ONLY_R_API
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <geos_c.h>
#include <tuple>

namespace landclear {

namespace {

struct BufferParamsDeleter {
    GEOSContextHandle_t ctx;
    void operator()(GEOSBufferParams* p) const { GEOSBufferParams_destroy_r(ctx, p); }
};

GeomPtr side_buffer(const Geos& geos, const GEOSGeometry* line, double distance, bool single_sided,
                    int quadrant_segments = 8) {
    auto ctx = geos.handle();
    std::unique_ptr<GEOSBufferParams, BufferParamsDeleter> params(GEOSBufferParams_create_r(ctx),
                                                                  BufferParamsDeleter{ctx});
    if (!params)
        throw_internal(fmt::format("GEOS: {}", geos.last_message()));
    GEOSBufferParams_setEndCapStyle_r(ctx, params.get(), GEOSBUF_CAP_FLAT);
    GEOSBufferParams_setJoinStyle_r(ctx, params.get(), GEOSBUF_JOIN_ROUND);
    GEOSBufferParams_setQuadrantSegments_r(ctx, params.get(), quadrant_segments);
    GEOSBufferParams_setSingleSided_r(ctx, params.get(), single_sided ? 1 : 0);
    return geos.own(GEOSBufferWithParams_r(ctx, line, params.get(), distance));
}

// A boundary between two segments: where it crosses the centreline and the line's direction.
struct Cut {
    double x = 0, y = 0, dx = 1, dy = 0;
    bool at_vertex = false;
};

// The centreline as a LinearRef, with the cuts between segments.
struct Polyline {
    LinearRef ref;

    Polyline(const Geos& geos, const GEOSGeometry* line) : ref(vertices(geos, line)) {}

    static std::vector<LinePoint> vertices(const Geos& geos, const GEOSGeometry* line) {
        auto ctx = geos.handle();
        if (GEOSGeomTypeId_r(ctx, line) != GEOS_LINESTRING)
            throw_input("the centreline is not a single LineString",
                        "a corridor is one continuous centreline; split it into several");
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, line);
        unsigned n = 0;
        GEOSCoordSeq_getSize_r(ctx, seq, &n);
        std::vector<LinePoint> points(n);
        for (unsigned i = 0; i < n; ++i)
            GEOSCoordSeq_getXY_r(ctx, seq, i, &points[i].x, &points[i].y);
        return points;
    }

    double length() const { return ref.length(); }

    // The point at distance s along the line and the direction of the line there: along the
    // edge, or the bisector of the two edges when s falls on an interior vertex.
    Cut station(double s, double snap) const {
        const auto& at = ref.at();
        const auto& pts = ref.points();
        size_t n = ref.size();
        size_t i = ref.edge_at(s);
        Cut c;
        auto p = ref.point_on_edge(i, s);
        auto d = ref.direction(i);
        c.x = p.x;
        c.y = p.y;
        c.dx = d.x;
        c.dy = d.y;
        auto blend = [&](size_t a, size_t b) { // edges a and b meet at a vertex
            auto da = ref.direction(a);
            auto db = ref.direction(b);
            double sx = da.x + db.x, sy = da.y + db.y, sl = std::hypot(sx, sy);
            if (sl > 1e-12) {
                c.dx = sx / sl;
                c.dy = sy / sl;
            }
            c.at_vertex = true;
        };
        if (std::abs(s - at[i]) <= snap && i > 0) {
            size_t prev = i - 1;
            while (prev > 0 && at[prev + 1] <= at[prev])
                --prev;
            c.x = pts[i].x;
            c.y = pts[i].y;
            blend(prev, i);
        } else if (std::abs(at[i + 1] - s) <= snap && i + 2 < n) {
            size_t next = i + 1;
            while (next + 2 < n && at[next + 1] <= at[next])
                ++next;
            c.x = pts[i + 1].x;
            c.y = pts[i + 1].y;
            blend(i, next);
        }
        return c;
    }

    // The part of the line between distances a < b, optionally prolonged straight beyond a
    // and b by `before` and `after` metres.
    GeomPtr sub_line(const Geos& geos, double a, double b, double before = 0,
                     double after = 0) const {
        auto pts = ref.between(a, b);
        if (before > 0) {
            auto d = ref.direction(ref.edge_at(a));
            pts.insert(pts.begin(), {pts.front().x - d.x * before, pts.front().y - d.y * before});
        }
        if (after > 0) {
            auto d = ref.direction(ref.edge_at(b));
            pts.push_back({pts.back().x + d.x * after, pts.back().y + d.y * after});
        }
        auto ctx = geos.handle();
        GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, static_cast<unsigned>(pts.size()), 2);
        for (size_t i = 0; i < pts.size(); ++i)
            GEOSCoordSeq_setXY_r(ctx, seq, static_cast<unsigned>(i), pts[i].x, pts[i].y);
        return geos.own(GEOSGeom_createLineString_r(ctx, seq));
    }
};

GeomPtr make_segment(const Geos& geos, double x0, double y0, double x1, double y1) {
    auto ctx = geos.handle();
    GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, 2, 2);
    GEOSCoordSeq_setXY_r(ctx, seq, 0, x0, y0);
    GEOSCoordSeq_setXY_r(ctx, seq, 1, x1, y1);
    return geos.own(GEOSGeom_createLineString_r(ctx, seq));
}

GeomPtr make_point(const Geos& geos, double x, double y) {
    return geos.own(GEOSGeom_createPointFromXY_r(geos.handle(), x, y));
}

// A point strictly inside a polygon. GEOS's point on surface may land on the outline of a face
// whose scan line runs through a vertex (seen on real roads: a 95 m² face at a bend was then
// "not inside the red line" and lost); the centroid of the largest triangle of a constrained
// triangulation is always interior.
GeomPtr interior_point(const Geos& geos, const GEOSGeometry* face) {
    auto ctx = geos.handle();
    auto p = geos.own(GEOSPointOnSurface_r(ctx, face));
    if (GEOSContains_r(ctx, face, p.get()) == 1)
        return p;
    auto triangles = geos.own(GEOSConstrainedDelaunayTriangulation_r(ctx, face));
    const GEOSGeometry* best = nullptr;
    double best_area = 0;
    for (int i = 0, n = GEOSGetNumGeometries_r(ctx, triangles.get()); i < n; ++i) {
        const GEOSGeometry* t = GEOSGetGeometryN_r(ctx, triangles.get(), i);
        double a = 0;
        GEOSArea_r(ctx, t, &a);
        if (a > best_area) {
            best_area = a;
            best = t;
        }
    }
    if (!best)
        return p;
    return geos.own(GEOSGetCentroid_r(ctx, best));
}

// A collection taking ownership of the geometries.
GeomPtr collect(const Geos& geos, int type, std::vector<GeomPtr>& parts) {
    std::vector<GEOSGeometry*> raw;
    raw.reserve(parts.size());
    for (auto& p : parts)
        raw.push_back(p.release());
    parts.clear();
    return geos.own(GEOSGeom_createCollection_r(geos.handle(), type, raw.data(),
                                                static_cast<unsigned>(raw.size())));
}

} // namespace

SideWidths corridor_widths(const CorridorRow& c) {
    auto bad = [&](const std::string& what) {
        throw_input(fmt::format("corridor {}: {}", c.code, what),
                    "give the corridor a positive red-line width (width_m, or left_width_m and "
                    "right_width_m) and import it again");
    };
    auto usable = [](double v) { return std::isfinite(v) && v >= 0; };
    SideWidths w;
    double half = c.width_m / 2;
    if (!c.left_width_m || !c.right_width_m)
        if (!std::isfinite(c.width_m) || c.width_m <= 0)
            bad(fmt::format("the red-line width {} m is not positive", c.width_m));
    w.left_m = c.left_width_m.value_or(half);
    w.right_m = c.right_width_m.value_or(half);
    if (!usable(w.left_m) || !usable(w.right_m))
        bad(fmt::format("side widths {} m (left) and {} m (right) are not both >= 0", w.left_m,
                        w.right_m));
    if (w.left_m + w.right_m <= 0)
        bad("both side widths are zero");
    return w;
}

GeomPtr buffer_centreline(const Geos& geos, const GEOSGeometry* line, const SideWidths& w) {
    if (w.left_m == w.right_m)
        return geos.polygonal_multi(side_buffer(geos, line, w.left_m, false).get());
    // GEOS single-sided buffers: a positive distance is the left side, a negative the right.
    std::vector<GeomPtr> sides;
    if (w.left_m > 0)
        sides.push_back(side_buffer(geos, line, w.left_m, true));
    if (w.right_m > 0)
        sides.push_back(side_buffer(geos, line, -w.right_m, true));
    auto both = collect(geos, GEOS_GEOMETRYCOLLECTION, sides);
    return geos.polygonal_multi(geos.own(GEOSUnaryUnion_r(geos.handle(), both.get())).get());
}

std::vector<double> segment_chainages(double start, double length, double segment) {
    if (!std::isfinite(segment) || segment < 1)
        throw_usage(fmt::format("--segment {} m: segments must be at least 1 m", segment));
    if (!std::isfinite(start) || !std::isfinite(length) || length <= 0)
        throw_input(fmt::format("cannot segment a centreline of length {} m from chainage {}",
                                length, start));
    constexpr double min_piece = 1e-3;
    double end = start + length;
    std::vector<double> out{start};
    double k = std::floor(start / segment) + 1;
    for (double c = k * segment; c < end - min_piece; c = (++k) * segment)
        if (c > start + min_piece)
            out.push_back(c);
    out.push_back(end);
    return out;
}

namespace {

// One red line cut at chainage positions: the zones around each segment's sub-line, the noded
// linework of the red line, the zones and the bisectors, and the faces it polygonizes into,
// each assigned to one piece.
class RedLineSplitter {
public:
    RedLineSplitter(const Geos& geos, const GEOSGeometry* red_line, const GEOSGeometry* line,
                    std::span<const double> positions)
        : m_geos(geos), m_ctx(geos.handle()), m_red_line(red_line), m_line(line),
          m_positions(positions), m_n(positions.size() - 1), m_poly(geos, line),
          m_prepared(geos.prepare(red_line)), m_snap(1e-9 * std::max(1.0, m_poly.length())) {}

    std::vector<GeomPtr> run();

private:
    void build_zones();
    GeomPtr faces();
    size_t piece_of(const GEOSGeometry* inside, std::vector<size_t>& covering) const;
    size_t nearest_covering(const GEOSGeometry* inside, const std::vector<size_t>& covering) const;
    size_t side_of_cut(const GEOSGeometry* inside, double px, double py) const;

    const Geos& m_geos;
    GEOSContextHandle_t m_ctx;
    const GEOSGeometry* m_red_line;
    const GEOSGeometry* m_line;
    std::span<const double> m_positions;
    size_t m_n;
    Polyline m_poly;
    PreparedPtr m_prepared;
    const double m_snap;
    double m_zone_m = 0;
    std::vector<GeomPtr> m_sublines, m_zones;
    std::vector<PreparedPtr> m_zone_prepared;
    std::vector<Envelope> m_zone_box;
    std::vector<Cut> m_cuts;
};

std::vector<GeomPtr> RedLineSplitter::run() {
    build_zones();
    auto all_faces = faces();

    // Each face goes to the one zone that covers it; where zones overlap, to the nearest
    // sub-line; in a wedge no zone covers, to the side of the bisector it lies on.
    std::vector<std::vector<GeomPtr>> by_piece(m_n);
    std::vector<size_t> covering;
    int count = GEOSGetNumGeometries_r(m_ctx, all_faces.get());
    for (int i = 0; i < count; ++i) {
        const GEOSGeometry* face = GEOSGetGeometryN_r(m_ctx, all_faces.get(), i);
        auto inside = interior_point(m_geos, face);
        // Faces in holes of the red line, and outside it between zones, are not red line. The
        // point is strictly inside its face, so it is never on the red line's outline.
        if (GEOSPreparedContains_r(m_ctx, m_prepared.get(), inside.get()) != 1)
            continue;
        by_piece[piece_of(inside.get(), covering)].push_back(m_geos.clone(face));
    }
    std::vector<GeomPtr> pieces;
    for (auto& faces_k : by_piece) {
        if (faces_k.size() == 1) {
            pieces.push_back(m_geos.polygonal_multi(faces_k.front().get()));
            continue;
        }
        auto all = collect(m_geos, GEOS_GEOMETRYCOLLECTION, faces_k);
        pieces.push_back(
            m_geos.polygonal_multi(m_geos.own(GEOSUnaryUnion_r(m_ctx, all.get())).get()));
    }
    return pieces;
}

// Zones: each segment's sub-line buffered wider than any point of the red line is from the
// centreline, so zone outlines stay outside the red line except where the road comes back near
// itself (bends, hairpins, crossings).
void RedLineSplitter::build_zones() {
    double hausdorff = 0;
    if (!GEOSHausdorffDistance_r(m_ctx, m_red_line, m_line, &hausdorff))
        throw_internal(fmt::format("GEOS: {}", m_geos.last_message()));
    m_zone_m = hausdorff * 1.01 + 1;
    for (size_t k = 0; k < m_n; ++k) {
        m_sublines.push_back(m_poly.sub_line(m_geos, m_positions[k], m_positions[k + 1]));
        // The first and last zones reach past the ends of the line, so their end caps do not
        // lie on the red line's own flat ends: collinear overlapping edges would leave slivers
        // whose faces straddle the red line's outline.
        auto extended = m_poly.sub_line(m_geos, m_positions[k], m_positions[k + 1],
                                        k == 0 ? m_zone_m : 0.0, k + 1 == m_n ? m_zone_m : 0.0);
        // Coarse round joins: a zone's outline only matters where the road comes back near
        // itself, and fewer vertices make the noding cheaper.
        m_zones.push_back(side_buffer(m_geos, extended.get(), m_zone_m, false, 2));
        m_zone_prepared.push_back(m_geos.prepare(m_zones.back().get()));
        Envelope e;
        GEOSGeom_getXMin_r(m_ctx, m_zones.back().get(), &e.min_x);
        GEOSGeom_getYMin_r(m_ctx, m_zones.back().get(), &e.min_y);
        GEOSGeom_getXMax_r(m_ctx, m_zones.back().get(), &e.max_x);
        GEOSGeom_getYMax_r(m_ctx, m_zones.back().get(), &e.max_y);
        m_zone_box.push_back(e);
    }
}

// The faces of the red line's outline, the zones' outlines and the bisectors, noded together.
GeomPtr RedLineSplitter::faces() {
    std::vector<GeomPtr> lines;
    lines.push_back(m_geos.own(GEOSBoundary_r(m_ctx, m_red_line)));
    for (auto& z : m_zones)
        lines.push_back(m_geos.own(GEOSBoundary_r(m_ctx, z.get())));
    // A boundary on a vertex: the two zones' flat ends are normal to different edges, leaving
    // a wedge between them; the bisector splits it, from outside to outside the red line.
    for (size_t k = 1; k < m_n; ++k) {
        auto cut = m_poly.station(m_positions[k], m_snap);
        m_cuts.push_back(cut);
        if (!cut.at_vertex)
            continue;
        double nx = -cut.dy, ny = cut.dx;
        double h = m_zone_m;
        for (int i = 0; i < 40; ++i, h *= 2) {
            auto a = make_point(m_geos, cut.x + nx * h, cut.y + ny * h);
            auto b = make_point(m_geos, cut.x - nx * h, cut.y - ny * h);
            if (!GEOSPreparedIntersects_r(m_ctx, m_prepared.get(), a.get()) &&
                !GEOSPreparedIntersects_r(m_ctx, m_prepared.get(), b.get()))
                break;
        }
        lines.push_back(
            make_segment(m_geos, cut.x - nx * h, cut.y - ny * h, cut.x + nx * h, cut.y + ny * h));
    }
    auto linework = collect(m_geos, GEOS_GEOMETRYCOLLECTION, lines);
    GEOSGeometry* raw = GEOSUnaryUnion_r(m_ctx, linework.get());
    if (!raw) // a robustness failure of the floating-point noder: snap-round to 1 µm
        raw = GEOSUnaryUnionPrec_r(m_ctx, linework.get(), 1e-6);
    auto noded = m_geos.own(raw);
    const GEOSGeometry* input[] = {noded.get()};
    return m_geos.own(GEOSPolygonize_r(m_ctx, input, 1));
}

// The piece a face belongs to, from a point inside it; covering is scratch space.
size_t RedLineSplitter::piece_of(const GEOSGeometry* inside, std::vector<size_t>& covering) const {
    double px = 0, py = 0;
    GEOSGeomGetX_r(m_ctx, inside, &px);
    GEOSGeomGetY_r(m_ctx, inside, &py);
    covering.clear();
    for (size_t k = 0; k < m_n; ++k) {
        const auto& e = m_zone_box[k];
        if (px >= e.min_x && px <= e.max_x && py >= e.min_y && py <= e.max_y &&
            GEOSPreparedContains_r(m_ctx, m_zone_prepared[k].get(), inside) == 1)
            covering.push_back(k);
    }
    if (covering.size() == 1)
        return covering.front();
    if (!covering.empty())
        return nearest_covering(inside, covering);
    return side_of_cut(inside, px, py);
}

size_t RedLineSplitter::nearest_covering(const GEOSGeometry* inside,
                                         const std::vector<size_t>& covering) const {
    size_t chosen = 0;
    double best = 0;
    for (size_t j = 0; j < covering.size(); ++j) {
        double d = 0;
        GEOSDistance_r(m_ctx, m_sublines[covering[j]].get(), inside, &d);
        if (j == 0 || d < best) {
            best = d;
            chosen = covering[j];
        }
    }
    return chosen;
}

// A face no zone covers lies in a wedge at a vertex: the segment by its chainage, and at a cut
// the side of the bisector.
size_t RedLineSplitter::side_of_cut(const GEOSGeometry* inside, double px, double py) const {
    double s = GEOSProject_r(m_ctx, m_line, inside);
    size_t chosen = static_cast<size_t>(
        std::upper_bound(m_positions.begin(), m_positions.end(), s) - m_positions.begin());
    chosen = std::clamp<size_t>(chosen, 1, m_n) - 1;
    for (size_t k = 1; k < m_n; ++k)
        if (std::abs(s - m_positions[k]) <= m_snap) {
            const auto& c = m_cuts[k - 1];
            return (px - c.x) * c.dx + (py - c.y) * c.dy < 0 ? k - 1 : k;
        }
    return chosen;
}

} // namespace

std::vector<GeomPtr> split_red_line(const Geos& geos, const GEOSGeometry* red_line,
                                    const GEOSGeometry* line, std::span<const double> positions) {
    if (positions.size() < 2)
        throw_internal("split_red_line needs at least two positions");
    if (positions.size() == 2) {
        std::vector<GeomPtr> pieces;
        pieces.push_back(geos.polygonal_multi(red_line));
        return pieces;
    }
    return RedLineSplitter(geos, red_line, line, positions).run();
}

} // namespace landclear
