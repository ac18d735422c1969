// Store-level faults the golden corpus (tests/corpus/) cannot stage from files alone: a store
// locked by another writer, a folder the user may not write to (as user nobody), temporaries a
// killed store creation left, and the working CRS's coordinate bound checked against PROJ.
#include "landclear/io/crs.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace landclear::test;

namespace {

std::string clean_store(const TempDir& dir) {
    auto data = source_dir() + "/tests/cli/data/";
    auto store = dir.file("store.sqlite");
    auto r = run_cli({"import", store, "--parcels", data + "parcels.geojson", "--buildings",
                      data + "buildings.geojson", "--s-crs", "EPSG:4547", "--crs", "EPSG:4547"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    return store;
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// No SQL, no "internal error", no bare SQLite phrase in a message meant for the office.
void expect_plain(const std::string& err) {
    BOOST_TEST(!has(err, "internal error"), err);
    BOOST_TEST(!has(err, "SELECT"), err);
    BOOST_TEST(!has(err, "INSERT"), err);
    BOOST_TEST(!has(err, "BEGIN"), err);
    BOOST_TEST(!has(err, "database is locked"), err);
    BOOST_TEST(!has(err, "attempt to write a readonly database"), err);
}

} // namespace

// Another program holds the store's write lock (an import running, QGIS saving edits): the
// command says so and what to do, after SQLite's wait; the store stays as it was.
BOOST_AUTO_TEST_CASE(locked_store) {
    TempDir dir;
    auto store = clean_store(dir);
    auto before = read_file(store);
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(store.c_str(), &db) == SQLITE_OK);
    BOOST_TEST_REQUIRE(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto imp = run_cli({"import", store, "--parcels",
                        source_dir() + "/tests/cli/data/parcels.geojson", "--s-crs", "EPSG:4547"});
    auto status = run_cli({"status", store});
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    for (const auto* r : {&imp, &status}) {
        BOOST_TEST(r->exit_code == 1, r->err);
        BOOST_TEST(has(r->err, "is locked by another program"), r->err);
        BOOST_TEST(has(r->err, "what to do: wait until it has finished"), r->err);
        expect_plain(r->err);
    }
    BOOST_TEST((read_file(store) == before), "the store changed");
}

// A folder the user may not write to: root passes every permission check, so the commands run
// as user nobody, in a folder owned by root with mode 755.
BOOST_AUTO_TEST_CASE(read_only_folder) {
    if (::geteuid() != 0 || std::system("command -v runuser >/dev/null") != 0) {
        BOOST_TEST_MESSAGE("skipped: needs root and runuser to act as another user");
        return;
    }
    TempDir dir;
    auto store = clean_store(dir);
    auto before = read_file(store);
    fs::permissions(dir.path(), fs::perms(0755));
    fs::permissions(store, fs::perms(0644));
    auto as_nobody = [&](const std::string& args) {
        auto out = dir.file("nobody.err");
        auto cmd = fmt::format("runuser -u nobody -- {} {} 2>{}", LANDCLEAR_BIN, args, out);
        int rc = std::system(cmd.c_str());
        return std::pair{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_file(out)};
    };
    auto data = source_dir() + "/tests/cli/data/parcels.geojson";
    auto [new_rc, new_err] = as_nobody(
        fmt::format("import {} --parcels {} --s-crs EPSG:4547", dir.file("new.sqlite"), data));
    if (new_rc == -1 || (has(new_err, "Permission denied") && !has(new_err, "landclear:"))) {
        BOOST_TEST_MESSAGE("skipped: runuser could not start landclear as nobody");
        return;
    }
    BOOST_TEST(new_rc == 1, new_err);
    BOOST_TEST(has(new_err, "is not writable"), new_err);
    expect_plain(new_err);
    BOOST_TEST(!fs::exists(dir.file("new.sqlite")));

    auto [imp_rc, imp_err] =
        as_nobody(fmt::format("import {} --parcels {} --s-crs EPSG:4547", store, data));
    BOOST_TEST(imp_rc == 1, imp_err);
    BOOST_TEST(has(imp_err, "read-only"), imp_err);
    expect_plain(imp_err);

    // Reading needs no write access.
    auto [st_rc, st_err] = as_nobody(fmt::format("status {}", store));
    BOOST_TEST(st_rc == 0, st_err);
    BOOST_TEST((read_file(store) == before), "the store changed");
}

// A store creation killed before its commit leaves "<store>.tmp-<pid>"; the next import into
// that path removes it once its process is gone, and keeps one whose process still runs.
BOOST_AUTO_TEST_CASE(stale_temporaries_removed) {
    TempDir dir;
    pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0); // child's pid now names no process
    auto store = dir.file("s.sqlite");
    auto stale = fmt::format("{}.tmp-{}", store, child);
    auto live = fmt::format("{}.tmp-{}", store, ::getpid()); // this test runs
    for (const auto& f : {stale, live})
        std::ofstream(f) << "half a store";
    auto r = run_cli({"import", store, "--parcels",
                      source_dir() + "/tests/cli/data/parcels.geojson", "--s-crs", "EPSG:4547"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(!fs::exists(stale));
    BOOST_TEST(fs::exists(live));
    BOOST_TEST(fs::exists(store));
}

// The bound of coordinates in EPSG:4547 against PROJ itself: the corners of its area of use
// (112.5–115.5°E, from the EPSG database) widened by 3° and 1° lie on the bound's edge or inside.
BOOST_AUTO_TEST_CASE(working_crs_bound_against_proj) {
    auto working = landclear::srs_from_epsg(4547);
    auto b = landclear::coordinate_bounds(*working);
    double west = 0, south = 0, east = 0, north = 0;
    const char* name = nullptr;
    BOOST_TEST_REQUIRE(working->GetAreaOfUse(&west, &south, &east, &north, &name));
    BOOST_TEST(west == 112.5);
    BOOST_TEST(east == 115.5);
    OGRSpatialReference geo;
    geo.importFromEPSG(4490);
    geo.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> ct(
        OGRCreateCoordinateTransformation(&geo, working.get()));
    // The south-west corner of the widened box is the westernmost point of its image in a
    // transverse Mercator (x falls with latitude at a fixed longitude west of the meridian).
    double x = west - 3, y = south - 1;
    BOOST_TEST_REQUIRE(ct->Transform(1, &x, &y));
    BOOST_TEST(b.min_x == x, boost::test_tools::tolerance(1e-9));
    double cx = 114.0, cy = 27.8; // Xiangtan's latitude on the central meridian
    BOOST_TEST_REQUIRE(ct->Transform(1, &cx, &cy));
    BOOST_TEST(cx == 500000.0, boost::test_tools::tolerance(1e-9));
    OGRPoint inside(cx, cy), far(cx + 1e12, cy), nan_point(std::nan(""), cy);
    BOOST_TEST(!landclear::check_vertices(inside, b).has_value());
    BOOST_TEST(landclear::check_vertices(far, b).has_value());
    BOOST_TEST(landclear::check_vertices(nan_point, b).value().find("not a finite number") !=
               std::string::npos);
}
