#include "landclear/geom/geos.hpp"

#include "landclear/core/error.hpp"

#define GEOS_USE_ONLY_R_API
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <geos_c.h>

namespace landclear {

namespace {
void store_message(const char* message, void* userdata) {
    *static_cast<std::string*>(userdata) = message ? message : "";
}
} // namespace

void GeomDeleter::operator()(GEOSGeometry* g) const {
    GEOSGeom_destroy_r(ctx, g);
}
void PreparedDeleter::operator()(const GEOSPreparedGeometry* g) const {
    GEOSPreparedGeom_destroy_r(ctx, g);
}

Geos::Geos() : m_ctx(GEOS_init_r()) {
    GEOSContext_setErrorMessageHandler_r(m_ctx, store_message, &m_last_message);
    m_reader = GEOSWKBReader_create_r(m_ctx);
    m_writer = GEOSWKBWriter_create_r(m_ctx);
}

Geos::~Geos() {
    GEOSWKBReader_destroy_r(m_ctx, m_reader);
    GEOSWKBWriter_destroy_r(m_ctx, m_writer);
    GEOS_finish_r(m_ctx);
}

GeomPtr Geos::own(GEOSGeometry* g) const {
    if (!g)
        throw_internal(fmt::format("GEOS: {}", m_last_message));
    return GeomPtr(g, GeomDeleter{m_ctx});
}

GeomPtr Geos::from_wkb(std::span<const unsigned char> wkb) const {
    return own(GEOSWKBReader_read_r(m_ctx, m_reader, wkb.data(), wkb.size()));
}

GeomPtr Geos::from_wkt(const std::string& wkt) const {
    GEOSWKTReader* reader = GEOSWKTReader_create_r(m_ctx);
    GEOSGeometry* g = GEOSWKTReader_read_r(m_ctx, reader, wkt.c_str());
    GEOSWKTReader_destroy_r(m_ctx, reader);
    return own(g);
}

Wkb Geos::to_wkb(const GEOSGeometry* g) const {
    size_t size = 0;
    unsigned char* buf = GEOSWKBWriter_write_r(m_ctx, m_writer, g, &size);
    if (!buf)
        throw_internal(fmt::format("GEOS cannot write WKB: {}", m_last_message));
    Wkb out(buf, buf + size);
    GEOSFree_r(m_ctx, buf);
    return out;
}

std::string Geos::to_wkt(const GEOSGeometry* g, int decimals) const {
    GEOSWKTWriter* writer = GEOSWKTWriter_create_r(m_ctx);
    GEOSWKTWriter_setRoundingPrecision_r(m_ctx, writer, decimals);
    char* text = GEOSWKTWriter_write_r(m_ctx, writer, g);
    std::string out = text ? text : "";
    GEOSFree_r(m_ctx, text);
    GEOSWKTWriter_destroy_r(m_ctx, writer);
    return out;
}

bool Geos::is_valid(const GEOSGeometry* g) const {
    return GEOSisValid_r(m_ctx, g) == 1;
}

std::string Geos::invalid_reason(const GEOSGeometry* g) const {
    char* reason = GEOSisValidReason_r(m_ctx, g);
    std::string out = reason ? reason : "unknown";
    GEOSFree_r(m_ctx, reason);
    return out;
}

GeomPtr Geos::make_valid(const GEOSGeometry* g) const {
    return own(GEOSMakeValid_r(m_ctx, g));
}

int Geos::boundary_self_nodes(const GEOSGeometry* g) const {
    // The rings as lines, without GEOSBoundary: GEOS 3.11's noder dereferences null on an empty
    // ring (a polygon with an empty hole; found by the geometry fuzz harness), so those are left
    // out, and so are non-finite vertices, which the import refuses before this.
    std::vector<GEOSGeometry*> lines;
    int segments = 0;
    auto add_ring = [&](const GEOSGeometry* ring) {
        const GEOSCoordSequence* seq = ring ? GEOSGeom_getCoordSeq_r(m_ctx, ring) : nullptr;
        unsigned int n = 0;
        if (!seq || !GEOSCoordSeq_getSize_r(m_ctx, seq, &n) || n < 2)
            return;
        for (unsigned int i = 0; i < n; ++i) {
            double x = 0, y = 0;
            GEOSCoordSeq_getXY_r(m_ctx, seq, i, &x, &y);
            if (!std::isfinite(x) || !std::isfinite(y))
                throw_input("the geometry has a vertex that is not a finite number");
        }
        lines.push_back(GEOSGeom_createLineString_r(m_ctx, GEOSCoordSeq_clone_r(m_ctx, seq)));
        segments += static_cast<int>(n) - 1;
    };
    try {
        for (int p = 0; p < num_parts(g); ++p) {
            const GEOSGeometry* polygon = part(g, p);
            if (GEOSGeomTypeId_r(m_ctx, polygon) != GEOS_POLYGON)
                continue;
            add_ring(GEOSGetExteriorRing_r(m_ctx, polygon));
            int holes = GEOSGetNumInteriorRings_r(m_ctx, polygon);
            for (int h = 0; h < holes; ++h)
                add_ring(GEOSGetInteriorRingN_r(m_ctx, polygon, h));
        }
    } catch (...) {
        for (auto* l : lines)
            GEOSGeom_destroy_r(m_ctx, l);
        throw;
    }
    if (lines.empty())
        return 0;
    auto rings = own(GEOSGeom_createCollection_r(m_ctx, GEOS_MULTILINESTRING, lines.data(),
                                                 static_cast<unsigned int>(lines.size())));
    auto noded = own(GEOSNode_r(m_ctx, rings.get()));
    // The noder splits one segment per node it adds and drops repeated points, hence the floor.
    int noded_segments =
        GEOSGetNumCoordinates_r(m_ctx, noded.get()) - GEOSGetNumGeometries_r(m_ctx, noded.get());
    return std::max(0, noded_segments - segments);
}

double Geos::area(const GEOSGeometry* g) const {
    double a = 0;
    if (!GEOSArea_r(m_ctx, g, &a))
        throw_internal(fmt::format("GEOS area failed: {}", m_last_message));
    return a;
}

double Geos::length(const GEOSGeometry* g) const {
    double l = 0;
    if (!GEOSLength_r(m_ctx, g, &l))
        throw_internal(fmt::format("GEOS length failed: {}", m_last_message));
    return l;
}

bool Geos::is_empty(const GEOSGeometry* g) const {
    return GEOSisEmpty_r(m_ctx, g) == 1;
}
Geos::Type Geos::type(const GEOSGeometry* g) const {
    switch (GEOSGeomTypeId_r(m_ctx, g)) {
    case GEOS_POINT:
        return Type::point;
    case GEOS_LINESTRING:
        return Type::line;
    case GEOS_LINEARRING:
        return Type::ring;
    case GEOS_POLYGON:
        return Type::polygon;
    case GEOS_MULTIPOINT:
        return Type::multi_point;
    case GEOS_MULTILINESTRING:
        return Type::multi_line;
    case GEOS_MULTIPOLYGON:
        return Type::multi_polygon;
    case GEOS_GEOMETRYCOLLECTION:
        return Type::collection;
    default:
        throw_internal(fmt::format("GEOS: unknown geometry type: {}", m_last_message));
    }
}

GeomPtr Geos::clone(const GEOSGeometry* g) const {
    return own(GEOSGeom_clone_r(m_ctx, g));
}

GeomPtr Geos::intersection(const GEOSGeometry* a, const GEOSGeometry* b) const {
    return own(GEOSIntersection_r(m_ctx, a, b));
}

GeomPtr Geos::line_merge(const GEOSGeometry* g) const {
    return own(GEOSLineMerge_r(m_ctx, g));
}

PreparedPtr Geos::prepare(const GEOSGeometry* g) const {
    const GEOSPreparedGeometry* p = GEOSPrepare_r(m_ctx, g);
    if (!p)
        throw_internal(fmt::format("GEOS prepare failed: {}", m_last_message));
    return PreparedPtr(p, PreparedDeleter{m_ctx});
}

GeomPtr Geos::polygonal_multi(const GEOSGeometry* g) const {
    std::vector<GEOSGeometry*> polys;
    auto collect = [&](auto&& self, const GEOSGeometry* part) -> void {
        int type = GEOSGeomTypeId_r(m_ctx, part);
        if (type == GEOS_POLYGON) {
            if (!GEOSisEmpty_r(m_ctx, part))
                polys.push_back(GEOSGeom_clone_r(m_ctx, part));
        } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
            int n = GEOSGetNumGeometries_r(m_ctx, part);
            for (int i = 0; i < n; ++i)
                self(self, GEOSGetGeometryN_r(m_ctx, part, i));
        }
    };
    collect(collect, g);
    return own(GEOSGeom_createCollection_r(m_ctx, GEOS_MULTIPOLYGON, polys.data(),
                                           static_cast<unsigned>(polys.size())));
}

