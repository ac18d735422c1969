// The issue list (问题清单, 限期销号): issues tied to a parcel, a building, a corridor stretch or a
// project, with a unit and a deadline, crossed off when solved. Checked: overdue on the as-of
// day; a closed issue leaves the open list and appears in the period's closed list; deadline
// changes and closings kept as dated events; a corridor issue's geometry is the red line between
// its chainages (areas and bounds from SpatiaLite SQL on the store, against hand geometry of a
// straight centreline); drawn red at its place on a meeting map (pixels of the PNG); returned by
// the viewer's API and exported; the bulletin's section; every bad input one clear message with
// the store's file unchanged (its SHA-256 before and after).
#include "landclear/analysis/bulletin.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/io/digest.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/report/bulletin_tables.hpp"
#include "landclear/server/server.hpp"
#include "landclear/server/server_api.hpp"
#include "support/fixtures.hpp"
#include "support/test_support.hpp"

#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <gdal_priv.h>
#include <httplib.h>
#include <map>
#include <nlohmann/json.hpp>
#include <ogr_spatialref.h>
#include <sqlite3.h>
#include <tuple>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000; // EPSG:4547, near Xiangtan

// Project A (150 m × 100 m red line, unit 雨湖区征拆办): parcels P1 (100 × 100 m) and P2
// (50 × 100 m), building H1 (20 × 20 m) on P2, road R along the parcels' middle (y = by + 50)
// from x = bx to bx + 150, 20 m wide, stationed from K1+000. Project Z has no red line.
struct Fixture {
    TempDir dir;
    std::string store = dir.file("s.sqlite");
    Fixture() {
        FixtureLayer parcels{
            "parcels",
            4547,
            {{"parcel_code"}, {"project_code"}, {"district"}, {"acquired_on", FixtureField::date}},
            {{rect_wkt(bx, by, 100, 100), {"P1", "A", "雨湖区", "2025-01-10"}},
             {rect_wkt(bx + 100, by, 50, 100), {"P2", "A", "雨湖区", ""}},
             {rect_wkt(bx + 500, by, 10, 10), {"Z1", "Z", "岳塘区", ""}}}};
        FixtureLayer buildings{"buildings",
                               4547,
                               {{"building_code"}, {"parcel_code"}},
                               {{rect_wkt(bx + 115, by + 70, 20, 20), {"H1", "P2"}}}};
        FixtureLayer projects{
            "projects",
            4547,
            {{"project_code"}, {"name"}, {"district"}, {"unit"}},
            {{rect_wkt(bx, by, 150, 100), {"A", "测试路", "雨湖区", "雨湖区征拆办"}},
             {"", {"Z", "无红线项目", "岳塘区", "岳塘区征拆办"}}}};
        FixtureLayer corridors{
            "corridors",
            4547,
            {{"corridor_code"},
             {"project_code"},
             {"width_m", FixtureField::real},
             {"start_chainage_m", FixtureField::real}},
            {{fmt::format("LINESTRING({} {},{} {})", bx, by + 50, bx + 150, by + 50),
              {"R", "A", "20", "1000"}}},
            "LineString"};
        import_fixture_layers_cli(dir.file("in.gpkg"), store,
                                  {parcels, buildings, projects, corridors});
    }

    // issue add …; returns the id it prints.
    std::string add(std::vector<std::string> args) {
        std::vector<std::string> cmd{"issue", "add", store};
        cmd.insert(cmd.end(), args.begin(), args.end());
        auto r = run_cli(cmd);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        BOOST_REQUIRE(r.out.size() > 1 && r.out.back() == '\n');
        return r.out.substr(0, r.out.size() - 1);
    }

