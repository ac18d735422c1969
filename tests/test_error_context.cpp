// Errors about one feature name it: a failure deep in projection or geometry code carries the
// parcel's code on its way up (core/error.hpp with_context), whichever command met it.
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fmt/format.h>

using namespace landclear::test;

namespace {

// Two parcels in EPSG:4547: one near Xiangtan, one 10^12 m east, which no inverse projection
// can bring back to latitude/longitude. Import now refuses such a parcel (the input contract,
// issue 15), so the store is made as an older landclear would have left it: both imported near
// Xiangtan, then FAR-1 moved away by SpatiaLite itself.
std::string far_parcel_store(const TempDir& dir) {
    auto src = dir.file("far.gpkg");
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"}, {"project_code"}, {"acquired_on", FixtureField::date}},
                         {{square_wkt(560000, 3080000, 100), {"NEAR-1", "P", "2025-01-01"}},
                          {square_wkt(561000, 3080000, 100), {"FAR-1", "P", "2025-01-01"}}}};
    write_layer(src, "GPKG", parcels);
    auto store = dir.file("far.sqlite");
    auto r = run_cli({"import", store, "--crs", "EPSG:4547", "--parcels", src + ":parcels"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    auto move = fmt::format("spatialite -silent {} \"UPDATE parcels SET geom = "
                            "ST_Translate(geom, 1e12 - 561000, 0, 0) WHERE parcel_code = 'FAR-1'\"",
                            store);
    BOOST_TEST_REQUIRE(std::system(move.c_str()) == 0, move);
    return store;
}

} // namespace

// The import itself refuses the far parcel, naming it, its vertex and the bound it breaks.
BOOST_AUTO_TEST_CASE(import_refuses_a_parcel_far_away) {
    TempDir dir;
    auto src = dir.file("far.gpkg");
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"}, {"project_code"}, {"acquired_on", FixtureField::date}},
                         {{square_wkt(560000, 3080000, 100), {"NEAR-1", "P", "2025-01-01"}},
                          {square_wkt(1e12, 3080000, 100), {"FAR-1", "P", "2025-01-01"}}}};
    write_layer(src, "GPKG", parcels);
    auto store = dir.file("far.sqlite");
    auto r = run_cli({"import", store, "--crs", "EPSG:4547", "--parcels", src + ":parcels"});
    BOOST_TEST(r.exit_code == 1, r.err);
    BOOST_TEST(r.err.find("(FAR-1): geometry: vertex 1 (1000000000000, 3080000) lies outside") !=
                   std::string::npos,
               r.err);
    BOOST_TEST(!fs::exists(store));
}

BOOST_AUTO_TEST_CASE(ellipsoidal_area_error_names_the_parcel) {
    TempDir dir;
    auto store = far_parcel_store(dir);
    auto r = run_cli({"status", store, "--as-of", "2025-06-01", "--area", "ellipsoidal"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err.find("parcel FAR-1") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("NEAR-1") == std::string::npos, r.err);
    // The planar figures need no inverse projection: the same store answers them, 30 亩.
    auto planar = run_cli({"status", store, "--as-of", "2025-06-01", "--format", "csv"});
    BOOST_TEST(planar.exit_code == 0, planar.err);
}

BOOST_AUTO_TEST_CASE(check_error_names_the_parcel) {
    TempDir dir;
    auto store = far_parcel_store(dir);
    // check keeps the ellipsoidal areas for reconcile: the same parcel is named.
    auto r = run_cli({"check", store});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err.find("parcel FAR-1") != std::string::npos, r.err);
}