PreparedPtr Geos::no_prepared() const {
    return PreparedPtr(nullptr, PreparedDeleter{m_ctx});
}

GeomPtr Geos::difference(const GEOSGeometry* a, const GEOSGeometry* b) const {
    return own(GEOSDifference_r(m_ctx, a, b));
}

GeomPtr Geos::intersection_snapped(const GEOSGeometry* a, const GEOSGeometry* b,
                                   double grid) const {
    GEOSGeometry* raw = GEOSIntersection_r(m_ctx, a, b);
    if (!raw)
        raw = GEOSIntersectionPrec_r(m_ctx, a, b, grid);
    return own(raw);
}

GeomPtr Geos::union_of(std::vector<GeomPtr> parts) const {
    std::vector<GEOSGeometry*> raw;
    raw.reserve(parts.size());
    for (auto& p : parts)
        raw.push_back(p.release());
    auto collection = own(GEOSGeom_createCollection_r(m_ctx, GEOS_GEOMETRYCOLLECTION, raw.data(),
                                                      static_cast<unsigned>(raw.size())));
    return own(GEOSUnaryUnion_r(m_ctx, collection.get()));
}

GeomPtr Geos::union_of(std::span<const GEOSGeometry* const> parts) const {
    std::vector<GeomPtr> clones;
    clones.reserve(parts.size());
    for (const auto* p : parts)
        clones.push_back(clone(p));
    return union_of(std::move(clones));
}

