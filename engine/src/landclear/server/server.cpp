#include "landclear/server/server.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/server/detail/api_pool.hpp"
#include "landclear/server/detail/guarded_http.hpp"
#include "landclear/server/meeting_map.hpp"
#include "landclear/store/postgis_store.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <httplib.h>
#include <map>
#include <mutex>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>
#include <zlib.h>

namespace landclear {

namespace fs = std::filesystem;
using nlohmann::json;

using server_detail::ApiPool;

namespace {

constexpr size_t max_target_length = 2048;
constexpr size_t compress_from_bytes = 32 * 1024;

// cpp-httplib compresses (with slow brotli) only the exact types it lists and text/*; our large
// answers use types outside that list and are gzipped here, fast, instead.
const std::map<std::string, std::string> content_types{
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "application/javascript; charset=utf-8"},
    {".mjs", "application/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".png", "image/png"},
    {".svg", "image/svg+xml"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

bool accepts_gzip(const httplib::Request& req) {
    auto v = req.get_header_value("Accept-Encoding");
    auto pos = v.find("gzip");
    if (pos == std::string::npos)
        return false;
    auto rest = v.substr(pos + 4, 6);
    return rest.rfind(";q=0", 0) == std::string::npos || rest.rfind(";q=0.", 0) == 0;
}

std::optional<std::string> gzip(const std::string& in) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return std::nullopt;
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END)
        return std::nullopt;
    return out;
}

void send(const httplib::Request& req, httplib::Response& res, std::string body,
          const std::string& type) {
    bool text = type.rfind("text/", 0) == 0; // httplib compresses these itself
    res.set_header("Vary", "Accept-Encoding");
    if (!text && body.size() >= compress_from_bytes && req.method != "HEAD" && accepts_gzip(req)) {
        if (auto z = gzip(body)) {
            res.set_header("Content-Encoding", "gzip");
            body = std::move(*z);
        }
    }
    res.set_content(std::move(body), type);
}

void send_json(const httplib::Request& req, httplib::Response& res, const json& j) {
    res.set_header("Cache-Control", "no-store");
    send(req, res, j.dump(), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message,
                const std::string& hint) {
    json j{{"error", message}, {"status", status}};
    if (!hint.empty())
        j["hint"] = hint;
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    // The message may echo what the client sent; bytes that are not UTF-8 are replaced rather
    // than turning a 4xx into an exception (and a 500).
    res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace),
                    "application/json; charset=utf-8");
}

// Every query parameter, name and value, is text the API may echo or look up: one that is not
// UTF-8 is refused here, once for all endpoints, naming it (the name shown with bad bytes
// replaced so the answer itself stays valid JSON).
std::optional<std::string> bad_utf8_param(const httplib::Request& req) {
    for (const auto& [key, value] : req.params) {
        if (!text::is_valid_utf8(key))
            return fmt::format("a parameter name ('{}') is not valid UTF-8", key);
        if (!text::is_valid_utf8(value))
            return fmt::format("parameter '{}' is not valid UTF-8", key);
    }
    return std::nullopt;
}

// SO_REUSEADDR (a restart need not wait for TIME_WAIT) but not SO_REUSEPORT, which cpp-httplib
// sets by default: with it a second `serve` binds the same port and the kernel splits the
// requests between the two processes and their stores.
// TCP_NODELAY too (accepted connections inherit it): without it a kept-alive connection's
// answers waited ~40 ms each for the client's delayed acknowledgement (Nagle): 44 ms a cached
// tile at 100,000 parcels against under 1 ms on a fresh connection.
void listen_socket_options(int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
}

// Why host:port cannot be bound, from the system (cpp-httplib reports only failure).
std::string bind_failure(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
        return ::gai_strerror(rc);
    std::string why = "unknown reason";
    for (auto* ai = found; ai; ai = ai->ai_next) {
        int s = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s < 0) {
            why = std::strerror(errno);
            continue;
        }
        listen_socket_options(s);
        int rc = ::bind(s, ai->ai_addr, ai->ai_addrlen);
        int err = errno;
        ::close(s);
        if (rc != 0) {
            why = std::strerror(err);
            break;
        }
    }
    ::freeaddrinfo(found);
    return why;
}

