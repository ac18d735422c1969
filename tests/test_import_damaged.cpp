// A damaged source fails whole: a truncated FlatGeobuf, shapefile .dbf or GeoPackage once
// replaced a stored layer with the part GDAL could read, with exit 0. Each must now fail with a
// message naming the file, and leave the store byte for byte as it was.
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>

using namespace landclear::test;

namespace {

// ogr2ogr from the Debian package: an independent writer of the sample's parcels.
void convert(const std::string& out, const std::string& driver) {
    auto cmd = fmt::format("ogr2ogr -q -f \"{}\" {} {} parcels -lco ENCODING=UTF-8 2>/dev/null",
                           driver, out, sample_path());
    if (driver != "ESRI Shapefile")
        cmd = fmt::format("ogr2ogr -q -f \"{}\" {} {} parcels", driver, out, sample_path());
    BOOST_TEST_REQUIRE(std::system(cmd.c_str()) == 0, cmd);
}

// Overwrites a stretch of the file in its middle with bytes no format gives meaning to.
void corrupt_middle(const std::string& path, double at, std::size_t bytes) {
    auto size = fs::file_size(path);
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(static_cast<double>(size) * at));
    std::string junk(bytes, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

void truncate_to(const std::string& path, double share) {
    auto size = fs::file_size(path);
    fs::resize_file(path, static_cast<std::uintmax_t>(static_cast<double>(size) * share));
}

// A store holding the sample's parcels, then an import of the damaged file into it.
void expect_refused(const TempDir& dir, const std::string& damaged, const std::string& name) {
    auto store = dir.file("store.sqlite");
    auto first = run_cli({"import", store, "--parcels", sample_path() + ":parcels"});
    BOOST_TEST_REQUIRE(first.exit_code == 0, first.err);
    auto before = read_file(store);
    auto r = run_cli({"import", store, "--parcels", damaged});
    BOOST_TEST(r.exit_code == 1, name << ": " << r.err);
    auto file = fs::path(damaged.substr(0, damaged.find(':'))).filename().string();
    BOOST_TEST(r.err.find(file) != std::string::npos, r.err);
    // Refused when opened ("cannot read … as vector data") or while read ("nothing was written").
    BOOST_TEST((r.err.find("nothing was written") != std::string::npos ||
                r.err.find("cannot read") != std::string::npos),
               r.err);
    BOOST_TEST(r.err.find("ERROR 1") == std::string::npos, r.err);
    BOOST_TEST((read_file(store) == before), name << ": the store changed");
    // And into a new store: none is left behind.
    auto fresh = dir.file("fresh.sqlite");
    auto n = run_cli({"import", fresh, "--parcels", damaged});
    BOOST_TEST(n.exit_code == 1, n.err);
    BOOST_TEST(!fs::exists(fresh));
}

} // namespace

BOOST_AUTO_TEST_CASE(truncated_flatgeobuf) {
    TempDir dir;
    auto src = dir.file("parcels.fgb");
    convert(src, "FlatGeobuf");
    truncate_to(src, 0.6);
    expect_refused(dir, src, "FlatGeobuf");
}

BOOST_AUTO_TEST_CASE(truncated_dbf) {
    TempDir dir;
    auto src = dir.file("parcels.shp");
    convert(src, "ESRI Shapefile");
    truncate_to(dir.file("parcels.dbf"), 0.5);
    expect_refused(dir, src, "Shapefile");
}

BOOST_AUTO_TEST_CASE(truncated_geopackage) {
    TempDir dir;
    auto src = dir.file("parcels.gpkg");
    convert(src, "GPKG");
    truncate_to(src, 0.5);
    expect_refused(dir, src + ":parcels", "GeoPackage");
}

BOOST_AUTO_TEST_CASE(corrupt_geopackage_pages) {
    TempDir dir;
    auto src = dir.file("parcels.gpkg");
    convert(src, "GPKG");
    corrupt_middle(src, 0.6, 64 * 1024);
    expect_refused(dir, src + ":parcels", "corrupt GeoPackage");
}
