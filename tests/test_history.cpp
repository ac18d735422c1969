// History (issue 12): import batches, change events by code, --known-on, re-imports, --update
// and the migration of version 2 stores. Every expected figure is planted in the fixture or
// computed by SQL on the store (sqlite3 + mod_spatialite / GDAL's SQLite dialect), never by
// landclear's own earlier output.
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/store/store.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sqlite3.h>
#include <tuple>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000;

// Week 1 (reported 2026-11-13) and week 2 (2026-11-20) of a small office: two projects of two
// units, five 100 m parcels (15 亩 each), three buildings. Week 2 plants exactly these changes:
// Q2 acquired (a date added), Q1's acquisition date corrected backwards (11-10 -> 11-03), Q3
// removed, building B1 moved from Q1 to Q2, Q4's polygon grown to 100 x 120 m. Q0 is
// re-drawn a micrometre off (well under 0.01 m²): no change.
struct Week {
    std::string reported;
    std::vector<FixtureFeature> parcels, buildings;
};

Week week1() {
    Week w{"2026-11-13", {}, {}};
    auto p = [&](int i, std::string project, std::string acquired, std::string cleared = "",
                 double height = 100, double shift = 0) {
        auto x = bx + 200 * i + shift;
        w.parcels.push_back({fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x,
                                         by, x + 100, by + height),
                             {fmt::format("Q{}", i), project, acquired, cleared, ""}});
    };
    p(0, "P1", "2026-11-02", "2026-11-12");
    p(1, "P1", "2026-11-10");
    p(2, "P1", "");
    p(3, "P2", "2026-11-05");
    p(4, "P2", "");
    auto b = [&](int i, std::string parcel, std::string hh, std::string signed_on) {
        int pi = parcel[1] - '0';
        w.buildings.push_back({square_wkt(bx + 200 * pi + 10 + 30 * i, by + 10, 10),
                               {fmt::format("B{}", i), parcel, hh, signed_on}});
    };
    b(0, "Q0", "2", "2026-11-03");
    b(1, "Q1", "3", "2026-11-11");
    b(2, "Q3", "4", "");
    return w;
}

Week week2() {
    Week w = week1();
    w.reported = "2026-11-20";
    // Q0 redrawn 1e-6 m to the east: the symmetric difference is 2e-4 m², under 0.01 m².
    w.parcels[0].wkt = fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", bx + 1e-6,
                                   by, bx + 100 + 1e-6, by + 100);
    w.parcels[1].values[2] = "2026-11-03";
    w.parcels[2].values[2] = "2026-11-18";
    w.parcels[4].wkt = fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", bx + 800,
                                   by, bx + 900, by + 120);
    w.parcels.erase(w.parcels.begin() + 3); // Q3
    w.buildings[1].values[1] = "Q2";        // the ledger's parcel corrected; the building stays
    return w;
}

struct Files {
    std::string projects, parcels, buildings;
};

Files write_week(const TempDir& dir, const Week& w, const std::string& tag) {
    Files f{dir.file(tag + "-projects.gpkg"), dir.file(tag + "-parcels.gpkg"),
            dir.file(tag + "-buildings.gpkg")};
    FixtureLayer projects{"projects",
                          4547,
                          {{"project_code"}, {"name"}, {"unit"}, {"deadline", FixtureField::date}},
                          {},
                          "None"};
    projects.features.push_back({"", {"P1", "一号路", "雨湖区指挥部", "2026-12-31"}});
    projects.features.push_back({"", {"P2", "二号路", "岳塘区指挥部", "2026-11-15"}});
    write_layer(f.projects, "GPKG", projects);
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"},
                          {"project_code"},
                          {"acquired_on", FixtureField::date},
                          {"cleared_on", FixtureField::date},
                          {"delivered_on", FixtureField::date}},
                         w.parcels};
    write_layer(f.parcels, "GPKG", parcels);
    FixtureLayer buildings{"buildings",
                           4547,
                           {{"building_code"},
                            {"parcel_code"},
                            {"households", FixtureField::integer},
                            {"signed_on", FixtureField::date}},
                           w.buildings};
    write_layer(f.buildings, "GPKG", buildings);
    return f;
}

