#include "landclear/geom/chainage.hpp"

#include <charconv>
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

namespace {

std::optional<double> parse_metres(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    double v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

} // namespace

std::optional<double> parse_chainage(std::string_view text) {
    if (text.empty() || (text[0] != 'K' && text[0] != 'k'))
        return parse_metres(text);
    auto plus = text.find('+');
    if (plus == std::string_view::npos)
        return std::nullopt;
    auto km = parse_metres(text.substr(1, plus - 1));
    auto m = parse_metres(text.substr(plus + 1));
    if (!km || !m)
        return std::nullopt;
    double v = *km * 1000.0 + *m;
    // 1e306 km is finite text but not a finite distance.
    if (!std::isfinite(v))
        return std::nullopt;
    return v;
}

std::string format_chainage_range(double from_m, double to_m) {
    return format_chainage(from_m) + "\u2013" + format_chainage(to_m);
}

} // namespace landclear