GeomPtr Geos::multi_polygon(std::vector<GeomPtr> polygons) const {
    std::vector<GEOSGeometry*> raw;
    raw.reserve(polygons.size());
    for (auto& p : polygons)
        raw.push_back(p.release());
    return own(GEOSGeom_createCollection_r(m_ctx, GEOS_MULTIPOLYGON, raw.data(),
                                           static_cast<unsigned>(raw.size())));
}

int Geos::num_parts(const GEOSGeometry* g) const {
    return GEOSGetNumGeometries_r(m_ctx, g);
}

const GEOSGeometry* Geos::part(const GEOSGeometry* g, int i) const {
    return GEOSGetGeometryN_r(m_ctx, g, i);
}

std::vector<GeomPtr> Geos::parts(const GEOSGeometry* g) const {
    std::vector<GeomPtr> out;
    int n = num_parts(g);
    out.reserve(static_cast<size_t>(n > 0 ? n : 0));
    for (int i = 0; i < n; ++i)
        out.push_back(clone(part(g, i)));
    return out;
}

Envelope Geos::bounds(const GEOSGeometry* g) const {
    Envelope e;
    if (!GEOSGeom_getXMin_r(m_ctx, g, &e.min_x) || !GEOSGeom_getYMin_r(m_ctx, g, &e.min_y) ||
        !GEOSGeom_getXMax_r(m_ctx, g, &e.max_x) || !GEOSGeom_getYMax_r(m_ctx, g, &e.max_y))
        throw_internal(
            fmt::format("GEOS cannot give the bounds of a geometry: {}", m_last_message));
    return e;
}

