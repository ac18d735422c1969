#pragma once
// Ellipsoidal area (图斑椭球面积) as the national land surveys compute it: vertices
// inverse-projected from the store's Gauss-Krüger CRS to latitude/longitude, then summed as
// ellipsoidal trapezoids with the series of 国土调查办发〔2008〕32号
// (《图幅理论面积与图斑椭球面积计算公式及要求》). PROJ's geodesic polygon area (geod_polygonarea,
// Karney) is kept beside it as an independent check.

#include <memory>
#include <span>
#include <string>
#include <unordered_map>

class OGRSpatialReference;
class OGRGeometry;

namespace landclear {

struct EllipsoidParams {
    double a = 0;                  // semi-major axis, m
    double inverse_flattening = 0; // 1/f
    double b() const { return a - a / inverse_flattening; }
    double e2() const; // first eccentricity squared, (a² − b²) / a²
};
inline constexpr EllipsoidParams cgcs2000_ellipsoid{6378137.0, 298.257222101};

// 32号 formula (2): area of the ellipsoidal trapezoid between two meridians delta_l apart and the
// parallels b1 and b2 (all radians). Signed: positive when delta_l and b2 − b1 have equal signs.
double trapezoid_area_32(double delta_l, double b1, double b2, const EllipsoidParams& e);

// Signed area of a closed or open ring of (longitude, latitude) pairs in degrees: each edge forms
// a 32号 trapezoid with the parallel through the ring's first vertex, its top at the edge's mean
// latitude; the trapezoids sum to the ring's area. Positive counter-clockwise.
double ring_area_32(std::span<const double> lon_lat, const EllipsoidParams& e);
// The same ring's signed geodesic area by PROJ's geod_polygonarea (edges are geodesics).
double ring_area_geodesic(std::span<const double> lon_lat, const EllipsoidParams& e);

// Ellipsoidal areas of polygons stored in a projected CRS: inverse projection onto the CRS's own
// geographic CRS (CGCS2000 for the Gauss-Krüger zones) in GIS axis order, with its ellipsoid.
class EllipsoidalArea {
public:
    // Edges are first cut into pieces of at most max_segment_m in the projected plane, so that
    // the latitude/longitude polygon follows the straight edges as drawn there and each 32号
    // trapezoid is short enough for its mean-latitude top (docs/RECONCILE.md: on 300 m edges the
    // vertices alone are off by up to ~4e-6 relative; 20 m pieces bring it below ~3e-7).
    // 0 uses the vertices as they are.
    static constexpr double default_max_segment_m = 20;
    explicit EllipsoidalArea(int projected_epsg, double max_segment_m = default_max_segment_m);
    ~EllipsoidalArea();
    EllipsoidalArea(const EllipsoidalArea&) = delete;
    EllipsoidalArea& operator=(const EllipsoidalArea&) = delete;

    const EllipsoidParams& ellipsoid() const { return m_ellipsoid; }

    // Area in m² of a (Multi)Polygon given as WKB in the projected CRS: outer rings minus holes.
    double area_32(std::span<const unsigned char> wkb) const;
    double area_geodesic(std::span<const unsigned char> wkb) const;

private:
    template <class RingArea> double area(std::span<const unsigned char> wkb, RingArea ring) const;

    struct Impl;
    std::unique_ptr<Impl> m_impl;
    EllipsoidParams m_ellipsoid;
    double m_max_segment_m = default_max_segment_m;
};

} // namespace landclear