    void ok(std::vector<std::string> args) {
        auto r = run_cli(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }

    // issue list … --format json: the rows of its one table.
    json list(std::vector<std::string> args) {
        std::vector<std::string> cmd{"issue", "list", store, "--format", "json"};
        cmd.insert(cmd.end(), args.begin(), args.end());
        auto r = run_cli(cmd);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        return json::parse(r.out).at("issues").at("rows");
    }

    std::vector<std::string> ids(std::vector<std::string> args) {
        std::vector<std::string> out;
        for (const auto& row : list(std::move(args)))
            out.push_back(row.at("id").get<std::string>());
        return out;
    }
};

using Ids = std::vector<std::string>;

double sql_number(const std::string& store, const std::string& sql) {
    return ogr_sql_number(store, sql);
}

bool near_colour(const Rgb& px, unsigned rgb) {
    int got[3] = {px.r, px.g, px.b};
    int want[3] = {int(rgb >> 16) & 0xff, int(rgb >> 8) & 0xff, int(rgb) & 0xff};
    for (int b = 0; b < 3; ++b)
        if (std::abs(got[b] - want[b]) > 3)
            return false;
    return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(corridor_issue_is_the_red_line_between_its_chainages) {
    Fixture f;
    auto stretch =
        f.add({"--corridor", "R", "--from", "K1+030", "--to", "K1+080", "--unit", "雨湖区征拆办",
               "--deadline", "2025-05-01", "--text", "电杆未迁", "--on", "2025-03-01"});
    BOOST_CHECK_EQUAL(stretch, "WT-0001");
    auto whole = f.add({"--corridor", "R", "--unit", "雨湖区征拆办", "--deadline", "2025-05-01",
                        "--text", "管线未迁", "--on", "2025-03-01"});
    BOOST_CHECK_EQUAL(whole, "WT-0002");
    // A straight centreline 20 m wide: K1+030–K1+080 is the rectangle x = bx+30 .. bx+80,
    // y = by+40 .. by+60, 50 m × 20 m = 1000 m²; the whole red line 150 m × 20 m = 3000 m².
    auto q = [&](const std::string& what, const std::string& id) {
        return sql_number(f.store,
                          fmt::format("SELECT {} FROM issues WHERE issue_id = '{}'", what, id));
    };
    BOOST_CHECK_CLOSE(q("ST_Area(geom)", stretch), 1000.0, 1e-6);
    BOOST_CHECK_CLOSE(q("measure", stretch), 1000.0, 1e-6);
    BOOST_CHECK_CLOSE(q("ST_MinX(geom)", stretch), bx + 30, 1e-9);
    BOOST_CHECK_CLOSE(q("ST_MaxX(geom)", stretch), bx + 80, 1e-9);
    BOOST_CHECK_CLOSE(q("ST_MinY(geom)", stretch), by + 40, 1e-9);
    BOOST_CHECK_CLOSE(q("ST_MaxY(geom)", stretch), by + 60, 1e-9);
    // The stretch is exactly that rectangle: its overlap with it is the whole of both.
    BOOST_CHECK_CLOSE(q(fmt::format("ST_Area(ST_Intersection(geom, ST_GeomFromText('{}', 4547)))",
                                    rect_wkt(bx + 30, by + 40, 50, 20)),
                        stretch),
                      1000.0, 1e-6);
    BOOST_CHECK_CLOSE(q("ST_Area(geom)", whole), 3000.0, 1e-6);
    // A parcel issue carries the parcel; a project issue its red line; the listed area is it.
    auto parcel = f.add({"--parcel", "P2", "--unit", "雨湖区征拆办", "--deadline", "2025-05-01",
                         "--text", "2 户未签约", "--on", "2025-03-01"});
    BOOST_CHECK_CLOSE(q("ST_Area(geom)", parcel), 5000.0, 1e-6);
    auto building = f.add({"--building", "H1", "--unit", "雨湖区征拆办", "--deadline", "2025-05-01",
                           "--text", "坟未迁", "--on", "2025-03-01"});
    BOOST_CHECK_CLOSE(q("ST_Area(geom)", building), 400.0, 1e-6);
    auto rows = f.list({"--as-of", "2025-03-02"});
    BOOST_REQUIRE_EQUAL(rows.size(), 4u);
    BOOST_CHECK_EQUAL(rows[0].at("target_code"), "R K1+030–K1+080");
    BOOST_CHECK_CLOSE(rows[0].at("area_m2").get<double>(), 1000.0, 1e-6);
    BOOST_CHECK_EQUAL(rows[2].at("project_code"), "A"); // P2's project
    BOOST_CHECK_EQUAL(rows[3].at("project_code"), "A"); // H1 through its parcel
    // A project without red line: the issue is kept, without geometry.
    auto none = f.add({"--project", "Z", "--unit", "岳塘区征拆办", "--deadline", "2025-05-01",
                       "--text", "边界争议", "--on", "2025-03-01"});
    BOOST_CHECK_EQUAL(
        sql_number(f.store,
                   fmt::format("SELECT count(*) FROM issues WHERE issue_id = '{}' AND geom IS NULL",
                               none)),
        1);
}

BOOST_AUTO_TEST_CASE(overdue_on_the_as_of_day_and_deadline_changes_dated) {
    Fixture f;
    auto id = f.add({"--parcel", "P1", "--unit", "雨湖区征拆办", "--deadline", "2025-03-31",
                     "--text", "青苗补偿未到位", "--on", "2025-03-01"});
    auto other = f.add({"--parcel", "P2", "--unit", "岳塘区征拆办", "--deadline", "2025-06-30",
                        "--text", "2 户未签约", "--on", "2025-03-01"});
    // Due on the 31st: not overdue that day, overdue from the next.
    BOOST_CHECK(f.ids({"--overdue", "--as-of", "2025-03-31"}).empty());
    auto rows = f.list({"--overdue", "--as-of", "2025-04-02"});
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    BOOST_CHECK_EQUAL(rows[0].at("id"), id);
    BOOST_CHECK_EQUAL(rows[0].at("days_overdue"), 2);
    BOOST_CHECK_EQUAL(rows[0].at("status_key"), "overdue");
    BOOST_CHECK_EQUAL(rows[0].at("status"), "逾期");
    // Raised after the day: not on that day's list.
    BOOST_CHECK(f.ids({"--as-of", "2025-02-28"}).empty());
    BOOST_CHECK((f.ids({"--unit", "岳塘区征拆办", "--as-of", "2025-04-02"}) == Ids{other}));
    // The deadline moved on 2025-04-03 to 2025-04-30: still overdue on the 2nd, not on the 5th.
    f.ok({"issue", "deadline", f.store, id, "--to", "2025-04-30", "--on", "2025-04-03", "--note",
          "协调会延期"});
    BOOST_CHECK((f.ids({"--overdue", "--as-of", "2025-04-02"}) == Ids{id}));
    BOOST_CHECK(f.ids({"--overdue", "--as-of", "2025-04-05"}).empty());
    auto later = f.list({"--as-of", "2025-05-03"});
    BOOST_CHECK_EQUAL(later[0].at("deadline"), "2025-04-30");
    BOOST_CHECK_EQUAL(later[0].at("days_overdue"), 3);
    // Both the raising and the move are in the history, with their days.
    auto events = ogr_sql(f.store, fmt::format("SELECT kind, on_date, old_value, new_value FROM "
                                               "issue_events WHERE issue_id = '{}' ORDER BY seq",
                                               id));
    BOOST_REQUIRE_EQUAL(events.size(), 2u);
    BOOST_CHECK((events[0] == std::vector<std::string>{"raised", "2025-03-01", "", "2025-03-31"}));
    BOOST_CHECK((events[1] ==
                 std::vector<std::string>{"deadline", "2025-04-03", "2025-03-31", "2025-04-30"}));
}

BOOST_AUTO_TEST_CASE(closed_issue_leaves_the_open_list_for_the_closed_one) {
    Fixture f;
    auto a = f.add({"--parcel", "P1", "--unit", "雨湖区征拆办", "--deadline", "2025-03-31",
                    "--text", "青苗补偿未到位", "--on", "2025-03-01"});
    auto b = f.add({"--parcel", "P2", "--unit", "雨湖区征拆办", "--deadline", "2025-04-30",
                    "--text", "2 户未签约", "--on", "2025-03-01"});
    BOOST_CHECK((f.ids({"--open", "--as-of", "2025-04-12"}) == Ids{a, b}));
    f.ok({"issue", "close", f.store, a, "--on", "2025-04-10", "--note", "已补偿"});
    BOOST_CHECK((f.ids({"--open", "--as-of", "2025-04-12"}) == Ids{b}));
    BOOST_CHECK((f.ids({"--open", "--as-of", "2025-04-09"}) == Ids{a, b})); // the day before
    BOOST_CHECK(f.ids({"--overdue", "--as-of", "2025-04-12"}).empty());
    auto closed = f.list({"--closed-between", "2025-04-06", "2025-04-12", "--as-of", "2025-04-12"});
    BOOST_REQUIRE_EQUAL(closed.size(), 1u);
    BOOST_CHECK_EQUAL(closed[0].at("id"), a);
    BOOST_CHECK_EQUAL(closed[0].at("closed_on"), "2025-04-10");
    BOOST_CHECK_EQUAL(closed[0].at("note"), "已补偿");
    BOOST_CHECK(f.ids({"--closed-between", "2025-04-11", "2025-04-12"}).empty());
    // Reopened on the 15th: open again from then on; the closing stays in its period.
    f.ok({"issue", "reopen", f.store, a, "--on", "2025-04-15", "--note", "补偿款退回"});
    BOOST_CHECK((f.ids({"--open", "--as-of", "2025-04-16"}) == Ids{a, b}));
    BOOST_CHECK((f.ids({"--closed-between", "2025-04-06", "2025-04-12", "--as-of", "2025-04-16"}) ==
                 Ids{a}));
    // The store keeps the latest state for exports and the viewer.
    BOOST_CHECK_EQUAL(ogr_sql(f.store, fmt::format("SELECT status FROM issues WHERE issue_id = "
                                                   "'{}'",
                                                   a))[0][0],
                      "open");
}

// --known-on: the list as it was known on a day, from the events recorded by then. The
// commands ran today, so the test sets each event's recorded_at (UTC, at noon: the same local
// day in any time zone from UTC-11 to UTC+11) straight in the store with sqlite3, as if each
// had been entered on the day below. The events, by hand:
//   WT-0001 (P1)  raised  on 03-01 (deadline 03-20)  recorded 03-01
//                 deadline on 03-18 to 04-15          recorded 03-19 (entered the day after)
//                 closed  on 04-10                    recorded 04-12 (entered late)
//   WT-0002 (H1)  raised  on 03-05 (deadline 04-30)  recorded 03-06
//                 closed  on 03-25                    recorded 03-25
//                 reopened on 04-02                   recorded 04-03
BOOST_AUTO_TEST_CASE(known_on_shows_the_list_from_the_events_recorded_by_then) {
    Fixture f;
    auto a = f.add({"--parcel", "P1", "--unit", "雨湖区征拆办", "--deadline", "2025-03-20",
                    "--text", "青苗补偿未到位", "--on", "2025-03-01"});
    auto b = f.add({"--building", "H1", "--unit", "雨湖区征拆办", "--deadline", "2025-04-30",
                    "--text", "1 户未签约", "--on", "2025-03-05"});
    f.ok({"issue", "deadline", f.store, a, "--to", "2025-04-15", "--on", "2025-03-18"});
    f.ok({"issue", "close", f.store, b, "--on", "2025-03-25"});
    f.ok({"issue", "reopen", f.store, b, "--on", "2025-04-02"});
    f.ok({"issue", "close", f.store, a, "--on", "2025-04-10"});
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(f.store.c_str(), &db) == SQLITE_OK);
    std::string sql;
    for (auto [id, seq, day] : {std::tuple{a, 1, "2025-03-01"}, std::tuple{a, 2, "2025-03-19"},
                                std::tuple{a, 3, "2025-04-12"}, std::tuple{b, 1, "2025-03-06"},
                                std::tuple{b, 2, "2025-03-25"}, std::tuple{b, 3, "2025-04-03"}})
        sql += fmt::format("UPDATE issue_events SET recorded_at = '{}T12:00:00Z' WHERE issue_id = "
                           "'{}' AND seq = {};",
                           day, id, seq);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, msg);
    BOOST_REQUIRE_EQUAL(ogr_sql_number(f.store, "SELECT COUNT(*) FROM issue_events WHERE "
                                                "recorded_at LIKE '2025-%T12:00:00Z'"),
                        6);

