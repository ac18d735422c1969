// core/text (utf8proc): display width, cutting to a byte budget without splitting a character,
// NFKC for codes; and the calendar arithmetic of core/date across month and leap-year ends.
#include "landclear/analysis/check.hpp"
#include "landclear/core/date.hpp"
#include "landclear/core/text.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <string>
#include <vector>

using namespace landclear;

BOOST_AUTO_TEST_CASE(display_width_counts_wide_characters_twice) {
    BOOST_CHECK_EQUAL(text::display_width(""), 0u);
    BOOST_CHECK_EQUAL(text::display_width("K1+200"), 6u);
    BOOST_CHECK_EQUAL(text::display_width("湘潭市"), 6u);                   // 3 CJK ideographs
    BOOST_CHECK_EQUAL(text::display_width("已征(亩)"), 8u);                 // 3 wide + 2 ASCII
    BOOST_CHECK_EQUAL(text::display_width("\xEF\xBC\xA1\xEF\xBC\xA2"), 4u); // ＡＢ full-width
    BOOST_CHECK_EQUAL(text::display_width("e\xCC\x81"), 1u);                // e + combining acute
    BOOST_CHECK_EQUAL(text::display_width("㎡"), 2u); // U+33A1, East Asian wide
}

BOOST_AUTO_TEST_CASE(characters_are_grapheme_clusters) {
    std::vector<std::string> parts;
    text::for_each_character("a湘e\xCC\x81!", [&](std::string_view c) { parts.emplace_back(c); });
    BOOST_CHECK_EQUAL(parts.size(), 4u);
    BOOST_CHECK_EQUAL(parts[1], "湘");
    BOOST_CHECK_EQUAL(parts[2], "e\xCC\x81");
    BOOST_CHECK_EQUAL(text::character_count("湘潭市雨湖区"), 6u);
    // An invalid byte is kept, on its own.
    BOOST_CHECK_EQUAL(text::character_count("a\xFF"
                                            "b"),
                      3u);
    BOOST_CHECK(text::is_valid_utf8("湘潭"));
    BOOST_CHECK(!text::is_valid_utf8("\xE6\xB9")); // the first two bytes of 湘
}

// Every budget from 0 to past the end: the cut is a whole-character prefix within the budget,
// and the next character would not have fitted. This is what a 10-byte dBASE field needs.
BOOST_AUTO_TEST_CASE(cutting_to_a_byte_budget_never_splits_a_character) {
    const std::string s = "G320绕城线e\xCC\x81三期（雨湖段）";
    std::vector<std::string> chars;
    text::for_each_character(s, [&](std::string_view c) { chars.emplace_back(c); });
    for (std::size_t budget = 0; budget <= s.size() + 2; ++budget) {
        auto cut = text::fit_bytes(s, budget);
        BOOST_CHECK_LE(cut.size(), budget);
        BOOST_CHECK(text::is_valid_utf8(cut));
        BOOST_CHECK_EQUAL(s.compare(0, cut.size(), cut), 0);
        std::size_t whole = 0, used = 0;
        while (whole < chars.size() && used + chars[whole].size() <= budget)
            used += chars[whole++].size();
        BOOST_CHECK_EQUAL(cut.size(), used); // hand count over the characters' byte sizes
    }
    // A 10-byte field holds three 3-byte ideographs, not three and a third.
    BOOST_CHECK_EQUAL(text::fit_bytes("湘潭市雨湖区", 10), "湘潭市");
    // The combining mark stays with its letter: 1 byte holds neither.
    BOOST_CHECK_EQUAL(text::fit_bytes("e\xCC\x81x", 2), "");
    BOOST_CHECK_EQUAL(text::fit_bytes("e\xCC\x81x", 3), "e\xCC\x81");
    // Measured in GBK (2 bytes an ideograph), 10 bytes hold five.
    BOOST_CHECK_EQUAL(text::fit_bytes("湘潭市雨湖区", 10,
                                      [](std::string_view c) { return c.size() == 3 ? 2u : 1u; }),
                      "湘潭市雨湖");
    BOOST_CHECK_EQUAL(text::first_characters("湘潭市雨湖区", 2), "湘潭");
}

