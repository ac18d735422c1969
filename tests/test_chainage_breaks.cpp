// Chainage breaks (断链) and alignment prefixes (issue 16, items 3 and 4's labels), on a fixture
// whose every figure is computed by hand below.
//
// The road: a straight centreline 600 m due east, 20 m wide, start K12+000, two breaks:
//   "K12+250=K12+200"  a long chain (长链) 250 m along: K12+200..K12+250 is stationed twice;
//   "K12+400=K12+480"  a short chain (短链) 450 m along (12 200 + 200 m): K12+400..K12+480 is
//                      skipped.
// So the runs are along 0–250 (K12+000–K12+250), 250–450 (K12+200–K12+400) and 450–600
// (K12+480–K12+630); the end is K12+630 = 12 000 + 600 − 50 + 80. 100 m segments (every round
// chainage inside a run, and each break a boundary):
//   0 K12+000–K12+100 along   0–100     4 K12+300–K12+400 along 350–450
//   1 K12+100–K12+200 along 100–200     5 K12+480–K12+500 along 450–470
//   2 K12+200–K12+250 along 200–250     6 K12+500–K12+600 along 470–570
//   3 K12+200–K12+300 along 250–350     7 K12+600–K12+630 along 570–600
// Each piece is its along-length × 20 m. Parcels (20 m tall, across the red line):
//   P0 along 0–200, cleared;  P1 along 230–270, not acquired: 400 m² in segment 2, 400 in 3;
//   P4 along 350–455, cleared: 2 000 m² in 4, 100 in 5;
//   P2 along 455–480, acquired, not cleared: 300 m² in 5, 200 in 6;
//   P3 along 480–600, cleared, with building H1 (2 households, not demolished) at 500–510 in
//   segment 6.
// Blocking: segments 2–3 (K12+200–K12+300: 150 m along although the labels differ by 100 m)
// with 800 m² not acquired, and segments 5–6 (K12+480–K12+600, 120 m along, just past the
// short chain) with 500 m² acquired but not cleared and 2 households.
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/import.hpp"
#include "landclear/core/error.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/report/corridor_tables.hpp"
#include "support/fixtures.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cpl_conv.h>
#include <fmt/format.h>

using namespace landclear;
using namespace landclear::test;
using namespace landclear::test::grid;

namespace {

std::string east_line(double length, double y = 0) {
    return fmt::format("LINESTRING({} {},{} {})", bx, by + y, bx + length, by + y);
}

FixtureLayer corridors() {
    return {"corridors",
            4547,
            {{"corridor_code"},
             {"project_code"},
             {"name"},
             {"width_m", FixtureField::real},
             {"start_chainage_m"},
             {"chainage_breaks"},
             {"alignment"}},
            {},
            "LineString"};
}

struct Fixture {
    TempDir dir;
    std::string src = dir.file("breaks.gpkg");
    std::string store = dir.file("breaks.sqlite");