    // Each row: id, status key, deadline, days overdue, closed on.
    using Row = std::tuple<std::string, std::string, std::string, int, std::string>;
    auto rows = [&](std::vector<std::string> args) {
        std::vector<Row> out;
        for (const auto& r : f.list(std::move(args)))
            out.emplace_back(r.at("id").get<std::string>(), r.at("status_key").get<std::string>(),
                             r.at("deadline").get<std::string>(), r.at("days_overdue").get<int>(),
                             r.at("closed_on").is_null() ? std::string()
                                                         : r.at("closed_on").get<std::string>());
        return out;
    };
    auto both = [&](std::vector<Row> got, std::vector<Row> want) {
        BOOST_CHECK_MESSAGE(got == want, "got " << got.size() << " rows, want " << want.size());
        for (size_t i = 0; i < std::min(got.size(), want.size()); ++i)
            BOOST_CHECK_MESSAGE(
                got[i] == want[i],
                "row " << i << ": got " << std::get<0>(got[i]) << " " << std::get<1>(got[i]) << " "
                       << std::get<2>(got[i]) << " " << std::get<3>(got[i]) << " '"
                       << std::get<4>(got[i]) << "', want " << std::get<0>(want[i]) << " "
                       << std::get<1>(want[i]) << " " << std::get<2>(want[i]) << " "
                       << std::get<3>(want[i]) << " '" << std::get<4>(want[i]) << "'");
    };
    // Known on 03-05 (as of that day): WT-0002, raised on the 5th, was entered on the 6th.
    both(rows({"--known-on", "2025-03-05"}), {{a, "open", "2025-03-20", 0, ""}});
    // ... while as of the 5th with everything known it is there (WT-0001's deadline moves on
    // the 18th).
    both(rows({"--as-of", "2025-03-05"}),
         {{a, "open", "2025-03-20", 0, ""}, {b, "open", "2025-04-30", 0, ""}});
    // Known on 03-18, as of 03-22: the move to 04-15 (decided on the 18th, entered on the 19th)
    // is not known, so WT-0001 is 2 days past 03-20; WT-0002's closing is not known yet.
    both(rows({"--known-on", "2025-03-18", "--as-of", "2025-03-22"}),
         {{a, "overdue", "2025-03-20", 2, ""}, {b, "open", "2025-04-30", 0, ""}});
    // With everything known, as of 03-22: WT-0001 due 04-15, WT-0002 still open (closed the 25th).
    both(rows({"--as-of", "2025-03-22"}),
         {{a, "open", "2025-04-15", 0, ""}, {b, "open", "2025-04-30", 0, ""}});
    // Known on 03-25 (as of then): WT-0002 closed that day, the closing entered the same day.
    both(rows({"--known-on", "2025-03-25"}),
         {{a, "open", "2025-04-15", 0, ""}, {b, "closed", "2025-04-30", 0, "2025-03-25"}});
    // Known on 04-11: WT-0001's closing of the 10th was entered on the 12th, so it is open;
    // WT-0002 reopened on the 2nd (entered the 3rd) is open.
    both(rows({"--known-on", "2025-04-11"}),
         {{a, "open", "2025-04-15", 0, ""}, {b, "open", "2025-04-30", 0, ""}});
    BOOST_CHECK((f.ids({"--known-on", "2025-04-11", "--open"}) == Ids{a, b}));
    both(rows({"--as-of", "2025-04-11"}),
         {{a, "closed", "2025-04-15", 0, "2025-04-10"}, {b, "open", "2025-04-30", 0, ""}});
    // Known on 04-12: as today's list of that day.
    both(rows({"--known-on", "2025-04-12"}), rows({"--as-of", "2025-04-12"}));
    both(rows({"--known-on", "2025-04-12"}),
         {{a, "closed", "2025-04-15", 0, "2025-04-10"}, {b, "open", "2025-04-30", 0, ""}});
    // Known on 04-11 but as of 04-20: WT-0001 (its closing unknown) is 5 days past 04-15.
    both(rows({"--known-on", "2025-04-11", "--as-of", "2025-04-20"}),
         {{a, "overdue", "2025-04-15", 5, ""}, {b, "open", "2025-04-30", 0, ""}});
    // Before anything was entered: an empty list.
    BOOST_CHECK(f.ids({"--known-on", "2025-02-28", "--as-of", "2025-04-30"}).empty());
    // A bad day is a usage error.
    auto bad = run_cli({"issue", "list", f.store, "--known-on", "2025-02-30"});
    BOOST_CHECK_EQUAL(bad.exit_code, 2);
}

