// Mapping files compare "values" by type: a number in the source matches a key that reads as
// the same number, text matches text; a numeric code kept as text prints without float noise.
// Checked on the rule itself and through an import read back with SpatiaLite SQL.
#include "landclear/io/mapping.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <fstream>

using namespace landclear;
using namespace landclear::test;

BOOST_AUTO_TEST_CASE(values_compare_by_type) {
    FieldRule rule;
    rule.values = {{"100", "水田"}, {"64.60", "旱地"}, {"0702", "农村宅基地"}, {"1e3", "千"}};
    auto find = [&](const Value& v) {
        const auto* to = find_value(rule, v);
        return to ? *to : std::string("-");
    };
    BOOST_TEST(find(Value(100.0)) == "水田");
    BOOST_TEST(find(Value(std::int64_t{100})) == "水田");
    BOOST_TEST(find(Value(64.6)) == "旱地");
    BOOST_TEST(find(Value(1000.0)) == "千");
    BOOST_TEST(find(Value(64.61)) == "-");
    // A number matches the key that reads as it: a land class kept as the number 702 (its
    // leading zero lost) is the code "0702". Text is text: "100.0" is not "100".
    BOOST_TEST(find(Value(std::int64_t{702})) == "农村宅基地");
    BOOST_TEST(find(Value(std::string("0702"))) == "农村宅基地");
    BOOST_TEST(find(Value(std::string("702"))) == "-");
    BOOST_TEST(find(Value(std::string("100.0"))) == "-");
    BOOST_TEST(value_text(Value(64.6)) == "64.6");
    BOOST_TEST(value_text(Value(0.1 + 0.2)) == "0.30000000000000004"); // shortest round trip
}

BOOST_AUTO_TEST_CASE(import_translates_a_decimal_field_and_prints_codes_plainly) {
    TempDir dir;
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"}, {"project_code"}, {"DLBM", FixtureField::real}},
                         {{square_wkt(390000, 3080000, 10), {"P1", "A", "100"}},
                          {square_wkt(390100, 3080000, 10), {"P2", "A", "64.6"}}}};
    auto shp = dir.file("p.shp");
    // A shapefile keeps DLBM as N(24,15): GDAL hands it over as "100.000000000000000".
    write_layer(shp, "ESRI Shapefile", parcels, {"ENCODING=UTF-8"});
    auto map = dir.file("map.json");
    {
        std::ofstream f(map);
        f << R"({"parcels": {"land_class": {"from": "DLBM", "values": {"100": "0101"}}}})";
    }
    auto store = dir.file("s.sqlite");
    auto r = run_cli({"import", store, "--parcels", shp, "--map", map, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto rows = ogr_sql(store, "SELECT parcel_code, land_class FROM parcels ORDER BY 1");
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_TEST(rows[0][1] == "0101");
    BOOST_TEST(rows[1][1] == "64.6");
}
