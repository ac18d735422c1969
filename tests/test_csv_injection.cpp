// Names and codes come from users' files; a spreadsheet runs a CSV cell starting with =, +, -
// or @ as a formula. Every CSV landclear writes shows such text as text (a leading apostrophe),
// and leaves numbers, negative ones included, as numbers.
#include "landclear/core/text.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>

using namespace landclear::test;
namespace text = landclear::text;

BOOST_AUTO_TEST_CASE(neutralise_formula_rules) {
    BOOST_TEST(text::neutralise_formula("=1+2") == "'=1+2");
    BOOST_TEST(text::neutralise_formula("+86 731") == "'+86 731");
    BOOST_TEST(text::neutralise_formula("-A1") == "'-A1");
    BOOST_TEST(text::neutralise_formula("@SUM(A1)") == "'@SUM(A1)");
    BOOST_TEST(text::neutralise_formula("\t=1") == "'\t=1");
    BOOST_TEST(text::neutralise_formula("\r=1") == "'\r=1");
    BOOST_TEST(text::neutralise_formula("雨湖区") == "雨湖区");
    BOOST_TEST(text::neutralise_formula("a=1") == "a=1");
    BOOST_TEST(text::neutralise_formula("＝1") == "＝1"); // full-width: not a formula
    BOOST_TEST(text::neutralise_formula("") == "");
}

BOOST_AUTO_TEST_CASE(status_csv_shows_hostile_names_as_text) {
    TempDir dir;
    auto src = dir.file("hostile.gpkg");
    FixtureLayer parcels{
        "parcels",
        4547,
        {{"parcel_code"}, {"project_code"}, {"village"}, {"acquired_on", FixtureField::date}},
        {{square_wkt(560000, 3080000, 100), {"Z1", "P1", "=HYPERLINK(\"x\")", "2025-01-01"}},
         {square_wkt(560100, 3080000, 100), {"Z2", "P1", "@SUM(A1)", ""}}}};
    FixtureLayer projects{
        "projects", 0, {{"project_code"}, {"name"}}, {{"", {"P1", "-2+3"}}}, "None"};
    write_layer(src, "GPKG", parcels);
    write_layer(src, "GPKG", projects);
    auto store = dir.file("s.sqlite");
    auto imp =
        run_cli({"import", store, "--parcels", src + ":parcels", "--projects", src + ":projects"});
    BOOST_TEST_REQUIRE(imp.exit_code == 0, imp.err);

    auto by_project =
        run_cli({"status", store, "--as-of", "2025-06-01", "--format", "csv", "--lang", "en"});
    BOOST_TEST_REQUIRE(by_project.exit_code == 0, by_project.err);
    BOOST_TEST(by_project.out.find("'-2+3") != std::string::npos, by_project.out);
    // 100 m squares: 15 亩 each, 15 of 30 acquired; figures stay plain numbers.
    BOOST_TEST(by_project.out.find("30.00") != std::string::npos, by_project.out);
    BOOST_TEST(by_project.out.find("15.00") != std::string::npos, by_project.out);

    auto by_village = run_cli({"status", store, "--as-of", "2025-06-01", "--by", "village",
                               "--format", "csv", "--lang", "en"});
    BOOST_TEST_REQUIRE(by_village.exit_code == 0, by_village.err);
    BOOST_TEST(by_village.out.find("'=HYPERLINK") != std::string::npos, by_village.out);
    BOOST_TEST(by_village.out.find("'@SUM(A1)") != std::string::npos, by_village.out);
    for (auto line_start : {std::string("\n="), std::string("\n@"), std::string("\n\"=")})
        BOOST_TEST(by_village.out.find(line_start) == std::string::npos, by_village.out);

    // export to CSV: the same village names as text, as read back by GDAL's CSV reader.
    auto csv = dir.file("parcels.csv");
    auto ex = run_cli({"export", store, "--layer", "parcels", "--as-of", "2025-06-01", "--lang",
                       "en", "--quiet", "--out", csv});
    BOOST_TEST_REQUIRE(ex.exit_code == 0, ex.err);
    auto villages = ogr_sql(csv, "SELECT village FROM parcels ORDER BY parcel_code");
    BOOST_TEST_REQUIRE(villages.size() == 2u);
    BOOST_TEST(villages[0][0] == "'=HYPERLINK(\"x\")");
    BOOST_TEST(villages[1][0] == "'@SUM(A1)");
}
