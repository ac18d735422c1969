#pragma once
// Each subcommand lives in its own cmd_<name>.cpp and registers itself here: setup() declares
// its options on a CLI11 subcommand and returns the function that runs it after parsing. The
// library never sees CLI11; main() only parses, runs and maps errors to exit codes.
#include "landclear/report/table.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>

namespace landclear::cli {

using Runner = std::function<int()>;
using Setup = std::function<std::pair<CLI::App*, Runner>(CLI::App& app)>;

// order sorts the commands in --help (import 10, status 20, corridor 30, ...).
bool register_command(int order, Setup setup);

struct TableArgs {
    std::string format = "table";
    std::string lang = "zh";
    std::string out;
};

// --format table|csv|json[|xlsx], --lang zh|en, --out FILE
void add_table_options(CLI::App& cmd, TableArgs& args);
// Prints or writes a table as the options ask (atomically when writing a file).
void emit_table(const Table& table, const TableArgs& args);
void emit_tables(const std::vector<Table>& tables, const TableArgs& args);

} // namespace landclear::cli
