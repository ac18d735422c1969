// landclear's entry point: the subcommands register themselves (cmd_*.cpp); main parses, runs
// the chosen one and maps errors to exit codes: 0 ok, 1 failure, 2 usage.
#include "command.hpp"
#include "landclear/core/error.hpp"
#include "landclear/io/gdal_error.hpp"

#include <algorithm>
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
    CLI::App app{"landclear: land acquisition and clearance (征地拆迁) status from GIS data"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "landclear 0.1.0");

    auto commands = lc::cli::registry();
    std::stable_sort(commands.begin(), commands.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<CLI::App*, lc::cli::Runner>> runners;
    for (auto& [order, setup] : commands)
        runners.push_back(setup(app));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    try {
        for (auto& [cmd, run] : runners)
            if (cmd->parsed())
                return with_gdal_messages(run());
    } catch (const lc::Error& e) {
        std::cerr << "landclear: error: " << e.full_message() << '\n';
        if (!e.hint().empty())
            std::cerr << "  what to do: " << e.hint() << '\n';
        return with_gdal_messages(e.kind() == lc::ErrorKind::usage ? 2 : 1);
    } catch (const std::exception& e) {
        std::cerr << "landclear: internal error: " << e.what() << '\n';
        return with_gdal_messages(1);
    }
    return with_gdal_messages(0);
}