BOOST_AUTO_TEST_CASE(nfkc_folds_full_width_codes) {
    BOOST_CHECK_EQUAL(text::nfkc("\xEF\xBC\xB8\xEF\xBC\xB4\xEF\xBC\x8D\xEF\xBC\x90\xEF\xBC\x91"),
                      "XT-01"); // ＸＴ－０１
    BOOST_CHECK_EQUAL(text::nfkc("a\xE3\x80\x80"
                                 "b"),
                      "a b");                               // U+3000
    BOOST_CHECK_EQUAL(text::nfkc("e\xCC\x81"), "\xC3\xA9"); // composed é
    BOOST_CHECK_EQUAL(text::nfkc("湘潭"), "湘潭");
    // check's duplicate-code rule: case, full width and blanks do not make a new code.
    BOOST_CHECK_EQUAL(normalise_code("\xEF\xBD\x98\xEF\xBD\x94-001\xE3\x80\x80"), "XT-001");
    BOOST_CHECK_EQUAL(normalise_code(" xt-001 "), "XT-001");
    BOOST_CHECK_EQUAL(normalise_code("宗地XT-001"), "宗地XT-001");
}

// Known dates: 2000-01-01 is Unix time 946 684 800 s = 10 957 days; 2024 is a leap year, 2023,
// 1900 and 2100 are not, 2000 is.
BOOST_AUTO_TEST_CASE(date_arithmetic_across_month_and_leap_year_ends) {
    BOOST_CHECK_EQUAL(Date(2000, 1, 1).days(), 946684800 / 86400);
    BOOST_CHECK_EQUAL(Date::from_days(Date(2024, 2, 28).days() + 1).iso(), "2024-02-29");
    BOOST_CHECK_EQUAL(Date::from_days(Date(2024, 2, 28).days() + 2).iso(), "2024-03-01");
    BOOST_CHECK_EQUAL(Date::from_days(Date(2023, 2, 28).days() + 1).iso(), "2023-03-01");
    BOOST_CHECK_EQUAL(Date::from_days(Date(2025, 12, 31).days() + 1).iso(), "2026-01-01");
    BOOST_CHECK_EQUAL(Date::from_days(Date(2025, 4, 30).days() + 1).iso(), "2025-05-01");
    BOOST_CHECK_EQUAL(Date(2025, 3, 1).days() - Date(2024, 3, 1).days(), 365); // no Feb 29 between
    BOOST_CHECK_EQUAL(Date(2024, 3, 1).days() - Date(2023, 3, 1).days(), 366); // 2024-02-29
    BOOST_CHECK_EQUAL(Date(2000, 3, 1).days() - Date(2000, 2, 28).days(), 2);  // 2000 is leap
    BOOST_CHECK(parse_date("2000-02-29"));
    BOOST_CHECK(!parse_date("1900-02-29"));
    BOOST_CHECK(!parse_date("2100-02-29"));
    BOOST_CHECK(!parse_date("2025-04-31"));
    BOOST_CHECK(!parse_date("2025-00-10"));
    // Every day of the supported range: consecutive day numbers, and back.
    long previous = Date(1900, 1, 1).days() - 1;
    for (int y = 1900; y <= 2200; ++y)
        for (int m = 1; m <= 12; ++m)
            for (int d = 1; d <= 31; ++d) {
                auto date = parse_date(fmt::format("{:04d}-{:02d}-{:02d}", y, m, d));
                if (!date)
                    continue;
                BOOST_REQUIRE_EQUAL(date->days(), previous + 1);
                previous = date->days();
                BOOST_REQUIRE(Date::from_days(previous) == *date);
            }
    // 301 years from 1900-01-01 to 2201-01-01: 301 * 365 + 73 leap days (1904 ... 2196,
    // less 2100; 2000 counts).
    BOOST_CHECK_EQUAL(previous + 1 - Date(1900, 1, 1).days(), 301 * 365 + 73);
}

BOOST_AUTO_TEST_CASE(trim_blanks_and_ideographic_spaces) {
    namespace text = landclear::text;
    BOOST_TEST(text::trim("  ZD-001\t\r\n") == "ZD-001");
    BOOST_TEST(text::trim("\xE3\x80\x80雨湖区\xE3\x80\x80") == "雨湖区");
    BOOST_TEST(text::trim(" \xE3\x80\x80 混合 \xE3\x80\x80 ") == "混合");
    BOOST_TEST(text::trim("湘 潭") == "湘 潭"); // inner spaces stay
    BOOST_TEST(text::trim("\xE3\x80\x80\xE3\x80\x80") == "");
    BOOST_TEST(text::trim("") == "");
}
