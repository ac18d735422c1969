// The tiles' disk cache beside the store (server/tile_disk_cache.hpp): a second server answers
// from it with the bytes a server without it encodes; a changed store is never answered from
// the old entries (and their folder goes); an unwritable folder still serves, from memory; the
// folder stays within its bound; two servers sharing it at once agree; the layers' counts and
// extent are kept there too.
#include "landclear/server/server.hpp"
#include "landclear/server/tile_disk_cache.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <httplib.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <zlib.h>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000; // EPSG:4547, near Xiangtan (112.9 E, 27.8 N)

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + w, y + h);
}

void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// A store of a grid of parcels (each with a building) in two projects; `shift` moves the
// first parcel's project and dates, so a re-import changes what its tiles carry.
struct Fixture {
    TempDir dir;
    std::string store = dir.file("s.sqlite");
    fs::path viewer = dir.path() / "viewer";

    Fixture() {
        write_text(viewer / "index.html", "<!doctype html><title>t</title>");
        write_text(viewer / "app.js", "'use strict';");
        write_text(viewer / "vendor" / "maplibre" / "maplibre-gl.mjs", "/* maplibre */");
        import(store, false);
    }

    void import(const std::string& to, bool changed) {
        FixtureLayer parcels{"parcels",
                             4547,
                             {{"parcel_code"},
                              {"project_code"},
                              {"acquired_on", FixtureField::date},
                              {"cleared_on", FixtureField::date},
                              {"delivered_on", FixtureField::date}},
                             {}};
        FixtureLayer buildings{"buildings",
                               4547,
                               {{"building_code"},
                                {"parcel_code"},
                                {"households", FixtureField::integer},
                                {"signed_on", FixtureField::date},
                                {"demolished_on", FixtureField::date}},
                               {}};
        for (int i = 0; i < 400; ++i) {
            double x = bx + (i % 20) * 40, y = by + (i / 20) * 40;
            bool first = i == 0;
            parcels.features.push_back(
                {rect(x, y, 38, 38),
                 {fmt::format("P{:04d}", i), i < 200 ? "A" : "B",
                  first && changed ? "2025-05-05" : (i % 3 ? "2025-01-10" : ""),
                  i % 5 ? "" : "2025-02-01", ""}});
            buildings.features.push_back({rect(x + 5, y + 5, 10, 10),
                                          {fmt::format("B{:04d}", i), fmt::format("P{:04d}", i),
                                           "2", i % 2 ? "2025-01-05" : "", ""}});
        }
        FixtureLayer projects{"projects",
                              0,
                              {{"project_code"}, {"name"}},
                              {{"", {"A", "甲项目"}}, {"", {"B", "乙项目"}}},
                              "None"};
        auto src = dir.file(changed ? "changed.gpkg" : "in.gpkg");
        fs::remove(src);
        write_layer(src, "GPKG", parcels);
        write_layer(src, "GPKG", buildings);
        write_layer(src, "GPKG", projects);
        auto r = run_cli({"import", to, "--parcels", src + ":parcels", "--buildings",
                          src + ":buildings", "--projects", src + ":projects", "--quiet"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }

    ServerOptions options(const std::string& tile_cache = "") const {
        ServerOptions o;
        o.store = store;
        o.port = 0;
        o.viewer_dir = viewer.string();
        o.limits.tile_cache = tile_cache;
        return o;
    }
};

struct Running {
    Server server;
    httplib::Client client;
    explicit Running(const ServerOptions& o)
        : server(o), client("127.0.0.1", (server.start(), server.port())) {
        client.set_read_timeout(30, 0);
    }
    std::string get(const std::string& target, bool gzip = false) {
        httplib::Headers h;
        if (gzip)
            h.emplace("Accept-Encoding", "gzip");
        client.set_decompress(!gzip); // the bytes as sent, to check them ourselves
        auto res = client.Get(target.c_str(), h);
        BOOST_REQUIRE_MESSAGE(res, "no answer to " << target);
        BOOST_REQUIRE_MESSAGE(res->status == 200,
                              target << " -> " << res->status << " " << res->body);
        if (gzip && res->get_header_value("Content-Encoding") == "gzip")
            return "gzip:" + res->body;
        return res->body;
    }
    json tile_cache() { return json::parse(get("/api/info"))["tile_cache"]; }
};

// Every tile of the parcels, buildings and projects layers over the store's extent, at the
// zooms each layer is served (and one below the parcels' first, which is empty).
std::vector<std::string> tile_paths(Running& s) {
    auto e = json::parse(s.get("/api/info"))["extent"];
    const double half = M_PI * 6378137.0;
    auto merc = [&](double lon, double lat) {
        return std::array<double, 2>{lon * M_PI / 180 * 6378137.0,
                                     6378137.0 * std::log(std::tan(M_PI / 4 + lat * M_PI / 360))};
    };
    auto tile = [&](std::array<double, 2> m, int z) {
        double size = 2 * half / std::ldexp(1.0, z);
        return std::array<int, 2>{static_cast<int>(std::floor((m[0] + half) / size)),
                                  static_cast<int>(std::floor((half - m[1]) / size))};
    };
    std::vector<std::string> out;
    auto add = [&](const std::string& layer, int z0, int z1) {
        for (int z = z0; z <= z1; ++z) {
            auto a = tile(merc(e[0], e[3]), z), b = tile(merc(e[2], e[1]), z);
            for (int x = a[0]; x <= b[0]; ++x)
                for (int y = a[1]; y <= b[1]; ++y)
                    out.push_back(fmt::format("/tiles/{}/{}/{}/{}.mvt", layer, z, x, y));
        }
    };
    add("parcels", 11, 15);
    add("buildings", 14, 15);
    add("projects", 8, 13);
    return out;
}

std::map<std::string, std::string> fetch_all(Running& s, const std::vector<std::string>& paths,
                                             bool gzip = false) {
    std::map<std::string, std::string> out;
    for (const auto& p : paths)
        out[p] = s.get(p, gzip);
    return out;
}

std::string gunzip(const std::string& in) {
    z_stream zs{};
    BOOST_REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
    std::string out;
    char buf[65536];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    int rc;
    do {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
    } while (rc == Z_OK);
    inflateEnd(&zs);
    BOOST_REQUIRE(rc == Z_STREAM_END);
    return out;
}

// The version folders in the cache folder, and whether any temporary file was left behind.
std::vector<std::string> version_folders(const fs::path& folder, bool* temp_left = nullptr) {
    std::vector<std::string> out;
    for (const auto& d : fs::directory_iterator(folder))
        out.push_back(d.path().filename().string());
    if (temp_left) {
        *temp_left = false;
        for (const auto& f : fs::recursive_directory_iterator(folder))
            *temp_left = *temp_left || f.path().filename().string().rfind(".tmp-", 0) == 0;
    }
    return out;
}

size_t non_empty(const std::map<std::string, std::string>& tiles) {
    size_t n = 0;
    for (const auto& [p, t] : tiles)
        n += !t.empty();
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(second_server_answers_from_disk_with_the_same_bytes) {
    Fixture f;
    const fs::path folder = f.store + ".tiles";
    std::vector<std::string> paths;
    std::map<std::string, std::string> fresh, first, second;
    {
        Running none(f.options("off"));
        paths = tile_paths(none);
        fresh = fetch_all(none, paths);
        BOOST_CHECK(none.tile_cache()["disk_folder"] == "");
    }
    BOOST_REQUIRE_GT(non_empty(fresh), 10u);
    BOOST_CHECK(!fs::exists(folder)); // "off" writes nothing
    {
        Running a(f.options());
        first = fetch_all(a, paths);
        auto tc = a.tile_cache();
        BOOST_CHECK_EQUAL(tc["disk_folder"].get<std::string>(), folder.string());
        BOOST_CHECK_EQUAL(tc["disk_hits"].get<int>(), 0);
        BOOST_CHECK_GT(tc["disk_writes"].get<int>(), 10);
        BOOST_CHECK(tc["disk_writable"].get<bool>());
    }
    BOOST_CHECK(first == fresh);
    bool temp_left = true;
    BOOST_CHECK_EQUAL(version_folders(folder, &temp_left).size(), 1u);
    BOOST_CHECK(!temp_left);
    {
        Running b(f.options());
        second = fetch_all(b, paths);
        auto tc = b.tile_cache();
        // Every tile at a served zoom came from disk; none was written again.
        BOOST_CHECK_GT(tc["disk_hits"].get<int>(), 10);
        BOOST_CHECK_EQUAL(tc["disk_writes"].get<int>(), 0);
        BOOST_CHECK_EQUAL(tc["misses"].get<int>(), tc["disk_hits"].get<int>());
        // The compressed form kept on disk is the same tile.
        auto zipped = fetch_all(b, paths, true);
        size_t compressed = 0;
        for (const auto& [p, body] : zipped)
            if (body.rfind("gzip:", 0) == 0) {
                ++compressed;
                BOOST_CHECK_MESSAGE(gunzip(body.substr(5)) == fresh[p], p);
            } else {
                BOOST_CHECK_MESSAGE(body == fresh[p], p);
            }
        BOOST_CHECK_GT(compressed, 0u);
    }
    BOOST_CHECK(second == fresh);
}

BOOST_AUTO_TEST_CASE(changed_store_is_never_answered_from_old_entries) {
    Fixture f;
    const fs::path folder = f.store + ".tiles";
    std::vector<std::string> paths;
    std::map<std::string, std::string> before;
    Running a(f.options());
    paths = tile_paths(a);
    before = fetch_all(a, paths);
    auto old_folders = version_folders(folder);
    BOOST_REQUIRE_EQUAL(old_folders.size(), 1u);

    // The store replaced by a fresh import (same data version) with the first parcel's
    // acquisition date changed: the running server and a new one both draw the new data.
    auto next = f.dir.file("next.sqlite");
    f.import(next, true);
    fs::rename(next, f.store);
    std::map<std::string, std::string> expected;
    {
        Running none(f.options("off"));
        expected = fetch_all(none, paths);
    }
    BOOST_REQUIRE(expected != before); // the change shows in some tile
    auto after = fetch_all(a, paths);
    BOOST_CHECK(after == expected);
    {
        Running b(f.options());
        BOOST_CHECK(fetch_all(b, paths) == expected);
        auto tc = b.tile_cache(); // every tile from the running server's new entries
        BOOST_CHECK_GT(tc["disk_hits"].get<int>(), 10);
        BOOST_CHECK_EQUAL(tc["disk_hits"].get<int>(), tc["misses"].get<int>());
    }
    // Only the new data's folder is kept.
    auto now = version_folders(folder);
    BOOST_CHECK_EQUAL(now.size(), 1u);
    BOOST_CHECK(now != old_folders);
}

BOOST_AUTO_TEST_CASE(unwritable_folder_still_serves_from_memory) {
    Fixture f;
    std::map<std::string, std::string> expected;
    std::vector<std::string> paths;
    {
        Running none(f.options("off"));
        paths = tile_paths(none);
        expected = fetch_all(none, paths);
    }
    // A folder that cannot be created even by root (/proc takes no new entries), and the
    // default folder's name taken by a plain file.
    write_text(f.store + ".tiles", "not a folder");
    for (std::string where : {std::string("/proc/landclear-test/tiles"), std::string()}) {
        Running s(f.options(where));
        BOOST_CHECK(fetch_all(s, paths) == expected);
        BOOST_CHECK(fetch_all(s, paths) == expected); // and from the memory cache
        auto tc = s.tile_cache();
        BOOST_CHECK(!tc["disk_writable"].get<bool>());
        BOOST_CHECK_EQUAL(tc["disk_writes"].get<int>(), 0);
        BOOST_CHECK_EQUAL(tc["disk_hits"].get<int>(), 0);
        BOOST_CHECK_GT(tc["hits"].get<int>(), 0);
    }
    // A folder without write permission (only meaningful when not root: root writes anyway).
    if (::geteuid() != 0) {
        auto ro = f.dir.path() / "ro";
        fs::create_directories(ro);
        ::chmod(ro.c_str(), 0555);
        Running s(f.options((ro / "tiles").string()));
        BOOST_CHECK(fetch_all(s, paths) == expected);
        BOOST_CHECK(!s.tile_cache()["disk_writable"].get<bool>());
        ::chmod(ro.c_str(), 0755);
    }
}

BOOST_AUTO_TEST_CASE(folder_stays_within_its_bound) {
    Fixture f;
    std::map<std::string, std::string> expected;
    std::vector<std::string> paths;
    {
        Running none(f.options("off"));
        paths = tile_paths(none);
        expected = fetch_all(none, paths);
    }
    auto folder = f.dir.path() / "bounded";
    auto o = f.options(folder.string());
    o.limits.tile_cache_bytes = 8192;
    Running s(o);
    BOOST_CHECK(fetch_all(s, paths) == expected);
    std::uintmax_t bytes = 0;
    for (const auto& e : fs::recursive_directory_iterator(folder))
        if (e.is_regular_file())
            bytes += e.file_size();
    BOOST_CHECK_LE(bytes, 8192u);
    BOOST_CHECK_GT(bytes, 0u);
    auto tc = s.tile_cache();
    BOOST_CHECK_LT(tc["disk_writes"].get<size_t>(), non_empty(expected));
}

BOOST_AUTO_TEST_CASE(two_servers_sharing_the_folder_at_once_agree) {
    Fixture f;
    std::map<std::string, std::string> expected;
    std::vector<std::string> paths;
    {
        Running none(f.options("off"));
        paths = tile_paths(none);
        expected = fetch_all(none, paths);
    }
    Running a(f.options()), b(f.options());
    std::map<std::string, std::string> got_a, got_b;
    // Both ask for every tile at the same time, in opposite orders.
    std::thread ta([&] {
        for (const auto& p : paths)
            got_a[p] = a.get(p);
    });
    for (auto it = paths.rbegin(); it != paths.rend(); ++it)
        got_b[*it] = b.get(*it);
    ta.join();
    BOOST_CHECK(got_a == expected);
    BOOST_CHECK(got_b == expected);
    bool temp_left = true;
    BOOST_CHECK_EQUAL(version_folders(f.store + ".tiles", &temp_left).size(), 1u);
    BOOST_CHECK(!temp_left);
    // A third server finds every tile there.
    Running c(f.options());
    BOOST_CHECK(fetch_all(c, paths) == expected);
    auto tc = c.tile_cache();
    BOOST_CHECK_GT(tc["disk_hits"].get<int>(), 10);
    BOOST_CHECK_EQUAL(tc["disk_hits"].get<int>(), tc["misses"].get<int>());
}

BOOST_AUTO_TEST_CASE(damaged_entry_is_ignored) {
    TempDir dir;
    TileDiskCache cache(dir.path() / "c", 1 << 20);
    BOOST_REQUIRE(cache.put("v1-x", "parcels/1/0/0.mvt", "tile bytes"));
    BOOST_CHECK(cache.get("v1-x", "parcels/1/0/0.mvt") == std::optional<std::string>("tile bytes"));
    auto file = dir.path() / "c" / "v1-x" / "parcels" / "1" / "0" / "0.mvt";
    {
        std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
        io.seekp(-1, std::ios::end);
        io.put('X'); // one byte of the tile changed: the CRC no longer matches
    }
    BOOST_CHECK(!cache.get("v1-x", "parcels/1/0/0.mvt"));
    fs::resize_file(file, 10); // truncated
    BOOST_CHECK(!cache.get("v1-x", "parcels/1/0/0.mvt"));
    BOOST_CHECK(!cache.put("v1-x", "../escape", "x")); // names stay inside the folder
    BOOST_CHECK(!cache.get("v1-x", "/etc/passwd"));
    // A new version removes the old one's folder.
    BOOST_REQUIRE(cache.put("v2-x", "parcels/1/0/0.mvt", "new"));
    BOOST_CHECK(!fs::exists(dir.path() / "c" / "v1-x"));
}

// The layers' counts and extent (/api/info, which the page waits for before it draws the map)
// are kept beside the tiles, so a restarted server answers them without scanning the store.
BOOST_AUTO_TEST_CASE(restarted_server_takes_the_layer_summary_from_disk) {
    Fixture f;
    const fs::path folder = f.store + ".tiles";
    json first, fresh;
    {
        Running none(f.options("off"));
        fresh = json::parse(none.get("/api/info"));
    }
    {
        Running a(f.options());
        first = json::parse(a.get("/api/info"));
    }
    BOOST_CHECK(first["counts"] == fresh["counts"]);
    BOOST_CHECK(first["extent"] == fresh["extent"]);
    BOOST_CHECK_GT(first["counts"]["parcels"].get<int>(), 0);
    auto versions = version_folders(folder);
    BOOST_REQUIRE_EQUAL(versions.size(), 1u);
    TileDiskCache cache(folder, 1 << 30);
    auto kept = cache.get(versions[0], "figures/layers.json");
    BOOST_REQUIRE(kept);
    auto entry = json::parse(*kept);
    // Planted: a count no scan of the store gives, so the next server's answer shows where it
    // came from.
    for (auto& c : entry["counts"])
        if (c[0] == "parcels")
            c[1] = 12345;
    BOOST_REQUIRE(cache.put(versions[0], "figures/layers.json", entry.dump()));
    {
        Running b(f.options());
        auto info = json::parse(b.get("/api/info"));
        BOOST_CHECK_EQUAL(info["counts"]["parcels"].get<int>(), 12345);
        BOOST_CHECK(info["extent"] == fresh["extent"]); // the extent read back exactly
    }
    // An entry this server cannot read is computed again.
    BOOST_REQUIRE(cache.put(versions[0], "figures/layers.json", R"({"counts": 3})"));
    {
        Running c(f.options());
        auto info = json::parse(c.get("/api/info"));
        BOOST_CHECK(info["counts"] == fresh["counts"]);
        BOOST_CHECK(info["extent"] == fresh["extent"]);
    }
}
