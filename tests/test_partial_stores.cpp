// Stores that hold only some layers, as offices have them: parcels only; parcels + corridors (no
// buildings); parcels + buildings (no projects). `corridor`, `map --project/--corridor/
// --all-projects`, `export` of every layer and the server's API work on each, or say plainly
// that a layer is empty: never an SQL error. Figures are checked against SQL on the store
// itself (GDAL's SQLite dialect with SpatiaLite's functions). Also: a version 1 store (as
// landclear wrote it before every layer had its spatial index) still opens and is migrated.
#include "landclear/core/units.hpp"
#include "landclear/server/server_api.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sstream>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000; // EPSG:4547, near Xiangtan
const std::string as_of = "2026-06-30";

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// No SQL, SQLite or GDAL text ever reaches the user.
void check_plain(const CliResult& r) {
    for (const auto* bad : {"no such table", "no such column", "cannot prepare", "SQL logic",
                            "SQLite", "ERROR 1", "idx_"})
        BOOST_TEST(!contains(r.err + r.out, bad), "output has '" << bad << "': " << r.err);
}

enum class Shape { parcels_only, parcels_corridors, parcels_buildings };

const char* shape_name(Shape s) {
    switch (s) {
    case Shape::parcels_only:
        return "parcels only";
    case Shape::parcels_corridors:
        return "parcels + corridors";
    case Shape::parcels_buildings:
        return "parcels + buildings";
    }
    return "";
}