CliResult import(const std::string& store, const Files& f, const std::string& reported,
                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"import",     store,     "--projects",  f.projects,
                                  "--parcels",  f.parcels, "--buildings", f.buildings,
                                  "--reported", reported,  "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
}

json cli_json(const std::vector<std::string>& args) {
    auto r = run_cli(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return json::parse(r.out);
}

// (layer, code, kind, field, old, new, correction) of every change listed.
using Change = std::tuple<std::string, std::string, std::string, std::string, std::string,
                          std::string, std::int64_t>;

std::set<Change> changes_of(const json& doc) {
    std::set<Change> out;
    for (const auto& r : doc["changes"]["rows"])
        out.insert(Change{r["layer"].get<std::string>(), r["code"].get<std::string>(),
                          r["kind"].get<std::string>(), r["field"].get<std::string>(),
                          r["old_value"].get<std::string>(), r["new_value"].get<std::string>(),
                          r["correction"].get<std::int64_t>()});
    return out;
}

// sqlite3 with mod_spatialite, straight.
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

struct TwoWeeks {
    TempDir dir;
    std::string store = dir.file("office.sqlite");
    Files w1 = write_week(dir, week1(), "w1"), w2 = write_week(dir, week2(), "w2");
};

} // namespace

BOOST_AUTO_TEST_SUITE(history)

BOOST_AUTO_TEST_CASE(lists_exactly_the_planted_changes) {
    TwoWeeks t;
    auto r = import(t.store, t.w1, "2026-11-13");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    r = import(t.store, t.w2, "2026-11-20");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);

    auto doc = cli_json({"history", t.store, "--since", "2026-11-20", "--format", "json"});
    std::set<Change> want{
        {"parcels", "Q1", "changed", "acquired_on", "2026-11-10", "2026-11-03", 1},
        {"parcels", "Q2", "changed", "acquired_on", "", "2026-11-18", 0},
        {"parcels", "Q3", "removed", "", "10000.00", "", 1},
        {"parcels", "Q4", "changed", "geometry", "10000.00", "12000.00", 1},
        {"buildings", "B1", "changed", "parcel_code", "Q1", "Q2", 1},
    };
    BOOST_TEST(doc["changes"]["rows"].size() == want.size());
    BOOST_TEST((changes_of(doc) == want));
    for (const auto& row : doc["changes"]["rows"]) {
        BOOST_TEST(row["reported_on"] == "2026-11-20");
        BOOST_TEST(row["batch"] == 2);
    }
    // Newest first, the first load last; one feature; a project through its parcels' codes.
    auto all = cli_json({"history", t.store, "--format", "json"});
    BOOST_TEST(all["changes"]["rows"].size() == want.size() + 3); // + 3 layers first loaded
    BOOST_TEST(all["changes"]["rows"].back()["kind"] == "loaded");
    BOOST_TEST(all["changes"]["rows"].front()["batch"] == 2);
    auto q1 = cli_json({"history", t.store, "--parcel", "Q1", "--format", "json"});
    BOOST_TEST((changes_of(q1) == std::set<Change>{{"parcels", "Q1", "changed", "acquired_on",
                                                    "2026-11-10", "2026-11-03", 1}}));
    auto p2 = cli_json({"history", t.store, "--project", "P2", "--format", "json"});
    BOOST_TEST(
        (changes_of(p2) ==
         std::set<Change>{{"parcels", "Q3", "removed", "", "10000.00", "", 1},
                          {"parcels", "Q4", "changed", "geometry", "10000.00", "12000.00", 1}}));
    auto p1 = cli_json({"history", t.store, "--project", "P1", "--format", "json"});
    BOOST_TEST(p1["changes"]["rows"].size() == 3u); // Q1, Q2 and B1 (now on Q2, of P1)
    auto none = cli_json({"history", t.store, "--until", "2026-11-19", "--format", "json"});
    BOOST_TEST(none["changes"]["rows"].size() == 3u); // the first loads only

    // Batches: newest first, with what each changed (features: Q1 Q2 Q4 and B1; Q3).
    BOOST_TEST(all["batches"]["rows"].size() == 2u);
    BOOST_TEST(all["batches"]["rows"][0]["reported_on"] == "2026-11-20");
    BOOST_TEST(all["batches"]["rows"][0]["changed"] == 4);
    BOOST_TEST(all["batches"]["rows"][0]["removed"] == 1);
    BOOST_TEST(all["batches"]["rows"][0]["added"] == 0);

    // The superseded versions are kept: the removed Q3 and the old Q4 (SQL on the store).
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(*) FROM parcels") == 4);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(*) FROM parcels_history") == 4); // Q1-Q4
    BOOST_TEST(ogr_sql_number(t.store, "SELECT ST_Area(geom) FROM parcels_history WHERE "
                                       "parcel_code = 'Q4'") == 10000,
               boost::test_tools::tolerance(1e-9));
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(*) FROM parcels WHERE parcel_code = 'Q0' "
                                       "AND import_id IN (SELECT id FROM imports WHERE batch_id "
                                       "= 1)") == 1); // Q0 kept as first imported
}

