// check: zero findings on a clean partition; on the same data with planted faults, exactly the
// planted findings, with areas recomputed by SpatiaLite SQL on the store.
#include "landclear/core/units.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000;

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", bx + x, by + y,
                       bx + x + w, by + y + h);
}
std::string line(double x0, double y0, double x1, double y1) {
    return fmt::format("LINESTRING({} {},{} {})", bx + x0, by + y0, bx + x1, by + y1);
}

struct ParcelFx {
    std::string code, wkt, acquired, cleared, delivered;
    std::string project = "P1";
};
struct BuildingFx {
    std::string code, parcel, wkt, signed_on, demolished_on;
};

// Project P1: red line 400 × 200 m tiled by eight 100 m squares Q1..Q8 (bottom row Q1..Q4,
// top row Q5..Q8); corridor K1 runs through Q1 and Q2 with a 20 m red line.
struct Data {
    std::vector<ParcelFx> parcels;
    std::vector<BuildingFx> buildings;
    std::vector<std::pair<std::string, std::string>> corridors; // project, centreline
};

Data clean() {
    Data d;
    for (int i = 0; i < 8; ++i) {
        double x = (i % 4) * 100, y = (i / 4) * 100;
        d.parcels.push_back({fmt::format("Q{}", i + 1), rect(x, y, 100, 100), "2025-01-10",
                             "2025-02-10", "2025-03-10"});
        d.buildings.push_back({fmt::format("B{}", i + 1), fmt::format("Q{}", i + 1),
                               rect(x + 30, y + 30, 12, 9), "2025-01-05", "2025-01-20"});
    }
    d.corridors.push_back({"P1", line(10, 50, 190, 50)});
    return d;
}

