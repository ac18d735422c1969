#pragma once
// RAII over the GEOS C API. Only the re-entrant (_r) functions are used, with one Geos object
// per thread; mixing plain and _r calls crashes GEOS.
#include <memory>
#include <span>
#include <string>
#include <vector>

typedef struct GEOSContextHandle_HS* GEOSContextHandle_t;
typedef struct GEOSGeom_t GEOSGeometry;
typedef struct GEOSPrepGeom_t GEOSPreparedGeometry;
typedef struct GEOSWKBReader_t GEOSWKBReader;
typedef struct GEOSWKBWriter_t GEOSWKBWriter;

namespace landclear {

class Geos;

struct GeomDeleter {
    GEOSContextHandle_t ctx;
    void operator()(GEOSGeometry* g) const;
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

struct PreparedDeleter {
    GEOSContextHandle_t ctx;
    void operator()(const GEOSPreparedGeometry* g) const;
};
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

using Wkb = std::vector<unsigned char>;

class Geos {
public:
    Geos();
    ~Geos();
    Geos(const Geos&) = delete;
    Geos& operator=(const Geos&) = delete;

    GEOSContextHandle_t handle() const { return m_ctx; }

    GeomPtr from_wkb(std::span<const unsigned char> wkb) const;
    GeomPtr from_wkt(const std::string& wkt) const;
    Wkb to_wkb(const GEOSGeometry* g) const;
    std::string to_wkt(const GEOSGeometry* g, int decimals = 3) const;

    bool is_valid(const GEOSGeometry* g) const;
    std::string invalid_reason(const GEOSGeometry* g) const;
    GeomPtr make_valid(const GEOSGeometry* g) const;
    double area(const GEOSGeometry* g) const;
    double length(const GEOSGeometry* g) const;
    bool is_empty(const GEOSGeometry* g) const;
    int type_id(const GEOSGeometry* g) const;

    // The polygons of g as one MultiPolygon (a Polygon is wrapped; lines and points that
    // MakeValid may leave behind are dropped). Empty MultiPolygon when g has no area.
    GeomPtr polygonal_multi(const GEOSGeometry* g) const;
    GeomPtr clone(const GEOSGeometry* g) const;
    GeomPtr intersection(const GEOSGeometry* a, const GEOSGeometry* b) const;
    GeomPtr line_merge(const GEOSGeometry* g) const;
    PreparedPtr prepare(const GEOSGeometry* g) const;

    GeomPtr own(GEOSGeometry* g) const; // takes ownership; throws if g is null
    // The message of GEOS's last error or notice on this context (GEOS reports through
    // handlers rather than return values).
    const std::string& last_message() const { return m_last_message; }

private:
    GEOSContextHandle_t m_ctx;
    GEOSWKBReader* m_reader;
    GEOSWKBWriter* m_writer;
    std::string m_last_message;
};

} // namespace landclear