GeomPtr Geos::clip_by_rect(const GEOSGeometry* g, const Envelope& box) const {
    return own(GEOSClipByRect_r(m_ctx, g, box.min_x, box.min_y, box.max_x, box.max_y));
}

GeomPtr Geos::buffer_flat_mitre(const GEOSGeometry* g, double width, double mitre_limit) const {
    return own(GEOSBufferWithStyle_r(m_ctx, g, width, 1, GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_MITRE,
                                     mitre_limit));
}

GeomPtr Geos::point_on_surface(const GEOSGeometry* g) const {
    return own(GEOSPointOnSurface_r(m_ctx, g));
}

std::optional<XY> Geos::point_on_surface_xy(const GEOSGeometry* g) const {
    GEOSGeometry* raw = GEOSPointOnSurface_r(m_ctx, g);
    if (!raw)
        return std::nullopt;
    GeomPtr point(raw, GeomDeleter{m_ctx});
    XY xy;
    if (GEOSisEmpty_r(m_ctx, raw) || !GEOSGeomGetX_r(m_ctx, raw, &xy.x) ||
        !GEOSGeomGetY_r(m_ctx, raw, &xy.y))
        return std::nullopt;
    return xy;
}

Vertices Geos::vertices(const GEOSGeometry* line) const {
    Vertices out;
    const GEOSCoordSequence* seq = line ? GEOSGeom_getCoordSeq_r(m_ctx, line) : nullptr;
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(m_ctx, seq, &n))
        return out;
    out.resize(n);
    for (unsigned i = 0; i < n; ++i)
        GEOSCoordSeq_getXY_r(m_ctx, seq, i, &out[i].x, &out[i].y);
    return out;
}

std::vector<Vertices> Geos::polygon_rings(const GEOSGeometry* g) const {
    std::vector<Vertices> out;
    auto walk = [&](auto&& self, const GEOSGeometry* part) -> void {
        int type = GEOSGeomTypeId_r(m_ctx, part);
        if (type == GEOS_POLYGON) {
            if (GEOSisEmpty_r(m_ctx, part))
                return;
            out.push_back(vertices(GEOSGetExteriorRing_r(m_ctx, part)));
            int holes = GEOSGetNumInteriorRings_r(m_ctx, part);
            for (int i = 0; i < holes; ++i)
                out.push_back(vertices(GEOSGetInteriorRingN_r(m_ctx, part, i)));
        } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
            int n = GEOSGetNumGeometries_r(m_ctx, part);
            for (int i = 0; i < n; ++i)
                self(self, GEOSGetGeometryN_r(m_ctx, part, i));
        }
    };
    walk(walk, g);
    return out;
}

std::vector<Vertices> Geos::line_parts(const GEOSGeometry* g) const {
    std::vector<Vertices> out;
    auto walk = [&](auto&& self, const GEOSGeometry* part) -> void {
        int type = GEOSGeomTypeId_r(m_ctx, part);
        if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
            if (!GEOSisEmpty_r(m_ctx, part))
                out.push_back(vertices(part));
        } else if (type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION) {
            int n = GEOSGetNumGeometries_r(m_ctx, part);
            for (int i = 0; i < n; ++i)
                self(self, GEOSGetGeometryN_r(m_ctx, part, i));
        }
    };
    walk(walk, g);
    return out;
}

bool Geos::predicate(char result, const char* name) const {
    if (result == 2)
        throw_internal(fmt::format("GEOS cannot decide '{}': {}", name, m_last_message));
    return result == 1;
}

bool Geos::covers(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    return predicate(GEOSPreparedCovers_r(m_ctx, p, g), "covers");
}
bool Geos::contains(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    return predicate(GEOSPreparedContains_r(m_ctx, p, g), "contains");
}
bool Geos::intersects(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    return predicate(GEOSPreparedIntersects_r(m_ctx, p, g), "intersects");
}
bool Geos::touches(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    return predicate(GEOSPreparedTouches_r(m_ctx, p, g), "touches");
}

} // namespace landclear
