#include "landclear/geom/chainage.hpp"

#include <cmath>
#include <cstdint>
#include <fmt/format.h>

namespace landclear {

std::string format_chainage(double metres) {
    // Whole millimetres first, so 1199.9999999 prints as K1+200 and not K1+199.1000.
    auto mm = static_cast<std::int64_t>(std::llround(std::abs(metres) * 1000.0));
    std::string sign = metres < 0 && mm != 0 ? "-" : "";
    std::int64_t km = mm / 1'000'000;
    std::int64_t rest_mm = mm % 1'000'000;
    std::int64_t whole = rest_mm / 1000;
    std::int64_t frac = rest_mm % 1000;
    if (frac == 0)
        return fmt::format("{}K{}+{:03d}", sign, km, whole);
    std::string decimals = fmt::format("{:03d}", frac);
    while (decimals.back() == '0')
        decimals.pop_back();
    return fmt::format("{}K{}+{:03d}.{}", sign, km, whole, decimals);
}

std::string format_chainage_range(double from_m, double to_m) {
    return format_chainage(from_m) + "\u2013" + format_chainage(to_m);
}

} // namespace landclear
