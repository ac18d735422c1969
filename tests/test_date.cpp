#include "landclear/core/date.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"

#include <boost/test/unit_test.hpp>

using namespace landclear;

BOOST_AUTO_TEST_CASE(reads_the_spellings_ledgers_use) {
    const Date expected(2025, 3, 1);
    for (const char* text : {"2025-03-01", "2025/3/1", "2025.03.01", "20250301", "2025年3月1日",
                             " 2025-03-01 ", "2025-03-01T00:00:00", "2025/03/01 08:30:00"}) {
        auto d = parse_date(text);
        BOOST_REQUIRE_MESSAGE(d, text);
        BOOST_CHECK_MESSAGE(*d == expected, text);
    }
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_a_date) {
    for (const char* text : {"", "2025-02-30", "2025-13-01", "01/03/2025", "yesterday", "2025-03",
                             "2025-03-01x", "已征"})
        BOOST_CHECK_MESSAGE(!parse_date(text), text);
    BOOST_CHECK_THROW(parse_date_option("2025-02-29", "--as-of"), Error);
    BOOST_CHECK(parse_date("2024-02-29")); // leap year
}

BOOST_AUTO_TEST_CASE(day_arithmetic_round_trips) {
    BOOST_CHECK_EQUAL(Date(1970, 1, 1).days(), 0);
    BOOST_CHECK_EQUAL(Date(2000, 3, 1).days(), 11017);
    for (long d = -1000; d < 30000; d += 7)
        BOOST_CHECK_EQUAL(Date::from_days(d).days(), d);
    BOOST_CHECK(Date(2025, 12, 31) < Date(2026, 1, 1));
    BOOST_CHECK_EQUAL(Date(2026, 11, 20).iso(), "2026-11-20");
}

BOOST_AUTO_TEST_CASE(mu_is_exactly_one_fifteenth_of_a_hectare) {
    BOOST_CHECK_EQUAL(m2_to_mu(10000.0), 15.0);
    BOOST_CHECK_EQUAL(mu_to_m2(15.0), 10000.0);
    BOOST_CHECK_CLOSE(m2_to_mu(666.6666666666666), 1.0, 1e-12);
    BOOST_CHECK_EQUAL(percent(1, 0), 0.0);
}
