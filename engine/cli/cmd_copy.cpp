#include "command.hpp"
#include "landclear/analysis/store_copy.hpp"

#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace landclear::cli {
namespace {

struct CopyArgs {
    std::string src, dst;
    bool quiet = false;
};

int run(const CopyArgs& a) {
    auto s = copy_store(a.src, a.dst, [&](const std::string& m) {
        if (!a.quiet)
            std::cerr << "landclear: copied " << m << '\n';
    });
    std::cout << fmt::format("Copied {} to {}: {} features, {} batches, {} changes, {} findings, "
                             "{} derived rows, {} stamps; working CRS EPSG:{}\n",
                             a.src, a.dst, s.features, s.batches, s.changes, s.findings,
                             s.derived_rows, s.stamps, s.working_epsg);
    return exit_ok;
}

const bool registered = register_command(95, [](CLI::App& app) {
    auto a = std::make_shared<CopyArgs>();
    auto* cmd = app.add_subcommand("copy", "copy a whole store, history included, into a new one "
                                           "(a file to PostGIS and back)");
    cmd->add_option("SRC", a->src, "the store to copy")->required();
    cmd->add_option("DST", a->dst, "where the new store goes (must not exist)")->required();
    cmd->add_flag("--quiet", a->quiet, "no progress on stderr");
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
