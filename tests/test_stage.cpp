// core/stage: the stage of a parcel and a building on a date, the accumulation rule, the
// contradictions; and the acceptance test of issue 10 item 2: on two parcels cleared without an
// acquired date, status, corridor, export, the map's legend and the server's API give the same
// acquired/cleared/delivered 亩 (hand-computed and checked by SpatiaLite SQL on the input), and
// `check` names both parcels.
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/status.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/core/units.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/server/server.hpp"
#include "landclear/store/store.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <httplib.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

Date d(int y, int m, int day) {
    return Date(y, m, day);
}

std::set<DateContradiction> set_of(const std::vector<DateContradiction>& v) {
    return {v.begin(), v.end()};
}

} // namespace

// ---- core/stage unit tests -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reached_includes_the_as_of_day_and_excludes_since) {
    Date as_of = d(2025, 3, 10);
    BOOST_TEST(reached(d(2025, 3, 10), as_of)); // on the day: reached
    BOOST_TEST(reached(d(2025, 3, 9), as_of));
    BOOST_TEST(!reached(d(2025, 3, 11), as_of));
    BOOST_TEST(!reached(std::nullopt, as_of));
    std::optional<Date> since = d(2025, 3, 3);
    BOOST_TEST(reached_within(d(2025, 3, 10), since, as_of)); // as_of itself is in the period
    BOOST_TEST(!reached_within(d(2025, 3, 3), since, as_of)); // since itself is not
    BOOST_TEST(reached_within(d(2025, 3, 4), since, as_of));
    BOOST_TEST(!reached_within(d(2025, 3, 11), since, as_of));
    BOOST_TEST(!reached_within(d(2025, 3, 5), std::nullopt, as_of));
    BOOST_TEST(!reached_within(std::nullopt, since, as_of));
}

BOOST_AUTO_TEST_CASE(parcel_stage_is_the_furthest_stage_whose_own_date_is_reached) {
    ParcelDates full{d(2025, 1, 10), d(2025, 2, 10), d(2025, 3, 10)};
    BOOST_TEST((parcel_stage(full, d(2025, 1, 9)) == ParcelStage::not_acquired));
    BOOST_TEST((parcel_stage(full, d(2025, 1, 10)) == ParcelStage::acquired));
    BOOST_TEST((parcel_stage(full, d(2025, 2, 9)) == ParcelStage::acquired));
    BOOST_TEST((parcel_stage(full, d(2025, 2, 10)) == ParcelStage::cleared));
    BOOST_TEST((parcel_stage(full, d(2025, 3, 10)) == ParcelStage::delivered));
    // Cleared without an acquired date: cleared on its own date.
    ParcelDates state_owned{std::nullopt, d(2025, 3, 1), std::nullopt};
    BOOST_TEST((parcel_stage(state_owned, d(2025, 2, 28)) == ParcelStage::not_acquired));
    BOOST_TEST((parcel_stage(state_owned, d(2025, 3, 1)) == ParcelStage::cleared));
    // Delivered before cleared: delivered from its own date.
    ParcelDates early{d(2025, 1, 1), d(2025, 3, 1), d(2025, 2, 1)};
    BOOST_TEST((parcel_stage(early, d(2025, 2, 1)) == ParcelStage::delivered));

    BuildingDates b{d(2025, 1, 5), d(2025, 1, 20)};
    BOOST_TEST((building_stage(b, d(2025, 1, 4)) == BuildingStage::not_signed));
    BOOST_TEST((building_stage(b, d(2025, 1, 5)) == BuildingStage::signed_up));
    BOOST_TEST((building_stage(b, d(2025, 1, 20)) == BuildingStage::demolished));
    BuildingDates unsigned_demolished{std::nullopt, d(2025, 1, 20)};
    BOOST_TEST((building_stage(unsigned_demolished, d(2025, 1, 20)) == BuildingStage::demolished));
}

