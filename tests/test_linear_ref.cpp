// geom/linear_ref: distances along a polyline and back, checked on an L-shaped line by hand
// (3-4-5 legs), with a repeated vertex and a second part continuing the distance.
#include "landclear/geom/linear_ref.hpp"

#include <boost/test/unit_test.hpp>

using namespace landclear;

namespace {
// (0,0) -> (300,0) -> (300,0) again -> (300,400): 300 m east, then 400 m north.
LinearRef ell(double start = 0) {
    return LinearRef({{0, 0}, {300, 0}, {300, 0}, {300, 400}}, start);
}
} // namespace

BOOST_AUTO_TEST_CASE(distances_at_vertices_and_points_at_distances) {
    auto l = ell();
    BOOST_CHECK_EQUAL(l.length(), 700.0);
    BOOST_CHECK_EQUAL(l.at()[1], 300.0);
    BOOST_CHECK_EQUAL(l.at()[2], 300.0);
    auto p = l.point_at(150);
    BOOST_CHECK_EQUAL(p.x, 150.0);
    BOOST_CHECK_EQUAL(p.y, 0.0);
    p = l.point_at(500); // 200 m up the second leg
    BOOST_CHECK_EQUAL(p.x, 300.0);
    BOOST_CHECK_EQUAL(p.y, 200.0);
    // On the corner the edge after it holds the distance, past the repeated vertex.
    BOOST_CHECK_EQUAL(l.edge_at(300), 2u);
    BOOST_CHECK_EQUAL(l.direction(2).y, 1.0);
    BOOST_CHECK_EQUAL(l.direction(1).x, 0.0); // the repeated vertex: no direction
    BOOST_CHECK_EQUAL(l.direction(1).y, 0.0);
    // Past the end: the last edge, prolonged.
    p = l.point_at(800);
    BOOST_CHECK_EQUAL(p.y, 500.0);
}

BOOST_AUTO_TEST_CASE(the_line_between_two_distances) {
    auto l = ell();
    auto piece = l.between(100, 500);
    BOOST_REQUIRE_EQUAL(piece.size(), 4u); // (100,0), the corner twice, (300,200)
    BOOST_CHECK_EQUAL(piece.front().x, 100.0);
    BOOST_CHECK_EQUAL(piece[1].x, 300.0);
    BOOST_CHECK_EQUAL(piece.back().y, 200.0);
    // A second part continuing at 700 m: clipped to [650, 800] it is 700..800 of it.
    auto second = LinearRef({{300, 400}, {300, 600}}, 700);
    BOOST_CHECK_EQUAL(second.end(), 900.0);
    auto c = second.clipped(650, 800);
    BOOST_REQUIRE_EQUAL(c.size(), 2u);
    BOOST_CHECK_EQUAL(c.front().y, 400.0);
    BOOST_CHECK_EQUAL(c.back().y, 500.0);
    BOOST_CHECK(second.clipped(0, 600).empty());
}
