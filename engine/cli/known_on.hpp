#pragma once
// --known-on DATE, shared by the commands that read figures (status, corridor, export, map,
// serve, bulletin): the store read as it was known on that day (store.hpp: set_known_on).
#include "landclear/store/store.hpp"

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace landclear::cli {

void add_known_on_option(CLI::App& cmd, std::string& value);
std::optional<Date> parse_known_on(const std::string& value);
// Sets the store's knowledge date when the option was given.
void apply_known_on(Store& store, const std::string& value);

} // namespace landclear::cli
