#pragma once
// RAII over the GEOS C API. Only the re-entrant (_r) functions are used, with one Geos object
// per thread; mixing plain and _r calls crashes GEOS.
#include "landclear/core/model.hpp"

#include <memory>
#include <optional>
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

struct XY {
    double x = 0, y = 0;
};
using Vertices = std::vector<XY>;

// The most self-nodes (boundary_self_nodes) an import repairs with MakeValid: a bow-tie has 2, a
// badly digitised parcel a few dozen; 500 repair in under 0.1 s. Beyond it the feature is
// scrambled rather than defective, and repairing it could take minutes.
inline constexpr int make_valid_max_self_nodes = 500;

class Geos {
public:
    Geos();
    ~Geos();
    Geos(const Geos&) = delete;
    Geos& operator=(const Geos&) = delete;

    // For geom/'s own modules (red lines, STRtree, linear referencing). Everything above geom/
    // goes through the methods below: cmake/check_layers.cmake refuses GEOS calls elsewhere.
    GEOSContextHandle_t handle() const { return m_ctx; }

    GeomPtr from_wkb(std::span<const unsigned char> wkb) const;
    GeomPtr from_wkt(const std::string& wkt) const;
    Wkb to_wkb(const GEOSGeometry* g) const;
    std::string to_wkt(const GEOSGeometry* g, int decimals = 3) const;

    bool is_valid(const GEOSGeometry* g) const;
    std::string invalid_reason(const GEOSGeometry* g) const;
    GeomPtr make_valid(const GEOSGeometry* g) const;
    // How many nodes GEOS's noder adds to g's boundary where it crosses or touches itself (two
    // per crossing): MakeValid's cost grows with their square (a scrambled 200-vertex ring with
    // about 5,000 crossings takes 10 s in GEOS 3.11), noding takes milliseconds. Error(input)
    // for a non-finite vertex.
    int boundary_self_nodes(const GEOSGeometry* g) const;
    double area(const GEOSGeometry* g) const;
    double length(const GEOSGeometry* g) const;
    bool is_empty(const GEOSGeometry* g) const;
    enum class Type {
        point,
        line,
        ring,
        polygon,
        multi_point,
        multi_line,
        multi_polygon,
        collection
    };
    Type type(const GEOSGeometry* g) const;

    // The polygons of g as one MultiPolygon (a Polygon is wrapped; lines and points that
    // MakeValid may leave behind are dropped). Empty MultiPolygon when g has no area.
    GeomPtr polygonal_multi(const GEOSGeometry* g) const;
    GeomPtr clone(const GEOSGeometry* g) const;
    GeomPtr intersection(const GEOSGeometry* a, const GEOSGeometry* b) const;
    GeomPtr line_merge(const GEOSGeometry* g) const;
    PreparedPtr prepare(const GEOSGeometry* g) const;
    PreparedPtr no_prepared() const; // an empty slot, for vectors indexed alongside geometries

    GeomPtr difference(const GEOSGeometry* a, const GEOSGeometry* b) const;
    // The intersection; where GEOS's overlay fails on robustness, retried snapped to a grid of
    // `grid` metres (GEOSIntersectionPrec) rather than failing the whole command.
    GeomPtr intersection_snapped(const GEOSGeometry* a, const GEOSGeometry* b, double grid) const;
    // One overlay over all of them (unary union of their collection); takes ownership.
    GeomPtr union_of(std::vector<GeomPtr> parts) const;
    // The same over borrowed geometries (cloned first).
    GeomPtr union_of(std::span<const GEOSGeometry* const> parts) const;
    // A MultiPolygon made of the given polygons; takes ownership.
    GeomPtr multi_polygon(std::vector<GeomPtr> polygons) const;
    // Parts of a multi-geometry or collection (a single geometry is its own one part).
    int num_parts(const GEOSGeometry* g) const;
    const GEOSGeometry* part(const GEOSGeometry* g, int i) const; // borrowed from g
    std::vector<GeomPtr> parts(const GEOSGeometry* g) const;      // clones
    // The bounding box; Error(internal) for an empty geometry.
    Envelope bounds(const GEOSGeometry* g) const;
    GeomPtr clip_by_rect(const GEOSGeometry* g, const Envelope& box) const;
    // A buffer with flat ends and mitred joins (negative widths shrink polygons).
    GeomPtr buffer_flat_mitre(const GEOSGeometry* g, double width, double mitre_limit) const;
    GeomPtr point_on_surface(const GEOSGeometry* g) const;
    // The point-on-surface's coordinates; none when GEOS cannot find one or g is empty.
    std::optional<XY> point_on_surface_xy(const GEOSGeometry* g) const;
    // Rings (each polygon's outer ring, then its holes) of every polygon in g, for an even-odd
    // fill; line and point parts give none.
    std::vector<Vertices> polygon_rings(const GEOSGeometry* g) const;
    // The vertices of every line part of g.
    std::vector<Vertices> line_parts(const GEOSGeometry* g) const;

    // Prepared predicates. Error(internal) with GEOS's message when GEOS cannot decide.
    bool covers(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;
    bool contains(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;
    bool intersects(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;
    bool touches(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;

    GeomPtr own(GEOSGeometry* g) const; // takes ownership; throws if g is null
    // The message of GEOS's last error or notice on this context (GEOS reports through
    // handlers rather than return values).
    const std::string& last_message() const { return m_last_message; }

private:
    bool predicate(char result, const char* name) const;
    Vertices vertices(const GEOSGeometry* line) const;

    GEOSContextHandle_t m_ctx;
    GEOSWKBReader* m_reader;
    GEOSWKBWriter* m_writer;
    std::string m_last_message;
};

} // namespace landclear
