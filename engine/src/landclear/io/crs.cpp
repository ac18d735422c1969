#include "landclear/io/crs.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/gdal_error.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <vector>

namespace landclear {

int parse_epsg(const std::string& text, const std::string& option) {
    std::string_view s = text;
    if (s.size() > 5 && (s.substr(0, 5) == "EPSG:" || s.substr(0, 5) == "epsg:"))
        s.remove_prefix(5);
    int code = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
    if (ec != std::errc() || ptr != s.data() + s.size() || code <= 0)
        throw_usage(fmt::format("{} '{}' is not an EPSG code", option, text),
                    "write it as EPSG:4547 (CGCS2000 3-degree GK zone 38, Xiangtan)");
    // PROJ says "crs not found" through GDAL; the capture keeps it off stderr and ours says more.
    GdalErrorCapture capture;
    OGRSpatialReference probe;
    if (probe.importFromEPSG(code) != OGRERR_NONE) {
        auto why = capture.errors();
        throw_usage(fmt::format("{} EPSG:{} is not a CRS that PROJ knows{}", option, code,
                                why.empty() ? "" : " (" + why + ")"));
    }
    return code;
}

int cgcs2000_gk3_epsg(double longitude) {
    int zone = static_cast<int>(std::lround(longitude / 3.0));
    if (zone < 25 || zone > 45)
        throw_input(fmt::format("the data's centre at longitude {:.3f} lies outside the CGCS2000 "
                                "3-degree zones 25–45 (China)",
                                longitude),
                    "pass the working CRS with --crs EPSG:n");
    return 4534 + (zone - 25);
}

std::unique_ptr<OGRSpatialReference> srs_from_epsg(int epsg) {
    GdalErrorCapture capture;
    auto srs = std::make_unique<OGRSpatialReference>();
    if (srs->importFromEPSG(epsg) != OGRERR_NONE) {
        auto why = capture.errors();
        throw_usage(fmt::format("EPSG:{} is not a CRS that PROJ knows{}", epsg,
                                why.empty() ? "" : " (" + why + ")"));
    }
    srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

void require_metric_projected(int epsg) {
    auto srs = srs_from_epsg(epsg);
    if (!srs->IsProjected())
        throw_usage(
            fmt::format("EPSG:{} is not a projected CRS: areas cannot be measured in it", epsg),
            "use a CGCS2000 Gauss-Krüger CRS such as EPSG:4547");
    if (std::fabs(srs->GetLinearUnits() - 1.0) > 1e-12)
        throw_usage(fmt::format("EPSG:{} does not use metres", epsg),
                    "use a CGCS2000 Gauss-Krüger CRS such as EPSG:4547");
}

std::string describe_srs(const OGRSpatialReference& srs) {
    const char* auth = srs.GetAuthorityName(nullptr);
    const char* code = srs.GetAuthorityCode(nullptr);
    std::string name = srs.GetName() ? srs.GetName() : "unnamed CRS";
    if (auth && code)
        return fmt::format("{}:{} {}", auth, code, name);
    return name;
}

bool is_undefined_srs(const OGRSpatialReference& srs) {
    if (srs.IsEmpty() || srs.IsLocal())
        return true;
    std::string_view name = srs.GetName() ? srs.GetName() : "";
    constexpr std::string_view placeholder = "undefined ";
    if (name.size() < placeholder.size())
        return false;
    for (size_t i = 0; i < placeholder.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(name[i])) != placeholder[i])
            return false;
    return srs.GetAuthorityCode(nullptr) == nullptr;
}

std::unique_ptr<OGRSpatialReference> declared_srs(const OGRSpatialReference* srs) {
    if (!srs || is_undefined_srs(*srs))
        return nullptr;
    std::unique_ptr<OGRSpatialReference> out(srs->Clone());
    out->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return out;
}

CoordinateBounds coordinate_bounds(const OGRSpatialReference& working) {
    constexpr double fallback = 40'000'000.0;
    CoordinateBounds b{
        -fallback, -fallback, fallback, fallback,
        "the stated bound of 40,000 km from the origin (the CRS has no area of use)"};
    double west = 0, south = 0, east = 0, north = 0;
    const char* area = nullptr;
    GdalErrorCapture capture;
    if (!working.GetAreaOfUse(&west, &south, &east, &north, &area) || west > east)
        return b;
    double w = std::max(west - 3.0, -180.0), e = std::min(east + 3.0, 180.0);
    double s = std::max(south - 1.0, -89.0), n = std::min(north + 1.0, 89.0);
    std::unique_ptr<OGRSpatialReference> geographic(working.CloneGeogCS());
    if (!geographic)
        return b;
    geographic->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    TransformPtr ct(OGRCreateCoordinateTransformation(geographic.get(), &working));
    if (!ct)
        return b;
    // The image of the box's edges bounds the image of the box (a projection is continuous).
    constexpr int steps = 64;
    std::vector<double> xs, ys;
    for (int i = 0; i <= steps; ++i) {
        double t = static_cast<double>(i) / steps;
        double lon = w + (e - w) * t, lat = s + (n - s) * t;
        xs.insert(xs.end(), {lon, lon, w, e});
        ys.insert(ys.end(), {s, n, lat, lat});
    }
    std::vector<int> ok(xs.size(), 0);
    ct->Transform(static_cast<int>(xs.size()), xs.data(), ys.data(), nullptr, ok.data());
    CoordinateBounds out{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                         std::numeric_limits<double>::lowest(),
                         std::numeric_limits<double>::lowest(), ""};
    for (size_t i = 0; i < xs.size(); ++i) {
        if (!ok[i] || !std::isfinite(xs[i]) || !std::isfinite(ys[i]))
            continue;
        out.min_x = std::min(out.min_x, xs[i]);
        out.max_x = std::max(out.max_x, xs[i]);
        out.min_y = std::min(out.min_y, ys[i]);
        out.max_y = std::max(out.max_y, ys[i]);
    }
    if (out.min_x > out.max_x || out.min_y > out.max_y)
        return b;
    out.text = fmt::format("the area of use of {} ({}, {:.1f}–{:.1f}°E {:.1f}–{:.1f}°N) widened by "
                           "3° of longitude and 1° of latitude: x {:.0f}–{:.0f}, y {:.0f}–{:.0f}",
                           describe_srs(working), area ? area : "no name", west, east, south, north,
                           out.min_x, out.max_x, out.min_y, out.max_y);
    return out;
}

namespace {

// Visits the vertices of a linear geometry (points, curves' linear forms, rings, collections)
// until fn returns false.
template <class Fn> bool each_vertex(const OGRGeometry& g, int& index, Fn&& fn) {
    auto type = wkbFlatten(g.getGeometryType());
    if (type == wkbPoint) {
        const auto& p = *g.toPoint();
        return fn(++index, p.getX(), p.getY());
    }
    if (OGR_GT_IsCurve(type) && !OGR_GT_IsNonLinear(type)) {
        const auto& c = *g.toSimpleCurve();
        for (int i = 0; i < c.getNumPoints(); ++i)
            if (!fn(++index, c.getX(i), c.getY(i)))
                return false;
        return true;
    }
    if (OGR_GT_IsSubClassOf(type, wkbCurvePolygon)) {
        for (const auto* ring : *g.toCurvePolygon())
            if (!each_vertex(*ring, index, fn))
                return false;
        return true;
    }
    if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
        for (const auto* part : *g.toGeometryCollection())
            if (!each_vertex(*part, index, fn))
                return false;
        return true;
    }
    if (type == wkbCompoundCurve) {
        for (const auto* part : *g.toCompoundCurve())
            if (!each_vertex(*part, index, fn))
                return false;
        return true;
    }
    // A circular string: its control points are vertices too.
    const auto& c = *g.toSimpleCurve();
    for (int i = 0; i < c.getNumPoints(); ++i)
        if (!fn(++index, c.getX(i), c.getY(i)))
            return false;
    return true;
}

} // namespace

