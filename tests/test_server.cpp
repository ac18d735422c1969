// `landclear serve`: the JSON API against the CLI and hand-computed figures, GeoJSON coordinates
// against SpatiaLite's ST_Transform, clear 4xx errors, path traversal refused, and a server that
// keeps answering under 50 concurrent clients and clients that hang up mid-response.
#include "landclear/core/units.hpp"
#include "landclear/server/server.hpp"
#include "support/test_support.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <httplib.h>
#include <map>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <set>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000; // EPSG:4547, near Xiangtan (112.9 E, 27.8 N)
// The known point of docs/TOOLCHAIN: 114.3055 E 30.5928 N is E 529299.860 N 3385869.453.
constexpr double known_e = 529299.860, known_n = 3385869.453;

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + w, y + h);
}

void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// A viewer folder with the files the server checks for, and a secret beside it that must never
// be served.
struct ViewerFixture {
    TempDir dir;
    fs::path viewer = dir.path() / "viewer";
    ViewerFixture() {
        write_text(viewer / "index.html", "<!doctype html><title>征地拆迁一张图</title>");
        write_text(viewer / "app.js", "'use strict';");
        write_text(viewer / "vendor" / "maplibre" / "maplibre-gl.mjs", "/* maplibre */");
        write_text(dir.path() / "secret.txt", "TOP SECRET");
        fs::create_symlink(dir.path() / "secret.txt", viewer / "link.txt");
    }
};

struct Fixture {
    TempDir dir;
    std::string store = dir.file("s.sqlite");
    std::string src = dir.file("in.gpkg"); // the input: independent checks run SQL on it
    ViewerFixture viewer;

