// libFuzzer harness: the chainage parser import uses (geom/chainage.hpp, "K12+350.5" or metres)
// on any text, and the formatter on what it returns. A parsed value is finite; within the range
// a station can be written to the millimetre, format then parse gives it back to 0.5 mm.
#include "landclear/geom/chainage.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto v = landclear::parse_chainage(std::string(text));
    if (!v)
        return 0;
    if (!std::isfinite(*v))
        __builtin_trap();
    auto written = landclear::format_chainage(*v);
    // The formatter writes a sign in front of the K ("-K0+120"), which the parser reads back.
    if (std::fabs(*v) < 1e12) {
        auto back = landclear::parse_chainage(written);
        if (!back || std::fabs(*back - *v) > 0.0005 + 1e-12 * std::fabs(*v))
            __builtin_trap();
    }
    landclear::format_chainage_range(*v, *v + 100);
    return 0;
}
