// Import: exact areas, one working CRS, all-or-nothing, and one clear message per bad input.
#include "landclear/core/units.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/io/crs.hpp"
#include "support/test_support.hpp"

#include <array>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <cpl_string.h>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <random>

using namespace landclear;
using namespace landclear::test;

namespace {

const std::vector<FixtureField> parcel_fields{{"parcel_code"},
                                              {"project_code"},
                                              {"district"},
                                              {"village"},
                                              {"owner_type"},
                                              {"land_class"},
                                              {"acquired_on", FixtureField::date},
                                              {"cleared_on", FixtureField::date},
                                              {"delivered_on", FixtureField::date}};

// Near Xiangtan in EPSG:4547 (E ~ 390 km, N ~ 3 080 km).
constexpr double base_x = 390000, base_y = 3080000;

FixtureLayer squares(int n, double side = 100) {
    FixtureLayer l{"parcels", 4547, parcel_fields, {}};
    for (int i = 0; i < n; ++i)
        l.features.push_back({square_wkt(base_x + i * side, base_y, side),
                              {fmt::format("P{:03d}", i), "XT-001", "雨湖区", "楠竹山村", "集体",
                               "0101", i % 2 ? "2025-03-01" : "", "", ""}});
    return l;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A failing import must leave an existing store byte-for-byte as it was.
struct StoreGuard {
    std::string path, before;
    explicit StoreGuard(std::string p) : path(std::move(p)), before(read_file(path)) {}
    bool unchanged() const { return read_file(path) == before; }
};

struct Fixture {
    TempDir dir;
    std::string store = dir.file("store.sqlite");
    std::string good = dir.file("good.geojson");
    Fixture() {
        write_layer(good, "GeoJSON", squares(3));
        auto r = run_cli({"import", store, "--parcels", good, "--quiet"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    CliResult import_expecting_failure(const std::vector<std::string>& extra) {
        StoreGuard guard(store);
        std::vector<std::string> args{"import", store, "--quiet"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = run_cli(args);
        BOOST_CHECK_EQUAL(r.exit_code, 1);
        BOOST_CHECK_MESSAGE(guard.unchanged(), "store changed by a failed import");
        BOOST_CHECK_MESSAGE(!contains(r.err, "internal error"), r.err);
        BOOST_CHECK_MESSAGE(contains(r.err, "what to do:"), "no hint in: " + r.err);
        return r;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_hectare_square_is_exactly_15_mu) {
    TempDir dir;
    auto src = dir.file("sq.geojson"), store = dir.file("s.sqlite");
    write_layer(src, "GeoJSON", squares(1));
    auto r = run_cli({"import", store, "--parcels", src});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK(contains(r.out, "15.00 亩"));
    BOOST_CHECK(contains(r.out, "EPSG:4547"));
    // Independent: SpatiaLite's ST_Area on the stored geometry, and our stored area.
    BOOST_CHECK_CLOSE(ogr_sql_number(store, "SELECT ST_Area(geom) FROM parcels"), 10000.0, 1e-9);
    BOOST_CHECK_CLOSE(ogr_sql_number(store, "SELECT area_m2 FROM parcels"), 10000.0, 1e-9);
    auto status = run_cli({"status", store, "--format", "csv", "--lang", "en"});
    BOOST_CHECK_MESSAGE(contains(status.out, "XT-001,,1,15.00,"), status.out);
}

BOOST_AUTO_TEST_CASE(the_store_is_a_standard_spatialite_database) {
    Fixture f;
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT srid FROM geometry_columns WHERE "
                                              "f_table_name = 'parcels'"),
                      4547);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT spatial_index_enabled FROM "
                                              "geometry_columns WHERE f_table_name = 'parcels'"),
                      1);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT count(*) FROM idx_parcels_geom"), 3);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT value FROM landclear_meta WHERE key = "
                                              "'schema_version'"),
                      3); // 2: every layer indexed from creation, stamps in derived_stamps;
                          // 3: history (batches, changes, <layer>_history), corridors'
                          //    chainage_breaks and alignment
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT value FROM landclear_meta WHERE key = "
                                              "'working_srid'"),
                      4547);
}