    explicit Fixture(int grid = 0) {
        FixtureLayer parcels{"parcels",
                             4547,
                             {{"parcel_code"},
                              {"project_code"},
                              {"district"},
                              {"village"},
                              {"owner_type"},
                              {"land_class"},
                              {"acquired_on", FixtureField::date},
                              {"cleared_on", FixtureField::date},
                              {"delivered_on", FixtureField::date}},
                             {}};
        parcels.features = {
            {rect(bx, by, 100, 100),
             {"P1", "A", "雨湖区", "石坝村", "集体", "0101", "2025-01-10", "2025-02-01",
              "2025-03-01"}},
            {rect(bx + 100, by, 50, 100),
             {"P2", "A", "雨湖区", "石坝村", "集体", "0103", "2025-02-15", "", ""}},
            {rect(bx, by + 200, 200, 100),
             {"P3", "B", "岳塘区", "", "国有", "0702", "2025-03-05", "2025-03-06", ""}},
            {rect(bx + 300, by + 200, 30, 50), {"P4", "B", "岳塘区", "", "", "", "", "", ""}},
            {rect(known_e, known_n, 10, 10), {"P9", "C", "", "", "", "", "", "", ""}},
        };
        for (int i = 0; i < grid; ++i)
            parcels.features.push_back(
                {rect(bx + 1000 + (i % 60) * 20, by + 1000 + (i / 60) * 20, 19, 19),
                 {fmt::format("G{:05d}", i), "G", "", "", "", "", i % 2 ? "2025-01-01" : "", "",
                  ""}});
        FixtureLayer buildings{"buildings",
                               4547,
                               {{"building_code"},
                                {"parcel_code"},
                                {"households", FixtureField::integer},
                                {"floor_area_m2", FixtureField::real},
                                {"signed_on", FixtureField::date},
                                {"demolished_on", FixtureField::date}},
                               {}};
        buildings.features = {
            {rect(bx + 10, by + 10, 10, 10),
             {"B1", "P1", "3", "240.5", "2025-01-05", "2025-01-20"}},
            {rect(bx + 10, by + 210, 10, 10), {"B2", "P3", "2", "180", "2025-03-03", ""}},
            {rect(bx + 50, by + 210, 10, 10), {"B4", "P3", "4", "320", "", ""}},
            {rect(bx + 305, by + 205, 10, 10), {"B3", "P4", "1", "95", "", ""}},
        };
        FixtureLayer projects{
            "projects",
            0,
            {{"project_code"}, {"name"}, {"unit"}, {"deadline", FixtureField::date}},
            {{"", {"A", "杨梅洲大桥南引线", "雨湖区征拆办", "2025-06-30"}},
             {"", {"B", "G320绕城线三期", "岳塘区征拆办", ""}},
             {"", {"C", "武汉测试点", "", ""}},
             {"", {"G", "网格", "", ""}}},
            "None"};
        // A straight road along y = by + 50, 450 m long, 20 m red line: it crosses P1 and P2.
        FixtureLayer corridors{
            "corridors",
            4547,
            {{"corridor_code"},
             {"project_code"},
             {"name"},
             {"width_m", FixtureField::real},
             {"start_chainage_m", FixtureField::real}},
            {{fmt::format("LINESTRING({} {},{} {})", bx - 50, by + 50, bx + 400, by + 50),
              {"C1", "A", "杨梅洲大桥南引线主线", "20", "1000"}}},
            "LineString"};
        write_layer(src, "GPKG", parcels);
        write_layer(src, "GPKG", buildings);
        write_layer(src, "GPKG", projects);
        write_layer(src, "GPKG", corridors);
        auto r = run_cli({"import", store, "--parcels", src + ":parcels", "--buildings",
                          src + ":buildings", "--projects", src + ":projects", "--corridors",
                          src + ":corridors", "--quiet"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }

    ServerOptions options() const {
        ServerOptions o;
        o.store = store;
        o.port = 0;
        o.viewer_dir = viewer.viewer.string();
        return o;
    }

    json cli_json(const std::vector<std::string>& args) {
        auto r = run_cli(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        // One document, one member per table: these calls print one table (status, or
        // corridor with --table).
        auto doc = json::parse(r.out);
        BOOST_REQUIRE_EQUAL(doc.size(), 1u);
        return doc.begin().value();
    }
};

struct Running {
    Server server;
    httplib::Client client;
    explicit Running(const ServerOptions& o)
        : server(o), client("127.0.0.1", (server.start(), server.port())) {
        client.set_read_timeout(30, 0);
    }
    json get_json(const std::string& target, int want_status = 200) {
        auto res = client.Get(target.c_str());
        BOOST_REQUIRE_MESSAGE(res, "no answer to " << target);
        BOOST_CHECK_MESSAGE(res->status == want_status,
                            target << " -> " << res->status << " " << res->body);
        BOOST_CHECK_MESSAGE(res->get_header_value("Content-Type").find("json") != std::string::npos,
                            target << " answers JSON");
        return json::parse(res->body);
    }
};

// One request on a fresh socket, exactly as given (no client-side path normalisation).
std::pair<int, std::string> raw_get(int port, const std::string& target) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    BOOST_REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) ==
                  static_cast<ssize_t>(req.size()));
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    int status = 0;
    if (out.rfind("HTTP/1.1 ", 0) == 0)
        status = std::stoi(out.substr(9, 3));
    return {status, out};
}

std::map<std::string, json> by_key(const json& rows, const std::string& key) {
    std::map<std::string, json> out;
    for (const auto& r : rows)
        out[r[key].get<std::string>()] = r;
    return out;
}

const json& feature(const json& fc, const std::string& code_key, const std::string& code) {
    for (const auto& f : fc["features"])
        if (f["properties"][code_key] == code)
            return f;
    BOOST_FAIL("no feature " << code);
    static json none;
    return none;
}