BOOST_AUTO_TEST_CASE(drawn_red_on_the_meeting_map_where_it_is) {
    Fixture f;
    auto late = f.add({"--parcel", "P1", "--unit", "雨湖区征拆办", "--deadline", "2025-03-31",
                       "--text", "青苗补偿未到位", "--on", "2025-03-01"});
    auto open = f.add({"--parcel", "P2", "--unit", "雨湖区征拆办", "--deadline", "2025-04-30",
                       "--text", "2 户未签约", "--on", "2025-03-01"});
    auto done = f.add({"--building", "H1", "--unit", "雨湖区征拆办", "--deadline", "2025-04-30",
                       "--text", "坟未迁", "--on", "2025-03-01"});
    f.ok({"issue", "close", f.store, done, "--on", "2025-04-01"});
    MapRequest req;
    req.scope = MapScope::project;
    req.code = "A";
    req.as_of = Date(2025, 4, 10);
    std::unique_ptr<Store> s = open_store(f.store, StoreMode::read);
    auto pages = collect_map_pages(*s, req);
    BOOST_REQUIRE_EQUAL(pages.size(), 1u);
    const auto& page = pages[0];
    std::map<std::string, const MapIssue*> on_map;
    for (const auto& i : page.issues)
        on_map[i.id] = &i;
    BOOST_REQUIRE_EQUAL(on_map.size(), 2u); // the closed one is not drawn
    BOOST_CHECK(on_map.at(late)->overdue);
    BOOST_CHECK(!on_map.at(open)->overdue);
    // Listed beside the figures.
    bool listed = false;
    for (const auto& row : page.figure_rows)
        listed = listed || row.label.find(late) != std::string::npos;
    BOOST_CHECK(listed);

    auto png = f.dir.file("a.png");
    auto r = run_cli(
        {"map", f.store, "--project", "A", "--as-of", "2025-04-10", "--out", png, "--dpi", "100"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    Image img(png);
    // The markers sit on each parcel's point on surface: for a rectangle, its centre (hand
    // geometry: P1 is bx..bx+100, P2 bx+100..bx+150, both by..by+100).
    auto [c1, r1] = page.transform.to_pixel(bx + 50, by + 50, 100);
    auto red = img.at(c1, r1);
    BOOST_CHECK_MESSAGE(near_colour(red, 0xd7191c), "overdue marker " << red.hex());
    auto [c2, r2] = page.transform.to_pixel(bx + 125, by + 50, 100);
    auto orange = img.at(c2, r2);
    BOOST_CHECK_MESSAGE(near_colour(orange, 0xd95f0e), "open marker " << orange.hex());
    // The overdue issue's dashed outline runs along P1's left edge (x = bx), somewhere on it.
    int reddish = 0;
    for (double y = by + 5; y < by + 45; y += 0.5) {
        auto [c, rr] = page.transform.to_pixel(bx, y, 100);
        auto px = img.at(c, rr);
        reddish += px.r > 180 && px.g < 90 && px.b < 90;
    }
    BOOST_CHECK_GT(reddish, 10);
}

BOOST_AUTO_TEST_CASE(viewer_api_returns_the_issues) {
    Fixture f;
    auto late = f.add({"--parcel", "P1", "--unit", "雨湖区征拆办", "--deadline", "2025-03-31",
                       "--text", "青苗补偿未到位", "--on", "2025-03-01"});
    auto done = f.add({"--parcel", "P2", "--unit", "雨湖区征拆办", "--deadline", "2025-04-30",
                       "--text", "2 户未签约", "--on", "2025-03-01"});
    f.ok({"issue", "close", f.store, done, "--on", "2025-04-01"});
    ViewerApi api(f.store, {}, nullptr);
    auto doc = json::parse(api.issues(Date(2025, 4, 10), false));
    BOOST_CHECK_EQUAL(doc.at("type"), "FeatureCollection");
    BOOST_REQUIRE_EQUAL(doc.at("features").size(), 1u);
    const auto& p = doc["features"][0]["properties"];
    BOOST_CHECK_EQUAL(p.at("id"), late);
    BOOST_CHECK_EQUAL(p.at("status"), "overdue");
    BOOST_CHECK_EQUAL(p.at("overdue"), true);
    BOOST_CHECK_EQUAL(p.at("days_overdue"), 10);
    BOOST_CHECK_EQUAL(p.at("deadline"), "2025-03-31");
    // Its geometry in WGS84: P1's corners as SpatiaLite transforms them.
    // P1's lower-left corner as PROJ (through GDAL, traditional GIS order) transforms it.
    OGRSpatialReference from, to;
    from.importFromEPSG(4547);
    to.importFromEPSG(4326);
    from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&from, &to));
    BOOST_REQUIRE(ct);
    double lon = bx, lat = by;
    BOOST_REQUIRE(ct->Transform(1, &lon, &lat));
    // One of its vertices is that corner (RFC 7946 keeps 7 decimals: 1e-7° ≈ 1 cm).
    double nearest = 999;
    std::function<void(const json&)> visit = [&](const json& c) {
        if (c.size() == 2 && c[0].is_number()) {
            nearest =
                std::min(nearest, std::hypot(c[0].get<double>() - lon, c[1].get<double>() - lat));
            return;
        }
        for (const auto& part : c)
            visit(part);
    };
    visit(doc["features"][0]["geometry"]["coordinates"]);
    BOOST_CHECK_SMALL(nearest, 1e-6);
    // all=1 also gives the closed one; before it was raised there is none.
    BOOST_CHECK_EQUAL(json::parse(api.issues(Date(2025, 4, 10), true)).at("features").size(), 2u);
    BOOST_CHECK_EQUAL(json::parse(api.issues(Date(2025, 2, 1), true)).at("features").size(), 0u);

    // Over HTTP, as the viewer asks for it.
    auto viewer = f.dir.path() / "viewer";
    fs::create_directories(viewer / "vendor" / "maplibre");
    std::ofstream(viewer / "index.html") << "<!doctype html>";
    std::ofstream(viewer / "app.js") << "'use strict';";
    std::ofstream(viewer / "vendor" / "maplibre" / "maplibre-gl.mjs") << "/* maplibre */";
    ServerOptions o;
    o.store = f.store;
    o.port = 0;
    o.viewer_dir = viewer.string();
    Server server(o);
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    auto res = client.Get("/api/issues?as_of=2025-04-10");
    BOOST_REQUIRE(res);
    BOOST_CHECK_EQUAL(res->status, 200);
    auto http = json::parse(res->body);
    BOOST_REQUIRE_EQUAL(http.at("features").size(), 1u);
    BOOST_CHECK_EQUAL(http["features"][0]["properties"]["id"], late);
    auto bad = client.Get("/api/issues?as_of=2025-04-10&all=yes");
    BOOST_REQUIRE(bad);
    BOOST_CHECK_EQUAL(bad->status, 400);
    server.stop();
}