BOOST_AUTO_TEST_CASE(the_same_parcels_in_four_crs_give_the_same_areas) {
    TempDir dir;
    auto store = dir.file("s.sqlite");
    // Irregular parcels: a pentagon and a long thin one, each delivered in a different CRS.
    const std::vector<std::string> wkts{
        fmt::format("POLYGON(({0} {1},{2} {1},{3} {4},{5} {6},{0} {7},{0} {1}))", base_x, base_y,
                    base_x + 53.7, base_x + 71.2, base_y + 40.1, base_x + 20.3, base_y + 66.6,
                    base_y + 35.0),
        fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", base_x + 100, base_y,
                    base_x + 412.5, base_y + 17.25)};
    const int crs_list[] = {4547, 4326, 4490, 4546};
    auto working = srs_from_epsg(4547);
    std::vector<double> expected;
    for (const auto& wkt : wkts) {
        OGRGeometry* g = nullptr;
        OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g);
        expected.push_back(g->toPolygon()->get_Area());
        delete g;
    }
    int n = 0;
    for (int epsg : crs_list) {
        auto target = srs_from_epsg(epsg);
        auto ct = make_transform(*working, *target);
        FixtureLayer l{"parcels", epsg, parcel_fields, {}};
        for (size_t i = 0; i < wkts.size(); ++i) {
            std::unique_ptr<OGRGeometry> g;
            OGRGeometry* raw = nullptr;
            OGRGeometryFactory::createFromWkt(wkts[i].c_str(), working.get(), &raw);
            g.reset(raw);
            if (ct)
                BOOST_REQUIRE(g->transform(ct.get()) == OGRERR_NONE);
            OGRWktOptions opts;
            opts.precision = 17;
            opts.round = false;
            auto text = g->exportToWkt(opts);
            l.features.push_back(
                {text, {fmt::format("C{}-{}", epsg, i), "XT-001", "", "", "", "", "", "", ""}});
        }
        auto src = dir.file(fmt::format("p{}.gpkg", epsg));
        write_layer(src, "GPKG", l);
        std::vector<std::string> args{"import", store, "--parcels", src, "--quiet"};
        if (n++)
            args.push_back("--append");
        auto r = run_cli(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    for (int epsg : crs_list)
        for (size_t i = 0; i < wkts.size(); ++i) {
            double a = ogr_sql_number(
                store, fmt::format("SELECT ST_Area(geom) FROM parcels WHERE parcel_code = "
                                   "'C{}-{}'",
                                   epsg, i));
            double stored = ogr_sql_number(
                store,
                fmt::format("SELECT area_m2 FROM parcels WHERE parcel_code = 'C{}-{}'", epsg, i));
            BOOST_CHECK_CLOSE(a, expected[i], 1e-4); // 1e-6 relative, in percent
            BOOST_CHECK_CLOSE(stored, expected[i], 1e-4);
        }
}

BOOST_AUTO_TEST_CASE(working_crs_follows_the_data_and_is_kept) {
    TempDir dir;
    // Parcels west of 112°30'E (湘乡) delivered in lon/lat: zone 37 is chosen.
    FixtureLayer l{"parcels", 4490, parcel_fields, {}};
    l.features.push_back({"POLYGON((112.30 27.70,112.301 27.70,112.301 27.701,112.30 27.701,"
                          "112.30 27.70))",
                          {"W1", "XT-009", "", "", "", "", "", "", ""}});
    auto src = dir.file("w.geojson");
    write_layer(src, "GeoJSON", l);
    auto store = dir.file("w.sqlite");
    auto r = run_cli({"import", store, "--parcels", src, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK_MESSAGE(contains(r.out, "EPSG:4546"), r.out);
    // An explicit --crs that disagrees with the store is refused.
    auto again = run_cli({"import", store, "--parcels", src, "--crs", "EPSG:4547", "--quiet"});
    BOOST_CHECK_EQUAL(again.exit_code, 2);
    BOOST_CHECK(contains(again.err, "EPSG:4546"));
    // A geographic working CRS is refused before anything is created.
    auto geo = run_cli({"import", dir.file("g.sqlite"), "--parcels", src, "--crs", "EPSG:4490"});
    BOOST_CHECK_EQUAL(geo.exit_code, 2);
    BOOST_CHECK(!fs::exists(dir.file("g.sqlite")));
}

BOOST_AUTO_TEST_CASE(missing_file) {
    Fixture f;
    auto r = f.import_expecting_failure({"--parcels", f.dir.file("nope.shp")});
    BOOST_CHECK(contains(r.err, "nope.shp does not exist"));
}

BOOST_AUTO_TEST_CASE(unknown_layer) {
    Fixture f;
    auto gpkg = f.dir.file("two.gpkg");
    write_layer(gpkg, "GPKG", squares(1));
    auto r = f.import_expecting_failure({"--parcels", gpkg + ":parcelz"});
    BOOST_CHECK_MESSAGE(contains(r.err, "has no layer 'parcelz'") &&
                            contains(r.err, "its layers are: parcels"),
                        r.err);
}

BOOST_AUTO_TEST_CASE(missing_required_field) {
    Fixture f;
    FixtureLayer l = squares(2);
    l.fields[0].name = "code"; // no parcel_code and no known alias
    auto src = f.dir.file("nocode.geojson");
    write_layer(src, "GeoJSON", l);
    auto r = f.import_expecting_failure({"--parcels", src});
    BOOST_CHECK_MESSAGE(contains(r.err, "required field missing for layer parcels: parcel_code") &&
                            contains(r.err, "the source has: code"),
                        r.err);
}

BOOST_AUTO_TEST_CASE(no_crs_is_an_error_unless_given) {
    Fixture f;
    FixtureLayer l = squares(2);
    l.epsg = 0;
    auto src = f.dir.file("nocrs.shp");
    write_layer(src, "ESRI Shapefile", l, {"ENCODING=UTF-8"});
    auto r = f.import_expecting_failure({"--parcels", src});
    BOOST_CHECK_MESSAGE(contains(r.err, "declares no coordinate reference system") &&
                            contains(r.err, "--s-crs"),
                        r.err);
    auto ok = run_cli({"import", f.store, "--parcels", src, "--s-crs", "EPSG:4547", "--quiet"});
    BOOST_CHECK_MESSAGE(ok.exit_code == 0, ok.err);
    BOOST_CHECK_CLOSE(ogr_sql_number(f.store, "SELECT sum(ST_Area(geom)) FROM parcels"), 20000,
                      1e-9);
}

BOOST_AUTO_TEST_CASE(self_intersecting_parcel_is_repaired_and_reported) {
    Fixture f;
    FixtureLayer l = squares(1);
    // A bow-tie: two triangles of 2500 m² each.
    l.features.push_back({fmt::format("POLYGON(({0} {1},{2} {3},{2} {1},{0} {3},{0} {1}))", base_x,
                                      base_y + 500, base_x + 100, base_y + 550),
                          {"BOWTIE", "XT-001", "", "", "", "", "", "", ""}});
    auto src = f.dir.file("bowtie.geojson");
    write_layer(src, "GeoJSON", l);
    auto r = run_cli({"import", f.store, "--parcels", src, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK_MESSAGE(contains(r.out, "1 repaired") && contains(r.out, "BOWTIE") &&
                            contains(r.out, "Self-intersection"),
                        r.out);
    BOOST_CHECK_CLOSE(
        ogr_sql_number(f.store, "SELECT area_m2 FROM parcels WHERE parcel_code = 'BOWTIE'"), 2500.0,
        1e-9);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT count(*) FROM findings WHERE feature_code "
                                              "= 'BOWTIE' AND kind = 'invalid_geometry_repaired'"),
                      1);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT ST_IsValid(geom) FROM parcels WHERE "
                                              "parcel_code = 'BOWTIE'"),
                      1);
    // With --invalid=reject the same file is refused and the store stays as it was.
    auto rejected = f.import_expecting_failure({"--parcels", src, "--invalid", "reject"});
    BOOST_CHECK_MESSAGE(contains(rejected.err, "BOWTIE") &&
                            contains(rejected.err, "invalid polygon"),
                        rejected.err);
}

// A ring through 300 random points crosses itself thousands of times: GEOS's MakeValid would
// take minutes on it (the fuzz harness found one), so the import refuses to repair it and says
// how often it crosses itself, counted here by hand, segment against segment.
BOOST_AUTO_TEST_CASE(a_scrambled_parcel_is_refused_rather_than_repaired_for_minutes) {
    Fixture f;
    std::mt19937 random(20261202);
    std::uniform_real_distribution<double> offset(0, 100);
    std::vector<std::array<double, 2>> ring;
    for (int i = 0; i < 300; ++i)
        ring.push_back({base_x + offset(random), base_y + 500 + offset(random)});
    ring.push_back(ring.front());
    std::string wkt = "POLYGON((";
    for (size_t i = 0; i < ring.size(); ++i)
        wkt += fmt::format("{}{:.6f} {:.6f}", i ? "," : "", ring[i][0], ring[i][1]);
    wkt += "))";
    auto cross = [](double ax, double ay, double bx, double by, double cx, double cy) {
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    };
    int crossings = 0;
    size_t n = ring.size() - 1; // segments
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) {
            if (j == i + 1 || (i == 0 && j == n - 1))
                continue; // neighbours share a vertex
            const auto &a = ring[i], &b = ring[i + 1], &c = ring[j], &d = ring[j + 1];
            double d1 = cross(a[0], a[1], b[0], b[1], c[0], c[1]);
            double d2 = cross(a[0], a[1], b[0], b[1], d[0], d[1]);
            double d3 = cross(c[0], c[1], d[0], d[1], a[0], a[1]);
            double d4 = cross(c[0], c[1], d[0], d[1], b[0], b[1]);
            if (((d1 > 0) != (d2 > 0)) && ((d3 > 0) != (d4 > 0)))
                ++crossings;
        }
    BOOST_REQUIRE_GT(2 * crossings, make_valid_max_self_nodes);
    FixtureLayer l = squares(1);
    l.features.push_back({wkt, {"SCRAMBLED", "XT-001", "", "", "", "", "", "", ""}});
    auto src = f.dir.file("scrambled.geojson");
    write_layer(src, "GeoJSON", l);
    auto started = std::chrono::steady_clock::now();
    auto r = f.import_expecting_failure({"--parcels", src});
    BOOST_CHECK_MESSAGE(
        contains(r.err, "SCRAMBLED") &&
            contains(r.err, fmt::format("crosses or touches itself at {} points", 2 * crossings)) &&
            contains(r.err, "out of order"),
        r.err);
    // Generous for a sanitizer build on a loaded machine; MakeValid alone takes over a minute.
    BOOST_CHECK_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
    // A pentagram crosses itself five times (ten nodes): repaired as before.
    FixtureLayer star = squares(1);
    std::string star_wkt = "POLYGON((";
    for (int k = 0; k <= 5; ++k) {
        double angle = M_PI / 2 + (k % 5) * 4 * M_PI / 5;
        star_wkt += fmt::format("{}{:.6f} {:.6f}", k ? "," : "", base_x + 50 * std::cos(angle),
                                base_y + 550 + 50 * std::sin(angle));
    }
    star_wkt += "))";
    star.features.push_back({star_wkt, {"STAR", "XT-001", "", "", "", "", "", "", ""}});
    auto star_src = f.dir.file("star.geojson");
    write_layer(star_src, "GeoJSON", star);
    auto repaired = run_cli({"import", f.store, "--parcels", star_src, "--quiet"});
    BOOST_CHECK_MESSAGE(repaired.exit_code == 0 && contains(repaired.out, "STAR"),
                        repaired.out + repaired.err);
}

