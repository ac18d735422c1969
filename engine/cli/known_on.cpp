#include "known_on.hpp"

namespace landclear::cli {

void add_known_on_option(CLI::App& cmd, std::string& value) {
    cmd.add_option("--known-on", value,
                   "figures as the store knew them on this day: only imports reported on or "
                   "before it (default: everything imported)");
}

std::optional<Date> parse_known_on(const std::string& value) {
    if (value.empty())
        return std::nullopt;
    return parse_date_option(value, "--known-on");
}

void apply_known_on(Store& store, const std::string& value) {
    if (auto d = parse_known_on(value))
        store.set_known_on(*d);
}

} // namespace landclear::cli