int status_of(const Error& e) {
    switch (e.kind()) {
    case ErrorKind::usage:
        return 400;
    case ErrorKind::input:
        return 404;
    case ErrorKind::store:
        return 503;
    case ErrorKind::internal:
        return 500;
    }
    return 500;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Only the parameters an endpoint knows; a typo (asof=) is an error, not silently ignored.
void check_params(const httplib::Request& req, std::initializer_list<const char*> allowed) {
    std::set<std::string> known(allowed.begin(), allowed.end());
    for (const auto& [key, value] : req.params) {
        if (!known.count(key)) {
            std::string list;
            for (const auto& k : known)
                list += (list.empty() ? "" : ", ") + k;
            throw ApiError(400, fmt::format("unknown parameter '{}'", key),
                           list.empty() ? "this endpoint takes no parameters"
                                        : fmt::format("this endpoint takes {}", list));
        }
        if (req.get_param_value_count(key) > 1)
            throw ApiError(400, fmt::format("parameter '{}' is given more than once", key));
    }
}

Date as_of_param(const httplib::Request& req) {
    if (!req.has_param("as_of"))
        return Date::today();
    return parse_api_date(req.get_param_value("as_of"), "as_of");
}

std::string read_whole_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

std::string default_viewer_dir() {
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    auto dir = exe.parent_path();
    for (const auto& candidate :
         {dir / ".." / "viewer", dir / ".." / "share" / "landclear" / "viewer"}) {
        if (fs::is_regular_file(candidate / "index.html", ec))
            return fs::weakly_canonical(candidate, ec).string();
    }
    return {};
}

void check_viewer_dir(const std::string& dir) {
    const std::string hint = "build it (cmake --build BUILD --target landclear_viewer, after "
                             "`npm ci` in viewer/), or pass --viewer DIR";
    if (dir.empty())
        throw_input("no built viewer found next to the landclear executable", hint);
    if (!fs::is_directory(dir))
        throw_input(fmt::format("viewer folder {} does not exist", dir), hint);
    if (!fs::is_regular_file(fs::path(dir) / "index.html"))
        throw_input(fmt::format("viewer folder {} has no index.html", dir), hint);
    if (!fs::is_regular_file(fs::path(dir) / "vendor" / "maplibre" / "maplibre-gl.mjs"))
        throw_input(fmt::format("viewer folder {} has no vendor/maplibre/maplibre-gl.mjs: the map "
                                "library (MapLibre GL JS, from npm) was not copied in",
                                dir),
                    "run `npm ci` in viewer/ and rebuild the landclear_viewer target");
}

struct Server::Impl {
    ServerOptions options;
    fs::path viewer_root; // canonical
    std::string config_json;
    std::string csp;
    fs::path basemap_dir; // --basemap FOLDER (canonical), served at /basemap/Z/X/Y
    std::unique_ptr<ApiPool> pool;
    server_detail::GuardedHttp http;
    int port = -1;
    std::thread thread;
    std::thread warm_thread;
    std::thread prefill_thread;
    std::mutex stop_mutex;

    // When the last request came in (steady clock, ms; 0: none yet).
    std::atomic<std::int64_t> last_request_ms{0};
    std::atomic<bool> stopping{false};
    static std::int64_t now_ms() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    // The warm-up's second part (the parcels' tile index: seconds of both cores at a million
    // parcels) waits until no request has come for a moment, up to a few seconds: a page
    // opened at the server's start is then drawn first. Begun beside the page's first render
    // in software WebGL, the index held that render back by up to a second on two cores. A
    // zoom in meanwhile builds the index itself (the warm-up then finds it built). False when
    // the server is stopping (the rest of the warm-up is then left undone).
    bool wait_for_quiet() {
        constexpr std::int64_t quiet_ms = 400, longest_ms = 4000;
        const auto began = now_ms();
        for (;;) {
            if (stopping.load())
                return false;
            auto now = now_ms();
            if (now - began >= longest_ms || now - last_request_ms.load() >= quiet_ms)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    void warm_up() {
        if (warm_thread.joinable())
            return;
        warm_thread = std::thread([this] {
            try {
                auto lease = pool->acquire();
                auto today = Date::today();
                lease->warm_first_view(today);
                if (wait_for_quiet())
                    lease->warm_rest(today);
            } catch (const std::exception&) {
                // Reported by the requests themselves.
            }
        });
        // The page asks for about six things at once when it opens. Their connections are
        // opened now, beside the warm-up, not after it (which takes seconds on a large store):
        // opened on demand, four at once while the warm-up ran, they held the page's first
        // answers back by 0.35 s at a million parcels.
        prefill_thread = std::thread([this] {
            try {
                pool->prefill(std::min(options.threads, 6) - 1);
            } catch (const std::exception&) {
                // The requests open their own connections, and report what fails.
            }
        });
    }

    template <class F> httplib::Server::Handler api(F fn) {
        return [this, fn](const httplib::Request& req, httplib::Response& res) {
            try {
                auto lease = pool->acquire();
                fn(*lease, req, res);
            } catch (const ApiError& e) {
                send_error(res, e.status(), e.message(), e.hint());
            } catch (const Error& e) {
                send_error(res, status_of(e), e.full_message(), e.hint());
            } catch (const std::exception& e) {
                send_error(res, 500, fmt::format("internal error: {}", e.what()), {});
            }
        };
    }

    void serve_static(const httplib::Request& req, httplib::Response& res) {
        // The raw target is checked before decoding so that %2e%2e, %2f and friends cannot
        // smuggle a traversal past the segment check below.
        std::string raw = req.target.substr(0, req.target.find('?'));
        std::string raw_lower = lower(raw);
        for (const char* bad : {"%2e", "%2f", "%5c", "%00", "%25", "\\"})
            if (raw_lower.find(bad) != std::string::npos)
                return send_error(res, 400, fmt::format("path '{}' is not allowed", raw),
                                  "file paths may not contain encoded dots or slashes");
        const std::string& path = req.path;
        if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos)
            return send_error(res, 400, "bad path", {});
        std::vector<std::string> segments;
        std::stringstream ss(path.substr(1));
        for (std::string seg; std::getline(ss, seg, '/');) {
            if (seg == ".." || seg == ".")
                return send_error(res, 400, fmt::format("path '{}' is not allowed", raw),
                                  "file paths may not contain . or .. segments");
            if (seg.empty())
                continue;
            if (seg[0] == '.') // hidden files are never part of the viewer
                return send_error(res, 404, fmt::format("no file {}", raw), {});
            segments.push_back(seg);
        }
        fs::path rel;
        for (const auto& s : segments)
            rel /= s;
        if (segments.empty())
            rel = "index.html";
        std::error_code ec;
        auto full = fs::weakly_canonical(viewer_root / rel, ec);
        std::string root = viewer_root.string() + "/";
        if (ec || full.string().rfind(root, 0) != 0)
            return send_error(res, 404, fmt::format("no file {}", raw), {});
        if (!fs::is_regular_file(full, ec))
            return send_error(res, 404, fmt::format("no file {}", raw), {});
        auto type = content_types.find(lower(full.extension().string()));
        if (type == content_types.end())
            return send_error(res, 404, fmt::format("no file {}", raw), {});
        // Leaflet under vendor/ changes only with a rebuild; the page's own files on every edit.
        res.set_header("Cache-Control",
                       rel.begin()->string() == "vendor" ? "max-age=3600" : "no-cache");
        send(req, res, read_whole_file(full), type->second);
    }

    void routes() {
        http.Get("/api/info",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {});
                     send_json(req, res, a.info());
                 }));
        http.Get("/api/stages",
                 api([](ViewerApi&, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {});
                     send_json(req, res, stages_json());
                 }));
        http.Get("/api/projects",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {"as_of", "since"});
                     std::optional<Date> since;
                     if (req.has_param("since"))
                         since = parse_api_date(req.get_param_value("since"), "since");
                     send_json(req, res, a.projects(as_of_param(req), since));
                 }));
        http.Get("/api/corridors",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {"as_of"});
                     send_json(req, res, a.corridors(as_of_param(req)));
                 }));
        http.Get("/api/corridor",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {"code", "as_of"});
                     if (!req.has_param("code"))
                         throw ApiError(400, "parameter 'code' is missing",
                                        "ask for /api/corridor?code=CORRIDOR_CODE");
                     send_json(req, res, a.corridor(req.get_param_value("code"), as_of_param(req)));
                 }));
        http.Get("/api/blocking",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {"as_of"});
                     send_json(req, res, a.blocking(as_of_param(req)));
                 }));
        http.Get("/api/parcel",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {"code", "as_of"});
                     if (!req.has_param("code"))
                         throw ApiError(400, "parameter 'code' is missing",
                                        "ask for /api/parcel?code=PARCEL_CODE");
                     send_json(req, res, a.parcel(req.get_param_value("code"), as_of_param(req)));
                 }));
        http.Get(R"(/api/features/([A-Za-z_-]{1,32}))",
                 api([this](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {"bbox", "as_of", "project", "view"});
                     FeatureQuery q;
                     q.layer = parse_api_layer(req.matches[1].str());
                     if (req.has_param("bbox"))
                         q.bbox = parse_api_bbox(req.get_param_value("bbox"), options.limits);
                     q.as_of = as_of_param(req);
                     if (req.has_param("project"))
                         q.project = req.get_param_value("project");
                     if (req.has_param("view")) {
                         auto view = req.get_param_value("view");
                         if (view != "map" && view != "full")
                             throw ApiError(400, fmt::format("view '{}' is not map or full", view),
                                            "view=map gives only what the map draws with");
                         q.map_view = view == "map";
                     }
                     res.set_header("Cache-Control", "no-store");
                     send(req, res, a.features(q), "application/geo+json");
                 }));
        http.Get("/api/issues",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {"as_of", "all"});
                     bool all = false;
                     if (req.has_param("all")) {
                         auto v = req.get_param_value("all");
                         if (v != "0" && v != "1")
                             throw ApiError(400, fmt::format("all '{}' is not 0 or 1", v),
                                            "all=1 also gives the closed issues");
                         all = v == "1";
                     }
                     res.set_header("Cache-Control", "no-store");
                     // The day the overdue flags are of: the page asks before it knows the
                     // server's today (a GeoJSON FeatureCollection has no place for it).
                     auto as_of = as_of_param(req);
                     res.set_header("X-Landclear-As-Of", as_of.iso());
                     send(req, res, a.issues(as_of, all), "application/geo+json");
                 }));
        http.Get(R"(/tiles/([A-Za-z_-]{1,32})/(\d{1,2})/(\d{1,8})/(\d{1,8})\.mvt)",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {});
                     auto name = req.matches[1].str();
                     auto layer = tile_layer_from_name(name);
                     if (!layer)
                         throw ApiError(404, fmt::format("no tile layer '{}'", name),
                                        "the tile layers are listed by /api/info (tiles)");
                     auto number = [&](int i) { return std::stoi(req.matches[i].str()); };
                     auto t = a.tile(*layer, number(2), number(3), number(4));
                     // The page keeps the tiles it has; a re-import changes the data version.
                     res.set_header("Cache-Control", "no-cache");
                     res.set_header("Vary", "Accept-Encoding");
                     const char* type = "application/vnd.mapbox-vector-tile";
                     // Compressed once, when the tile was made (kept with it in the cache).
                     if (!t->gzip.empty() && req.method != "HEAD" && accepts_gzip(req)) {
                         res.set_header("Content-Encoding", "gzip");
                         res.set_content(t->gzip, type);
                     } else {
                         res.set_content(t->data, type);
                     }
                 }));
        http.Get("/api/map",
                 api([](ViewerApi& a, const httplib::Request& req, httplib::Response& res) {
                     check_params(req, {"project", "corridor", "district", "as_of", "format"});
                     MeetingMapRequest r;
                     int chosen = 0;
                     for (auto [param, scope] : {std::pair{"project", MapScope::project},
                                                 std::pair{"corridor", MapScope::corridor},
                                                 std::pair{"district", MapScope::district}})
                         if (req.has_param(param)) {
                             ++chosen;
                             r.scope = scope;
                             r.code = req.get_param_value(param);
                         }
                     if (chosen != 1 || r.code.empty() || r.code.size() > 200)
                         throw ApiError(400, "say which one map: project, corridor or district",
                                        "e.g. /api/map?project=CODE&as_of=2026-11-20&format=pdf");
                     r.as_of = as_of_param(req);
                     auto format = req.has_param("format") ? req.get_param_value("format") : "pdf";
                     if (format != "pdf" && format != "png")
                         throw ApiError(400, fmt::format("format '{}' is not pdf or png", format),
                                        "format=pdf (vector, for printing) or format=png");
                     r.format = format == "pdf" ? MapFormat::pdf : MapFormat::png;
                     auto m = render_meeting_map(a.store(), r);
                     res.set_header("Cache-Control", "no-store");
                     res.set_header("Content-Disposition",
                                    fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}",
                                                m.ascii_name,
                                                httplib::detail::encode_query_param(m.file_name)));
                     res.set_content(std::move(m.body), m.content_type);
                 }));
        http.Get(R"(/api(/.*)?)", [](const httplib::Request& req, httplib::Response& res) {
            send_error(res, 404, fmt::format("no endpoint {}", req.path),
                       "see docs/VIEWER.md for the API");
        });
        // --basemap FOLDER: Z/X/Y.png or .jpg; the path is made of the three numbers only.
        http.Get(R"(/basemap/(\d{1,2})/(\d{1,8})/(\d{1,8}))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                     if (basemap_dir.empty())
                         return send_error(res, 404, "no basemap folder", "serve --basemap DIR");
                     auto rel = fs::path(req.matches[1].str()) / req.matches[2].str();
                     for (const char* ext : {".png", ".jpg"}) {
                         auto file = basemap_dir / rel / (req.matches[3].str() + ext);
                         std::error_code ec;
                         if (fs::is_regular_file(file, ec)) {
                             res.set_header("Cache-Control", "max-age=3600");
                             return send(req, res, read_whole_file(file),
                                         ext == std::string(".png") ? "image/png" : "image/jpeg");
                         }
                     }
                     // Outside the folder's tiles the map simply shows no basemap there: no
                     // content, not an error (the map would keep asking for coarser tiles).
                     res.status = 204;
                 });
        http.Get("/config.json", [this](const httplib::Request& req, httplib::Response& res) {
            res.set_header("Cache-Control", "no-cache");
            send(req, res, config_json, "application/json; charset=utf-8");
        });
        http.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
            serve_static(req, res);
        });
    }
};

