// serve checks the Host header: a page served under a name an attacker controls (DNS rebinding)
// must not read the store through a visitor's browser. IP literals and localhost are answered,
// other names only when allowed with --allow-host.
#include "landclear/server/server.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <httplib.h>

using namespace landclear;
using namespace landclear::test;

BOOST_AUTO_TEST_CASE(host_rules) {
    std::vector<std::string> none, office{"GIS-PC.office.lan"};
    for (const char* ok : {"127.0.0.1", "127.0.0.1:8080", "localhost:8080", "LOCALHOST",
                           "[::1]:8080", "[::1]", "192.168.1.20:8080"})
        BOOST_TEST(host_allowed(ok, none), ok);
    for (const char* bad :
         {"", "evil.example", "evil.example:8080", "127.0.0.1.evil.example",
          "localhost.evil.example:80", "127.0.0.1:80x", "[::1]junk", ":8080", "gis-pc.office.lan"})
        BOOST_TEST(!host_allowed(bad, none), bad);
    BOOST_TEST(host_allowed("gis-pc.office.lan:8080", office));
    BOOST_TEST(!host_allowed("other.office.lan:8080", office));
}

namespace {
void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}
} // namespace

BOOST_AUTO_TEST_CASE(server_refuses_foreign_hosts) {
    TempDir dir;
    auto store = dir.file("s.sqlite");
    auto imp = run_cli({"import", store, "--parcels", sample_path() + ":parcels", "--quiet"});
    BOOST_TEST_REQUIRE(imp.exit_code == 0, imp.err);
    auto viewer = dir.path() / "viewer";
    write_text(viewer / "index.html", "<!doctype html><title>t</title>");
    write_text(viewer / "app.js", "'use strict';");
    write_text(viewer / "vendor" / "maplibre" / "maplibre-gl.mjs", "/* maplibre */");

    ServerOptions o;
    o.store = store;
    o.port = 0;
    o.viewer_dir = viewer.string();
    o.allowed_hosts = {"gis-pc"};
    Server server(o);
    server.start();
    httplib::Client c("127.0.0.1", server.port());
    auto get = [&](const std::string& host) {
        httplib::Headers h{{"Host", host}};
        auto res = c.Get("/api/projects", h);
        BOOST_TEST_REQUIRE(static_cast<bool>(res));
        return res->status;
    };
    BOOST_TEST(get("127.0.0.1:" + std::to_string(server.port())) == 200);
    BOOST_TEST(get("localhost") == 200);
    BOOST_TEST(get("gis-pc:" + std::to_string(server.port())) == 200);
    BOOST_TEST(get("attacker.example") == 403);
    auto res = c.Get("/", httplib::Headers{{"Host", "attacker.example"}});
    BOOST_TEST_REQUIRE(static_cast<bool>(res));
    BOOST_TEST(res->status == 403);
    BOOST_TEST(res->body.find("<title>") == std::string::npos); // nothing of the page leaks
    server.stop();
}
