#pragma once
// `landclear serve`: an HTTP server (cpp-httplib) for the web viewer. It serves the built
// viewer's static files and the read-only JSON API of server_api.hpp under /api/. The store is
// opened read-only, one connection per worker thread at a time (a pool); requests, bounding
// boxes and feature counts are limited; paths outside the viewer's folder are never served.
// docs/VIEWER.md lists the endpoints and the security choices.
#include "landclear/server/server_api.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace landclear {

struct ServerOptions {
    std::string store;
    std::string bind = "127.0.0.1"; // loopback unless told otherwise
    int port = 8080;                // 0: any free port (tests)
    std::string viewer_dir;         // the built viewer: index.html, app.js, vendor/leaflet/
    std::string config_file;        // viewer config JSON; default: viewer_dir/config.json
    // A basemap for context, off by default: an XYZ URL template (http:// or https://, with
    // {z}, {x}, {y} and optionally {s}) or a local folder of {z}/{x}/{y}.png (or .jpg) tiles,
    // served at /basemap/. Replaces the config's basemap.
    std::string basemap;
    ApiLimits limits;
    int threads = 8; // requests worked on the store at once
    // Open connections at once (beyond them a connection is answered 503 and closed), and the
    // time a client has to send a whole request head, from connecting or, on a kept-alive
    // connection, from its first byte: an idle or trickling client is closed after it, so a few
    // of them cannot hold the workers (slowloris).
    int max_connections = 64;
    int header_timeout_ms = 5000;
    // Host names (without port) the server answers to besides IP literals and localhost: a
    // request naming any other host is refused (403), so a web page whose name an attacker
    // points at this machine (DNS rebinding) cannot read the store through a visitor's browser.
    std::vector<std::string> allowed_hosts;
    // One line per request (method, path, status, milliseconds); none when empty.
    std::function<void(const std::string&)> log;
    // One line per event worth an operator's attention (the store file changed underneath);
    // `log` gets them when this is empty.
    std::function<void(const std::string&)> notice;
};

// The built viewer next to the executable: <exe dir>/../viewer (the build tree) or
// <exe dir>/../share/landclear/viewer (an install); "" when neither holds index.html.
std::string default_viewer_dir();

// Whether a request's Host header (name[:port], [v6]:port) names this server: an IP literal,
// localhost, or one of allowed (case-insensitive). An empty or missing Host is refused.
bool host_allowed(const std::string& host_header, const std::vector<std::string>& allowed);

// Throws Error(input) with what to do when the folder is missing or incomplete.
void check_viewer_dir(const std::string& dir);

class Server {
public:
    // Checks the store (opens it read-only) and the viewer folder; binds nothing yet.
    explicit Server(ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds the socket (Error(usage) when the address or port cannot be had); returns the port.
    int bind();
    // Serves until stop(); binds first if bind() was not called.
    void run();
    // bind() + run() on a background thread; returns once the server answers.
    void start();
    // Safe from any thread; run() returns and a start()ed thread is joined.
    void stop();

    int port() const;
    std::string url() const; // http://127.0.0.1:PORT/

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace landclear
