#include "command.hpp"
#include "known_on.hpp"
#include "landclear/server/server.hpp"
#include "landclear/store/store.hpp"

#include <csignal>
#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <pthread.h>
#include <thread>

namespace landclear::cli {
namespace {

struct ServeArgs {
    std::string store, bind = "127.0.0.1", viewer, config, known_on, basemap, tile_cache;
    std::vector<std::string> allowed_hosts;
    int port = 8080, threads = 8, max_connections = ServerOptions{}.max_connections;
    std::size_t max_features = ApiLimits{}.max_features;
    bool quiet = false;
};

int run(const ServeArgs& a) {
    ServerOptions o;
    o.store = a.store;
    o.bind = a.bind;
    o.port = a.port;
    o.viewer_dir = a.viewer;
    o.config_file = a.config;
    o.basemap = a.basemap;
    o.threads = a.threads;
    o.max_connections = a.max_connections;
    o.allowed_hosts = a.allowed_hosts;
    o.limits.max_features = a.max_features;
    o.limits.known_on = parse_known_on(a.known_on);
    o.limits.tile_cache = a.tile_cache;
    if (!a.quiet)
        o.log = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
    // Even with --quiet: a store changed under the server is worth a line.
    o.notice = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };

    // SIGINT/SIGTERM are taken by one thread with sigwait, which stops the server cleanly; the
    // worker threads inherit the blocked mask. A client that hangs up must not kill us: SIGPIPE
    // is ignored.
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    // A wrong store path is the likelier mistake: say so before anything about the viewer.
    open_store(a.store, StoreMode::read);
    Server server(o);
    server.bind();
    fmt::print(stderr, "landclear serve: {} (store {}; Ctrl-C stops)\n", server.url(), a.store);
    if (a.bind != "127.0.0.1" && a.bind != "localhost" && a.bind != "::1")
        fmt::print(stderr,
                   "landclear serve: listening on {} — anyone who can reach this "
                   "machine can read the store\n",
                   a.bind);
    std::fflush(stderr);

    std::thread waiter([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        server.stop();
    });
    server.run();
    // run() also returns when listening fails; wake the waiter so it can be joined.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    fmt::print(stderr, "landclear serve: stopped\n");
    return exit_ok;
}

const bool registered = register_command(60, [](CLI::App& app) {
    auto a = std::make_shared<ServeArgs>();
    auto* cmd = app.add_subcommand("serve", "web map of the store for a browser (read-only)");
    cmd->add_option("STORE", a->store, "the store")->required();
    add_known_on_option(*cmd, a->known_on);
    cmd->add_option("--bind", a->bind, "address to listen on (default 127.0.0.1: this machine)");
    cmd->add_option("--allow-host", a->allowed_hosts,
                    "a host name the server answers to besides IP addresses and localhost "
                    "(repeatable; e.g. the machine's name on the office network)");
    cmd->add_option("--port", a->port, "TCP port (default 8080; 0 picks a free one)")
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--viewer", a->viewer,
                    "folder of the built viewer (default: next to the executable)");
    cmd->add_option("--config", a->config,
                    "viewer config JSON, e.g. a basemap (default: the viewer's config.json)");
    cmd->add_option("--basemap", a->basemap,
                    "basemap under the data: an XYZ URL template (http(s)://…{z}/{x}/{y}…, e.g. "
                    "天地图) or a local folder of Z/X/Y.png tiles (default: none)");
    cmd->add_option("--threads", a->threads, "worker threads (default 8)")
        ->check(CLI::Range(1, 256));
    cmd->add_option("--max-connections", a->max_connections,
                    "open connections at once; more are answered 503 (default 64)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--max-features", a->max_features,
                    "most features one map request may return (default 50000)")
        ->check(CLI::Range(1, 10000000));
    cmd->add_option("--tile-cache", a->tile_cache,
                    "folder for tiles kept on disk, or 'off' (default: STORE.tiles beside the "
                    "store; memory only when it cannot be written)");
    cmd->add_flag("--quiet", a->quiet, "do not log each request to stderr");
    return std::pair<CLI::App*, Runner>{cmd, [a] { return run(*a); }};
});

} // namespace
} // namespace landclear::cli