// Every key the CLI prints has the same value in the API's row.
void check_same_row(const json& cli, const json& api, const std::string& what) {
    for (const auto& [key, value] : cli.items()) {
        BOOST_REQUIRE_MESSAGE(api.contains(key), what << " lacks " << key);
        BOOST_CHECK_MESSAGE(api[key] == value,
                            what << " " << key << ": api " << api[key] << " cli " << value);
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(projects_equal_status_cli_and_hand_figures) {
    Fixture f;
    Running s(f.options());
    for (std::string as_of : {"2025-03-05", "2025-01-31", "2026-01-01"}) {
        auto api = s.get_json("/api/projects?as_of=" + as_of);
        auto cli = f.cli_json({"status", f.store, "--as-of", as_of, "--format", "json"});
        BOOST_CHECK_EQUAL(api["as_of"], as_of);
        auto rows = by_key(api["projects"], "group");
        BOOST_REQUIRE_EQUAL(rows.size(), cli["rows"].size());
        for (const auto& row : cli["rows"])
            check_same_row(row, rows[row["group"].get<std::string>()], as_of + " project");
        check_same_row(cli["totals"], api["totals"], as_of + " totals");
    }
    // With since: the increase columns as `status --since` prints them.
    auto api = s.get_json("/api/projects?as_of=2025-03-05&since=2025-02-28");
    auto cli = f.cli_json(
        {"status", f.store, "--as-of", "2025-03-05", "--since", "2025-02-28", "--format", "json"});
    auto rows = by_key(api["projects"], "group");
    for (const auto& row : cli["rows"])
        check_same_row(row, rows[row["group"].get<std::string>()], "since");

    // Hand-computed: A = P1 (100x100 m = 15 亩) + P2 (50x100 m = 7.5 亩); as of 2025-03-05 both
    // acquired, P1 cleared and delivered; B1 (3 households) signed and demolished.
    auto a = rows["A"];
    BOOST_CHECK_EQUAL(a["name"], "杨梅洲大桥南引线");
    BOOST_CHECK_EQUAL(a["unit"], "雨湖区征拆办");
    BOOST_CHECK_EQUAL(a["deadline"], "2025-06-30");
    BOOST_CHECK_CLOSE(a["area_mu"].get<double>(), 22.5, 1e-9);
    BOOST_CHECK_CLOSE(a["acquired_mu"].get<double>(), 22.5, 1e-9);
    BOOST_CHECK_CLOSE(a["cleared_mu"].get<double>(), 15.0, 1e-9);
    BOOST_CHECK_CLOSE(a["cleared_pct"].get<double>(), 200.0 / 3.0, 1e-9);
    BOOST_CHECK_CLOSE(a["new_delivered_mu"].get<double>(), 15.0, 1e-9);
    BOOST_CHECK_EQUAL(a["demolished_households"], 3);
    // Its bbox holds P1 and P2 in WGS84, as SpatiaLite transforms them.
    auto west = ogr_sql_number(f.src, "SELECT min(ST_MinX(ST_Transform(geom, 4326))) FROM "
                                      "parcels WHERE project_code = 'A'");
    auto north = ogr_sql_number(f.src, "SELECT max(ST_MaxY(ST_Transform(geom, 4326))) FROM "
                                       "parcels WHERE project_code = 'A'");
    BOOST_CHECK_SMALL(a["bbox"][0].get<double>() - west, 1e-7);
    BOOST_CHECK_SMALL(a["bbox"][3].get<double>() - north, 1e-7);
}

BOOST_AUTO_TEST_CASE(features_are_rfc7946_geojson_with_stage_as_of_the_date) {
    Fixture f;
    Running s(f.options());
    auto fc = s.get_json("/api/features/parcels?bbox=112.5,27.5,113.5,28.2&as_of=2025-03-05");
    BOOST_CHECK_EQUAL(fc["type"], "FeatureCollection");
    BOOST_CHECK(!fc.contains("crs"));
    BOOST_CHECK_EQUAL(fc["features"].size(), 4u); // P9 (Wuhan) lies outside the box
    std::map<std::string, std::pair<std::string, std::string>> want{
        {"P1", {"delivered", "已交"}}, // delivered 03-01
        {"P2", {"acquired", "已征"}},
        {"P3", {"acquired", "已征"}}, // acquired on the day, cleared the day after
        {"P4", {"none", "未征"}}};
    for (const auto& [code, stage] : want) {
        const auto& p = feature(fc, "parcel_code", code)["properties"];
        BOOST_CHECK_EQUAL(p["stage"], stage.first);
        BOOST_CHECK_EQUAL(p["status"], stage.second);
    }
    const auto& p1 = feature(fc, "parcel_code", "P1");
    BOOST_CHECK_CLOSE(p1["properties"]["area_mu"].get<double>(), 15.0, 1e-9);
    BOOST_CHECK_EQUAL(p1["properties"]["land_class"], "0101");
    BOOST_CHECK_EQUAL(p1["properties"]["delivered_on"], "2025-03-01");
    // Coordinates: lon/lat, as SpatiaLite's ST_Transform(geom, 4326) gives them (7 decimals).
    double min_lon = 1e9, min_lat = 1e9;
    auto ring = p1["geometry"]["type"] == "Polygon" ? p1["geometry"]["coordinates"][0]
                                                    : p1["geometry"]["coordinates"][0][0];
    for (const auto& pt : ring) {
        min_lon = std::min(min_lon, pt[0].get<double>());
        min_lat = std::min(min_lat, pt[1].get<double>());
    }
    BOOST_CHECK_SMALL(min_lon - ogr_sql_number(f.src, "SELECT ST_MinX(ST_Transform(geom, 4326)) "
                                                      "FROM parcels WHERE parcel_code = 'P1'"),
                      1e-7);
    BOOST_CHECK_SMALL(min_lat - ogr_sql_number(f.src, "SELECT ST_MinY(ST_Transform(geom, 4326)) "
                                                      "FROM parcels WHERE parcel_code = 'P1'"),
                      1e-7);
    // Counter-clockwise outer ring (RFC 7946): positive shoelace sum.
    double twice_area = 0;
    for (size_t i = 0; i + 1 < ring.size(); ++i)
        twice_area += ring[i][0].get<double>() * ring[i + 1][1].get<double>() -
                      ring[i + 1][0].get<double>() * ring[i][1].get<double>();
    BOOST_CHECK_GT(twice_area, 0);

    // The known point: P9's corner at E 529299.860 N 3385869.453 is 114.3055 E 30.5928 N.
    auto wuhan = s.get_json("/api/features/parcels?bbox=114.2,30.5,114.4,30.7");
    BOOST_REQUIRE_EQUAL(wuhan["features"].size(), 1u);
    bool found = false;
    for (const auto& pt : wuhan["features"][0]["geometry"]["coordinates"][0])
        if (std::abs(pt[0].get<double>() - 114.3055) < 2e-7 &&
            std::abs(pt[1].get<double>() - 30.5928) < 2e-7)
            found = true;
    BOOST_CHECK_MESSAGE(found, "corner at 114.3055 E 30.5928 N: " << wuhan.dump());

    // The map's lighter view: code, project and stage only, the same stages.
    auto lite =
        s.get_json("/api/features/parcels?bbox=112.5,27.5,113.5,28.2&as_of=2025-03-05&view=map");
    BOOST_REQUIRE_EQUAL(lite["features"].size(), 4u);
    for (const auto& [code, stage] : want) {
        const auto& p = feature(lite, "parcel_code", code)["properties"];
        BOOST_CHECK_EQUAL(p["stage"], stage.first);
        BOOST_CHECK_EQUAL(p["project_code"], code == "P3" || code == "P4" ? "B" : "A");
        BOOST_CHECK(!p.contains("owner_type") && !p.contains("acquired_on"));
    }

    // Buildings: signed / demolished as of the date.
    auto b = s.get_json("/api/features/buildings?as_of=2025-03-05&project=B");
    BOOST_CHECK_EQUAL(b["features"].size(), 3u); // B2, B4 on P3, B3 on P4
    BOOST_CHECK_EQUAL(feature(b, "building_code", "B2")["properties"]["signed"], true);
    BOOST_CHECK_EQUAL(feature(b, "building_code", "B2")["properties"]["demolished"], false);
    BOOST_CHECK_EQUAL(feature(b, "building_code", "B4")["properties"]["signed"], false);
    // One project only, and a date before everything.
    auto early = s.get_json("/api/features/parcels?project=A&as_of=2024-12-31");
    BOOST_CHECK_EQUAL(early["features"].size(), 2u);
    for (const auto& ft : early["features"])
        BOOST_CHECK_EQUAL(ft["properties"]["status"], "未征");
    // The corridor and the projects with a red line.
    auto c = s.get_json("/api/features/corridors");
    BOOST_REQUIRE_EQUAL(c["features"].size(), 1u);
    BOOST_CHECK_CLOSE(c["features"][0]["properties"]["length_m"].get<double>(), 450.0, 1e-9);
}

BOOST_AUTO_TEST_CASE(parcel_details_with_buildings_and_households) {
    Fixture f;
    Running s(f.options());
    auto p3 = s.get_json("/api/parcel?code=P3&as_of=2025-03-05");
    BOOST_CHECK_EQUAL(p3["parcel_code"], "P3");
    BOOST_CHECK_EQUAL(p3["project_name"], "G320绕城线三期");
    BOOST_CHECK_EQUAL(p3["owner_type"], "国有");
    BOOST_CHECK_EQUAL(p3["land_class"], "0702");
    BOOST_CHECK_CLOSE(p3["area_m2"].get<double>(), 20000.0, 1e-9);
    BOOST_CHECK_CLOSE(p3["area_mu"].get<double>(), 30.0, 1e-9);
    BOOST_CHECK_EQUAL(p3["status"], "已征");
    BOOST_CHECK_EQUAL(p3["acquired_on"], "2025-03-05");
    BOOST_CHECK_EQUAL(p3["cleared_on"], "2025-03-06");
    BOOST_CHECK(p3["delivered_on"].is_null());
    BOOST_CHECK_EQUAL(p3["building_count"], 2);
    BOOST_CHECK_EQUAL(p3["households"], 6);
    BOOST_CHECK_EQUAL(p3["signed_households"], 2);
    BOOST_CHECK_EQUAL(p3["demolished_households"], 0);
    BOOST_CHECK_CLOSE(p3["floor_area_m2"].get<double>(), 500.0, 1e-9);
    auto buildings = by_key(p3["buildings"], "building_code");
    BOOST_CHECK_EQUAL(buildings["B2"]["signed_on"], "2025-03-03");
    BOOST_CHECK_EQUAL(buildings["B2"]["signed"], true);
    BOOST_CHECK_EQUAL(buildings["B4"]["signed"], false);
    // The day after, P3 is cleared.
    BOOST_CHECK_EQUAL(s.get_json("/api/parcel?code=P3&as_of=2025-03-06")["status"], "已腾");
    // Codes with characters that need encoding reach the store as they are (and match nothing).
    auto missing = s.get_json("/api/parcel?code=%27%20OR%201%3D1%20--", 404);
    BOOST_CHECK(missing["error"].get<std::string>().find("' OR 1=1 --") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(corridors_equal_corridor_cli_and_hand_figures) {
    Fixture f;
    Running s(f.options());
    const std::string as_of = "2025-03-05";
    auto api = s.get_json("/api/corridors?as_of=" + as_of);
    auto cli = f.cli_json(
        {"corridor", f.store, "--as-of", as_of, "--format", "json", "--table", "corridors"});
    BOOST_REQUIRE_EQUAL(api["corridors"].size(), cli["rows"].size());
    check_same_row(cli["rows"][0], api["corridors"][0], "corridor C1");
    // Hand-computed: a 450 m x 20 m band (flat ends) = 9000 m² = 13.5 亩; inside it P1 has
    // 100 x 20 m (cleared) and P2 50 x 20 m (acquired, not cleared): 4.5 亩, 3 亩 cleared.
    const auto& c1 = api["corridors"][0];
    BOOST_CHECK_CLOSE(c1["red_line_mu"].get<double>(), 13.5, 1e-6);
    BOOST_CHECK_CLOSE(c1["area_mu"].get<double>(), 4.5, 1e-6);
    BOOST_CHECK_CLOSE(c1["cleared_mu"].get<double>(), 3.0, 1e-6);
    BOOST_CHECK_CLOSE(c1["start_chainage_m"].get<double>(), 1000.0, 1e-9);
    BOOST_CHECK_GE(c1["blocking_stretches"].get<int>(), 1);

    auto one = s.get_json("/api/corridor?code=C1&as_of=" + as_of);
    auto segs = f.cli_json({"corridor", f.store, "--corridor", "C1", "--as-of", as_of, "--format",
                            "json", "--table", "segments"});
    BOOST_REQUIRE_EQUAL(one["segments"].size(), segs["rows"].size());
    for (size_t i = 0; i < segs["rows"].size(); ++i)
        check_same_row(segs["rows"][i], one["segments"][i], fmt::format("segment {}", i));
    BOOST_CHECK_EQUAL(one["segments"].size(), 5u); // 450 m in 100 m segments
    auto blocking = f.cli_json({"corridor", f.store, "--corridor", "C1", "--as-of", as_of,
                                "--format", "json", "--table", "blocking"});
    BOOST_REQUIRE_EQUAL(one["blocking"].size(), blocking["rows"].size());
    for (size_t i = 0; i < blocking["rows"].size(); ++i)
        check_same_row(blocking["rows"][i], one["blocking"][i], fmt::format("stretch {}", i));
    // P2 (chainage 1150-1200, acquired not cleared) blocks; P1 is cleared.
    bool p2_listed = false;
    for (const auto& b : one["blocking"])
        for (const auto& code : b["parcel_list"])
            p2_listed = p2_listed || code == "P2";
    BOOST_CHECK(p2_listed);
    // The map's red outlines: exactly the parcels of the blocking stretches.
    auto red = s.get_json("/api/blocking?as_of=" + as_of);
    std::set<std::string> from_stretches;
    for (const auto& b : one["blocking"])
        for (const auto& code : b["parcel_list"])
            from_stretches.insert(code.get<std::string>());
    std::set<std::string> outlined;
    for (const auto& code : red["parcels"])
        outlined.insert(code.get<std::string>());
    BOOST_CHECK(outlined == from_stretches);
    BOOST_CHECK(outlined.count("P2") == 1 && outlined.count("P1") == 0);
}

// The issue list's answer names the day it is of, asked for or the server's today.
BOOST_AUTO_TEST_CASE(issues_answer_names_its_day) {
    Fixture f;
    Running s(f.options());
    auto res = s.client.Get("/api/issues?as_of=2025-03-05");
    BOOST_REQUIRE(res);
    BOOST_CHECK_EQUAL(res->status, 200);
    BOOST_CHECK_EQUAL(res->get_header_value("X-Landclear-As-Of"), "2025-03-05");
    auto today = s.get_json("/api/info")["today"].get<std::string>();
    res = s.client.Get("/api/issues");
    BOOST_REQUIRE(res);
    BOOST_CHECK_EQUAL(res->get_header_value("X-Landclear-As-Of"), today);
}

BOOST_AUTO_TEST_CASE(bad_parameters_get_clear_json_errors) {
    Fixture f;
    auto o = f.options();
    o.limits.max_features = 3;
    Running s(o);
    struct Case {
        std::string target;
        int status;
        std::string says;
    };
    std::vector<Case> cases{
        {"/api/features/parcels?bbox=112,27,113", 400, "four numbers"},
        {"/api/features/parcels?bbox=a,b,c,d", 400, "not a number"},
        {"/api/features/parcels?bbox=113,27,112,28", 400, "west must be less than east"},
        {"/api/features/parcels?bbox=100,20,110,30", 400, "larger than"},
        {"/api/features/parcels?bbox=112,27,113,95", 400, "outside"},
        {"/api/features/parcels?bbox=112,27,nan,28", 400, "not a number"},
        {"/api/projects?as_of=2025-13-01", 400, "as_of '2025-13-01' is not a date"},
        {"/api/projects?as_of=yesterday", 400, "not a date"},
        {"/api/projects?as_of=2025-03-05&since=2025-03-05", 400, "not before"},
        {"/api/projects?asof=2025-03-05", 400, "unknown parameter 'asof'"},
        {"/api/projects?as_of=2025-03-05&as_of=2025-03-06", 400, "more than once"},
        {"/api/parcel?code=NOPE", 404, "no parcel with code 'NOPE'"},
        {"/api/parcel", 400, "'code' is missing"},
        {"/api/corridor?code=NOPE", 404, "no corridor with code 'NOPE'"},
        {"/api/features/roads", 404, "no layer 'roads'"},
        {"/api/features/parcels?project=A&view=all", 400, "view 'all' is not map or full"},
        {"/api/features/parcels", 413, "more than 3 parcels"},
        {"/api/nothing", 404, "no endpoint"},
        {"/api/features/parcels?bbox=" + std::string(3000, '1'), 414, "longer than"},
    };
    for (const auto& c : cases) {
        auto j = s.get_json(c.target, c.status);
        BOOST_CHECK_EQUAL(j["status"], c.status);
        BOOST_CHECK_MESSAGE(j["error"].get<std::string>().find(c.says) != std::string::npos,
                            c.target << " says " << j["error"]);
    }
    // The limit is on features, not on requests: a small box passes.
    auto ok = s.get_json("/api/features/parcels?project=A");
    BOOST_CHECK_EQUAL(ok["features"].size(), 2u);
    // Writing is not a thing this server does.
    auto post = s.client.Post("/api/projects", "{}", "application/json");
    BOOST_REQUIRE(post);
    BOOST_CHECK_EQUAL(post->status, 405);
    BOOST_CHECK(json::parse(post->body)["error"].get<std::string>().find("POST") !=
                std::string::npos);
}

BOOST_AUTO_TEST_CASE(static_files_and_path_traversal) {
    Fixture f;
    Running s(f.options());
    int port = s.server.port();
    auto [index_status, index] = raw_get(port, "/");
    BOOST_CHECK_EQUAL(index_status, 200);
    BOOST_CHECK(index.find("征地拆迁一张图") != std::string::npos);
    BOOST_CHECK(index.find("Content-Security-Policy: default-src 'self'") != std::string::npos);
    auto [js_status, js] = raw_get(port, "/vendor/maplibre/maplibre-gl.mjs");
    BOOST_CHECK_EQUAL(js_status, 200);
    BOOST_CHECK(js.find("application/javascript") != std::string::npos);
    BOOST_CHECK_EQUAL(raw_get(port, "/nope.js").first, 404);
    auto [cfg_status, cfg] = raw_get(port, "/config.json");
    BOOST_CHECK_EQUAL(cfg_status, 200);

    for (std::string target :
         {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt",
          "/..%2Fsecret.txt", "/%2e%2e%2fsecret.txt", "/vendor/../../secret.txt",
          "/vendor/%2e%2e/%2e%2e/secret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt",
          "/%252e%252e/secret.txt", "/./../secret.txt", "/link.txt", "/.secret", "//../secret.txt",
          "/index.html%00.js"}) {
        auto [status, body] = raw_get(port, target);
        BOOST_CHECK_MESSAGE(status >= 400 && status < 500, target << " -> " << status);
        BOOST_CHECK_MESSAGE(body.find("TOP SECRET") == std::string::npos, target << " leaked");
    }
}

BOOST_AUTO_TEST_CASE(fifty_concurrent_clients_and_clients_that_hang_up) {
    Fixture f(2000); // 2,000 grid parcels make a response of ~0.7 MB
    Running s(f.options());
    int port = s.server.port();
    const std::string big = "/api/features/parcels?project=G&as_of=2025-03-05";
    auto expected_projects = s.client.Get("/api/projects?as_of=2025-03-05")->body;
    auto expected_big = s.client.Get(big.c_str())->body;
    BOOST_REQUIRE_GT(expected_big.size(), 400000u);
    BOOST_CHECK_EQUAL(json::parse(expected_big)["features"].size(), 2000u);

    // Clients that read a little of a large answer and reset the connection.
    for (int i = 0; i < 20; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        std::string req = "GET " + big + " HTTP/1.1\r\nHost: x\r\n\r\n";
        ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        char buf[2048];
        ::recv(fd, buf, sizeof buf, 0);
        linger l{1, 0}; // close with RST, as a browser tab that is shut
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(fd);
    }
    // And some that hang up before the answer is written.
    for (int i = 0; i < 10; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        std::string req = "GET " + big + " HTTP/1.1\r\nHost: x\r\n\r\n";
        ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        ::close(fd);
    }

    std::atomic<int> ok{0}, wrong{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 50; ++i)
        clients.emplace_back([&, i] {
            httplib::Client c("127.0.0.1", port);
            c.set_read_timeout(60, 0);
            c.set_connection_timeout(30, 0);
            auto target = i % 2 ? std::string("/api/projects?as_of=2025-03-05") : big;
            auto res = c.Get(target.c_str());
            bool good = res && res->status == 200 &&
                        res->body == (i % 2 ? expected_projects : expected_big);
            (good ? ok : wrong)++;
        });
    for (auto& t : clients)
        t.join();
    BOOST_CHECK_EQUAL(ok.load(), 50);
    BOOST_CHECK_EQUAL(wrong.load(), 0);
    // Still answering afterwards.
    BOOST_CHECK_EQUAL(s.get_json("/api/info")["counts"]["parcels"], 2005);

    // A browser asking for gzip gets the large answer compressed, and the same content.
    auto gz = s.client.Get(big.c_str(), {{"Accept-Encoding", "gzip"}});
    BOOST_REQUIRE(gz);
    BOOST_CHECK_EQUAL(gz->get_header_value("Content-Encoding"), "gzip");
    BOOST_CHECK(gz->body == expected_big); // httplib decompresses
}

BOOST_AUTO_TEST_CASE(serve_command_binds_loopback_and_stops_on_sigterm) {
    BOOST_CHECK_EQUAL(ServerOptions{}.bind, "127.0.0.1");
    Fixture f;
    // Missing store, missing viewer: clear errors, exit 1.
    auto r = run_cli({"serve", f.dir.file("none.sqlite"), "--viewer", f.viewer.viewer.string()});
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK(r.err.find("does not exist") != std::string::npos);
    r = run_cli({"serve", f.store, "--viewer", f.dir.file("no-viewer")});
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK(r.err.find("viewer folder") != std::string::npos);
    BOOST_CHECK(r.err.find("what to do") != std::string::npos);

    int err_pipe[2];
    BOOST_REQUIRE(::pipe(err_pipe) == 0);
    // posix_spawn (not fork): nothing runs in the child between the fork and the exec, where
    // another thread's allocator lock could hang it.
    std::string bin = LANDCLEAR_BIN, viewer = f.viewer.viewer.string(), serve = "serve",
                port_flag = "--port", zero = "0", viewer_flag = "--viewer", store = f.store;
    std::vector<char*> argv{bin.data(),  serve.data(),       store.data(),  port_flag.data(),
                            zero.data(), viewer_flag.data(), viewer.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
    pid_t pid = -1;
    int spawned = ::posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    BOOST_REQUIRE_MESSAGE(spawned == 0, "cannot run " << bin);
    ::close(err_pipe[1]);
    std::string err;
    char buf[512];
    int port = 0;
    while (port == 0) {
        ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
        BOOST_REQUIRE_MESSAGE(n > 0, "landclear serve said: " << err);
        err.append(buf, static_cast<size_t>(n));
        auto at = err.find("http://127.0.0.1:");
        if (at != std::string::npos && err.find('/', at + 17) != std::string::npos)
            port = std::stoi(err.substr(at + 17));
    }
    httplib::Client c("127.0.0.1", port);
    auto res = c.Get("/api/info");
    BOOST_REQUIRE(res);
    BOOST_CHECK_EQUAL(res->status, 200);
    BOOST_CHECK_EQUAL(json::parse(res->body)["counts"]["parcels"], 5);
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(err_pipe[0]);
    BOOST_CHECK(WIFEXITED(status));
    BOOST_CHECK_EQUAL(WEXITSTATUS(status), 0);
}