// Parcels: Q0..Q2 side by side in project P1 (Q0 acquired and cleared, Q1 acquired, Q2
// nothing), Q3 apart in project P2 (acquired). Corridor C1 of P1 runs through Q0..Q2 along
// y = by + 50, 20 m wide. Buildings: B0 in Q0 inside the red line, B1 in Q3.
struct PartialStore {
    TempDir dir;
    Shape shape;
    std::string store = dir.file("partial.sqlite");
    explicit PartialStore(Shape s) : shape(s) {
        std::string parcels = dir.file("parcels.geojson");
        FixtureLayer p{"parcels",
                       4547,
                       {{"parcel_code"},
                        {"project_code"},
                        {"district"},
                        {"acquired_on", FixtureField::date},
                        {"cleared_on", FixtureField::date}},
                       {}};
        p.features.push_back(
            {square_wkt(bx, by, 100), {"Q0", "P1", "雨湖区", "2026-01-10", "2026-02-10"}});
        p.features.push_back(
            {square_wkt(bx + 100, by, 100), {"Q1", "P1", "雨湖区", "2026-01-10", ""}});
        p.features.push_back({square_wkt(bx + 200, by, 100), {"Q2", "P1", "雨湖区", "", ""}});
        p.features.push_back(
            {square_wkt(bx + 1000, by, 100), {"Q3", "P2", "岳塘区", "2026-03-01", ""}});
        write_layer(parcels, "GeoJSON", p);
        std::vector<std::string> args{"import", store, "--parcels", parcels, "--quiet"};
        if (s == Shape::parcels_corridors) {
            std::string corridors = dir.file("corridors.geojson");
            FixtureLayer c{
                "corridors",
                4547,
                {{"corridor_code"}, {"project_code"}, {"name"}, {"width_m", FixtureField::real}},
                {},
                "LineString"};
            c.features.push_back(
                {fmt::format("LINESTRING({} {},{} {})", bx - 50, by + 50, bx + 350, by + 50),
                 {"C1", "P1", "一号路", "20"}});
            write_layer(corridors, "GeoJSON", c);
            args.insert(args.end(), {"--corridors", corridors});
        }
        if (s == Shape::parcels_buildings) {
            std::string buildings = dir.file("buildings.geojson");
            FixtureLayer b{"buildings",
                           4547,
                           {{"building_code"},
                            {"parcel_code"},
                            {"households", FixtureField::integer},
                            {"floor_area_m2", FixtureField::real},
                            {"signed_on", FixtureField::date}},
                           {}};
            b.features.push_back(
                {square_wkt(bx + 10, by + 45, 10), {"B0", "Q0", "2", "180", "2026-01-15"}});
            b.features.push_back({square_wkt(bx + 1010, by + 10, 10), {"B1", "Q3", "1", "90", ""}});
            write_layer(buildings, "GeoJSON", b);
            args.insert(args.end(), {"--buildings", buildings});
        }
        auto r = run_cli(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    bool has_corridors() const { return shape == Shape::parcels_corridors; }
    bool has_buildings() const { return shape == Shape::parcels_buildings; }

    double sql(const std::string& q) const { return ogr_sql_number(store, q); }
    double count(const std::string& table) const {
        return sql(fmt::format("SELECT count(*) FROM {}", table));
    }
};

const std::vector<Shape> shapes{Shape::parcels_only, Shape::parcels_corridors,
                                Shape::parcels_buildings};

// Every JSON document in the output (one, or several back to back).
std::vector<json> json_documents(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    while (in >> std::ws && in.peek() != EOF) {
        json j;
        in >> j;
        out.push_back(std::move(j));
    }
    return out;
}

// The first object anywhere in the documents with this key equal to this value.
const json* find_row(const json& j, const std::string& key, const std::string& value) {
    if (j.is_object()) {
        if (auto it = j.find(key); it != j.end() && it->is_string() && *it == value)
            return &j;
        for (const auto& [k, v] : j.items())
            if (auto* f = find_row(v, key, value))
                return f;
    } else if (j.is_array()) {
        for (const auto& v : j)
            if (auto* f = find_row(v, key, value))
                return f;
    }
    return nullptr;
}

// The corridor's figures from SQL on the store: parcel area inside the red line (the stored
// centreline buffered by half its width; its round ends reach no parcel), by stage.
struct RedLineFigures {
    double area_mu, acquired_mu, cleared_mu;
};

RedLineFigures red_line_sql(const PartialStore& s) {
    auto inside = [&](const std::string& where) {
        return m2_to_mu(s.sql(fmt::format(
            "SELECT coalesce(sum(ST_Area(ST_Intersection(p.geom, ST_Buffer(c.geom, c.width_m / "
            "2)))), 0) FROM parcels p, corridors c WHERE c.corridor_code = 'C1' AND {}",
            where)));
    };
    return {inside("1"), inside(fmt::format("p.acquired_on <= '{}'", as_of)),
            inside(fmt::format("p.acquired_on <= '{}' AND p.cleared_on <= '{}'", as_of, as_of))};
}

} // namespace

BOOST_AUTO_TEST_SUITE(corridor_command)

BOOST_AUTO_TEST_CASE(works_or_says_there_are_no_corridors) {
    for (auto shape : shapes) {
        BOOST_TEST_CONTEXT(shape_name(shape)) {
            PartialStore s(shape);
            auto r = run_cli({"corridor", s.store, "--as-of", as_of, "--table", "corridors",
                              "--format", "json", "--quiet"});
            check_plain(r);
            if (!s.has_corridors()) {
                BOOST_TEST(r.exit_code == 1);
                BOOST_TEST(contains(r.err, "has no corridors"), r.err);
                continue;
            }
            BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
            auto docs = json_documents(r.out);
            const json* row = nullptr;
            for (const auto& d : docs)
                if (!row)
                    row = find_row(d, "corridor", "C1");
            BOOST_REQUIRE_MESSAGE(row, r.out);
            auto want = red_line_sql(s);
            BOOST_TEST(want.area_mu == 9.0, boost::test_tools::tolerance(1e-9)); // 3 × 100 × 20 m²
            BOOST_TEST((*row)["area_mu"].get<double>() == want.area_mu,
                       boost::test_tools::tolerance(1e-6));
            BOOST_TEST((*row)["acquired_mu"].get<double>() == want.acquired_mu,
                       boost::test_tools::tolerance(1e-6));
            BOOST_TEST((*row)["cleared_mu"].get<double>() == want.cleared_mu,
                       boost::test_tools::tolerance(1e-6));
            BOOST_TEST((*row)["households"].get<std::int64_t>() == 0); // no buildings layer
            BOOST_TEST((*row)["parcels"].get<std::int64_t>() ==
                       s.sql("SELECT count(*) FROM parcels p, corridors c WHERE "
                             "ST_Area(ST_Intersection(p.geom, ST_Buffer(c.geom, c.width_m / 2))) "
                             "> 0"));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(map_command)

BOOST_AUTO_TEST_CASE(project_corridor_and_all_projects) {
    for (auto shape : shapes) {
        BOOST_TEST_CONTEXT(shape_name(shape)) {
            PartialStore s(shape);
            // A project named only by its parcels (there is no projects layer) is mappable,
            // as `status` lists it.
            auto png = s.dir.file("p1.png");
            auto r = run_cli({"map", s.store, "--project", "P1", "--as-of", as_of, "--out", png});
            check_plain(r);
            BOOST_TEST(r.exit_code == 0, r.err);
            BOOST_TEST(read_file(png).substr(0, 8) == "\x89PNG\r\n\x1a\n");

            auto dir = s.dir.file("atlas");
            r = run_cli({"map", s.store, "--all-projects", "--as-of", as_of, "--out", dir + "/"});
            check_plain(r);
            BOOST_TEST(r.exit_code == 0, r.err);
            std::size_t pages = 0;
            for (const auto& e : fs::directory_iterator(dir))
                pages += e.path().extension() == ".png";
            BOOST_TEST(pages == static_cast<std::size_t>(
                                    s.sql("SELECT count(DISTINCT project_code) FROM parcels")));

            auto cpng = s.dir.file("c1.png");
            r = run_cli({"map", s.store, "--corridor", "C1", "--as-of", as_of, "--out", cpng});
            check_plain(r);
            if (s.has_corridors()) {
                BOOST_TEST(r.exit_code == 0, r.err);
                BOOST_TEST(read_file(cpng).substr(0, 8) == "\x89PNG\r\n\x1a\n");
            } else {
                BOOST_TEST(r.exit_code == 1);
                BOOST_TEST(contains(r.err, "corridors layer is empty"), r.err);
                BOOST_TEST(!fs::exists(cpng));
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(export_command)

BOOST_AUTO_TEST_CASE(every_layer) {
    for (auto shape : shapes) {
        BOOST_TEST_CONTEXT(shape_name(shape)) {
            PartialStore s(shape);
            if (s.has_corridors()) {
                auto r = run_cli({"corridor", s.store, "--quiet"}); // saves the pieces
                BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
            }
            for (std::string layer : {"parcels", "buildings", "corridors", "projects"}) {
                BOOST_TEST_CONTEXT(layer) {
                    auto out = s.dir.file("out_" + layer + ".geojson");
                    auto r = run_cli({"export", s.store, "--layer", layer, "--out", out, "--as-of",
                                      as_of, "--quiet"});
                    check_plain(r);
                    double n = s.count(layer);
                    if (n == 0) {
                        BOOST_TEST(r.exit_code == 1);
                        BOOST_TEST(
                            contains(r.err, fmt::format("the store's {} layer is empty", layer)),
                            r.err);
                        BOOST_TEST(!fs::exists(out));
                        continue;
                    }
                    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
                    BOOST_TEST(json::parse(read_file(out))["features"].size() == n);
                    BOOST_TEST(contains(r.out, fmt::format("{}: {} feature", layer, n)), r.out);
                    if (layer == "parcels")
                        BOOST_TEST(
                            contains(r.out, fmt::format("{:.2f} 亩",
                                                        m2_to_mu(s.sql("SELECT sum(ST_Area(geom)) "
                                                                       "FROM parcels")))),
                            r.out);
                }
            }
            for (std::string layer : {"corridor-parcels", "corridor-segments"}) {
                BOOST_TEST_CONTEXT(layer) {
                    auto out = s.dir.file("out_" + layer + ".geojson");
                    auto r = run_cli({"export", s.store, "--layer", layer, "--out", out, "--as-of",
                                      as_of, "--quiet"});
                    check_plain(r);
                    if (!s.has_corridors()) {
                        BOOST_TEST(r.exit_code == 1);
                        BOOST_TEST(contains(r.err, "no corridor"), r.err);
                        continue;
                    }
                    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
                    std::string table =
                        layer == "corridor-parcels" ? "corridor_parcels" : "corridor_segments";
                    BOOST_TEST(json::parse(read_file(out))["features"].size() == s.count(table));
                }
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_api)

BOOST_AUTO_TEST_CASE(features_corridors_and_info) {
    auto day = *parse_date(as_of);
    for (auto shape : shapes) {
        BOOST_TEST_CONTEXT(shape_name(shape)) {
            PartialStore s(shape);
            ViewerApi api(s.store, ApiLimits{}, nullptr);
            auto info = api.info();
            for (std::string layer : {"parcels", "buildings", "corridors", "projects"}) {
                BOOST_TEST(info["counts"][layer].get<double>() == s.count(layer), layer);
                FeatureQuery q;
                q.layer = *layer_from_name(layer);
                q.as_of = day;
                q.map_view = true;
                q.bbox = LonLatBox{112, 27, 114, 29};
                auto fc = json::parse(api.features(q));
                BOOST_TEST(fc["features"].size() == s.count(layer), layer);
            }
            auto corridors = api.corridors(day);
            const json* row = find_row(corridors, "corridor", "C1");
            if (!s.has_corridors()) {
                BOOST_TEST(!row);
                BOOST_CHECK_THROW(api.corridor("C1", day), ApiError);
                continue;
            }
            BOOST_REQUIRE_MESSAGE(row, corridors.dump());
            auto want = red_line_sql(s);
            BOOST_TEST((*row)["area_mu"].get<double>() == want.area_mu,
                       boost::test_tools::tolerance(1e-6));
            BOOST_TEST((*row)["cleared_mu"].get<double>() == want.cleared_mu,
                       boost::test_tools::tolerance(1e-6));
            auto one = api.corridor("C1", day);
            BOOST_TEST(one["segments"].size() == 4u); // 400 m of centreline in 100 m segments
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(schema_migration)

// sqlite3 with mod_spatialite, straight: turns a store into what version 1 wrote (no spatial
// index on a layer never imported, stamps as meta keys, schema_version 1).
void spatialite_exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_enable_load_extension(db, 1);
    char* err = nullptr;
    BOOST_REQUIRE_MESSAGE(sqlite3_load_extension(db, "mod_spatialite", nullptr, &err) == SQLITE_OK,
                          (err ? err : "?"));
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << msg);
}

void make_version_1(const std::string& store) {
    std::string sql = "BEGIN;";
    // Version 3's history tables were not there either.
    for (std::string t : {"projects", "corridors", "parcels", "buildings"})
        sql += fmt::format("SELECT DiscardGeometryColumn('{0}_history', 'geom'); DROP TABLE "
                           "{0}_history;",
                           t);
    sql += "DROP TABLE changes; DROP TABLE batch_files; DROP TABLE batches; ALTER TABLE imports "
           "DROP COLUMN batch_id;";
    for (std::string t : {"buildings", "projects"})
        sql +=
            fmt::format("SELECT DisableSpatialIndex('{0}', 'geom'); DROP TABLE idx_{0}_geom;", t);
    sql += "DROP TABLE derived_stamps;"
           "UPDATE landclear_meta SET value = '1' WHERE key = 'schema_version';"
           // A corridor analysed on the current data, as version 1 stamped it.
           "INSERT INTO landclear_meta(key, value) SELECT 'corridor:C1', json_object("
           "'algorithm', 1, 'data_version', CAST(value AS INTEGER), 'segment_m', 100, "
           "'red_line', 'buffer', 'used', 'buffer') FROM landclear_meta WHERE key = "
           "'data_version';"
           // The ellipsoidal-area cache, stamped as version 1 did: the bare data version.
           "INSERT INTO landclear_meta(key, value) SELECT "
           "'parcel_ellipsoidal_area.data_version', value FROM landclear_meta WHERE key = "
           "'data_version';"
           "COMMIT;";
    spatialite_exec(store, sql);
}

BOOST_AUTO_TEST_CASE(a_version_1_store_reads_and_migrates) {
    PartialStore s(Shape::parcels_corridors);
    auto r = run_cli({"corridor", s.store, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    make_version_1(s.store);
    BOOST_REQUIRE(s.sql("SELECT count(*) FROM sqlite_master WHERE name = 'idx_buildings_geom'") ==
                  0);
    BOOST_REQUIRE(s.sql("SELECT value FROM landclear_meta WHERE key = 'schema_version'") == 1);

    // Read as it is: the server (read-only) answers on the layer without an index, and
    // export sees corridor C1's legacy stamp.
    {
        ViewerApi api(s.store, ApiLimits{}, nullptr);
        FeatureQuery q;
        q.layer = LayerKind::buildings;
        q.bbox = LonLatBox{112, 27, 114, 29};
        BOOST_TEST(json::parse(api.features(q))["features"].size() == 0u);
    }
    auto out = s.dir.file("cp.geojson");
    r = run_cli({"export", s.store, "--layer", "corridor-parcels", "--out", out, "--quiet"});
    check_plain(r);
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(!contains(r.err, "not been analysed"), r.err);
    BOOST_TEST(s.sql("SELECT value FROM landclear_meta WHERE key = 'schema_version'") == 1);

    // Opened for writing (corridor does, to keep its results): migrated to the current version
    // (through 2 and 3), with every index and the stamp moved over, the history tables made and
    // the corridors' new columns added. The legacy stamp says corridor algorithm 1, whose pieces
    // could lose a face at a bend (issue 16), so they are recomputed and saved; a second run
    // reads them from the store.
    r = run_cli({"corridor", s.store});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.err, "saved the geometry"), r.err);
    r = run_cli({"corridor", s.store});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(!contains(r.err, "saved the geometry"), r.err); // read from the store
    BOOST_TEST(s.sql("SELECT value FROM landclear_meta WHERE key = 'schema_version'") ==
               store_schema_version);
    BOOST_TEST(s.sql("SELECT count(*) FROM sqlite_master WHERE name IN ('batches', 'changes', "
                     "'parcels_history')") == 3);
    BOOST_TEST(s.sql("SELECT count(*) FROM pragma_table_info('corridors') WHERE name IN "
                     "('chainage_breaks', 'alignment')") == 2);
    for (std::string t : {"parcels", "buildings", "corridors", "projects"})
        BOOST_TEST(s.sql(fmt::format("SELECT count(*) FROM geometry_columns WHERE f_table_name = "
                                     "'{0}' AND spatial_index_enabled = 1",
                                     t)) == 1,
                   t);
    BOOST_TEST(s.sql("SELECT count(*) FROM sqlite_master WHERE name = 'idx_buildings_geom'") == 1);
    BOOST_TEST(s.sql("SELECT count(*) FROM landclear_meta WHERE key LIKE 'corridor:%' OR key "
                     "LIKE '%.data_version'") == 0);
    BOOST_TEST(s.sql("SELECT data_version FROM derived_stamps WHERE name = "
                     "'parcel_ellipsoidal_area' AND params = ''") ==
               s.sql("SELECT value FROM landclear_meta WHERE key = 'data_version'"));
    BOOST_TEST(s.sql("SELECT json_extract(params, '$.segment_m') FROM derived_stamps WHERE name "
                     "= 'corridor:C1'") == 100);
    BOOST_TEST(s.sql("SELECT json_type(params, '$.data_version') IS NULL FROM derived_stamps "
                     "WHERE name = 'corridor:C1'") == 1);
    BOOST_TEST(s.sql("SELECT data_version FROM derived_stamps WHERE name = 'corridor:C1'") ==
               s.sql("SELECT value FROM landclear_meta WHERE key = 'data_version'"));
    // The stored pieces are the parcels inside the red line, cut at the segment ends.
    BOOST_TEST(s.sql("SELECT count(DISTINCT parcel_code) FROM corridor_parcels") ==
               s.sql("SELECT count(*) FROM parcels p, corridors c WHERE "
                     "ST_Area(ST_Intersection(p.geom, ST_Buffer(c.geom, c.width_m / 2))) > 0"));
    BOOST_TEST(s.sql("SELECT sum(measure) FROM corridor_parcels") ==
                   s.sql("SELECT sum(ST_Area(ST_Intersection(p.geom, ST_Buffer(c.geom, "
                         "c.width_m / 2)))) FROM parcels p, corridors c"),
               boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()
