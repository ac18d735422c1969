// RAII over the GEOS C API: one context, re-entrant (_r) functions only.
#pragma once

#include <geos_c.h>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace landclear::sample {

struct Vec2 {
    double x = 0;
    double y = 0;
};

class GeosContext;

struct GeomDeleter {
    GEOSContextHandle_t m_ctx = nullptr;
    void operator()(GEOSGeometry* g) const { GEOSGeom_destroy_r(m_ctx, g); }
};
struct PreparedDeleter {
    GEOSContextHandle_t m_ctx = nullptr;
    void operator()(const GEOSPreparedGeometry* p) const { GEOSPreparedGeom_destroy_r(m_ctx, p); }
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

class GeosContext {
public:
    GeosContext() : m_handle(GEOS_init_r()) {
        if (m_handle == nullptr) {
            throw std::runtime_error("GEOS_init_r failed");
        }
        GEOSContext_setErrorMessageHandler_r(m_handle, &on_error, this);
    }
    ~GeosContext() { GEOS_finish_r(m_handle); }
    GeosContext(const GeosContext&) = delete;
    GeosContext& operator=(const GeosContext&) = delete;

    GEOSContextHandle_t get() const { return m_handle; }

    // Takes ownership of a GEOS result; throws with the last GEOS message when it is null.
    GeomPtr own(GEOSGeometry* g, const char* what) const {
        if (g == nullptr) {
            throw std::runtime_error(std::string("GEOS ") + what + " failed: " + m_last_error);
        }
        return GeomPtr(g, GeomDeleter{m_handle});
    }

    PreparedPtr prepare(const GEOSGeometry* g) const {
        const GEOSPreparedGeometry* p = GEOSPrepare_r(m_handle, g);
        if (p == nullptr) {
            throw std::runtime_error("GEOSPrepare_r failed: " + m_last_error);
        }
        return PreparedPtr(p, PreparedDeleter{m_handle});
    }

    GeomPtr point(Vec2 p) const {
        return own(GEOSGeom_createPointFromXY_r(m_handle, p.x, p.y), "point");
    }

    GeomPtr line(std::span<const Vec2> pts) const {
        return own(GEOSGeom_createLineString_r(m_handle, sequence(pts, false)), "linestring");
    }

    // A polygon from an open ring (the closing vertex is added here).
    GeomPtr polygon(std::span<const Vec2> ring) const {
        GEOSGeometry* shell = GEOSGeom_createLinearRing_r(m_handle, sequence(ring, true));
        if (shell == nullptr) {
            throw std::runtime_error("GEOS linear ring failed: " + m_last_error);
        }
        return own(GEOSGeom_createPolygon_r(m_handle, shell, nullptr, 0), "polygon");
    }

    GeomPtr from_wkb(std::span<const unsigned char> wkb) const {
        std::unique_ptr<GEOSWKBReader, ReaderDeleter> reader(GEOSWKBReader_create_r(m_handle),
                                                             ReaderDeleter{m_handle});
        return own(GEOSWKBReader_read_r(m_handle, reader.get(), wkb.data(), wkb.size()),
                   "WKB read");
    }

    std::vector<unsigned char> to_wkb(const GEOSGeometry* g) const {
        std::unique_ptr<GEOSWKBWriter, WriterDeleter> writer(GEOSWKBWriter_create_r(m_handle),
                                                             WriterDeleter{m_handle});
        std::size_t size = 0;
        unsigned char* buf = GEOSWKBWriter_write_r(m_handle, writer.get(), g, &size);
        if (buf == nullptr) {
            throw std::runtime_error("GEOS WKB write failed: " + m_last_error);
        }
        std::vector<unsigned char> out(buf, buf + size);
        GEOSFree_r(m_handle, buf);
        return out;
    }

    double area(const GEOSGeometry* g) const {
        double a = 0;
        GEOSArea_r(m_handle, g, &a);
        return a;
    }

    struct Box {
        double xmin, ymin, xmax, ymax;
        bool intersects(const Box& o) const {
            return xmin <= o.xmax && o.xmin <= xmax && ymin <= o.ymax && o.ymin <= ymax;
        }
    };
    Box bounds(const GEOSGeometry* g) const {
        Box b{};
        GEOSGeom_getXMin_r(m_handle, g, &b.xmin);
        GEOSGeom_getYMin_r(m_handle, g, &b.ymin);
        GEOSGeom_getXMax_r(m_handle, g, &b.xmax);
        GEOSGeom_getYMax_r(m_handle, g, &b.ymax);
        return b;
    }

private:
    struct ReaderDeleter {
        GEOSContextHandle_t m_ctx;
        void operator()(GEOSWKBReader* r) const { GEOSWKBReader_destroy_r(m_ctx, r); }
    };
    struct WriterDeleter {
        GEOSContextHandle_t m_ctx;
        void operator()(GEOSWKBWriter* w) const { GEOSWKBWriter_destroy_r(m_ctx, w); }
    };

    GEOSCoordSequence* sequence(std::span<const Vec2> pts, bool close) const {
        std::vector<double> xy;
        xy.reserve(pts.size() * 2 + 2);
        for (const Vec2& p : pts) {
            xy.push_back(p.x);
            xy.push_back(p.y);
        }
        if (close && !pts.empty()) {
            xy.push_back(pts.front().x);
            xy.push_back(pts.front().y);
        }
        GEOSCoordSequence* seq = GEOSCoordSeq_copyFromBuffer_r(
            m_handle, xy.data(), static_cast<unsigned>(xy.size() / 2), 0, 0);
        if (seq == nullptr) {
            throw std::runtime_error("GEOS coordinate sequence failed: " + m_last_error);
        }
        return seq;
    }

    static void on_error(const char* message, void* self) {
        static_cast<GeosContext*>(self)->m_last_error = message != nullptr ? message : "";
    }

    GEOSContextHandle_t m_handle;
    std::string m_last_error;
};

} // namespace landclear::sample