BOOST_AUTO_TEST_CASE(each_date_counts_on_its_own) {
    // 600 m² with a cleared and a delivered date but no acquired date.
    ParcelDates p{std::nullopt, d(2025, 3, 1), d(2025, 3, 10)};
    LandAreas a;
    a.add(p, 600, d(2025, 3, 10), d(2025, 3, 1));
    BOOST_TEST(a.acquired_m2 == 0);
    BOOST_TEST(a.cleared_m2 == 600);
    BOOST_TEST(a.delivered_m2 == 600);     // 2025-03-10 = as_of: counted
    BOOST_TEST(a.new_cleared_m2 == 0);     // 2025-03-01 = since: not in the period
    BOOST_TEST(a.new_delivered_m2 == 600); // in (since, as_of]
    a.add({d(2025, 2, 1), std::nullopt, std::nullopt}, 400, d(2025, 3, 10), std::nullopt);
    BOOST_TEST(a.acquired_m2 == 400);
    BOOST_TEST(a.cleared_m2 == 600);
    BOOST_TEST(a.new_acquired_m2 == 0); // no since: no increase

    HouseholdCounts h;
    h.add({std::nullopt, d(2025, 3, 5)}, 3, 250.5, d(2025, 3, 5), d(2025, 3, 4));
    BOOST_TEST(h.signed_households == 0);
    BOOST_TEST(h.demolished_households == 3);
    BOOST_TEST(h.demolished_floor_m2 == 250.5);
    BOOST_TEST(h.new_demolished_households == 3);
    h.add({d(2025, 3, 6), std::nullopt}, 2, 100, d(2025, 3, 5), d(2025, 3, 4));
    BOOST_TEST(h.signed_households == 0); // signed after as_of
}

BOOST_AUTO_TEST_CASE(each_contradiction_is_named) {
    using C = DateContradiction;
    auto none = std::nullopt;
    BOOST_TEST(
        date_contradictions(ParcelDates{d(2025, 1, 1), d(2025, 2, 1), d(2025, 3, 1)}).empty());
    BOOST_TEST(date_contradictions(ParcelDates{none, none, none}).empty());
    BOOST_TEST(date_contradictions(ParcelDates{d(2025, 1, 1), none, none}).empty());
    // Equal dates are in order.
    BOOST_TEST(
        date_contradictions(ParcelDates{d(2025, 1, 1), d(2025, 1, 1), d(2025, 1, 1)}).empty());
    BOOST_TEST((set_of(date_contradictions(ParcelDates{none, d(2025, 2, 1), none})) ==
                std::set<C>{C::cleared_without_acquired}));
    BOOST_TEST((set_of(date_contradictions(ParcelDates{d(2025, 2, 2), d(2025, 2, 1), none})) ==
                std::set<C>{C::cleared_before_acquired}));
    BOOST_TEST((set_of(date_contradictions(ParcelDates{d(2025, 1, 1), none, d(2025, 3, 1)})) ==
                std::set<C>{C::delivered_without_cleared}));
    BOOST_TEST(
        (set_of(date_contradictions(ParcelDates{d(2025, 1, 1), d(2025, 3, 1), d(2025, 2, 1)})) ==
         std::set<C>{C::delivered_before_cleared}));
    // Delivered before acquired with no cleared date: both said.
    BOOST_TEST((set_of(date_contradictions(ParcelDates{d(2025, 3, 1), none, d(2025, 2, 1)})) ==
                std::set<C>{C::delivered_without_cleared, C::delivered_before_acquired}));
    // Delivered with nothing before it.
    BOOST_TEST((set_of(date_contradictions(ParcelDates{none, none, d(2025, 2, 1)})) ==
                std::set<C>{C::delivered_without_cleared}));
    // Cleared before acquired and delivered before both: the two orders, not a third.
    BOOST_TEST(
        (set_of(date_contradictions(ParcelDates{d(2025, 3, 1), d(2025, 2, 1), d(2025, 1, 1)})) ==
         std::set<C>{C::cleared_before_acquired, C::delivered_before_cleared}));

    BOOST_TEST(date_contradictions(BuildingDates{d(2025, 1, 1), d(2025, 1, 1)}).empty());
    BOOST_TEST(date_contradictions(BuildingDates{d(2025, 1, 1), none}).empty());
    BOOST_TEST((set_of(date_contradictions(BuildingDates{none, d(2025, 1, 1)})) ==
                std::set<C>{C::demolished_without_signed}));
    BOOST_TEST((set_of(date_contradictions(BuildingDates{d(2025, 1, 2), d(2025, 1, 1)})) ==
                std::set<C>{C::demolished_before_signed}));

    // Every contradiction has its own finding kind and a text naming the dates.
    std::set<std::string> kinds;
    for (auto c : all_date_contradictions())
        kinds.insert(contradiction_info(c).kind);
    BOOST_TEST(kinds.size() == 7u);
    BOOST_TEST(
        describe(C::cleared_before_acquired, ParcelDates{d(2025, 1, 10), d(2025, 1, 1), none}) ==
        "腾地日期 2025-01-01 早于征地日期 2025-01-10");
}

