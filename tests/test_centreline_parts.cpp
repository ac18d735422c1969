// Multi-part centrelines (issue 16, item 2): parts that touch or nearly touch are one line; a
// fork is refused saying where it branches (coordinates and chainage); pieces apart say how far.
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/import.hpp"
#include "landclear/core/error.hpp"
#include "landclear/geom/centreline.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cpl_conv.h>
#include <fmt/format.h>

using namespace landclear;
using namespace landclear::test;

namespace {

constexpr double bx = 390000, by = 3080000;

struct Store1 {
    TempDir dir;
    std::string src = dir.file("c.gpkg");
    std::string store = dir.file("c.sqlite");
};

// Imports one corridor with this (multi-)line geometry; returns the error message or "".
std::string import_line(Store1& s, const std::string& wkt) {
    CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
    FixtureLayer c{"corridors",
                   4547,
                   {{"corridor_code"},
                    {"project_code"},
                    {"width_m", FixtureField::real},
                    {"start_chainage_m", FixtureField::real}},
                   {{wkt, {"C", "P", "20", "1000"}}},
                   "MultiLineString"};
    write_layer(s.src, "GPKG", c);
    ImportOptions o;
    o.store = s.store;
    o.working_epsg = 4547;
    o.sources.emplace_back(LayerKind::corridors, SourceSpec{s.src, "corridors"});
    try {
        import_layers(o);
    } catch (const Error& e) {
        return e.full_message();
    }
    return "";
}

std::string pt(double x, double y) {
    return fmt::format("{} {}", bx + x, by + y);
}

} // namespace

BOOST_AUTO_TEST_CASE(touching_and_nearly_touching_parts_are_one_line) {
    Store1 s;
    // Three parts, out of order and one reversed; the second joint has a 3 cm gap.
    auto wkt = fmt::format("MULTILINESTRING(({},{}),({},{}),({},{}))", pt(200, 0), pt(300, 0),
                           pt(100, 0), pt(0, 0), pt(100.03, 0), pt(200, 0));
    BOOST_REQUIRE_EQUAL(import_line(s, wkt), "");
    auto store = open_store(s.store, StoreMode::write);
    auto rows = store->corridors();
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    // 300 m less the 3 cm closed by snapping the end at 100.03 onto 100.
    BOOST_CHECK_CLOSE(rows[0].length_m, 300.0, 1e-9);
    CorridorOptions o;
    o.as_of = Date(2025, 6, 30);
    auto r = analyse_corridors(*store, o);
    BOOST_CHECK_CLOSE(r[0].red_line_m2, 300.0 * 20, 1e-9);
    // The snap is reported as a finding with the gap.
    auto n =
        ogr_sql_number(s.store, "SELECT count(*) FROM findings WHERE kind = "
                                "'centreline_parts_joined' AND message LIKE '%0.030 m apart%'");
    BOOST_CHECK_EQUAL(n, 1);
}

BOOST_AUTO_TEST_CASE(a_fork_is_refused_saying_where_it_branches) {
    Store1 s;
    // A Y: the trunk 0–300 east, an arm from (300, 0) north-east; the main line goes on east.
    auto wkt = fmt::format("MULTILINESTRING(({},{}),({},{}),({},{}))", pt(0, 0), pt(300, 0),
                           pt(300, 0), pt(500, 0), pt(300, 0), pt(400, 100));
    auto msg = import_line(s, wkt);
    BOOST_CHECK_MESSAGE(msg.find("branches at (390300.000, 3080000.000)") != std::string::npos,
                        msg);
    // Chainage: start 1000 + 300 m along the longest merged piece (the trunk and one arm).
    BOOST_CHECK_MESSAGE(msg.find("K1+300 along its longest piece") != std::string::npos, msg);

    // A T: an arm ending on the middle of the main line.
    Store1 t;
    wkt = fmt::format("MULTILINESTRING(({},{}),({},{}))", pt(0, 0), pt(500, 0), pt(250, 0),
                      pt(250, 80));
    msg = import_line(t, wkt);
    BOOST_CHECK_MESSAGE(msg.find("branches at (390250.000, 3080000.000)") != std::string::npos,
                        msg);
    BOOST_CHECK_MESSAGE(msg.find("K1+250") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(pieces_apart_say_how_far) {
    Store1 s;
    auto wkt = fmt::format("MULTILINESTRING(({},{}),({},{}))", pt(0, 0), pt(100, 0), pt(101, 0),
                           pt(300, 0));
    auto msg = import_line(s, wkt);
    BOOST_CHECK_MESSAGE(msg.find("separate pieces") != std::string::npos, msg);
    BOOST_CHECK_MESSAGE(msg.find("1.000 m apart") != std::string::npos, msg);
    BOOST_CHECK_MESSAGE(msg.find("0.05 m") != std::string::npos, msg);
}
