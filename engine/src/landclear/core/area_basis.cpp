#include "landclear/core/area_basis.hpp"

#include "landclear/core/error.hpp"

#include <fmt/format.h>

namespace landclear {

AreaBasis parse_area_basis(const std::string& text, const std::string& option) {
    if (text == "planar")
        return AreaBasis::planar;
    if (text == "ellipsoidal")
        return AreaBasis::ellipsoidal;
    throw_usage(fmt::format("{} '{}' is not planar or ellipsoidal", option, text),
                "planar: Gauss-Krüger plane of the store; ellipsoidal: 图斑椭球面积 (32号)");
}

const char* area_basis_zh(AreaBasis basis) {
    return basis == AreaBasis::planar ? "平面面积" : "椭球面积";
}
const char* area_basis_en(AreaBasis basis) {
    return basis == AreaBasis::planar ? "planar" : "ellipsoidal";
}

} // namespace landclear