BOOST_AUTO_TEST_CASE(duplicate_code_names_both_features) {
    Fixture f;
    FixtureLayer l = squares(4);
    l.features[3].values[0] = "P001";
    auto src = f.dir.file("dup.geojson");
    write_layer(src, "GeoJSON", l);
    auto r = f.import_expecting_failure({"--parcels", src});
    BOOST_CHECK_MESSAGE(contains(r.err, "parcel_code P001 is used twice: by feature 1 and "
                                        "feature 3"),
                        r.err);
    // Appending a code the store already holds is refused too.
    auto again = f.import_expecting_failure({"--parcels", f.good, "--append"});
    BOOST_CHECK_MESSAGE(contains(again.err, "already used by feature"), again.err);
}

BOOST_AUTO_TEST_CASE(gbk_shapefile_without_cpg) {
    Fixture f;
    FixtureLayer l = squares(2);
    l.features[0].values[3] = "楠竹山村";
    l.features[1].values[3] = "杨梅洲社区居委会";
    auto src = f.dir.file("gbk.shp");
    write_layer(src, "ESRI Shapefile", l, {"ENCODING=CP936"});
    fs::remove(f.dir.file("gbk.cpg"));
    // Issue 17: the encoding is detected (uchardet, 12 CJK characters: confident) and said.
    auto detected = run_cli({"import", f.store, "--parcels", src});
    BOOST_REQUIRE_MESSAGE(detected.exit_code == 0, detected.err);
    BOOST_CHECK_MESSAGE(contains(detected.out, "text encoding: GBK (detected, confidence"),
                        detected.out);
    auto rows = ogr_sql(f.store, "SELECT village FROM parcels ORDER BY parcel_code");
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_CHECK_EQUAL(rows[0][0], "楠竹山村");
    BOOST_CHECK_EQUAL(rows[1][0], "杨梅洲社区居委会");
    // One short name is no evidence: refused, the hint naming the guess and what it would read.
    FixtureLayer weak = squares(1);
    weak.features[0].values[3] = "村";
    auto weak_src = f.dir.file("weak.shp");
    write_layer(weak_src, "ESRI Shapefile", weak, {"ENCODING=CP936"});
    fs::remove(f.dir.file("weak.cpg"));
    auto r = f.import_expecting_failure({"--parcels", weak_src});
    BOOST_CHECK_MESSAGE(contains(r.err, "not UTF-8") && contains(r.err, "not certain") &&
                            contains(r.err, "--encoding"),
                        r.err);
    auto ok = run_cli({"import", f.store, "--parcels", src, "--encoding", "GBK", "--quiet"});
    BOOST_REQUIRE_MESSAGE(ok.exit_code == 0, ok.err);
    rows = ogr_sql(f.store, "SELECT village FROM parcels ORDER BY parcel_code");
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_CHECK_EQUAL(rows[0][0], "楠竹山村");
    BOOST_CHECK_EQUAL(rows[1][0], "杨梅洲社区居委会");
}