BOOST_AUTO_TEST_CASE(a_reimport_of_the_same_files_records_no_change) {
    TwoWeeks t;
    BOOST_REQUIRE(import(t.store, t.w1, "2026-11-13").exit_code == 0);
    auto before = ogr_sql_number(t.store, "SELECT value FROM landclear_meta WHERE key = "
                                          "'data_version'");
    auto r = import(t.store, t.w1, "2026-11-20");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(*) FROM changes c JOIN batches b ON b.id = "
                                       "c.batch_id WHERE b.reported_on = '2026-11-20'") == 0);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT added + changed + removed FROM batches WHERE id "
                                       "= 2") == 0);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(*) FROM parcels_history") == 0);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(*) FROM batch_files WHERE batch_id = 2 AND "
                                       "length(sha256) = 64") == 3);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(DISTINCT sha256) FROM batch_files WHERE "
                                       "layer = 'parcels'") == 1);
    // Every import is a batch and moves the data version by one (the store contract).
    BOOST_TEST(ogr_sql_number(t.store, "SELECT value FROM landclear_meta WHERE key = "
                                       "'data_version'") == before + 1);
    // An earlier reported date than the store holds is refused: it would rewrite the past.
    r = import(t.store, t.w1, "2026-11-06");
    BOOST_TEST(r.exit_code == 2, r.err);
    BOOST_TEST(r.err.find("2026-11-20") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(update_replaces_only_what_the_source_holds) {
    TwoWeeks t;
    BOOST_REQUIRE(import(t.store, t.w1, "2026-11-13").exit_code == 0);
    // A source with Q2 acquired and a new parcel Q9: the others stay as they are.
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"}, {"project_code"}, {"acquired_on", FixtureField::date}},
                         {}};
    parcels.features.push_back({square_wkt(bx + 400, by, 100), {"Q2", "P1", "2026-11-18"}});
    parcels.features.push_back({square_wkt(bx + 2000, by, 50), {"Q9", "P2", ""}});
    auto path = t.dir.file("update.gpkg");
    write_layer(path, "GPKG", parcels);
    auto r = run_cli(
        {"import", t.store, "--parcels", path, "--update", "--reported", "2026-11-20", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(*) FROM parcels") == 6);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT count(*) FROM parcels WHERE parcel_code = 'Q3' "
                                       "AND acquired_on = '2026-11-05'") == 1);
    auto doc = cli_json({"history", t.store, "--since", "2026-11-20", "--format", "json"});
    BOOST_TEST(
        (changes_of(doc) == std::set<Change>{
                                {"parcels", "Q2", "changed", "acquired_on", "", "2026-11-18", 0},
                                {"parcels", "Q9", "added", "", "", "", 0},
                            }));
    r = run_cli({"import", t.store, "--parcels", path, "--update", "--append", "--quiet"});
    BOOST_TEST(r.exit_code == 2, r.err);
}

