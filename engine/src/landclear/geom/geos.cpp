#include "landclear/geom/geos.hpp"

#include "landclear/core/error.hpp"

#define GEOS_USE_ONLY_R_API
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
int Geos::type_id(const GEOSGeometry* g) const {
    return GEOSGeomTypeId_r(m_ctx, g);
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

} // namespace landclear
