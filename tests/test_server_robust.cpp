// serve under faults and hostile clients (issue 15): a second server on a taken port fails
// instead of sharing it; idle or trickling connections cannot hold every worker (slowloris);
// a bad parameter, invalid UTF-8 included, is a 4xx with a JSON error, never a 5xx; a store
// file replaced or truncated under a running server is noticed and served anew or refused
// with 503, never served stale.
#include "landclear/core/error.hpp"
#include "landclear/server/server.hpp"
#include "support/test_support.hpp"

#include <arpa/inet.h>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// A store of `n` parcels P1..Pn (10 m squares side by side), imported by the CLI.
void make_store(const TempDir& dir, const std::string& store, int n) {
    FixtureLayer parcels{
        "parcels", 4547, {{"parcel_code"}, {"project_code"}, {"district"}, {"village"}}, {}};
    for (int i = 1; i <= n; ++i)
        parcels.features.push_back({square_wkt(500000 + 20 * i, 3380000, 10),
                                    {fmt::format("P{}", i), "A", "雨湖区", "石坝村"}});
    auto src = dir.file(fmt::format("in{}.gpkg", n));
    write_layer(src, "GPKG", parcels);
    // The source's own count, by SQL on it, is what the server must report.
    BOOST_TEST_REQUIRE(ogr_sql_number(src, "SELECT COUNT(*) FROM parcels") == n);
    auto r = run_cli({"import", store, "--parcels", src + ":parcels", "--quiet"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
}

struct Fixture {
    TempDir dir;
    std::string store = dir.file("s.sqlite");
    fs::path viewer = dir.path() / "viewer";
    std::vector<std::string> log;
    std::mutex log_mutex;

    Fixture() {
        make_store(dir, store, 2);
        write_text(viewer / "index.html", "<!doctype html><title>t</title>");
        write_text(viewer / "app.js", "'use strict';");
        write_text(viewer / "vendor" / "maplibre" / "maplibre-gl.mjs", "/* maplibre */");
    }
    ServerOptions options() {
        ServerOptions o;
        o.store = store;
        o.port = 0;
        o.viewer_dir = viewer.string();
        o.notice = [this](const std::string& line) {
            std::lock_guard lock(log_mutex);
            log.push_back(line);
        };
        return o;
    }
    size_t log_lines_with(const std::string& text) {
        std::lock_guard lock(log_mutex);
        return std::count_if(log.begin(), log.end(), [&](const std::string& l) {
            return l.find(text) != std::string::npos;
        });
    }
};

int connect_to(int port) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_TEST_REQUIRE(s >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_TEST_REQUIRE(::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    return s;
}

// Everything the server sends until it closes, or until `within` passes.
std::string read_all(int s, std::chrono::milliseconds within) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + within;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{s, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = ::recv(s, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

json info_counts(httplib::Client& c) {
    auto res = c.Get("/api/info");
    BOOST_TEST_REQUIRE(static_cast<bool>(res));
    BOOST_TEST_REQUIRE(res->status == 200, res->body);
    return json::parse(res->body)["counts"];
}

} // namespace

BOOST_AUTO_TEST_CASE(second_server_on_a_taken_port_fails) {
    Fixture f;
    Server first(f.options());
    first.start();
    int port = first.port();

    // In process: the bind fails as a failure (exit 1), not a usage error.
    auto o = f.options();
    o.port = port;
    Server second(o);
    try {
        second.bind();
        BOOST_FAIL("a second server bound port " << port);
    } catch (const Error& e) {
        BOOST_TEST((e.kind() == ErrorKind::input));
        BOOST_TEST(e.full_message().find("in use") != std::string::npos, e.full_message());
    }

    // The command: exit 1 with the reason, and the first server still answers every request.
    auto r = run_cli({"serve", f.store, "--port", std::to_string(port), "--viewer",
                      f.viewer.string(), "--quiet"});
    BOOST_TEST(r.exit_code == 1, r.err);
    BOOST_TEST(r.err.find(fmt::format("cannot listen on 127.0.0.1:{}", port)) != std::string::npos,
               r.err);
    BOOST_TEST(r.err.find("Address already in use") != std::string::npos, r.err);
    httplib::Client c("127.0.0.1", port);
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(info_counts(c)["parcels"] == 2);
    first.stop();
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_4xx_with_a_json_error) {
    Fixture f;
    Server server(f.options());
    server.start();
    httplib::Client c("127.0.0.1", server.port());
    struct Case {
        std::string target;
        std::string names; // what the error must name
    };
    std::string long_code(300, 'X');
    std::vector<Case> cases{
        {"/api/parcel?code=%FF%FE", "'code'"},
        {"/api/corridor?code=%C3%28", "'code'"},
        {"/api/parcel?code=P1%ED%A0%80", "'code'"}, // an encoded surrogate
        {"/api/projects?since=%80", "'since'"},
        {"/api/features/parcels?project=%C0%AF", "'project'"}, // overlong '/'
        {"/api/features/parcels?view=%FF", "'view'"},
        {"/api/projects?%FF=1", "parameter name"},
        {"/api/projects?as_of=2026-13-45", "as_of"},
        {"/api/projects?as_of=2026-02-30", "as_of"},
        {"/api/projects?as_of=0000-01-01", "as_of"},
        {"/api/projects?as_of=99999999999999999999-01-01", "as_of"},
        {"/api/projects?as_of=-2026-01-01", "as_of"},
        {"/api/projects?since=2026-01-01&as_of=2025-01-01", ""},
        {"/api/features/parcels?bbox=1e400,0,1,1", "bbox"},
        {"/api/features/parcels?bbox=-1e308,-1e308,1e308,1e308", "bbox"},
        {"/api/features/parcels?bbox=nan,nan,nan,nan", "bbox"},
        {"/api/features/parcels?bbox=114,30,113,29", "bbox"}, // negative extent
        {"/api/features/parcels?bbox=1,2,3", "bbox"},
        {"/api/features/%FF", ""},
        {"/api/features/nolayer", "nolayer"},
        {"/api/parcel?code=", "code"},
        {"/api/parcel?code=" + long_code, "code"},
        {"/api/parcel?code=NOPE", "NOPE"},
        {"/api/parcel", "code"},
        {"/api/parcel?code=P1&code=P2", "code"},
        {"/api/blocking?limit=-1", "limit"},
        {"/api/info?x=%FF", ""},
    };
    for (const auto& k : cases) {
        auto res = c.Get(k.target);
        BOOST_TEST_REQUIRE(static_cast<bool>(res), k.target);
        BOOST_TEST((res->status >= 400 && res->status < 500),
                   k.target << " -> " << res->status << " " << res->body);
        json j;
        BOOST_CHECK_NO_THROW(j = json::parse(res->body));
        BOOST_TEST(j.value("status", 0) == res->status, k.target);
        auto message = j.value("error", std::string());
        BOOST_TEST(!message.empty(), k.target);
        BOOST_TEST(message.find(k.names) != std::string::npos, k.target << ": " << message);
    }
    // Invalid UTF-8 in particular is a 400, not "not found".
    auto res = c.Get("/api/parcel?code=%FF");
    BOOST_TEST_REQUIRE(static_cast<bool>(res));
    BOOST_TEST(res->status == 400);
    server.stop();
}

BOOST_AUTO_TEST_CASE(idle_connections_do_not_starve_others) {
    Fixture f;
    Server server(f.options()); // defaults: 8 threads
    server.start();
    int port = server.port();
    std::vector<int> idle;
    for (int i = 0; i < 20; ++i) {
        int s = connect_to(port);
        if (i % 2) { // half a request line, never finished
            std::string part = "GET /api/info HT";
            BOOST_TEST_REQUIRE(::send(s, part.data(), part.size(), MSG_NOSIGNAL) > 0);
        }
        idle.push_back(s);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // all accepted and waiting

    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(2, 0);
    auto t0 = std::chrono::steady_clock::now();
    auto res = c.Get("/api/info");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST_REQUIRE(static_cast<bool>(res));
    BOOST_TEST(res->status == 200);
    BOOST_TEST(seconds < 2.0, seconds << " s");

    // The idle ones are closed once their time for a request head (5 s) is up.
    auto t1 = std::chrono::steady_clock::now();
    for (int s : idle) {
        read_all(s, std::chrono::milliseconds(8000));
        ::close(s);
    }
    double closed_after =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    BOOST_TEST(closed_after < 7.0, closed_after << " s");
    server.stop();
}

BOOST_AUTO_TEST_CASE(trickling_a_request_does_not_keep_a_connection) {
    Fixture f;
    auto o = f.options();
    o.header_timeout_ms = 1000;
    Server server(o);
    server.start();
    int s = connect_to(server.port());
    // One byte every 200 ms: each read is quick, the whole head never comes in time.
    std::string req = "GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaa";
    auto t0 = std::chrono::steady_clock::now();
    bool closed = false;
    for (char ch : req) {
        if (::send(s, &ch, 1, MSG_NOSIGNAL) != 1) {
            closed = true;
            break;
        }
        pollfd p{s, POLLIN, 0};
        if (::poll(&p, 1, 200) > 0) {
            char b;
            if (::recv(s, &b, 1, 0) <= 0) {
                closed = true;
                break;
            }
        }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST(closed);
    BOOST_TEST(seconds < 2.5, seconds << " s");
    ::close(s);
    server.stop();
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_all_answered) {
    // The second request arrives with the first and is read off the socket with it: the wait
    // for a whole request head must count it.
    Fixture f;
    Server server(f.options());
    server.start();
    int s = connect_to(server.port());
    std::string one = "GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    std::string two =
        one + "GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    BOOST_TEST_REQUIRE(::send(s, two.data(), two.size(), MSG_NOSIGNAL) > 0);
    auto t0 = std::chrono::steady_clock::now();
    auto answer = read_all(s, std::chrono::milliseconds(4000));
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ::close(s);
    size_t answers = 0;
    for (size_t at = answer.find("HTTP/1.1 200"); at != std::string::npos;
         at = answer.find("HTTP/1.1 200", at + 1))
        ++answers;
    BOOST_TEST(answers == 2u, answer);
    BOOST_TEST(seconds < 2.0, seconds << " s");
    server.stop();
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_cap_get_503) {
    Fixture f;
    auto o = f.options();
    o.max_connections = 3;
    Server server(o);
    server.start();
    std::vector<int> idle;
    for (int i = 0; i < 3; ++i)
        idle.push_back(connect_to(server.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    int s = connect_to(server.port());
    std::string req = "GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    BOOST_TEST_REQUIRE(::send(s, req.data(), req.size(), MSG_NOSIGNAL) > 0);
    auto answer = read_all(s, std::chrono::milliseconds(2000));
    ::close(s);
    BOOST_TEST(answer.rfind("HTTP/1.1 503", 0) == 0, answer);
    auto body = answer.substr(answer.find("\r\n\r\n") + 4);
    BOOST_TEST(json::parse(body)["status"] == 503);
    for (int i : idle)
        ::close(i);
    // Once they are gone, requests are served again.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    httplib::Client c("127.0.0.1", server.port());
    BOOST_TEST(info_counts(c)["parcels"] == 2);
    server.stop();
}

BOOST_AUTO_TEST_CASE(store_replaced_or_truncated_under_a_running_server) {
    Fixture f;
    auto other = f.dir.file("other.sqlite");
    make_store(f.dir, other, 5);
    Server server(f.options());
    server.start();
    httplib::Client c("127.0.0.1", server.port());
    BOOST_TEST(info_counts(c)["parcels"] == 2);
    BOOST_TEST(c.Get("/api/parcel?code=P5")->status == 404);

    // Replaced (as a copy and a rename would): the next requests see the new file.
    fs::copy_file(other, f.store + ".new");
    fs::rename(f.store + ".new", f.store);
    BOOST_TEST(info_counts(c)["parcels"] == 5);
    BOOST_TEST(c.Get("/api/parcel?code=P5")->status == 200);
    BOOST_TEST(f.log_lines_with("changed on disk; serving the new file") == 1);

    // Truncated in place: a clear 503, not stale figures or a crash.
    fs::resize_file(f.store, fs::file_size(f.store) / 3);
    for (const char* target : {"/api/info", "/api/projects", "/api/parcel?code=P1"}) {
        auto res = c.Get(target);
        BOOST_TEST_REQUIRE(static_cast<bool>(res), target);
        BOOST_TEST(res->status == 503, target << " -> " << res->status << " " << res->body);
        auto j = json::parse(res->body);
        BOOST_TEST(j["error"].get<std::string>().find("changed on disk and cannot be opened") !=
                       std::string::npos,
                   j.dump());
    }
    BOOST_TEST(f.log_lines_with("cannot be opened") == 1);

    // Removed: still 503; a valid store put back is served again.
    fs::remove(f.store);
    BOOST_TEST(c.Get("/api/info")->status == 503);
    fs::copy_file(other, f.store);
    BOOST_TEST(info_counts(c)["parcels"] == 5);
    server.stop();
}