BOOST_AUTO_TEST_CASE(empty_layer) {
    Fixture f;
    FixtureLayer l = squares(0);
    auto src = f.dir.file("empty.gpkg");
    write_layer(src, "GPKG", l);
    auto r = f.import_expecting_failure({"--parcels", src});
    BOOST_CHECK_MESSAGE(contains(r.err, "has no features"), r.err);
}

BOOST_AUTO_TEST_CASE(unparseable_date) {
    Fixture f;
    FixtureLayer l = squares(3);
    for (auto& field : l.fields)
        if (field.type == FixtureField::date)
            field.type = FixtureField::text;
    l.features[2].values[6] = "2025-02-30";
    auto src = f.dir.file("baddate.geojson");
    write_layer(src, "GeoJSON", l);
    auto r = f.import_expecting_failure({"--parcels", src});
    BOOST_CHECK_MESSAGE(contains(r.err, "feature 2 (P002)") &&
                            contains(r.err, "field acquired_on") &&
                            contains(r.err, "cannot read '2025-02-30' as a date"),
                        r.err);
}

BOOST_AUTO_TEST_CASE(a_line_where_a_polygon_belongs) {
    Fixture f;
    FixtureLayer l = squares(0);
    l.geometry = "LineString";
    l.features.push_back(
        {fmt::format("LINESTRING({} {},{} {})", base_x, base_y, base_x + 500, base_y + 10),
         {"L1", "XT-001", "", "", "", "", "", "", ""}});
    auto src = f.dir.file("line.geojson");
    write_layer(src, "GeoJSON", l);
    auto r = f.import_expecting_failure({"--parcels", src});
    BOOST_CHECK_MESSAGE(contains(r.err, "the geometry is a Line String") ||
                            contains(r.err, "the geometry is a LineString"),
                        r.err);
    BOOST_CHECK(contains(r.err, "Polygon or MultiPolygon"));
}

