// landclear's entry point: the subcommands register themselves (cmd_*.cpp); main parses, runs
// the chosen one and maps errors to the exit contract of docs/CLI.md: 0 ok, 1 failure, 2 usage,
// 3 problems found (check, reconcile). Nothing else: CLI11's own codes (105 for a bad value,
// 106 for a missing option, 108 for exclusive options, 109 for an unknown one) all become 2.
#include "command.hpp"
#include "landclear/core/error.hpp"
#include "landclear/io/gdal_error.hpp"
#include "landclear/store/postgis_store.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <iostream>

namespace landclear::cli {
std::vector<std::pair<int, Setup>>& registry();
}

namespace {
// What GDAL/PROJ said that no library call turned into an error (a warning while reading, a
// failure nobody checked): once, collapsed, after the command's own output.
int with_gdal_messages(int code) {
    for (const auto& m : landclear::take_unclaimed_gdal_messages())
        std::cerr << "landclear: "
                  << (m.level == landclear::GdalLevel::warning ? "warning" : "note")
                  << ": GDAL: " << m.describe() << '\n';
    return code;
}
} // namespace

int main(int argc, char** argv) {
    namespace lc = landclear;
    lc::install_gdal_error_route(); // before anything can reach GDAL: no raw "ERROR 1:" lines
    // A write into a PostGIS store that waits for another one says so (docs/POSTGIS.md).
    lc::set_store_wait_handler(
        [](const std::string& m) { std::cerr << "landclear: " << m << '\n'; });
    namespace cli = landclear::cli;
    // Named, so --help says "landclear" and not the path it was started by.
    CLI::App app{"landclear: land acquisition and clearance (征地拆迁) status from GIS data",
                 "landclear"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "landclear 0.1.0");

    auto commands = cli::registry();
    std::stable_sort(commands.begin(), commands.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<CLI::App*, cli::Runner>> runners;
    for (auto& [order, setup] : commands)
        runners.push_back(setup(app));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version arrive as "errors" with code 0: CLI11 prints them to stdout.
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
            return app.exit(e) == 0 ? cli::exit_ok : cli::exit_usage;
        std::string where = "landclear";
        for (const auto& [cmd, run] : runners)
            if (cmd->parsed())
                where += " " + cmd->get_name();
        std::string message = e.what();
        // CLI11 reports `landclear frobnicate` as a missing subcommand; name the word instead.
        if (where == "landclear" && argc > 1 && argv[1][0] != '-')
            message = fmt::format("unknown command '{}'", argv[1]);
        std::cerr << "landclear: error: " << message << '\n'
                  << "  what to do: see " << where << " --help\n";
        return cli::exit_usage;
    }

    try {
        for (auto& [cmd, run] : runners)
            if (cmd->parsed()) {
                int code = run();
                if (code != cli::exit_ok && code != cli::exit_problems)
                    throw std::logic_error("a subcommand returned exit code " +
                                           std::to_string(code));
                return with_gdal_messages(code);
            }
    } catch (const lc::Error& e) {
        std::cerr << "landclear: error: " << e.full_message() << '\n';
        if (!e.hint().empty())
            std::cerr << "  what to do: " << e.hint() << '\n';
        return with_gdal_messages(e.kind() == lc::ErrorKind::usage ? cli::exit_usage
                                                                   : cli::exit_failure);
    } catch (const std::exception& e) {
        std::cerr << "landclear: internal error: " << e.what() << '\n';
        return with_gdal_messages(cli::exit_failure);
    }
    return with_gdal_messages(cli::exit_ok);
}
