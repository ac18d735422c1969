#pragma once
// Calendar dates without time zones: statuses change on a day, and "as of" means end of that day.
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace landclear {

class Date {
public:
    Date() = default;
    // Throws Error(usage) for an impossible date such as 2025-02-30.
    Date(int year, int month, int day);

    int year() const { return m_year; }
    int month() const { return m_month; }
    int day() const { return m_day; }

    // Days since 1970-01-01 (proleptic Gregorian).
    long days() const;
    static Date from_days(long days);
    static Date today();

    std::string iso() const; // YYYY-MM-DD

    auto operator<=>(const Date&) const = default;

private:
    int m_year = 1970;
    int m_month = 1;
    int m_day = 1;
};

// Reads the spellings ledgers and shapefiles use: 2025-03-01, 2025/3/1, 2025.03.01, 20250301,
// 2025年3月1日, and an ISO date-time whose time part is ignored. Returns nullopt when the text is
// not a date; an impossible calendar day (2025-02-30) also yields nullopt.
std::optional<Date> parse_date(std::string_view text);

// As parse_date, but an Error(usage) naming the option when the text is not a date.
Date parse_date_option(std::string_view text, std::string_view option);

} // namespace landclear
