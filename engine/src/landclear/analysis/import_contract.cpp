#include "landclear/analysis/detail/import_contract.hpp"

#include "landclear/core/error.hpp"

#include <cmath>
#include <fmt/format.h>

namespace landclear::import_contract {

namespace {

bool is_width(std::string_view name) {
    return name == "width_m" || name == "left_width_m" || name == "right_width_m";
}

} // namespace

void check_value(const FieldDef& field, const Value& value) {
    if (const auto* d = std::get_if<double>(&value)) {
        // SQLite would store a NaN as NULL and an infinity as a number no figure survives.
        if (!std::isfinite(*d))
            throw_input(fmt::format("the value {} is not a finite number", *d),
                        is_width(field.name) ? "give the width in metres, e.g. 40"
                                             : "write a number, or leave the cell empty");
        if (field.name == "width_m" && *d <= 0)
            throw_input(fmt::format("the red-line width {} m is not positive", *d),
                        "give every corridor its full red-line width in metres");
        return;
    }
    if (const auto* s = std::get_if<std::string>(&value)) {
        if (s->find('\0') != std::string::npos)
            refuse_nul(std::string(field.name), *s);
        if (s->empty() && field.required && field.type == FieldType::text)
            throw_input(fmt::format("the required {} ({}) is empty", field.name, field.zh),
                        fmt::format("fill {} for every feature", field.name));
        return;
    }
    if (std::holds_alternative<std::monostate>(value) && field.required &&
        field.type == FieldType::text)
        throw_input(fmt::format("the required {} ({}) is empty", field.name, field.zh),
                    fmt::format("fill {} for every feature", field.name));
}

Date date_from_parts(int year, int month, int day) {
    try {
        return Date(year, month, day);
    } catch (const Error&) {
        throw_input(fmt::format("cannot read '{:04d}-{:02d}-{:02d}' as a date: it is not a real "
                                "calendar day (landclear reads dates from 1900 to 2200)",
                                year, month, day),
                    "write the real date as YYYY-MM-DD, or leave the cell empty when not yet");
    }
}

void refuse_nul(const std::string& column, const std::string& shown) {
    std::string text;
    for (char c : shown)
        text += c == '\0' ? std::string("\\0") : std::string(1, c);
    throw_input(fmt::format("column {} holds a NUL character ('{}'), which would cut the text "
                            "short",
                            column, text),
                "remove the NUL character (\\0) from the source's text");
}

} // namespace landclear::import_contract
