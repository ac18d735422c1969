#include "landclear/io/crs.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/gdal_error.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <ogr_spatialref.h>

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