BOOST_AUTO_TEST_CASE(bad_inputs_one_clear_message_store_unchanged) {
    Fixture f;
    auto id = f.add({"--parcel", "P1", "--unit", "雨湖区征拆办", "--deadline", "2025-03-31",
                     "--text", "青苗补偿未到位", "--on", "2025-03-01"});
    f.ok({"issue", "close", f.store, id, "--on", "2025-04-10"});
    const auto before = sha256_file(f.store);
    BOOST_REQUIRE(!before.empty());
    auto refused = [&](std::vector<std::string> args, int code, const std::string& says) {
        auto r = run_cli(args);
        BOOST_CHECK_MESSAGE(r.exit_code == code, "exit " << r.exit_code << ": " << r.err);
        BOOST_CHECK_MESSAGE(r.err.find(says) != std::string::npos,
                            "expected '" << says << "' in: " << r.err);
        // One message: the error line and its hint.
        BOOST_CHECK_EQUAL(std::count(r.err.begin(), r.err.end(), '\n') <= 2, true);
        BOOST_CHECK(r.out.empty());
        BOOST_CHECK_EQUAL(sha256_file(f.store), before);
    };
    std::vector<std::string> add{"issue",  "add", f.store, "--unit",    "u",
                                 "--text", "t",   "--on",  "2025-03-01"};
    auto with = [&](std::vector<std::string> more) {
        auto a = add;
        a.insert(a.end(), more.begin(), more.end());
        return a;
    };
    refused(with({"--parcel", "NOPE", "--deadline", "2025-04-01"}), 2,
            "--parcel NOPE: no such parcel");
    refused(with({"--building", "NOPE", "--deadline", "2025-04-01"}), 2,
            "--building NOPE: no such building");
    refused(with({"--project", "NOPE", "--deadline", "2025-04-01"}), 2,
            "--project NOPE: no such project");
    refused(with({"--corridor", "NOPE", "--deadline", "2025-04-01"}), 2,
            "--corridor NOPE: no such corridor");
    refused(
        with({"--corridor", "R", "--from", "K1+100", "--to", "K1+200", "--deadline", "2025-04-01"}),
        2, "--to K1+200: outside corridor R, which runs K1+000–K1+150");
    refused(
        with({"--corridor", "R", "--from", "K0+900", "--to", "K1+100", "--deadline", "2025-04-01"}),
        2, "--from K0+900: outside corridor R");
    refused(
        with({"--corridor", "R", "--from", "K1+100", "--to", "K1+050", "--deadline", "2025-04-01"}),
        2, "--to K1+050: not after --from K1+100");
    refused(
        with({"--corridor", "R", "--from", "K1+1O0", "--to", "K1+050", "--deadline", "2025-04-01"}),
        2, "--from 'K1+1O0': not a chainage");
    refused(
        with({"--parcel", "P1", "--from", "K1+000", "--to", "K1+050", "--deadline", "2025-04-01"}),
        2, "a chainage stretch needs --corridor");
    refused(with({"--parcel", "P1", "--deadline", "2025-02-28"}), 2,
            "--deadline 2025-02-28: before the day the issue is raised (--on 2025-03-01)");
    refused(with({"--parcel", "P1", "--deadline", "2025-02-30"}), 2, "2025-02-30");
    refused(with({"--parcel", "P1", "--project", "A", "--deadline", "2025-04-01"}), 2,
            "give exactly one of --parcel, --building, --corridor, --project");
    refused({"issue", "close", f.store, id, "--on", "2025-04-11"}, 2,
            fmt::format("issue close {}: the issue is already closed (销号 on 2025-04-10)", id));
    refused({"issue", "close", f.store, "WT-0099", "--on", "2025-04-11"}, 2,
            "issue WT-0099: no such issue (the store holds WT-0001)");
    refused({"issue", "reopen", f.store, id, "--on", "2025-04-09"}, 2,
            "before its latest status change (2025-04-10)");
    refused({"issue", "deadline", f.store, id, "--to", "2025-02-01"}, 2,
            "--to 2025-02-01: before the issue was raised (2025-03-01)");
    refused({"issue", "list", f.store, "--closed-between", "2025-04-10", "2025-04-01"}, 2,
            "the second day is before the first");

    // An Excel list with bad rows: every bad row named with its row and column, nothing added.
    auto csv = f.dir.file("bad.csv");
    std::ofstream(csv) << "宗地编号,线路编号,起点桩号,终点桩号,问题描述,责任单位,提出日期,限期\n"
                          "P2,,,,好行,雨湖区征拆办,2025-03-01,2025-03-31\n"
                          "NOPE,,,,x,雨湖区征拆办,2025-03-01,2025-03-31\n"
                          ",R,K1+100,K1+200,y,雨湖区征拆办,2025-03-01,2025-03-31\n"
                          "P2,,,,z,,2025-03-01,2025-03-31\n"
                          "P2,,,,z,u,2025-03-01,2025-02-31\n"
                          "P2,,,,z,u,2025-03-01,2025-02-01\n";
    auto r = run_cli({"issue", "import", f.store, csv});
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    for (const auto* says :
         {"5 rows cannot be imported, nothing was imported", "row 3: 宗地编号 NOPE: no such parcel",
          "row 4: 终点桩号 K1+200: outside corridor R, which runs K1+000–K1+150",
          "row 5: 责任单位: empty", "row 6: 限期: cannot read '2025-02-31' as a date",
          "row 7: 限期 2025-02-01: before the day the issue is raised (提出日期 2025-03-01)"})
        BOOST_CHECK_MESSAGE(r.err.find(says) != std::string::npos,
                            "expected '" << says << "' in: " << r.err);
    BOOST_CHECK(r.err.find("row 2") == std::string::npos);
    BOOST_CHECK_EQUAL(sha256_file(f.store), before);

    // No store: an error, and no store made.
    auto missing = f.dir.file("nope.sqlite");
    auto m = run_cli({"issue", "add", missing, "--parcel", "P1", "--unit", "u", "--text", "t",
                      "--deadline", "2025-04-01"});
    BOOST_CHECK_EQUAL(m.exit_code, 1);
    BOOST_CHECK(m.err.find("does not exist") != std::string::npos);
    BOOST_CHECK(!fs::exists(missing));
}

