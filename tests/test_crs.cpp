#include "landclear/core/error.hpp"
#include "landclear/io/crs.hpp"

#include <boost/test/unit_test.hpp>
#include <ogr_spatialref.h>

using namespace landclear;

namespace {
void to_4547(double& x, double& y, int from_epsg) {
    auto from = srs_from_epsg(from_epsg);
    auto to = srs_from_epsg(4547);
    auto ct = make_transform(*from, *to);
    BOOST_REQUIRE(ct);
    BOOST_REQUIRE(ct->Transform(1, &x, &y));
}
} // namespace

BOOST_AUTO_TEST_CASE(central_meridian_on_the_equator_is_false_easting) {
    double x = 114.0, y = 0.0; // longitude first, whatever EPSG says about axis order
    to_4547(x, y, 4490);
    BOOST_CHECK_SMALL(x - 500000.0, 1e-6);
    BOOST_CHECK_SMALL(y, 1e-6);
}

BOOST_AUTO_TEST_CASE(known_point_in_zone_38) {
    // Reference values from TOOLCHAIN.md (checked with PROJ's cs2cs on this machine kind).
    double x = 114.3055, y = 30.5928;
    to_4547(x, y, 4490);
    BOOST_CHECK_SMALL(x - 529299.860, 1e-3);
    BOOST_CHECK_SMALL(y - 3385869.453, 1e-3);
}

BOOST_AUTO_TEST_CASE(zone_from_longitude) {
    BOOST_CHECK_EQUAL(cgcs2000_gk3_epsg(112.9), 4547); // Xiangtan: CM 114E
    BOOST_CHECK_EQUAL(cgcs2000_gk3_epsg(112.4), 4546); // west of 112.5E: CM 111E
    BOOST_CHECK_EQUAL(cgcs2000_gk3_epsg(75.1), 4534);
    BOOST_CHECK_EQUAL(cgcs2000_gk3_epsg(134.9), 4554);
    BOOST_CHECK_THROW(cgcs2000_gk3_epsg(2.3), Error);
}

BOOST_AUTO_TEST_CASE(epsg_parsing_and_metric_check) {
    BOOST_CHECK_EQUAL(parse_epsg("EPSG:4547", "--crs"), 4547);
    BOOST_CHECK_EQUAL(parse_epsg("4546", "--crs"), 4546);
    BOOST_CHECK_THROW(parse_epsg("EPSG:999999", "--crs"), Error);
    BOOST_CHECK_THROW(parse_epsg("zone38", "--crs"), Error);
    BOOST_CHECK_NO_THROW(require_metric_projected(4547));
    BOOST_CHECK_THROW(require_metric_projected(4490), Error);
}
