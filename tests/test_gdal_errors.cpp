// GDAL and PROJ speak through landclear: no raw "ERROR 1:" line ever reaches stderr, repeated
// PROJ failures are one message naming a feature, an undefined CRS is "no CRS", and warnings are
// kept rather than dropped. Checked writes name the driver, file, layer and field.
#include "landclear/core/error.hpp"
#include "landclear/io/atomic_file.hpp"
#include "landclear/io/gdal_error.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/io/gdal_write.hpp"
#include "support/test_support.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cpl_error.h>
#include <cstdio>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <vector>

using namespace landclear;
using namespace landclear::test;

namespace {

const std::vector<FixtureField> parcel_fields{{"parcel_code"}, {"project_code"}};

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + needle.size()))
        ++n;
    return n;
}

// Lines of stderr that landclear itself starts ("landclear: ...").
std::size_t landclear_lines(const std::string& err) {
    std::size_t n = 0;
    std::size_t start = 0;
    while (start < err.size()) {
        auto end = err.find('\n', start);
        if (err.compare(start, 11, "landclear: ") == 0)
            ++n;
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return n;
}

FixtureLayer squares(int n, double x0, double y0, double side, int epsg) {
    FixtureLayer l{"parcels", epsg, parcel_fields, {}};
    for (int i = 0; i < n; ++i)
        l.features.push_back(
            {square_wkt(x0 + i * side * 2, y0, side), {fmt::format("P{:03d}", i + 1), "XT-001"}});
    return l;
}

// What the process writes to file descriptor 2 while f runs.
template <class F> std::string stderr_of(F&& f) {
    std::fflush(stderr);
    auto pattern = (fs::temp_directory_path() / "landclear-stderr-XXXXXX").string();
    std::vector<char> path(pattern.begin(), pattern.end());
    path.push_back('\0');
    char* name = path.data();
    int fd = ::mkstemp(name);
    BOOST_REQUIRE(fd >= 0);
    int saved = ::dup(2);
    ::dup2(fd, 2);
    f();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(fd);
    std::string text = read_file(name);
    std::remove(name);
    return text;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_unknown_epsg_code_is_one_landclear_message) {
    TempDir dir;
    auto src = dir.file("p.geojson");
    write_layer(src, "GeoJSON", squares(2, 390000, 3080000, 100, 4547));
    auto r = run_cli({"import", dir.file("s.sqlite"), "--parcels", src, "--crs", "EPSG:99999"});
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    BOOST_CHECK_MESSAGE(!contains(r.err, "ERROR 1:") && !contains(r.err, "ERROR"), r.err);
    BOOST_CHECK_MESSAGE(contains(r.err, "landclear: error: --crs EPSG:99999 is not a CRS that "
                                        "PROJ knows"),
                        r.err);
    BOOST_CHECK_MESSAGE(landclear_lines(r.err) == 1, r.err);
    BOOST_CHECK(!std::filesystem::exists(dir.file("s.sqlite")));
}

BOOST_AUTO_TEST_CASE(an_undefined_geopackage_crs_is_no_crs) {
    TempDir dir;
    // Written without an SRS, GDAL gives the GeoPackage layer srs_id 0, "Undefined geographic
    // SRS": metres in it would read as degrees ("centre at longitude 391000").
    auto src = dir.file("undefined.gpkg");
    write_layer(src, "GPKG", squares(3, 390000, 3080000, 100, 0));
    auto srs_id = ogr_sql(src, "SELECT srs_id FROM gpkg_geometry_columns");
    BOOST_REQUIRE_EQUAL(srs_id.size(), 1u);
    BOOST_REQUIRE_EQUAL(srs_id[0][0], "0");

    auto store = dir.file("s.sqlite");
    for (std::vector<std::string> extra :
         {std::vector<std::string>{}, std::vector<std::string>{"--crs", "EPSG:4547"}}) {
        std::vector<std::string> args{"import", store, "--parcels", src};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = run_cli(args);
        BOOST_CHECK_EQUAL(r.exit_code, 1);
        BOOST_CHECK_MESSAGE(contains(r.err, "no CRS") && contains(r.err, "--s-crs") &&
                                contains(r.err, "Undefined geographic SRS"),
                            r.err);
        BOOST_CHECK_MESSAGE(!contains(r.err, "longitude 39") && !contains(r.err, "PROJ") &&
                                !contains(r.err, "ERROR"),
                            r.err);
        BOOST_CHECK_MESSAGE(landclear_lines(r.err) == 1, r.err);
    }
    // Told the CRS, the same file imports: 3 squares of 100 m, 30 000 m² by SpatiaLite.
    auto ok = run_cli({"import", store, "--parcels", src, "--s-crs", "EPSG:4547", "--quiet"});
    BOOST_REQUIRE_MESSAGE(ok.exit_code == 0, ok.err);
    BOOST_CHECK_CLOSE(ogr_sql_number(store, "SELECT sum(ST_Area(geom)) FROM parcels"), 30000, 1e-9);
}

BOOST_AUTO_TEST_CASE(repeated_proj_failures_are_one_message_naming_a_feature) {
    TempDir dir;
    // CGCS2000 lon/lat with latitudes past the pole: every feature fails to project alike.
    FixtureLayer l{"parcels", 4490, parcel_fields, {}};
    const int n = 40;
    for (int i = 0; i < n; ++i)
        l.features.push_back({square_wkt(112.5 + i * 0.001, 95.0, 0.0005),
                              {fmt::format("P{:03d}", i + 1), "XT-001"}});
    auto src = dir.file("beyond.gpkg");
    write_layer(src, "GPKG", l);
    auto r = run_cli({"import", dir.file("s.sqlite"), "--parcels", src, "--crs", "EPSG:4547"});
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK_MESSAGE(!contains(r.err, "ERROR"), r.err);
    BOOST_CHECK_MESSAGE(contains(r.err, fmt::format("{} features cannot be imported", n)), r.err);
    // One line for all of them, naming the first feature and counting the rest.
    BOOST_CHECK_MESSAGE(contains(r.err, fmt::format("feature 1 (P001) and {} more: ", n - 1)),
                        r.err);
    BOOST_CHECK_MESSAGE(count_of(r.err, "cannot be transformed") == 1, r.err);
    BOOST_CHECK_MESSAGE(count_of(r.err, "PROJ") == 1 && contains(r.err, "latitude"), r.err);
    BOOST_CHECK_MESSAGE(landclear_lines(r.err) == 1, r.err);
}

BOOST_AUTO_TEST_CASE(messages_outside_a_capture_are_kept_not_printed) {
    ensure_gdal_registered();
    take_unclaimed_gdal_messages();
    auto err = stderr_of([] {
        for (int i = 0; i < 5; ++i)
            CPLError(CE_Warning, CPLE_AppDefined, "a warning raised %d times", 5);
        CPLError(CE_Failure, CPLE_AppDefined, "a failure nobody checked");
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
    auto kept = take_unclaimed_gdal_messages();
    BOOST_REQUIRE_EQUAL(kept.size(), 2u);
    BOOST_CHECK(kept[0].level == GdalLevel::warning);
    BOOST_CHECK_EQUAL(kept[0].count, 5u);
    BOOST_CHECK_EQUAL(kept[0].describe(), "a warning raised 5 times (5 times)");
    BOOST_CHECK(kept[1].level == GdalLevel::failure);
    BOOST_CHECK(take_unclaimed_gdal_messages().empty());
}

BOOST_AUTO_TEST_CASE(a_capture_collapses_repeats_and_hands_on_untaken_warnings) {
    ensure_gdal_registered();
    take_unclaimed_gdal_messages();
    auto err = stderr_of([] {
        {
            GdalErrorCapture capture;
            for (int i = 1; i <= 3; ++i) {
                capture.set_context(fmt::format("feature {}", i));
                CPLError(CE_Failure, CPLE_AppDefined, "PROJ: lcc: Invalid latitude");
            }
            BOOST_CHECK_EQUAL(capture.last_error(), "PROJ: lcc: Invalid latitude");
            BOOST_CHECK_EQUAL(capture.errors(),
                              "PROJ: lcc: Invalid latitude (3 times, first at feature 1)");
            capture.set_context("feature 7");
            CPLError(CE_Warning, CPLE_AppDefined, "field truncated");
            auto taken = capture.take_warnings();
            BOOST_REQUIRE_EQUAL(taken.size(), 1u);
            BOOST_CHECK_EQUAL(taken[0].describe(), "field truncated (at feature 7)");
            CPLError(CE_Warning, CPLE_AppDefined, "left for the caller");
        }
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
    // The failures were read (claimed); the untaken warning is handed on, not dropped.
    auto kept = take_unclaimed_gdal_messages();
    BOOST_REQUIRE_EQUAL(kept.size(), 1u);
    BOOST_CHECK_EQUAL(kept[0].text, "left for the caller");
    BOOST_CHECK_EQUAL(kept[0].context, "feature 7");
}

BOOST_AUTO_TEST_CASE(a_failed_create_names_driver_file_and_layer) {
    TempDir dir;
    auto missing = dir.file("no-such-folder/out.gpkg");
    try {
        gdal::Dataset ds("GPKG", missing);
        BOOST_FAIL("created a GeoPackage in a folder that does not exist");
    } catch (const Error& e) {
        BOOST_CHECK_MESSAGE(contains(e.full_message(), missing) &&
                                contains(e.full_message(), "(GPKG)"),
                            e.full_message());
    }
    // A text field named like the GeoPackage's integer key: the driver refuses it.
    auto path = dir.file("fields.gpkg");
    gdal::Dataset ds("GPKG", path);
    auto layer = ds.create_layer("parcels", nullptr, wkbNone);
    BOOST_CHECK_EQUAL(layer.add_field("parcel_code", OFTString), 0);
    take_unclaimed_gdal_messages();
    try {
        layer.add_field("fid", OFTString);
        BOOST_FAIL("a text fid was accepted");
    } catch (const Error& e) {
        auto m = e.full_message();
        BOOST_CHECK_MESSAGE(contains(m, "cannot create field fid in layer parcels of " + path +
                                            " (GPKG): Wrong field type for fid"),
                            m);
    }
    gdal::Feature f(layer);
    f->SetField(0, "P001");
    f.add_to_layer();
    ds.close();
    BOOST_CHECK_EQUAL(ogr_sql_number(path, "SELECT count(*) FROM parcels"), 1);
    BOOST_CHECK(take_unclaimed_gdal_messages().empty());
}

BOOST_AUTO_TEST_CASE(an_atomic_file_leaves_no_temporary_on_failure) {
    TempDir dir;
    auto target = dir.path() / "table.csv";
    write_file_atomically(target, "old\n");
    auto entries = [&] {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(dir.path()))
            names.push_back(e.path().filename().string());
        return names;
    };
    {
        AtomicFile file(target);
        std::FILE* f = std::fopen(file.temp().c_str(), "wb");
        BOOST_REQUIRE(f);
        std::fputs("half", f);
        std::fclose(f);
        BOOST_CHECK_EQUAL(entries().size(), 2u); // target and temporary, side by side
        // No commit: an error on the way out.
    }
    BOOST_TEST(entries() == std::vector<std::string>{"table.csv"},
               boost::test_tools::per_element());
    BOOST_CHECK_EQUAL(read_file(target.string()), "old\n");

    // A commit that cannot rename (the target is a non-empty folder) removes the temporary.
    auto folder = dir.path() / "busy";
    std::filesystem::create_directories(folder / "inside");
    BOOST_CHECK_THROW(write_file_atomically(folder, "new"), Error);
    auto names = entries();
    std::sort(names.begin(), names.end());
    BOOST_TEST(names == (std::vector<std::string>{"busy", "table.csv"}),
               boost::test_tools::per_element());

    write_file_atomically(target, "new\n");
    BOOST_CHECK_EQUAL(read_file(target.string()), "new\n");
    BOOST_CHECK_EQUAL(entries().size(), 2u);
}