std::string build_store(const TempDir& dir, const std::string& name, const Data& d) {
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"},
                          {"project_code"},
                          {"acquired_on", FixtureField::date},
                          {"cleared_on", FixtureField::date},
                          {"delivered_on", FixtureField::date}},
                         {}};
    for (const auto& p : d.parcels)
        parcels.features.push_back(
            {p.wkt, {p.code, p.project, p.acquired, p.cleared, p.delivered}});
    FixtureLayer buildings{"buildings",
                           4547,
                           {{"building_code"},
                            {"parcel_code"},
                            {"signed_on", FixtureField::date},
                            {"demolished_on", FixtureField::date}},
                           {}};
    for (const auto& b : d.buildings)
        buildings.features.push_back({b.wkt, {b.code, b.parcel, b.signed_on, b.demolished_on}});
    FixtureLayer projects{"projects", 4547, {{"project_code"}, {"name"}}, {}};
    projects.features = {{rect(0, 0, 400, 200), {"P1", "杨梅洲大桥南引线"}},
                         {rect(1000, 0, 300, 100), {"P3", "下摄司大桥"}}};
    FixtureLayer corridors{"corridors",
                           4547,
                           {{"corridor_code"}, {"project_code"}, {"width_m", FixtureField::real}},
                           {},
                           "LineString"};
    for (size_t i = 0; i < d.corridors.size(); ++i)
        corridors.features.push_back(
            {d.corridors[i].second, {fmt::format("K{}", i + 1), d.corridors[i].first, "20"}});
    auto src = dir.file(name + ".gpkg");
    write_layer(src, "GPKG", parcels);
    write_layer(src, "GPKG", buildings);
    write_layer(src, "GPKG", projects);
    write_layer(src, "GPKG", corridors);
    auto store = dir.file(name + ".sqlite");
    auto r =
        run_cli({"import", store, "--parcels", src + ":parcels", "--buildings", src + ":buildings",
                 "--projects", src + ":projects", "--corridors", src + ":corridors", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return store;
}

json check(const std::string& store, int expect_exit) {
    auto r = run_cli({"check", store, "--format", "json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == expect_exit,
                          fmt::format("exit {}: {}", r.exit_code, r.err));
    // One JSON document: {"check_summary": {...}, "check_findings": {...}}.
    auto doc = json::parse(r.out);
    BOOST_REQUIRE(doc.contains("check_summary"));
    return doc.at("check_findings");
}

double sql(const std::string& store, const std::string& q) {
    return ogr_sql_number(store, q);
}

} // namespace

BOOST_AUTO_TEST_CASE(clean_partition_has_no_findings) {
    TempDir dir;
    auto store = build_store(dir, "clean", clean());
    auto findings = check(store, 0);
    BOOST_TEST(findings["rows"].size() == 0u);
    BOOST_TEST(sql(store, "SELECT count(*) FROM findings WHERE origin = 'check'") == 0);
    // SpatiaLite agrees that the parcels tile the red line exactly.
    // (SpatiaLite returns NULL for an empty difference.)
    BOOST_TEST(sql(store,
                   "SELECT coalesce(ST_Area(ST_Difference((SELECT geom FROM projects WHERE "
                   "project_code = 'P1'), (SELECT ST_Union(geom) FROM parcels))), 0)") < 1e-6);
}

BOOST_AUTO_TEST_CASE(planted_faults_are_found_with_their_areas) {
    TempDir dir;
    Data d = clean();
    auto find = [&](const std::string& code) -> ParcelFx& {
        for (auto& p : d.parcels)
            if (p.code == code)
                return p;
        throw std::runtime_error(code);
    };
    find("Q1").cleared = "2025-01-01";           // cleared before acquired
    find("Q2").wkt = rect(100, 0, 107.5, 100);   // 7.5 m into Q3: overlap 750 m²
    find("Q4").wkt = rect(300, -20, 100, 120);   // 20 m below the red line: 2000 m² outside
    find("Q8").wkt = rect(300, 100, 100, 99.95); // a 5 cm sliver below the top of the red line
    d.parcels.erase(std::find_if(d.parcels.begin(), d.parcels.end(),
                                 [](const ParcelFx& p) { return p.code == "Q5"; })); // a gap
    d.parcels.push_back({"DUP", rect(200, 100, 100, 100), "2025-01-10", "", ""});    // Q7 twice
    d.buildings.erase(std::find_if(d.buildings.begin(), d.buildings.end(),
                                   [](const BuildingFx& b) { return b.code == "B5"; }));
    d.buildings[1].demolished_on = "2025-01-01";                      // B2 demolished before signed
    d.buildings.push_back({"b-1", "Q1", rect(60, 60, 5, 5), "", ""}); // 'B-1' with another case
    d.buildings.push_back({"B-1", "Q1", rect(70, 60, 5, 5), "", ""});
    d.buildings.push_back({"B9", "Q3", rect(600, 600, 10, 10), "", ""}); // outside any parcel
    d.buildings.push_back({"B10", "Q3", rect(290, 40, 20, 10), "", ""}); // across Q3 | Q4
    d.corridors.push_back({"P3", line(1000, 50, 1200, 50)});             // no parcels at all
    auto store = build_store(dir, "faults", d);
    auto findings = check(store, 3);

    std::multimap<std::string, json> by_kind;
    for (const auto& f : findings["rows"])
        by_kind.emplace(f["kind"].get<std::string>(), f);
    auto one = [&](const std::string& kind) {
        BOOST_REQUIRE_MESSAGE(by_kind.count(kind) == 1, kind << ": " << by_kind.count(kind));
        return by_kind.find(kind)->second;
    };
    auto value = [](const json& f) { return f["value_m2"].get<double>(); };

    // Overlap Q2/Q3 (the duplicate Q7/DUP is reported as such, not as an overlap).
    auto overlap = one("overlap");
    BOOST_TEST(overlap["code"] == "Q2");
    double sql_overlap = sql(store, "SELECT ST_Area(ST_Intersection(a.geom, b.geom)) FROM parcels "
                                    "a, parcels b WHERE a.parcel_code = 'Q2' AND b.parcel_code = "
                                    "'Q3'");
    BOOST_TEST(std::fabs(value(overlap) - sql_overlap) < 1e-6);
    BOOST_TEST(std::fabs(value(overlap) - 750) < 1e-6);
    auto dup = one("duplicate_geometry");
    BOOST_TEST(std::fabs(value(dup) - 10000) < 1e-6);

    // Gap (Q5 missing) and sliver (Q8 short of the top): their sum is the uncovered red line.
    auto gap = one("gap");
    auto sliver = one("sliver");
    BOOST_TEST(std::fabs(value(gap) - 10000) < 1e-6);
    BOOST_TEST(std::fabs(value(sliver) - 5) < 1e-6);
    double uncovered = sql(store, "SELECT ST_Area(ST_Difference((SELECT geom FROM projects WHERE "
                                  "project_code = 'P1'), (SELECT ST_Union(geom) FROM parcels "
                                  "WHERE project_code = 'P1')))");
    BOOST_TEST(std::fabs(value(gap) + value(sliver) - uncovered) < 1e-6);

    auto outside = one("outside_red_line");
    BOOST_TEST(outside["code"] == "Q4");
    BOOST_TEST(std::fabs(value(outside) -
                         sql(store, "SELECT ST_Area(ST_Difference(p.geom, r.geom)) FROM parcels "
                                    "p, projects r WHERE p.parcel_code = 'Q4' AND "
                                    "r.project_code = 'P1'")) < 1e-6);

    // Duplicate codes: both buildings named.
    BOOST_TEST(by_kind.count("duplicate_code") == 2u);
    std::set<std::string> dup_codes;
    for (auto [it, end] = by_kind.equal_range("duplicate_code"); it != end; ++it)
        dup_codes.insert(it->second["code"].get<std::string>());
    BOOST_TEST((dup_codes == std::set<std::string>{"B-1", "b-1"}));

    auto out_b = one("building_outside");
    BOOST_TEST(out_b["code"] == "B9");
    auto straddle = one("building_straddles");
    BOOST_TEST(straddle["code"] == "B10");
    BOOST_TEST(std::fabs(value(straddle) - 100) < 1e-6); // the smaller share, 10 × 10 m in Q4

    // Dates: Q1 (cleared before acquired) and B2 (demolished before signed), each under its
    // own kind (core/stage.hpp's contradictions).
    BOOST_TEST(one("cleared_before_acquired")["code"] == "Q1");
    BOOST_TEST(one("demolished_before_signed")["code"] == "B2");

    auto corridor = one("corridor_uncovered");
    BOOST_TEST(corridor["code"] == "K2");
    BOOST_TEST(std::fabs(value(corridor) - 200 * 20) < 1e-6);

    // Nothing else.
    std::set<std::string> kinds;
    for (const auto& [k, f] : by_kind)
        kinds.insert(k);
    BOOST_TEST(
        (kinds == std::set<std::string>{"overlap", "duplicate_geometry", "gap", "sliver",
                                        "outside_red_line", "duplicate_code", "building_outside",
                                        "building_straddles", "cleared_before_acquired",
                                        "demolished_before_signed", "corridor_uncovered"}));
    BOOST_TEST(findings["rows"].size() == 12u);

    // The findings are a layer in the store, with their locations; a second run replaces them.
    BOOST_TEST(sql(store, "SELECT count(*) FROM findings WHERE origin = 'check'") == 12);
    BOOST_TEST(std::fabs(sql(store, "SELECT ST_Area(geom) FROM findings WHERE kind = 'overlap'") -
                         750) < 1e-6);
    check(store, 3);
    BOOST_TEST(sql(store, "SELECT count(*) FROM findings WHERE origin = 'check'") == 12);
}

BOOST_AUTO_TEST_CASE(repaired_polygons_are_reported) {
    TempDir dir;
    Data d = clean();
    // A bow-tie over Q8's square: import repairs it (two triangles), check reports it.
    d.parcels.back().wkt = fmt::format("POLYGON(({0} {1},{2} {3},{2} {1},{0} {3},{0} {1}))",
                                       bx + 300, by + 100, bx + 400, by + 200);
    auto store = build_store(dir, "bowtie", d);
    auto findings = check(store, 3);
    int invalid = 0;
    for (const auto& f : findings["rows"])
        if (f["kind"] == "invalid_geometry") {
            ++invalid;
            BOOST_TEST(f["code"] == "Q8");
            BOOST_TEST(f["message"].get<std::string>().find("MakeValid") != std::string::npos);
        }
    BOOST_TEST(invalid == 1);
}