Server::Server(ServerOptions options) : m(std::make_unique<Impl>()) {
    m->options = std::move(options);
    auto& o = m->options;
    if (o.port < 0 || o.port > 65535)
        throw_usage(fmt::format("--port {} is not a TCP port", o.port), "use 1–65535, e.g. 8080");
    if (o.threads < 1 || o.threads > 256)
        throw_usage(fmt::format("--threads {} is out of range", o.threads), "use 1–256");
    if (o.viewer_dir.empty())
        o.viewer_dir = default_viewer_dir();
    check_viewer_dir(o.viewer_dir);
    m->viewer_root = fs::canonical(o.viewer_dir);

    // Opening one connection now reports a missing or foreign store before anything listens.
    m->pool = std::make_unique<ApiPool>(o.store, o.limits, static_cast<size_t>(o.threads),
                                        o.notice ? o.notice : o.log);
    { auto lease = m->pool->acquire(); }

    std::string config_path =
        o.config_file.empty() ? (m->viewer_root / "config.json").string() : o.config_file;
    json config = json::object();
    if (fs::exists(config_path)) {
        try {
            config = json::parse(read_whole_file(config_path));
        } catch (const json::exception& e) {
            throw_input(
                fmt::format("viewer config {} is not valid JSON: {}", config_path, e.what()),
                "fix the file or remove it (no basemap is the default)");
        }
        if (!config.is_object())
            throw_input(fmt::format("viewer config {} is not a JSON object", config_path));
    } else if (!o.config_file.empty()) {
        throw_input(fmt::format("viewer config {} does not exist", config_path));
    }
    if (!o.basemap.empty()) {
        const auto& b = o.basemap;
        bool remote = b.rfind("http://", 0) == 0 || b.rfind("https://", 0) == 0;
        if (remote) {
            for (const char* part : {"{z}", "{x}", "{y}"})
                if (b.find(part) == std::string::npos)
                    throw_usage(fmt::format("--basemap {} has no {}", b, part),
                                "give an XYZ template, e.g. "
                                "https://tiles.example/{z}/{x}/{y}.png");
            config["basemap"] = {{"url", b}, {"attribution", ""}};
        } else {
            std::error_code ec;
            if (!fs::is_directory(b, ec))
                throw_usage(fmt::format("--basemap {} is neither an http(s) URL template nor "
                                        "a folder",
                                        b),
                            "give https://…/{z}/{x}/{y}.png or a folder holding Z/X/Y.png tiles");
            m->basemap_dir = fs::canonical(b);
            config["basemap"] = {{"url", "basemap/{z}/{x}/{y}"}, {"attribution", ""}};
        }
    }
    bool basemap =
        config.contains("basemap") && !config["basemap"].is_null() && m->basemap_dir.empty();
    m->config_json = config.dump();
    // The page's own scripts only; a configured remote basemap adds its tile images (which the
    // map fetches, hence connect-src too), nothing else.
    m->csp = fmt::format("default-src 'self'; script-src 'self'; style-src 'self' "
                         "'unsafe-inline'; img-src 'self' data: blob:{0}; connect-src "
                         "'self'{0}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                         basemap ? " http: https:" : "");

    auto& http = m->http;
    if (o.max_connections < 1 || o.max_connections > 4096)
        throw_usage(fmt::format("max_connections {} is out of range", o.max_connections),
                    "use 1–4096");
    // A thread per allowed connection (most of them wait on sockets, cheaply) and a few more to
    // answer 503 to connections beyond the cap; the store is used by o.threads at a time.
    size_t connection_threads = static_cast<size_t>(o.max_connections) + 4;
    http.new_task_queue = [connection_threads] {
        return new httplib::ThreadPool(connection_threads);
    };
    http.max_connections = static_cast<size_t>(o.max_connections);
    http.header_timeout = std::chrono::milliseconds(o.header_timeout_ms);
    http.set_payload_max_length(8 * 1024);
    http.set_read_timeout(5, 0);
    http.set_write_timeout(30, 0);
    http.set_keep_alive_timeout(5);
    http.set_keep_alive_max_count(200);
    http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"X-Frame-Options", "DENY"},
                              {"Content-Security-Policy", m->csp}});
    http.set_socket_options(listen_socket_options);
    http.set_pre_routing_handler([allowed = o.allowed_hosts, impl = m.get()](
                                     const httplib::Request& req, httplib::Response& res) {
        impl->last_request_ms = Impl::now_ms();
        if (!host_allowed(req.get_header_value("Host"), allowed)) {
            send_error(res, 403,
                       fmt::format("this server does not answer to the host '{}'",
                                   req.get_header_value("Host")),
                       "open it by its address (http://127.0.0.1:PORT/), or start it with "
                       "--allow-host NAME");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (req.method != "GET" && req.method != "HEAD") {
            res.set_header("Allow", "GET, HEAD");
            send_error(res, 405, fmt::format("method {} is not allowed", req.method),
                       "the viewer's API is read-only: use GET");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (req.target.size() > max_target_length) {
            send_error(res, 414,
                       fmt::format("request target longer than {} bytes", max_target_length),
                       "ask for less at once");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (auto bad = bad_utf8_param(req)) {
            send_error(res, 400, *bad, "percent-encode the text as UTF-8");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty())
            send_error(res, res.status, fmt::format("HTTP {}", res.status), {});
    });
    if (o.log)
        http.set_logger([log = o.log](const httplib::Request& req, const httplib::Response& res) {
            log(fmt::format("{} {} {} {}", req.method, req.target, res.status, res.body.size()));
        });
    m->routes();
}

bool host_allowed(const std::string& host_header, const std::vector<std::string>& allowed) {
    std::string host = host_header;
    if (host.empty())
        return false;
    if (host.front() == '[') { // [v6]:port
        auto close = host.find(']');
        if (close == std::string::npos)
            return false;
        auto rest = host.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || rest.size() == 1 ||
                              rest.find_first_not_of("0123456789", 1) != std::string::npos))
            return false;
        return true; // an IPv6 literal is no name anybody can point elsewhere
    }
    if (auto colon = host.rfind(':'); colon != std::string::npos) {
        auto port = host.substr(colon + 1);
        if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos)
            return false;
        host.resize(colon);
    }
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (host.empty())
        return false;
    bool ipv4 = host.find_first_not_of("0123456789.") == std::string::npos &&
                std::count(host.begin(), host.end(), '.') == 3;
    if (ipv4 || host == "localhost")
        return true;
    return std::any_of(allowed.begin(), allowed.end(), [&](std::string a) {
        std::transform(a.begin(), a.end(), a.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return a == host;
    });
}

