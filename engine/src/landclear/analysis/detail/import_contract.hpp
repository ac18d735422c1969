#pragma once
// The input contract every imported value meets before it is stored (issue 15): numbers
// finite, widths positive, dates real calendar days, text without NUL characters and required
// text not empty. A value that breaks it is refused (Error(input), naming the value and what to
// do; the importer adds file, layer, feature and field), never repaired or stored as NULL.
#include "landclear/core/date.hpp"
#include "landclear/core/schema.hpp"

namespace landclear::import_contract {

// Throws when the value breaks the contract for its field.
void check_value(const FieldDef& field, const Value& value);

// The date of a source's date field, read as year, month and day: a day that is not on the
// calendar (0000-01-01, 2025-02-30, a year outside the range core/date reads) is refused.
Date date_from_parts(int year, int month, int day);

// A text attribute that held a NUL character (GDAL would have cut it short there).
[[noreturn]] void refuse_nul(const std::string& column, const std::string& shown);

} // namespace landclear::import_contract