BOOST_AUTO_TEST_CASE(labels_and_palette) {
    BOOST_TEST(std::string(stage_style(ParcelStage::not_acquired).zh) == "未征");
    BOOST_TEST(std::string(stage_style(ParcelStage::acquired).zh) == "已征");
    BOOST_TEST(std::string(stage_style(ParcelStage::cleared).zh) == "已腾");
    BOOST_TEST(std::string(stage_style(ParcelStage::delivered).en) == "delivered");
    BOOST_TEST(std::string(stage_style(BuildingStage::signed_up).zh) == "已签约");
    BOOST_TEST(stage_style(ParcelStage::not_acquired).fill.hex() == "#c8c8c8"); // grey
    BOOST_TEST(stage_style(ParcelStage::acquired).fill.hex() == "#ffd84d");     // yellow
    BOOST_TEST(stage_style(ParcelStage::cleared).fill.hex() == "#f58f2a");      // orange
    BOOST_TEST(stage_style(ParcelStage::delivered).fill.hex() == "#4fb05a");    // green
    BOOST_TEST(attention_colour.hex() == "#d7191c");                            // red
    // Red is for overdue/blocking only: no stage is drawn in it.
    for (auto s : all_parcel_stages)
        BOOST_TEST(!(stage_style(s).fill == attention_colour));
}

// ---- acceptance: one rule everywhere --------------------------------------------------------

namespace {

constexpr double bx = 390000, by = 3080000; // EPSG:4547, near Xiangtan

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", bx + x, by + y,
                       bx + x + w, by + y + h);
}

// Two 100 m squares (10,000 m² = 15 亩 each) of state-owned land cleared without an acquired
// date: S1 cleared 2025-03-01, S2 cleared 2025-03-10 and delivered 2025-03-15. One building on
// S1 (2 households) demolished 2025-03-05 without a signed date. Project P's red line is the
// 200 × 100 m rectangle; corridor C1 runs along it with a 120 m red line reaching past both.
//
// Hand figures as of 2025-03-20 (since 2025-03-05): parcel area 30 亩; acquired 0; cleared 30;
// delivered 15; new cleared 15 (S2), new delivered 15 (S2); demolished 2 households, new 0
// (2025-03-05 is the since day). The nested reading would give cleared 0, delivered 0.
const std::string as_of = "2025-03-20", since = "2025-03-05";
constexpr double area_mu = 30, acquired_mu = 0, cleared_mu = 30, delivered_mu = 15;
constexpr double new_cleared_mu = 15, new_delivered_mu = 15;

struct StageFixture {
    TempDir dir;
    std::string store = dir.file("s.sqlite");
    std::string src = dir.file("in.gpkg");
    fs::path viewer = dir.path() / "viewer";