Server::~Server() {
    stop();
}

int Server::bind() {
    if (m->port >= 0)
        return m->port;
    auto& o = m->options;
    if (o.port == 0)
        m->port = m->http.bind_to_any_port(o.bind);
    else
        m->port = m->http.bind_to_port(o.bind, o.port) ? o.port : -1;
    // A failure to bind is not a mistake in the arguments (exit 1, docs/CLI.md): the port is
    // taken, typically by another `serve`.
    if (m->port < 0)
        throw_input(
            fmt::format("cannot listen on {}:{}: {}", o.bind, o.port, bind_failure(o.bind, o.port)),
            "another program (perhaps another landclear serve) holds the port, or the "
            "address is not on this machine: stop it, or choose another --port or --bind");
    if (!m->http.widen_backlog())
        throw_input(
            fmt::format("cannot listen on {}:{}: {}", o.bind, m->port, std::strerror(errno)),
            "check the machine's limits on sockets (ulimit -n, net.core.somaxconn)");
    return m->port;
}

void Server::run() {
    bind();
    m->warm_up();
    m->http.listen_after_bind();
}

void Server::start() {
    bind();
    m->warm_up();
    m->thread = std::thread([this] { m->http.listen_after_bind(); });
    // cpp-httplib 0.11 has no wait_until_ready().
    for (int i = 0; i < 5000 && !m->http.is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!m->http.is_running())
        throw_internal("the HTTP server did not start");
}

void Server::stop() {
    std::lock_guard lock(m->stop_mutex);
    m->stopping = true;
    m->http.stop();
    if (m->thread.joinable())
        m->thread.join();
    if (m->warm_thread.joinable())
        m->warm_thread.join();
    if (m->prefill_thread.joinable())
        m->prefill_thread.join();
}

int Server::port() const {
    return m->port;
}

std::string Server::url() const {
    const auto& host = m->options.bind;
    bool any = host == "0.0.0.0" || host.empty();
    return fmt::format("http://{}:{}/", any ? "127.0.0.1" : host, m->port);
}

} // namespace landclear