BOOST_AUTO_TEST_CASE(known_on_reads_the_store_as_it_was_known) {
    TwoWeeks t;
    BOOST_REQUIRE(import(t.store, t.w1, "2026-11-13").exit_code == 0);
    auto week1_status = cli_json({"status", t.store, "--as-of", "2026-11-13", "--since",
                                  "2026-11-06", "--by", "unit", "--format", "json"});
    BOOST_REQUIRE(import(t.store, t.w2, "2026-11-20").exit_code == 0);
    auto known = cli_json({"status", t.store, "--as-of", "2026-11-13", "--since", "2026-11-06",
                           "--by", "unit", "--known-on", "2026-11-13", "--format", "json"});
    BOOST_TEST(known["status"]["rows"] == week1_status["status"]["rows"]);
    BOOST_TEST(known["status"]["totals"] == week1_status["status"]["totals"]);
    // By hand: known on 11-13, Q0, Q1 (P1) and Q3 (P2) acquired by 11-13 = 45 亩, of which Q1
    // and Q3 in (11-06, 11-13]... Q3 on 11-05 is not: 15 亩 new.
    auto tot = known["status"]["totals"];
    BOOST_TEST(tot["acquired_mu"].get<double>() == 45.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(tot["new_acquired_mu"].get<double>() == 15.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(tot["area_mu"].get<double>() == 75.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(tot["signed_households"] == 5);
    // Everything known: Q3 is gone, Q1 was acquired on 11-03 (before the week), Q4 is 18 亩.
    auto now = cli_json({"status", t.store, "--as-of", "2026-11-13", "--since", "2026-11-06",
                         "--by", "unit", "--format", "json"});
    tot = now["status"]["totals"];
    BOOST_TEST(tot["acquired_mu"].get<double>() == 30.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(tot["new_acquired_mu"].get<double>() == 0.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(tot["area_mu"].get<double>() == 63.0, boost::test_tools::tolerance(1e-12));
    // The independent figure: SQL on the store's tables as known on 11-13 (current rows of
    // batch 1 and history rows ended by batch 2).
    auto sql_known = ogr_sql_number(
        t.store,
        "SELECT sum(ST_Area(geom)) * 3 / 2000 FROM (SELECT geom, acquired_on, import_id FROM "
        "parcels UNION ALL SELECT geom, acquired_on, import_id FROM parcels_history WHERE "
        "ended_import_id IN (SELECT id FROM imports WHERE batch_id = 2)) WHERE import_id IN "
        "(SELECT id FROM imports WHERE batch_id = 1) AND acquired_on <= '2026-11-13'");
    BOOST_TEST(sql_known == 45.0, boost::test_tools::tolerance(1e-9));
    // Known on 11-20 is everything; a date before any batch knows nothing.
    auto k20 = cli_json({"status", t.store, "--as-of", "2026-11-13", "--by", "unit", "--known-on",
                         "2026-11-20", "--format", "json"});
    BOOST_TEST(k20["status"]["totals"]["acquired_mu"].get<double>() == 30.0,
               boost::test_tools::tolerance(1e-12));
    auto k0 = cli_json({"status", t.store, "--known-on", "2026-11-01", "--format", "json"});
    BOOST_TEST(k0["status"]["totals"]["parcels"] == 0);

    // Through the store: the old geometry of Q4, the removed Q3, B1 on its old parcel.
    auto s = open_store(t.store, StoreMode::read);
    s->set_known_on(*parse_date("2026-11-13"));
    BOOST_TEST(s->count(LayerKind::parcels) == 5);
    BOOST_TEST(!s->writable());
    FeatureFilter q4;
    q4.codes = {"Q4"};
    double area = 0;
    s->for_each_feature(LayerKind::parcels, q4, [&](const FeatureRow& r) { area = r.measure; });
    BOOST_TEST(area == 10000.0);
    std::string b1_parcel;
    s->for_each_building([&](const BuildingRow& b) {
        if (b.code == "B1")
            b1_parcel = b.parcel_code;
    });
    BOOST_TEST(b1_parcel == "Q1");
    FeatureFilter box; // by bbox where Q3 stood
    box.bbox = Envelope{bx + 600, by, bx + 700, by + 100};
    int found = 0;
    s->for_each_feature(LayerKind::parcels, box, [&](const FeatureRow&) { ++found; });
    BOOST_TEST(found == 1);
    s->set_known_on(std::nullopt);
    BOOST_TEST(s->count(LayerKind::parcels) == 4);

    // export and map take it too: the GeoJSON of 11-13 has Q3.
    auto out = t.dir.file("k.geojson");
    auto r = run_cli({"export", t.store, "--layer", "parcels", "--known-on", "2026-11-13", "--out",
                      out, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(ogr_sql_number(out, "SELECT count(*) FROM parcels WHERE parcel_code = 'Q3'") == 1);
}

BOOST_AUTO_TEST_CASE(a_version_2_store_opens_and_gains_history_on_its_next_import) {
    TwoWeeks t;
    BOOST_REQUIRE(import(t.store, t.w1, "2026-11-13").exit_code == 0);
    // What version 2 wrote: no batches, changes or history tables, imports without batch_id.
    std::string sql = "BEGIN;";
    for (std::string l : {"projects", "corridors", "parcels", "buildings"})
        sql += fmt::format("SELECT DiscardGeometryColumn('{0}_history', 'geom'); DROP TABLE "
                           "{0}_history;",
                           l);
    sql += "DROP TABLE changes; DROP TABLE batch_files; DROP TABLE batches; ALTER TABLE imports "
           "DROP COLUMN batch_id; UPDATE landclear_meta SET value = '2' WHERE key = "
           "'schema_version'; COMMIT;";
    spatialite_exec(t.store, sql);
    BOOST_REQUIRE(ogr_sql_number(t.store, "SELECT value FROM landclear_meta WHERE key = "
                                          "'schema_version'") == 2);
    // Read as it is: status, an empty history, --known-on (its rows were always known).
    auto st = cli_json({"status", t.store, "--as-of", "2026-11-13", "--format", "json"});
    BOOST_TEST(st["status"]["totals"]["acquired_mu"].get<double>() == 45.0,
               boost::test_tools::tolerance(1e-12));
    auto h = cli_json({"history", t.store, "--format", "json"});
    BOOST_TEST(h["changes"]["rows"].size() == 0u);
    auto k = cli_json({"status", t.store, "--known-on", "2000-01-01", "--format", "json"});
    BOOST_TEST(k["status"]["totals"]["parcels"] == 5);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT value FROM landclear_meta WHERE key = "
                                       "'schema_version'") == 2);

    // The next import migrates it and records what changed against the rows it held.
    auto r = import(t.store, t.w2, "2026-11-20");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(ogr_sql_number(t.store, "SELECT value FROM landclear_meta WHERE key = "
                                       "'schema_version'") == store_schema_version);
    auto doc = cli_json({"history", t.store, "--format", "json"});
    BOOST_TEST(doc["changes"]["rows"].size() == 5u);
    auto known = cli_json({"status", t.store, "--as-of", "2026-11-13", "--known-on", "2026-11-13",
                           "--format", "json"});
    BOOST_TEST(known["status"]["totals"] == st["status"]["totals"]);
}

BOOST_AUTO_TEST_SUITE_END()
