// Status figures: hand-computed on a small fixture, and recomputed by SpatiaLite SQL on the sample.
#include "landclear/core/units.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000;

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + w, y + h);
}

struct SmallStore {
    TempDir dir;
    std::string store = dir.file("s.sqlite");
    SmallStore() {
        FixtureLayer parcels{"parcels",
                             4547,
                             {{"parcel_code"},
                              {"project_code"},
                              {"district"},
                              {"acquired_on", FixtureField::date},
                              {"cleared_on", FixtureField::date},
                              {"delivered_on", FixtureField::date}},
                             {}};
        parcels.features = {
            {rect(bx, by, 100, 100),
             {"P1", "A", "雨湖区", "2025-01-10", "2025-02-01", "2025-03-01"}},
            {rect(bx + 100, by, 50, 100), {"P2", "A", "雨湖区", "2025-02-15", "", ""}},
            {rect(bx, by + 200, 200, 100), {"P3", "B", "岳塘区", "2025-03-05", "2025-03-06", ""}},
            {rect(bx + 300, by + 200, 30, 50), {"P4", "B", "岳塘区", "", "", ""}},
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
        buildings.features = {
            {rect(bx + 10, by + 10, 10, 10),
             {"B1", "P1", "3", "240.5", "2025-01-05", "2025-01-20"}},
            {rect(bx + 10, by + 210, 10, 10), {"B2", "P3", "2", "180", "2025-03-03", ""}},
            {rect(bx + 305, by + 205, 10, 10), {"B3", "P4", "1", "95", "", ""}},
        };
        FixtureLayer projects{"projects",
                              0,
                              {{"project_code"}, {"name"}, {"unit"}},
                              {{"", {"A", "杨梅洲大桥南引线", "雨湖区征拆办"}},
                               {"", {"B", "G320绕城线三期", "岳塘区征拆办"}}},
                              "None"};
        auto src = dir.file("in.gpkg");
        write_layer(src, "GPKG", parcels);
        write_layer(src, "GPKG", buildings);
        write_layer(src, "GPKG", projects);
        auto r = run_cli({"import", store, "--parcels", src + ":parcels", "--buildings",
                          src + ":buildings", "--projects", src + ":projects", "--quiet"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    json status(const std::vector<std::string>& extra) {
        std::vector<std::string> args{"status", store, "--format", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = run_cli(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        return json::parse(r.out).at("status");
    }
};

std::map<std::string, json> rows_by_group(const json& j) {
    std::map<std::string, json> out;
    for (const auto& r : j["rows"])
        out[r["group"].get<std::string>()] = r;
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(hand_computed_figures_by_project) {
    SmallStore s;
    auto j = s.status({"--as-of", "2025-03-05", "--since", "2025-02-28"});
    auto rows = rows_by_group(j);
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    const auto& a = rows["A"];
    BOOST_CHECK_EQUAL(a["name"], "杨梅洲大桥南引线");
    BOOST_CHECK_EQUAL(a["parcels"], 2);
    BOOST_CHECK_CLOSE(a["area_mu"].get<double>(), 22.5, 1e-9);
    BOOST_CHECK_CLOSE(a["acquired_mu"].get<double>(), 22.5, 1e-9);
    BOOST_CHECK_CLOSE(a["acquired_pct"].get<double>(), 100.0, 1e-9);
    BOOST_CHECK_CLOSE(a["cleared_mu"].get<double>(), 15.0, 1e-9);
    BOOST_CHECK_CLOSE(a["cleared_pct"].get<double>(), 200.0 / 3.0, 1e-9);
    BOOST_CHECK_CLOSE(a["delivered_mu"].get<double>(), 15.0, 1e-9);
    BOOST_CHECK_EQUAL(a["households"], 3);
    BOOST_CHECK_EQUAL(a["signed_households"], 3);
    BOOST_CHECK_CLOSE(a["signed_floor_m2"].get<double>(), 240.5, 1e-9);
    BOOST_CHECK_EQUAL(a["demolished_households"], 3);
    BOOST_CHECK_SMALL(a["new_acquired_mu"].get<double>(), 1e-12);
    BOOST_CHECK_CLOSE(a["new_delivered_mu"].get<double>(), 15.0, 1e-9);

    const auto& b = rows["B"];
    BOOST_CHECK_CLOSE(b["area_mu"].get<double>(), 32.25, 1e-9);
    BOOST_CHECK_CLOSE(b["acquired_mu"].get<double>(), 30.0, 1e-9); // acquired on the as-of day
    BOOST_CHECK_SMALL(b["cleared_mu"].get<double>(), 1e-12);       // cleared the day after
    BOOST_CHECK_EQUAL(b["signed_households"], 2);
    BOOST_CHECK_EQUAL(b["demolished_households"], 0);
    BOOST_CHECK_CLOSE(b["new_acquired_mu"].get<double>(), 30.0, 1e-9);
    BOOST_CHECK_EQUAL(b["new_signed_households"], 2);

    const auto& t = j["totals"];
    BOOST_CHECK_EQUAL(t["group"], "合计");
    BOOST_CHECK_EQUAL(t["parcels"], 4);
    BOOST_CHECK_CLOSE(t["area_mu"].get<double>(), 54.75, 1e-9);
    BOOST_CHECK_CLOSE(t["acquired_mu"].get<double>(), 52.5, 1e-9);
    BOOST_CHECK_CLOSE(t["acquired_pct"].get<double>(), 100.0 * 52.5 / 54.75, 1e-9);
    BOOST_CHECK_EQUAL(t["households"], 6);
}

BOOST_AUTO_TEST_CASE(as_of_moves_the_figures) {
    SmallStore s;
    auto before = s.status({"--as-of", "2025-01-31"});
    BOOST_CHECK_CLOSE(before["totals"]["acquired_mu"].get<double>(), 15.0, 1e-9);
    BOOST_CHECK_SMALL(before["totals"]["cleared_mu"].get<double>(), 1e-12);
    auto later = s.status({"--as-of", "2025-12-31"});
    BOOST_CHECK_CLOSE(later["totals"]["cleared_mu"].get<double>(), 45.0, 1e-9);
}

BOOST_AUTO_TEST_CASE(grouped_by_unit_and_district) {
    SmallStore s;
    auto units = rows_by_group(s.status({"--as-of", "2025-12-31", "--by", "unit"}));
    BOOST_REQUIRE(units.count("岳塘区征拆办"));
    BOOST_CHECK_CLOSE(units["岳塘区征拆办"]["area_mu"].get<double>(), 32.25, 1e-9);
    auto districts = rows_by_group(s.status({"--as-of", "2025-12-31", "--by", "district"}));
    BOOST_CHECK_CLOSE(districts["雨湖区"]["delivered_mu"].get<double>(), 15.0, 1e-9);
}

BOOST_AUTO_TEST_CASE(printed_tables_round_only_when_printing) {
    SmallStore s;
    auto r = run_cli({"status", s.store, "--as-of", "2025-03-05", "--format", "csv"});
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.out.rfind("\xEF\xBB\xBF", 0) == 0, "CSV has no BOM");
    BOOST_CHECK(r.out.find("项目编号,项目名称,宗地数,总面积(亩)") != std::string::npos);
    BOOST_CHECK_MESSAGE(r.out.find("A,杨梅洲大桥南引线,2,22.50,22.50,100.0,15.00,66.7,") !=
                            std::string::npos,
                        r.out);
    auto en = run_cli({"status", s.store, "--as-of", "2025-03-05", "--lang", "en"});
    BOOST_CHECK(en.out.find("Total") != std::string::npos);
    auto bad = run_cli({"status", s.store, "--as-of", "2025-02-30"});
    BOOST_CHECK_EQUAL(bad.exit_code, 2);
    BOOST_CHECK(bad.err.find("'2025-02-30' is not a date") != std::string::npos);
    auto missing = run_cli({"status", s.dir.file("nope.sqlite")});
    BOOST_CHECK_EQUAL(missing.exit_code, 1);
    BOOST_CHECK(missing.err.find("does not exist") != std::string::npos);
}

// The committed sample, imported, against SpatiaLite SQL on the source file itself.
BOOST_AUTO_TEST_CASE(sample_totals_agree_with_spatialite_sql) {
    TempDir dir;
    auto sample = sample_path();
    BOOST_REQUIRE_MESSAGE(fs::exists(sample), "missing " + sample);
    auto store = dir.file("sample.sqlite");
    auto r = run_cli({"import", store, "--parcels", sample + ":parcels", "--buildings",
                      sample + ":buildings", "--projects", sample + ":projects", "--corridors",
                      sample + ":corridors", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const std::string as_of = "2026-11-20", since = "2026-11-13";
    auto st = run_cli({"status", store, "--as-of", as_of, "--since", since, "--format", "json"});
    BOOST_REQUIRE_EQUAL(st.exit_code, 0);
    auto j = json::parse(st.out).at("status");
    auto sql = [&](const std::string& expr, const std::string& where = "1") {
        return ogr_sql_number(sample, fmt::format("SELECT COALESCE(SUM({}), 0) FROM parcels "
                                                  "WHERE {}",
                                                  expr, where));
    };
    const auto& t = j["totals"];
    auto mu = [](double m2) { return m2 * 3.0 / 2000.0; };
    BOOST_CHECK_CLOSE(t["area_mu"].get<double>(), mu(sql("ST_Area(geom)")), 1e-6);
    BOOST_CHECK_CLOSE(t["acquired_mu"].get<double>(),
                      mu(sql("ST_Area(geom)", fmt::format("acquired_on <= '{}'", as_of))), 1e-6);
    BOOST_CHECK_CLOSE(t["cleared_mu"].get<double>(),
                      mu(sql("ST_Area(geom)", fmt::format("cleared_on <= '{}'", as_of))), 1e-6);
    BOOST_CHECK_CLOSE(t["delivered_mu"].get<double>(),
                      mu(sql("ST_Area(geom)", fmt::format("delivered_on <= '{}'", as_of))), 1e-6);
    double new_cleared = mu(sql("ST_Area(geom)", fmt::format("cleared_on > '{}' AND cleared_on <= "
                                                             "'{}'",
                                                             since, as_of)));
    BOOST_CHECK_CLOSE(t["new_cleared_mu"].get<double>() + 1.0, new_cleared + 1.0, 1e-6);
    BOOST_CHECK_EQUAL(t["parcels"].get<double>(), sql("1"));
    BOOST_CHECK_EQUAL(t["signed_households"].get<double>(),
                      ogr_sql_number(sample, fmt::format("SELECT SUM(households) FROM buildings "
                                                         "WHERE signed_on <= '{}'",
                                                         as_of)));
    // Per project, grouped by SQL.
    auto rows = ogr_sql(sample, fmt::format("SELECT project_code, SUM(ST_Area(geom)), "
                                            "SUM(CASE WHEN cleared_on <= '{}' THEN ST_Area(geom) "
                                            "ELSE 0 END) FROM parcels GROUP BY project_code",
                                            as_of));
    auto ours = rows_by_group(j);
    BOOST_CHECK_GE(rows.size(), 5u);
    for (const auto& row : rows) {
        BOOST_REQUIRE_MESSAGE(ours.count(row[0]), row[0]);
        BOOST_CHECK_CLOSE(ours[row[0]]["area_mu"].get<double>(), mu(std::stod(row[1])), 1e-6);
        BOOST_CHECK_CLOSE(ours[row[0]]["cleared_mu"].get<double>() + 1.0,
                          mu(std::stod(row[2])) + 1.0, 1e-6);
    }
}
