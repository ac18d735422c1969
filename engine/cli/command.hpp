#pragma once
// Each subcommand lives in its own cmd_<name>.cpp and registers itself here: setup() declares
// its options on a CLI11 subcommand and returns the function that runs it after parsing. The
// library never sees CLI11; main() only parses, runs and maps errors to exit codes.
#include "landclear/report/table.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace landclear::cli {

// The exit contract (docs/CLI.md): every code a subcommand returns is one of these.
enum Exit : int {
    exit_ok = 0,
    exit_failure = 1,  // an input, the store or a library failed (landclear::Error, not usage)
    exit_usage = 2,    // the arguments are wrong, whatever part found it (CLI11 or the library)
    exit_problems = 3, // check/reconcile ran to the end and found problems to look at
};

using Runner = std::function<int()>;
using Setup = std::function<std::pair<CLI::App*, Runner>(CLI::App& app)>;

// order sorts the commands in --help (import 10, status 20, corridor 30, ...).
bool register_command(int order, Setup setup);

struct TableArgs {
    std::string format = "table";
    std::string lang = "zh";
    std::string out;
    std::string table;              // --table; empty: every table (CSV: the first)
    std::vector<std::string> names; // the tables the command can print, first = CSV default
};

// A number >= 0, with a plain message (CLI11's NonNegativeNumber prints the range up to DBL_MAX).
const CLI::Validator& non_negative();

// --format table|csv|json|xlsx, --lang zh|en, --out FILE and, when the command prints several
// tables (names has more than one), --table NAME checked against names at parse time.
void add_table_options(CLI::App& cmd, TableArgs& args, std::vector<std::string> names = {});
// Prints or writes the tables as the options ask (atomically when writing a file): text prints
// the chosen tables one after another, json ONE document with a member per table, csv exactly
// one table, xlsx a sheet per table.
void emit_tables(const std::vector<Table>& tables, const TableArgs& args);
void emit_table(const Table& table, const TableArgs& args);

} // namespace landclear::cli