    explicit Fixture(const std::string& breaks = "K12+250=K12+200\xEF\xBC\x9BK12+400=K12+480") {
        CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
        auto c = corridors();
        c.features = {{east_line(600), {"R", "P", "断链路", "20", "K12+000", breaks, ""}},
                      // A second alignment prefix, given in lower case; 150 m from K0+000.
                      {east_line(150, 1000), {"Y", "P", "右线", "20", "0", "", "yk"}}};
        FixtureLayer parcels{"parcels",
                             4547,
                             {{"parcel_code"},
                              {"project_code"},
                              {"acquired_on", FixtureField::date},
                              {"cleared_on", FixtureField::date}},
                             {}};
        parcels.features = {{rect(0, 200, -10, 10), {"P0", "P", "2025-01-01", "2025-02-01"}},
                            {rect(230, 270, -10, 10), {"P1", "P", "", ""}},
                            {rect(350, 455, -10, 10), {"P4", "P", "2025-01-01", "2025-02-01"}},
                            {rect(455, 480, -10, 10), {"P2", "P", "2025-01-01", ""}},
                            {rect(480, 600, -10, 10), {"P3", "P", "2025-01-01", "2025-02-01"}}};
        auto buildings = corridor_buildings_layer({{rect(500, 510, -5, 5), {"H1", "P3", "2", ""}}});
        import_fixture_layers(src, store, {c, parcels, buildings});
    }
};

CorridorOptions options() {
    CorridorOptions o;
    o.as_of = Date(2025, 6, 30);
    return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(breaks_parse_and_station_by_hand) {
    auto b = parse_chainage_breaks(" K12+345.6 = K12+300 ; k13+100=13150 ");
    BOOST_REQUIRE_EQUAL(b.size(), 2u);
    check_close(b[0].back_m, 12345.6, "back");
    check_close(b[0].ahead_m, 12300, "ahead");
    BOOST_CHECK(b[0].long_chain());
    BOOST_CHECK(!b[1].long_chain());
    BOOST_CHECK_EQUAL(format_chainage_breaks(b), "K12+345.6=K12+300;K13+100=K13+150");
    BOOST_CHECK_THROW(parse_chainage_breaks("K12+345.6"), Error);
    BOOST_CHECK_THROW(parse_chainage_breaks("K12+3=K12+3"), Error);
    BOOST_CHECK_THROW(parse_chainage_breaks("K12+a=K12+300"), Error);

    // K12+345.6 = K12+300 (45.6 m repeated) on a 1 000 m line from K12+000: the break is 345.6
    // m along; after it the stationing runs from K12+300, so the end reads 12 300 + 654.4.
    Stationing s(12000, 1000, {{12345.6, 12300}});
    BOOST_REQUIRE_EQUAL(s.runs().size(), 2u);
    check_close(s.runs()[0].along_to_m, 345.6, "break along");
    check_close(s.chainage_at(345.0), 12345, "before the break");
    check_close(s.chainage_at(346.6), 12301, "after the break");
    check_close(s.chainage_at(1000), 12954.4, "end");
    check_close(s.total_jump(), -45.6, "Σ (ahead − back)");
    // A break whose back chainage the line never reaches is refused, naming it.
    try {
        Stationing(12000, 100, {{12345.6, 12300}});
        BOOST_FAIL("a break beyond the line's end was accepted");
    } catch (const Error& e) {
        BOOST_CHECK_MESSAGE(e.full_message().find("K12+345.6=K12+300") != std::string::npos,
                            e.full_message());
    }
    BOOST_CHECK_EQUAL(format_chainage(1200, "ZK"), "ZK1+200");
    BOOST_CHECK_EQUAL(format_chainage_range(1200, 1300.5, "YK"), "YK1+200\u2013YK1+300.5");
}

BOOST_AUTO_TEST_CASE(long_and_short_chain_through_segments_labels_and_blocking) {
    Fixture f;
    auto store = open_store(f.store, StoreMode::write);
    auto o = options();
    o.corridors = {"R"};
    for (int pass = 0; pass < 2; ++pass) { // computed, then read from the store
        auto reports = analyse_corridors(*store, o);
        BOOST_REQUIRE_EQUAL(reports.size(), 1u);
        const auto& r = reports[0];
        BOOST_CHECK_EQUAL(r.geometry, pass == 0 ? "saved" : "stored");
        check_close(r.length_m, 600, "length along the line");
        check_close(r.end_chainage_m, 12630, "end chainage");
        BOOST_REQUIRE_EQUAL(r.breaks.size(), 2u);
        struct Want {
            const char* label;
            double along_from, along_to;
        };
        const std::vector<Want> want{
            {"K12+000\u2013K12+100", 0, 100},   {"K12+100\u2013K12+200", 100, 200},
            {"K12+200\u2013K12+250", 200, 250}, {"K12+200\u2013K12+300", 250, 350},
            {"K12+300\u2013K12+400", 350, 450}, {"K12+480\u2013K12+500", 450, 470},
            {"K12+500\u2013K12+600", 470, 570}, {"K12+600\u2013K12+630", 570, 600}};
        BOOST_REQUIRE_EQUAL(r.segments.size(), want.size());
        const double parcel_area[] = {2000, 2000, 400, 400, 2000, 400, 2000, 600};
        for (size_t k = 0; k < want.size(); ++k) {
            const auto& s = r.segments[k];
            BOOST_CHECK_EQUAL(s.label, want[k].label);
            check_close(s.along_from_m, want[k].along_from, fmt::format("segment {} from", k));
            check_close(s.along_to_m, want[k].along_to, fmt::format("segment {} to", k));
            check_close(s.red_line_m2, 20 * (want[k].along_to - want[k].along_from),
                        fmt::format("segment {} red line", k));
            check_close(s.figures.area_m2, parcel_area[k],
                        fmt::format("segment {} parcel area", k));
        }
        check_close(r.red_line_m2, 12000, "red line");

        BOOST_REQUIRE_EQUAL(r.blocking.size(), 2u);
        const auto& a = r.blocking[0];
        BOOST_CHECK_EQUAL(a.label, "K12+200\u2013K12+300");
        BOOST_CHECK_EQUAL(a.first_segment, 2);
        BOOST_CHECK_EQUAL(a.last_segment, 3);
        check_close(a.length_m(), 150, "long-chain stretch length");
        check_close(a.not_acquired_m2, 800, "long-chain stretch not acquired");
        BOOST_CHECK((a.parcels == std::vector<std::string>{"P1"}));
        const auto& b = r.blocking[1];
        BOOST_CHECK_EQUAL(b.label, "K12+480\u2013K12+600");
        BOOST_CHECK_EQUAL(b.first_segment, 5);
        BOOST_CHECK_EQUAL(b.last_segment, 6);
        check_close(b.length_m(), 120, "stretch after the short chain, length");
        check_close(b.not_cleared_m2, 500, "stretch after the short chain, not cleared");
        BOOST_CHECK_EQUAL(b.outstanding_households, 2);
        BOOST_CHECK((b.buildings == std::vector<std::string>{"H1"}));

        // The corridors table: end chainage as stationed, blocked length along the line.
        auto tables = corridor_tables(reports, o);
        const auto& summary = tables.front();
        auto col = [&](const std::string& key) {
            for (size_t i = 0; i < summary.columns.size(); ++i)
                if (summary.columns[i].key == key)
                    return i;
            BOOST_FAIL("no column " + key);
            return size_t{0};
        };
        BOOST_CHECK(std::get<std::string>(summary.rows[0][col("to")]) == "K12+630");
        check_close(std::get<double>(summary.rows[0][col("blocking_length_m")]), 270,
                    "blocked length");
    }
}

BOOST_AUTO_TEST_CASE(alignment_prefix_in_labels) {
    Fixture f;
    auto store = open_store(f.store, StoreMode::write);
    auto o = options();
    o.corridors = {"Y"};
    auto reports = analyse_corridors(*store, o);
    BOOST_REQUIRE_EQUAL(reports.size(), 1u);
    BOOST_CHECK_EQUAL(reports[0].alignment, "YK");
    BOOST_REQUIRE_EQUAL(reports[0].segments.size(), 2u);
    BOOST_CHECK_EQUAL(reports[0].segments[0].label, "YK0+000\u2013YK0+100");
    BOOST_CHECK_EQUAL(reports[0].segments[1].label, "YK0+100\u2013YK0+150");
}

BOOST_AUTO_TEST_CASE(bad_breaks_are_refused_with_the_corridor_and_value) {
    // At import: not "back = ahead".
    try {
        Fixture f("K12+250 K12+200");
        BOOST_FAIL("a malformed break was imported");
    } catch (const Error& e) {
        auto m = e.full_message();
        BOOST_CHECK_MESSAGE(m.find("K12+250 K12+200") != std::string::npos, m);
        BOOST_CHECK_MESSAGE(m.find("back = ahead") != std::string::npos, m);
    }
    // In the corridor command: a break beyond the line's end (the import cannot know the
    // stationing is wrong until the line is measured against it).
    Fixture f("K13+250=K13+200");
    auto store = open_store(f.store, StoreMode::write);
    auto o = options();
    o.corridors = {"R"};
    try {
        analyse_corridors(*store, o);
        BOOST_FAIL("a break beyond the line was accepted");
    } catch (const Error& e) {
        auto m = e.full_message();
        BOOST_CHECK_MESSAGE(m.find("corridor R") != std::string::npos, m);
        BOOST_CHECK_MESSAGE(m.find("K13+250=K13+200") != std::string::npos, m);
    }
}