BOOST_AUTO_TEST_CASE(a_failed_first_import_leaves_no_store) {
    TempDir dir;
    auto src = dir.file("dup.geojson");
    FixtureLayer l = squares(2);
    l.features[1].values[0] = "P000";
    write_layer(src, "GeoJSON", l);
    auto store = dir.file("new.sqlite");
    auto r = run_cli({"import", store, "--parcels", src});
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK(!fs::exists(store));
    for (const auto& e : fs::directory_iterator(dir.path()))
        BOOST_CHECK_MESSAGE(e.path().filename().string().find("new.sqlite") == std::string::npos,
                            "left behind: " + e.path().string());
}

BOOST_AUTO_TEST_CASE(reimport_replaces_and_append_adds) {
    Fixture f;
    auto more = f.dir.file("more.geojson");
    FixtureLayer l = squares(5);
    for (auto& feat : l.features)
        feat.values[0] = "N" + feat.values[0];
    write_layer(more, "GeoJSON", l);
    BOOST_REQUIRE_EQUAL(run_cli({"import", f.store, "--parcels", more, "--quiet"}).exit_code, 0);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT count(*) FROM parcels"), 5);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT count(*) FROM idx_parcels_geom"), 5);
    BOOST_REQUIRE_EQUAL(
        run_cli({"import", f.store, "--parcels", f.good, "--append", "--quiet"}).exit_code, 0);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT count(*) FROM parcels"), 8);
    BOOST_CHECK_EQUAL(ogr_sql_number(f.store, "SELECT count(*) FROM idx_parcels_geom"), 8);
}