std::optional<std::string> check_vertices(const OGRGeometry& g, const CoordinateBounds& bounds) {
    std::optional<std::string> problem;
    int index = 0;
    each_vertex(g, index, [&](int i, double x, double y) {
        if (!std::isfinite(x) || !std::isfinite(y))
            problem = fmt::format("vertex {} ({}, {}) is not a finite number", i, x, y);
        else if (x < bounds.min_x || x > bounds.max_x || y < bounds.min_y || y > bounds.max_y)
            problem = fmt::format("vertex {} ({}, {}) lies outside {}", i, x, y, bounds.text);
        return !problem;
    });
    return problem;
}

void TransformDeleter::operator()(OGRCoordinateTransformation* ct) const {
    OGRCoordinateTransformation::DestroyCT(ct);
}

TransformPtr make_transform(const OGRSpatialReference& from, const OGRSpatialReference& to) {
    if (from.IsSame(&to))
        return nullptr;
    GdalErrorCapture capture;
    TransformPtr ct(OGRCreateCoordinateTransformation(&from, &to));
    if (!ct) {
        auto why = capture.errors();
        throw_input(fmt::format("no transformation from {} to {}{}", describe_srs(from),
                                describe_srs(to), why.empty() ? "" : ": " + why));
    }
    return ct;
}

} // namespace landclear