    StageFixture() {
        FixtureLayer parcels{"parcels",
                             4547,
                             {{"parcel_code"},
                              {"project_code"},
                              {"owner_type"},
                              {"acquired_on", FixtureField::date},
                              {"cleared_on", FixtureField::date},
                              {"delivered_on", FixtureField::date}},
                             {}};
        parcels.features = {
            {rect(0, 0, 100, 100), {"S1", "P", "国有", "", "2025-03-01", ""}},
            {rect(100, 0, 100, 100), {"S2", "P", "国有", "", "2025-03-10", "2025-03-15"}},
        };
        FixtureLayer buildings{"buildings",
                               4547,
                               {{"building_code"},
                                {"parcel_code"},
                                {"households", FixtureField::integer},
                                {"floor_area_m2", FixtureField::real},
                                {"signed_on", FixtureField::date},
                                {"demolished_on", FixtureField::date}},
                               {}};
        buildings.features = {{rect(30, 30, 10, 10), {"B1", "S1", "2", "160", "", "2025-03-05"}}};
        FixtureLayer projects{"projects",
                              4547,
                              {{"project_code"}, {"name"}},
                              {{rect(0, 0, 200, 100), {"P", "国有地块腾地"}}}};
        FixtureLayer corridors{
            "corridors",
            4547,
            {{"corridor_code"},
             {"project_code"},
             {"name"},
             {"width_m", FixtureField::real},
             {"start_chainage_m", FixtureField::real}},
            {{fmt::format("LINESTRING({} {},{} {})", bx - 50, by + 50, bx + 250, by + 50),
              {"C1", "P", "国有地块道路", "120", "0"}}},
            "LineString"};
        write_layer(src, "GPKG", parcels);
        write_layer(src, "GPKG", buildings);
        write_layer(src, "GPKG", projects);
        write_layer(src, "GPKG", corridors);
        auto r = run_cli({"import", store, "--parcels", src + ":parcels", "--buildings",
                          src + ":buildings", "--projects", src + ":projects", "--corridors",
                          src + ":corridors", "--quiet"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        fs::create_directories(viewer / "vendor" / "maplibre");
        for (auto f : {"index.html", "app.js"})
            std::ofstream(viewer / f) << "<!doctype html>";
        std::ofstream(viewer / "vendor" / "maplibre" / "maplibre-gl.mjs") << "/* maplibre */";
    }

    // Independent: SpatiaLite on the input, each date on its own.
    double sql_mu(const std::string& date_field) const {
        return ogr_sql_number(src, fmt::format("SELECT coalesce(sum(ST_Area(geom)), 0) * 3 / 2000 "
                                               "FROM parcels WHERE {} <= '{}'",
                                               date_field, as_of));
    }
};

StageFixture& fixture() {
    static StageFixture f;
    return f;
}

// Every JSON document in a stream (one, or several back to back).
std::vector<json> json_documents(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    while ((in >> std::ws) && in.peek() != std::char_traits<char>::eof()) {
        json j;
        in >> j;
        out.push_back(std::move(j));
    }
    return out;
}

// The rows of the table called `name` wherever it sits in the documents (a document of its own
// or a member of one).
json table_rows(const std::vector<json>& docs, const std::string& name) {
    json found;
    std::function<void(const json&)> walk = [&](const json& j) {
        if (j.is_object()) {
            if (j.contains("table") && j["table"] == name && j.contains("rows"))
                found = j;
            for (const auto& [k, v] : j.items())
                walk(v);
        } else if (j.is_array()) {
            for (const auto& v : j)
                walk(v);
        }
    };
    for (const auto& doc : docs)
        walk(doc);
    BOOST_REQUIRE_MESSAGE(!found.is_null(), "no table " << name);
    return found;
}

json row_where(const json& table, const std::string& key, const std::string& value) {
    for (const auto& r : table["rows"])
        if (r.contains(key) && r[key] == value)
            return r;
    BOOST_FAIL("no row with " << key << " = " << value);
    return {};
}

void check_land(const std::string& where, double area, double acquired, double cleared,
                double delivered) {
    BOOST_TEST_CONTEXT(where) {
        BOOST_CHECK_CLOSE(area, area_mu, 1e-9);
        BOOST_CHECK_SMALL(acquired - acquired_mu, 1e-9);
        BOOST_CHECK_CLOSE(cleared, cleared_mu, 1e-9);
        BOOST_CHECK_CLOSE(delivered, delivered_mu, 1e-9);
    }
}

void check_land_row(const std::string& where, const json& row) {
    check_land(where, row["area_mu"].get<double>(), row["acquired_mu"].get<double>(),
               row["cleared_mu"].get<double>(), row["delivered_mu"].get<double>());
}

} // namespace

BOOST_AUTO_TEST_CASE(hand_figures_equal_spatialite_on_the_input) {
    auto& f = fixture();
    BOOST_CHECK_CLOSE(ogr_sql_number(f.src, "SELECT sum(ST_Area(geom)) * 3 / 2000 FROM parcels"),
                      area_mu, 1e-9);
    BOOST_CHECK_SMALL(f.sql_mu("acquired_on") - acquired_mu, 1e-9);
    BOOST_CHECK_CLOSE(f.sql_mu("cleared_on"), cleared_mu, 1e-9);
    BOOST_CHECK_CLOSE(f.sql_mu("delivered_on"), delivered_mu, 1e-9);
}

BOOST_AUTO_TEST_CASE(status_counts_each_date_on_its_own) {
    auto& f = fixture();
    auto r = run_cli({"status", f.store, "--as-of", as_of, "--since", since, "--format", "json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto docs = json_documents(r.out);
    BOOST_REQUIRE(!docs.empty());
    // The status table is the only table; find its row for P.
    json table;
    std::function<void(const json&)> walk = [&](const json& j) {
        if (j.is_object()) {
            if (j.contains("rows") && j["rows"].is_array())
                table = j;
            for (const auto& [k, v] : j.items())
                walk(v);
        }
    };
    for (const auto& doc : docs)
        walk(doc);
    auto p = row_where(table, "group", "P");
    check_land("status", p["area_mu"].get<double>(), p["acquired_mu"].get<double>(),
               p["cleared_mu"].get<double>(), p["delivered_mu"].get<double>());
    BOOST_CHECK_CLOSE(p["new_cleared_mu"].get<double>(), new_cleared_mu, 1e-9);
    BOOST_CHECK_CLOSE(p["new_delivered_mu"].get<double>(), new_delivered_mu, 1e-9);
    BOOST_CHECK_EQUAL(p["demolished_households"].get<std::int64_t>(), 2);
    BOOST_CHECK_EQUAL(p["signed_households"].get<std::int64_t>(), 0);

    // The library call the CLI prints.
    auto store = open_store(f.store, StoreMode::read);
    StatusOptions o;
    o.as_of = Date(2025, 3, 20);
    auto report = compute_status(*store, o);
    const auto& t = report.total;
    check_land("compute_status", m2_to_mu(t.area_m2), m2_to_mu(t.acquired_m2),
               m2_to_mu(t.cleared_m2), m2_to_mu(t.delivered_m2));
    // On the day S2 is cleared: counted (as of means the end of that day).
    o.as_of = Date(2025, 3, 10);
    auto on_day = compute_status(*store, o).total;
    BOOST_CHECK_CLOSE(m2_to_mu(on_day.cleared_m2), 30.0, 1e-9);
    BOOST_CHECK_SMALL(on_day.delivered_m2, 1e-9);
}

BOOST_AUTO_TEST_CASE(corridor_gives_the_same_figures) {
    auto& f = fixture();
    auto r = run_cli({"corridor", f.store, "--corridor", "C1", "--as-of", as_of, "--since", since,
                      "--format", "json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto docs = json_documents(r.out);
    auto c1 = row_where(table_rows(docs, "corridors"), "corridor", "C1");
    check_land_row("corridor --format json", c1);
    BOOST_CHECK_CLOSE(c1["new_cleared_mu"].get<double>(), new_cleared_mu, 1e-9);
    BOOST_CHECK_CLOSE(c1["new_delivered_mu"].get<double>(), new_delivered_mu, 1e-9);
    // Both squares cleared by their own dates: no land blocks, only the building... which is
    // demolished: nothing blocks at all.
    BOOST_CHECK_EQUAL(table_rows(docs, "blocking")["rows"].size(), 0u);

    auto store = open_store(f.store, StoreMode::read);
    CorridorOptions o;
    o.as_of = Date(2025, 3, 20);
    o.corridors = {"C1"};
    o.save = false;
    auto reports = analyse_corridors(*store, o);
    BOOST_REQUIRE_EQUAL(reports.size(), 1u);
    const auto& fig = reports[0].figures;
    check_land("analyse_corridors", m2_to_mu(fig.area_m2), m2_to_mu(fig.acquired_m2),
               m2_to_mu(fig.cleared_m2), m2_to_mu(fig.delivered_m2));
    BOOST_CHECK_EQUAL(fig.demolished_households, 2);
    // Before S1 is cleared both squares block; the stretch's outstanding land is not acquired.
    o.as_of = Date(2025, 2, 28);
    auto early = analyse_corridors(*store, o);
    BOOST_REQUIRE_EQUAL(early[0].blocking.size(), 1u);
    BOOST_CHECK_CLOSE(m2_to_mu(early[0].blocking[0].not_acquired_m2), 30.0, 1e-9);
    BOOST_CHECK_SMALL(early[0].blocking[0].not_cleared_m2, 1e-9);
    BOOST_CHECK((early[0].blocking[0].parcels == std::vector<std::string>{"S1", "S2"}));
}

BOOST_AUTO_TEST_CASE(export_stage_fields_sum_to_the_same_figures) {
    auto& f = fixture();
    auto out = f.dir.file("parcels.geojson");
    auto r = run_cli({"export", f.store, "--layer", "parcels", "--format", "geojson", "--out", out,
                      "--as-of", as_of, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto fc = json::parse(read_file(out));
    double area = 0, acquired = 0, cleared = 0, delivered = 0;
    std::map<std::string, std::string> status;
    for (const auto& feature : fc["features"]) {
        const auto& p = feature["properties"];
        area += p["area_mu"].get<double>();
        acquired += p["acquired_mu"].get<double>();
        cleared += p["cleared_mu"].get<double>();
        delivered += p["delivered_mu"].get<double>();
        status[p["parcel_code"].get<std::string>()] = p["status"].get<std::string>();
    }
    check_land("export parcels", area, acquired, cleared, delivered);
    BOOST_CHECK((status == std::map<std::string, std::string>{{"S1", "已腾"}, {"S2", "已交"}}));

    // The project layer's figures too.
    auto pout = f.dir.file("projects.geojson");
    r = run_cli({"export", f.store, "--layer", "projects", "--format", "geojson", "--out", pout,
                 "--as-of", as_of, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto pc = json::parse(read_file(pout));
    BOOST_REQUIRE_EQUAL(pc["features"].size(), 1u);
    const auto& p = pc["features"][0]["properties"];
    check_land("export projects", p["parcel_mu"].get<double>(), p["acquired_mu"].get<double>(),
               p["cleared_mu"].get<double>(), p["delivered_mu"].get<double>());
}

BOOST_AUTO_TEST_CASE(map_legend_gives_the_same_figures) {
    auto& f = fixture();
    auto store = open_store(f.store, StoreMode::read);
    for (auto scope : {MapScope::project, MapScope::corridor}) {
        MapRequest req;
        req.scope = scope;
        req.code = scope == MapScope::project ? "P" : "C1";
        req.as_of = Date(2025, 3, 20);
        auto pages = collect_map_pages(*store, req);
        BOOST_REQUIRE_EQUAL(pages.size(), 1u);
        const auto& page = pages[0];
        std::map<ParcelStage, double> legend;
        for (const auto& e : page.legend)
            legend[e.state] = e.mu;
        // 未征 is the land without an acquired date (each date on its own): all 30 亩.
        check_land(req.code + " legend",
                   legend[ParcelStage::not_acquired] + legend[ParcelStage::acquired],
                   legend[ParcelStage::acquired], legend[ParcelStage::cleared],
                   legend[ParcelStage::delivered]);
        BOOST_TEST(page.legend[2].label == "已腾");
        std::map<std::string, ParcelStage> drawn;
        for (const auto& p : page.parcels)
            drawn[p.code] = p.state;
        BOOST_CHECK((drawn == std::map<std::string, ParcelStage>{{"S1", ParcelStage::cleared},
                                                                 {"S2", ParcelStage::delivered}}));
        if (scope == MapScope::corridor) {
            std::map<std::string, std::string> rows;
            for (const auto& r : page.figure_rows)
                rows[r.label] = r.value;
            BOOST_TEST(rows["红线内已征"] == "0.00 亩（0.0%）");
            BOOST_TEST(rows["红线内已腾"] == "30.00 亩（100.0%）");
            BOOST_TEST(rows["红线内已交"] == "15.00 亩（50.0%）");
        }
    }
}

BOOST_AUTO_TEST_CASE(server_api_gives_the_same_figures_and_the_palette) {
    auto& f = fixture();
    ServerOptions o;
    o.store = f.store;
    o.port = 0;
    o.viewer_dir = f.viewer.string();
    Server server(o);
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(30, 0);
    auto get = [&](const std::string& target) {
        auto res = client.Get(target.c_str());
        BOOST_REQUIRE_MESSAGE(res, "no answer to " << target);
        BOOST_REQUIRE_MESSAGE(res->status == 200, target << " -> " << res->status << res->body);
        return json::parse(res->body);
    };

    auto projects = get("/api/projects?as_of=" + as_of + "&since=" + since);
    const json* p = nullptr;
    for (const auto& row : projects["projects"])
        if (row["group"] == "P")
            p = &row;
    BOOST_REQUIRE(p);
    check_land_row("/api/projects", *p);
    BOOST_CHECK_CLOSE((*p)["new_cleared_mu"].get<double>(), new_cleared_mu, 1e-9);

    auto corridors = get("/api/corridors?as_of=" + as_of);
    BOOST_REQUIRE_EQUAL(corridors["corridors"].size(), 1u);
    check_land_row("/api/corridors", corridors["corridors"][0]);
    check_land_row("/api/corridor", get("/api/corridor?code=C1&as_of=" + as_of)["summary"]);

    auto features = get("/api/features/parcels?project=P&as_of=" + as_of);
    std::map<std::string, std::string> stage;
    for (const auto& ft : features["features"])
        stage[ft["properties"]["parcel_code"].get<std::string>()] =
            ft["properties"]["stage"].get<std::string>();
    BOOST_CHECK(
        (stage == std::map<std::string, std::string>{{"S1", "cleared"}, {"S2", "delivered"}}));
    BOOST_TEST(get("/api/parcel?code=S1&as_of=" + as_of)["status"] == "已腾");
    auto b = get("/api/features/buildings?project=P&as_of=" + as_of);
    BOOST_REQUIRE_EQUAL(b["features"].size(), 1u);
    BOOST_TEST(b["features"][0]["properties"]["stage"] == "demolished");

    // The palette the viewer draws with is the one the printed maps are drawn with.
    auto stages = get("/api/stages");
    BOOST_REQUIRE_EQUAL(stages["parcel"].size(), 4u);
    for (size_t i = 0; i < all_parcel_stages.size(); ++i) {
        const auto& style = stage_style(all_parcel_stages[i]);
        BOOST_TEST(stages["parcel"][i]["key"] == style.key);
        BOOST_TEST(stages["parcel"][i]["zh"] == style.zh);
        BOOST_TEST(stages["parcel"][i]["fill"] == style.fill.hex());
    }
    BOOST_TEST(stages["parcel"][2]["fill"] == "#f58f2a");
    BOOST_TEST(stages["building"][2]["key"] == "demolished");
    BOOST_TEST(stages["attention"] == "#d7191c");
    server.stop();
}

BOOST_AUTO_TEST_CASE(check_names_both_parcels_and_the_building) {
    auto& f = fixture();
    auto r = run_cli({"check", f.store, "--format", "json"});
    // Findings were found: not a success, not a usage error, not a crash.
    BOOST_TEST((r.exit_code == 1 || r.exit_code == 3), r.exit_code << " " << r.err);
    std::multimap<std::string, std::string> by_kind;
    std::function<void(const json&)> walk = [&](const json& j) {
        if (j.is_object()) {
            if (j.contains("kind") && j.contains("code") && j["kind"].is_string())
                by_kind.emplace(j["kind"].get<std::string>(), j["code"].get<std::string>());
            for (const auto& [k, v] : j.items())
                walk(v);
        } else if (j.is_array()) {
            for (const auto& v : j)
                walk(v);
        }
    };
    for (const auto& doc : json_documents(r.out))
        walk(doc);
    std::set<std::string> cleared;
    for (auto [it, end] = by_kind.equal_range("cleared_without_acquired"); it != end; ++it)
        cleared.insert(it->second);
    BOOST_CHECK((cleared == std::set<std::string>{"S1", "S2"}));
    BOOST_CHECK_EQUAL(by_kind.count("demolished_without_signed"), 1u);
    BOOST_CHECK_EQUAL(by_kind.find("demolished_without_signed")->second, "B1");
    // S2 is delivered after its cleared date: no other date finding.
    BOOST_CHECK_EQUAL(by_kind.count("delivered_without_cleared"), 0u);
    BOOST_CHECK_EQUAL(by_kind.count("delivered_before_cleared"), 0u);
}