BOOST_AUTO_TEST_CASE(import_an_excel_list) {
    Fixture f;
    // An office's list: a title row, Chinese headers, dates as text in several spellings, one
    // row already crossed off.
    FixtureLayer list{"问题清单",
                      0,
                      {{"编号"},
                       {"宗地编号"},
                       {"房屋编号"},
                       {"线路编号"},
                       {"起点桩号"},
                       {"终点桩号"},
                       {"项目编号"},
                       {"问题描述"},
                       {"责任单位"},
                       {"提出日期"},
                       {"限期"},
                       {"销号日期"},
                       {"备注"}},
                      {{"",
                        {"", "P1", "", "", "", "", "", "青苗补偿未到位", "雨湖区征拆办",
                         "2025-03-01", "2025-03-31", "", ""}},
                       {"",
                        {"", "", "", "R", "K1+030", "K1+080", "", "电杆未迁", "雨湖区征拆办",
                         "2025/3/2", "2025年4月15日", "2025-04-10", "已迁"}},
                       {"",
                        {"WT-0100", "", "H1", "", "", "", "A", "坟未迁", "岳塘区征拆办",
                         "2025-03-02", "2025-04-30", "", ""}}},
                      "None"};
    auto xlsx = f.dir.file("list.xlsx");
    write_layer(xlsx, "XLSX", list);
    auto r = run_cli({"issue", "import", f.store, xlsx});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK_EQUAL(r.out, "imported 3 issues: WT-0001, WT-0002, WT-0100\n");
    auto rows = f.list({"--as-of", "2025-04-12"});
    BOOST_REQUIRE_EQUAL(rows.size(), 3u);
    BOOST_CHECK_EQUAL(rows[0].at("status_key"), "overdue");
    BOOST_CHECK_EQUAL(rows[0].at("days_overdue"), 12);
    BOOST_CHECK_EQUAL(rows[1].at("target_code"), "R K1+030–K1+080");
    BOOST_CHECK_EQUAL(rows[1].at("raised_on"), "2025-03-02");
    BOOST_CHECK_EQUAL(rows[1].at("deadline"), "2025-04-15");
    BOOST_CHECK_EQUAL(rows[1].at("status_key"), "closed");
    BOOST_CHECK_EQUAL(rows[1].at("closed_on"), "2025-04-10");
    BOOST_CHECK_CLOSE(rows[1].at("area_m2").get<double>(), 1000.0, 1e-6);
    BOOST_CHECK_EQUAL(rows[2].at("id"), "WT-0100");
    BOOST_CHECK_EQUAL(rows[2].at("unit"), "岳塘区征拆办");
    // The next issue added by hand follows the highest number.
    auto next = f.add({"--parcel", "P2", "--unit", "u", "--deadline", "2025-05-01", "--text", "t",
                       "--on", "2025-04-01"});
    BOOST_CHECK_EQUAL(next, "WT-0101");
    // Importing it again would give WT-0100 twice: refused, nothing added.
    auto before = sha256_file(f.store);
    auto again = run_cli({"issue", "import", f.store, xlsx});
    BOOST_CHECK_EQUAL(again.exit_code, 1);
    BOOST_CHECK(again.err.find("row 4: issue id WT-0100: already in the store") !=
                std::string::npos);
    BOOST_CHECK_EQUAL(sha256_file(f.store), before);
}

