// landclear's entry point: the subcommands register themselves (cmd_*.cpp); main parses, runs
// the chosen one and maps errors to exit codes: 0 ok, 1 failure, 2 usage.
#include "command.hpp"
#include "landclear/core/error.hpp"

#include <algorithm>
#include <iostream>

namespace landclear::cli {
std::vector<std::pair<int, Setup>>& registry();
}

int main(int argc, char** argv) {
    namespace lc = landclear;
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
                return run();
    } catch (const lc::Error& e) {
        std::cerr << "landclear: error: " << e.full_message() << '\n';
        if (!e.hint().empty())
            std::cerr << "  what to do: " << e.hint() << '\n';
        return e.kind() == lc::ErrorKind::usage ? 2 : 1;
    } catch (const std::exception& e) {
        std::cerr << "landclear: internal error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
