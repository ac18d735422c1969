#pragma once
#include <string>

namespace landclear {

// Which area a report sums: planar in the working CRS (the default everywhere) or ellipsoidal.
enum class AreaBasis { planar, ellipsoidal };
// "planar" | "ellipsoidal", else Error(usage) naming option (the CLI passes "--area").
AreaBasis parse_area_basis(const std::string& text, const std::string& option = "area basis");
const char* area_basis_zh(AreaBasis basis); // 平面面积 / 椭球面积
const char* area_basis_en(AreaBasis basis);

} // namespace landclear