BOOST_AUTO_TEST_CASE(cadastre_fields_and_a_status_column_through_a_preset) {
    TempDir dir;
    FixtureLayer l{"zd", 4547, {{"ZDDM"}, {"XMBH"}, {"QSXZ"}, {"DLBM"}, {"ZDZT"}, {"ZDRQ"}}, {}};
    l.features.push_back({square_wkt(base_x, base_y, 100),
                          {"430302003004JC00001", "XT-001", "30", "0103", "已征", "2025/5/6"}});
    l.features.push_back({square_wkt(base_x + 100, base_y, 100),
                          {"430302003004JC00002", "XT-001", "10", "0702", "未征", "2025/5/6"}});
    l.features.push_back({square_wkt(base_x + 200, base_y, 100),
                          {"430302003004JC00003", "XT-001", "30", "0103", "已征", ""}});
    auto src = dir.file("zd.geojson");
    write_layer(src, "GeoJSON", l);
    auto store = dir.file("zd.sqlite");
    auto bad = run_cli({"import", store, "--parcels", src, "--map", "zongdi"});
    BOOST_CHECK_EQUAL(bad.exit_code, 1);
    BOOST_CHECK_MESSAGE(contains(bad.err, "column ZDZT says '已征' but ZDRQ is empty"), bad.err);
    l.features.pop_back();
    write_layer(src, "GeoJSON", l);
    auto r = run_cli({"import", store, "--parcels", src, "--map", "zongdi", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto rows = ogr_sql(store, "SELECT parcel_code, owner_type, land_class, acquired_on FROM "
                               "parcels ORDER BY parcel_code");
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_CHECK_EQUAL(rows[0][1], "集体");
    BOOST_CHECK_EQUAL(rows[0][3], "2025-05-06");
    BOOST_CHECK_EQUAL(rows[1][1], "国有");
    BOOST_CHECK_EQUAL(rows[1][3], ""); // 未征: the date does not count
}

BOOST_AUTO_TEST_CASE(chinese_headers_from_a_csv_with_wkt) {
    TempDir dir;
    auto csv = dir.file("ledger.csv");
    {
        std::ofstream out(csv);
        out << "WKT,宗地编号,项目编号,权属性质,征地状态,征地日期\n";
        out << "\"" << square_wkt(base_x, base_y, 100)
            << "\",Z1,XT-002,集体土地,已征,2025年6月1日\n";
        out << "\"" << square_wkt(base_x + 100, base_y, 100) << "\",Z2,XT-002,国有土地,未征,\n";
    }
    auto store = dir.file("c.sqlite");
    auto r = run_cli({"import", store, "--parcels", csv, "--s-crs", "EPSG:4547", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto rows = ogr_sql(store, "SELECT parcel_code, owner_type, acquired_on, ST_Area(geom) FROM "
                               "parcels ORDER BY parcel_code");
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_CHECK_EQUAL(rows[0][1], "集体");
    BOOST_CHECK_EQUAL(rows[0][2], "2025-06-01");
    BOOST_CHECK_EQUAL(rows[1][1], "国有");
    BOOST_CHECK_EQUAL(rows[1][2], "");
    BOOST_CHECK_CLOSE(std::stod(rows[1][3]), 10000.0, 1e-9);
}

// The R*Tree of a bulk load is written straight into the rtree's tables (store/sqlite.cpp,
// rtree_bulk_load): SQLite's own rtreecheck() must find it sound, SpatiaLite's SpatialIndex must
// answer every window exactly as a scan of the geometries does (and its CheckSpatialIndex()
// agree), and the per-row triggers must be back, so that an --append keeps the index in step.
BOOST_AUTO_TEST_CASE(the_bulk_built_spatial_index_answers_like_a_scan) {
    TempDir dir;
    auto grid = dir.file("grid.geojson"), more = dir.file("more.geojson");
    auto store = dir.file("s.sqlite");
    auto layer = [](int n, int first, const std::string& prefix) {
        FixtureLayer l{"parcels", 4547, parcel_fields, {}};
        for (int i = first; i < first + n; ++i) // a 60-wide grid of 10 m squares, 3 levels deep
            l.features.push_back({square_wkt(base_x + (i % 60) * 10, base_y + (i / 60) * 10, 10),
                                  {fmt::format("{}{:05d}", prefix, i), "XT-001", "雨湖区",
                                   "楠竹山村", "集体", "0101", "", "", ""}});
        return l;
    };
    write_layer(grid, "GeoJSON", layer(3600, 0, "G"));
    write_layer(more, "GeoJSON", layer(120, 3600, "M"));
    auto check = [&](int expected) {
        BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT count(*) FROM idx_parcels_geom"), expected);
        BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT rtreecheck('idx_parcels_geom') = 'ok'"), 1);
        // SpatiaLite's own check: every row's box in the R*Tree, nothing else.
        BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT CheckSpatialIndex('parcels', 'geom')"), 1);
        BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT count(*) FROM sqlite_master WHERE type = "
                                                "'trigger' AND tbl_name = 'parcels'"),
                          8); // ggi/ggu, tmi/tmu/tmd, gii/giu/gid
        for (auto [x0, y0, x1, y1] : {std::array<double, 4>{0, 0, 600, 640},
                                      {5, 5, 5, 5},
                                      {123, 47, 388, 301},
                                      {590, 590, 700, 700},
                                      {-50, -50, -1, -1}}) {
            auto box = fmt::format("BuildMbr({}, {}, {}, {})", base_x + x0, base_y + y0,
                                   base_x + x1, base_y + y1);
            auto by_index = ogr_sql_number(
                store, fmt::format("SELECT count(*) FROM parcels WHERE ROWID IN (SELECT ROWID "
                                   "FROM SpatialIndex WHERE f_table_name = 'parcels' AND "
                                   "search_frame = {})",
                                   box));
            auto by_scan = ogr_sql_number(
                store,
                fmt::format("SELECT count(*) FROM parcels WHERE MbrIntersects(geom, {})", box));
            BOOST_CHECK_MESSAGE(by_index == by_scan,
                                box << ": index " << by_index << ", scan " << by_scan);
        }
    };
    BOOST_REQUIRE_EQUAL(run_cli({"import", store, "--parcels", grid, "--quiet"}).exit_code, 0);
    check(3600);
    BOOST_REQUIRE_EQUAL(
        run_cli({"import", store, "--parcels", more, "--append", "--quiet"}).exit_code, 0);
    check(3720);
    BOOST_REQUIRE_EQUAL(run_cli({"import", store, "--parcels", grid, "--quiet"}).exit_code, 0);
    check(3600);
}

// Layers of thousands of features are converted on worker threads and written by another:
// problems are still listed in the layer's order, naming the features of the source, and
// nothing is written; a clean layer stores every feature with its exact area (10 m squares:
// 100 m² each, by hand), in the order of the source, with a whole spatial index.
BOOST_AUTO_TEST_CASE(thousands_of_parcels_converted_on_worker_threads_keep_their_order) {
    Fixture f;
    const int n = 6000; // above the 4096 features from which conversion runs on workers
    FixtureLayer l{"parcels", 4547, parcel_fields, {}};
    for (int i = 0; i < n; ++i)
        l.features.push_back({square_wkt(base_x + (i % 80) * 10, base_y + (i / 80) * 10, 10),
                              {fmt::format("W{:05d}", i), "XT-001", "雨湖区", "楠竹山村", "集体",
                               "0101", i % 3 ? "2025-03-01" : "", "", ""}});
    auto clean = f.dir.file("many.geojson");
    write_layer(clean, "GeoJSON", l);
    auto bad = l;
    for (auto& field : bad.fields)
        if (field.type == FixtureField::date)
            field.type = FixtureField::text;
    bad.features[3001].values[6] = "2025-02-30";
    bad.features[5555].values[0] = "W00017";
    auto broken = f.dir.file("many-broken.geojson");
    write_layer(broken, "GeoJSON", bad);

    auto r = f.import_expecting_failure({"--parcels", broken});
    auto date_at = r.err.find("feature 3001 (W03001)");
    auto twice_at = r.err.find("parcel_code W00017 is used twice: by feature 17 and feature 5555");
    BOOST_CHECK_MESSAGE(contains(r.err, "2 features cannot be imported; nothing was written"),
                        r.err);
    BOOST_CHECK_MESSAGE(
        date_at != std::string::npos && twice_at != std::string::npos && date_at < twice_at, r.err);
    BOOST_CHECK_MESSAGE(contains(r.err, "cannot read '2025-02-30' as a date"), r.err);

    auto store = f.dir.file("many.sqlite");
    auto ok = run_cli({"import", store, "--parcels", clean, "--quiet"});
    BOOST_REQUIRE_MESSAGE(ok.exit_code == 0, ok.err);
    BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT count(*) FROM parcels"), n);
    BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT count(*) FROM parcels WHERE "
                                            "abs(area_m2 - 100) > 1e-6 OR abs(ST_Area(geom) - "
                                            "100) > 1e-6"),
                      0);
    // Stored in the source's order: row i holds feature i.
    BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT count(*) FROM parcels WHERE source_fid != "
                                            "id - 1 OR parcel_code != printf('W%05d', id - 1)"),
                      0);
    BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT count(*) FROM parcels WHERE acquired_on IS "
                                            "NOT NULL"),
                      n - n / 3);
    BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT count(*) FROM idx_parcels_geom"), n);
    BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT rtreecheck('idx_parcels_geom') = 'ok'"), 1);
    BOOST_CHECK_EQUAL(ogr_sql_number(store, "SELECT CheckSpatialIndex('parcels', 'geom')"), 1);
    // The R*Tree's boxes are the geometries' own (gathered while inserting, not read back).
    BOOST_CHECK_EQUAL(ogr_sql_number(store,
                                     "SELECT count(*) FROM parcels p JOIN idx_parcels_geom i ON "
                                     "i.pkid = p.id WHERE i.xmin > MbrMinX(p.geom) OR i.xmax < "
                                     "MbrMaxX(p.geom) OR i.ymin > MbrMinY(p.geom) OR i.ymax < "
                                     "MbrMaxY(p.geom) OR i.xmax - i.xmin > 10.01"),
                      0);
}
