#include "landclear/geom/ellipsoidal.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/crs.hpp"

#include <cmath>
#include <fmt/format.h>
#include <geodesic.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <vector>

namespace landclear {

namespace {

constexpr double deg = M_PI / 180.0;

// The coefficients A..E of 32号, as printed there: A = 1 + (3/6)e² + (30/80)e⁴ + ...
struct Coefficients {
    double A, B, C, D, E;
};

Coefficients coefficients(double e2) {
    double e4 = e2 * e2, e6 = e4 * e2, e8 = e6 * e2;
    return {
        1 + 3.0 / 6 * e2 + 30.0 / 80 * e4 + 35.0 / 112 * e6 + 630.0 / 2304 * e8,
        1.0 / 6 * e2 + 15.0 / 80 * e4 + 21.0 / 112 * e6 + 420.0 / 2304 * e8,
        3.0 / 80 * e4 + 7.0 / 112 * e6 + 180.0 / 2304 * e8,
        1.0 / 112 * e6 + 45.0 / 2304 * e8,
        5.0 / 2304 * e8,
    };
}

void append_ring(const OGRLinearRing& ring, std::vector<double>& out) {
    out.clear();
    out.reserve(static_cast<size_t>(ring.getNumPoints()) * 2);
    for (int i = 0; i < ring.getNumPoints(); ++i) {
        out.push_back(ring.getX(i));
        out.push_back(ring.getY(i));
    }
}

} // namespace

double EllipsoidParams::e2() const {
    double bb = b();
    return (a * a - bb * bb) / (a * a);
}

double trapezoid_area_32(double delta_l, double b1, double b2, const EllipsoidParams& e) {
    auto c = coefficients(e.e2());
    double db = b2 - b1;
    double bm = (b1 + b2) / 2;
    double b = e.b();
    double series = c.A * std::sin(db / 2) * std::cos(bm) -
                    c.B * std::sin(3 * db / 2) * std::cos(3 * bm) +
                    c.C * std::sin(5 * db / 2) * std::cos(5 * bm) -
                    c.D * std::sin(7 * db / 2) * std::cos(7 * bm) +
                    c.E * std::sin(9 * db / 2) * std::cos(9 * bm);
    return 2 * b * b * delta_l * series;
}

double ring_area_32(std::span<const double> lon_lat, const EllipsoidParams& e) {
    size_t n = lon_lat.size() / 2;
    if (n < 3)
        return 0;
    double b0 = lon_lat[1] * deg;
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
        size_t j = (i + 1) % n;
        double dl = (lon_lat[2 * j] - lon_lat[2 * i]) * deg;
        if (dl == 0)
            continue;
        double bm = (lon_lat[2 * i + 1] + lon_lat[2 * j + 1]) / 2 * deg;
        sum += trapezoid_area_32(dl, b0, bm, e);
    }
    // Eastward edges run along the bottom of a counter-clockwise ring: their strips are the
    // ones subtracted.
    return -sum;
}

double ring_area_geodesic(std::span<const double> lon_lat, const EllipsoidParams& e) {
    size_t n = lon_lat.size() / 2;
    if (n >= 2 && lon_lat[0] == lon_lat[2 * n - 2] && lon_lat[1] == lon_lat[2 * n - 1])
        --n; // geod_polygonarea closes the ring itself
    if (n < 3)
        return 0;
    std::vector<double> lats(n), lons(n);
    for (size_t i = 0; i < n; ++i) {
        lons[i] = lon_lat[2 * i];
        lats[i] = lon_lat[2 * i + 1];
    }
    geod_geodesic g;
    geod_init(&g, e.a, 1.0 / e.inverse_flattening);
    double area = 0, perimeter = 0;
    geod_polygonarea(&g, lats.data(), lons.data(), static_cast<int>(n), &area, &perimeter);
    return area;
}

struct EllipsoidalArea::Impl {
    std::unique_ptr<OGRSpatialReference> projected;
    std::unique_ptr<OGRSpatialReference> geographic;
    TransformPtr transform;
};

EllipsoidalArea::EllipsoidalArea(int projected_epsg, double max_segment_m)
    : m_impl(std::make_unique<Impl>()), m_max_segment_m(max_segment_m) {
    m_impl->projected = srs_from_epsg(projected_epsg);
    if (!m_impl->projected->IsProjected())
        throw_usage(fmt::format("EPSG:{} is not a projected CRS", projected_epsg));
    m_impl->geographic.reset(m_impl->projected->CloneGeogCS());
    if (!m_impl->geographic)
        throw_internal(fmt::format("EPSG:{} has no geographic CRS", projected_epsg));
    m_impl->geographic->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    OGRErr err = OGRERR_NONE;
    m_ellipsoid.a = m_impl->geographic->GetSemiMajor(&err);
    m_ellipsoid.inverse_flattening = m_impl->geographic->GetInvFlattening(&err);
    if (err != OGRERR_NONE || m_ellipsoid.inverse_flattening <= 0)
        throw_usage(fmt::format("EPSG:{} has no usable ellipsoid", projected_epsg));
    m_impl->transform = make_transform(*m_impl->projected, *m_impl->geographic);
}

EllipsoidalArea::~EllipsoidalArea() = default;

template <class RingArea>
double EllipsoidalArea::area(std::span<const unsigned char> wkb, RingArea ring_area) const {
    if (wkb.empty())
        return 0;
    OGRGeometry* raw = nullptr;
    if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &raw, wkb.size()) != OGRERR_NONE ||
        !raw)
        throw_internal("cannot read a stored geometry (WKB)");
    OGRGeometryUniquePtr g(raw);
    if (m_max_segment_m > 0)
        g->segmentize(m_max_segment_m);
    if (g->transform(m_impl->transform.get()) != OGRERR_NONE)
        throw_input("a polygon's coordinates cannot be inverse-projected to latitude/longitude",
                    "check that the store's coordinates lie in its Gauss-Krüger zone");
    double total = 0;
    std::vector<double> coords;
    auto polygon = [&](const OGRPolygon& p) {
        if (p.IsEmpty())
            return;
        append_ring(*p.getExteriorRing(), coords);
        total += std::fabs(ring_area(coords));
        for (int i = 0; i < p.getNumInteriorRings(); ++i) {
            append_ring(*p.getInteriorRing(i), coords);
            total -= std::fabs(ring_area(coords));
        }
    };
    switch (wkbFlatten(g->getGeometryType())) {
    case wkbPolygon:
        polygon(*g->toPolygon());
        break;
    case wkbMultiPolygon:
        for (const auto* p : *g->toMultiPolygon())
            polygon(*p);
        break;
    default:
        return 0;
    }
    return total;
}

double EllipsoidalArea::area_32(std::span<const unsigned char> wkb) const {
    return area(wkb,
                [this](std::span<const double> ring) { return ring_area_32(ring, m_ellipsoid); });
}

double EllipsoidalArea::area_geodesic(std::span<const unsigned char> wkb) const {
    return area(wkb, [this](std::span<const double> ring) {
        return ring_area_geodesic(ring, m_ellipsoid);
    });
}

} // namespace landclear
