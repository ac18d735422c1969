// libFuzzer harness: the date parser (core/date.hpp) on any text. A date it accepts is a real
// calendar day in its range, reads back as itself from its ISO form and survives the day count.
#include "landclear/core/date.hpp"
#include "landclear/core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto d = landclear::parse_date(text)) {
        if (d->year() < 1900 || d->year() > 2200 || d->month() < 1 || d->month() > 12 ||
            d->day() < 1 || d->day() > 31)
            __builtin_trap();
        auto again = landclear::parse_date(d->iso());
        if (!again || *again != *d)
            __builtin_trap();
        if (landclear::Date::from_days(d->days()) != *d)
            __builtin_trap();
    }
    try {
        landclear::parse_date_option(text, "--as-of");
    } catch (const landclear::Error&) {
        // Not a date: a usage error naming the option is the contract.
    }
    return 0;
}