BOOST_AUTO_TEST_CASE(bulletin_section_and_export) {
    Fixture f;
    auto a = f.add({"--parcel", "P1", "--unit", "雨湖区征拆办", "--deadline", "2025-03-31",
                    "--text", "青苗补偿未到位", "--on", "2025-03-01"});
    auto b = f.add({"--parcel", "P2", "--unit", "雨湖区征拆办", "--deadline", "2025-04-30",
                    "--text", "2 户未签约", "--on", "2025-04-01"});
    auto c = f.add({"--building", "H1", "--unit", "岳塘区征拆办", "--deadline", "2025-04-05",
                    "--text", "坟未迁", "--on", "2025-03-02"});
    f.ok({"issue", "close", f.store, c, "--on", "2025-04-08"});
    // The fortnight 2025-03-28 .. 2025-04-10: 雨湖区征拆办 has a (overdue 10 days) and b (raised
    // in it) open; 岳塘区征拆办 closed c in it.
    std::unique_ptr<Store> s = open_store(f.store, StoreMode::read);
    BulletinOptions o;
    o.kind = BulletinKind::fortnightly;
    o.date = Date(2025, 4, 10);
    o.known_on = Date::today(); // the fixture's import is reported today
    auto bulletin = compute_bulletin(*s, o);
    BOOST_REQUIRE(bulletin.issues);
    const auto& p = *bulletin.issues;
    BOOST_REQUIRE_EQUAL(p.units.size(), 2u);
    BOOST_CHECK_EQUAL(p.units[0].unit, "岳塘区征拆办");
    BOOST_CHECK_EQUAL(p.units[0].open, 0);
    BOOST_CHECK_EQUAL(p.units[0].closed, 1);
    BOOST_CHECK_EQUAL(p.units[1].unit, "雨湖区征拆办");
    BOOST_CHECK_EQUAL(p.units[1].open, 2);
    BOOST_CHECK_EQUAL(p.units[1].overdue, 1);
    BOOST_CHECK_EQUAL(p.units[1].raised, 1);
    BOOST_CHECK_EQUAL(p.units[1].max_days_overdue, 10);
    BOOST_REQUIRE_EQUAL(p.open.size(), 2u);
    BOOST_CHECK_EQUAL(p.open[0].issue.id, a); // overdue first
    BOOST_CHECK_EQUAL(p.open[1].issue.id, b);
    BOOST_REQUIRE_EQUAL(p.closed.size(), 1u);
    BOOST_CHECK_EQUAL(p.closed[0].issue.id, c);
    auto tables = bulletin_tables(bulletin);
    std::vector<std::string> names;
    for (const auto& t : tables)
        names.push_back(t.name);
    BOOST_CHECK(std::find(names.begin(), names.end(), "issues_by_unit") != names.end());
    BOOST_CHECK(std::find(names.begin(), names.end(), "issues_closed") != names.end());

    // export --layer issues: every issue with its status on the day, its geometry's area.
    auto out = f.dir.file("issues.gpkg");
    auto r =
        run_cli({"export", f.store, "--layer", "issues", "--as-of", "2025-04-10", "--out", out});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK_EQUAL(ogr_sql_number(out, "SELECT count(*) FROM issues"), 3);
    BOOST_CHECK_CLOSE(ogr_sql_number(out, "SELECT sum(ST_Area(geom)) FROM issues"),
                      10000.0 + 5000.0 + 400.0, 1e-6);
    BOOST_CHECK_EQUAL(ogr_sql(out, fmt::format("SELECT status, days_overdue FROM issues WHERE "
                                               "issue_id = '{}'",
                                               a))[0][1],
                      "10");
}
