#include "landclear/core/date.hpp"

#include "landclear/core/error.hpp"

#include <charconv>
#include <ctime>
#include <fmt/format.h>
#include <vector>

namespace landclear {

namespace {

bool is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

bool valid_ymd(int y, int m, int d) {
    return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

// Splits "2025年3月1日", "2025-3-1", "2025/03/01" into digit runs; anything but the known
// separators makes the text not a date.
std::optional<std::vector<std::string_view>> digit_runs(std::string_view s) {
    std::vector<std::string_view> runs;
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] >= '0' && s[i] <= '9') {
            size_t j = i;
            while (j < s.size() && s[j] >= '0' && s[j] <= '9')
                ++j;
            runs.push_back(s.substr(i, j - i));
            i = j;
            continue;
        }
        static constexpr std::string_view separators[] = {"-", "/", ".", "年", "月", "日"};
        bool matched = false;
        for (auto sep : separators) {
            if (s.substr(i, sep.size()) == sep) {
                i += sep.size();
                matched = true;
                break;
            }
        }
        if (!matched)
            return std::nullopt;
    }
    return runs;
}

int to_int(std::string_view s) {
    int v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

} // namespace

Date::Date(int year, int month, int day) : m_year(year), m_month(month), m_day(day) {
    if (!valid_ymd(year, month, day))
        throw_usage(fmt::format("{:04d}-{:02d}-{:02d} is not a calendar date", year, month, day));
}

long Date::days() const {
    // Howard Hinnant's days_from_civil.
    int y = m_year - (m_month <= 2 ? 1 : 0);
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = static_cast<unsigned>(y - era * 400);
    unsigned mp = static_cast<unsigned>(m_month + (m_month > 2 ? -3 : 9));
    unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(m_day) - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long>(doe) - 719468;
}

Date Date::from_days(long z) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = static_cast<unsigned>(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = static_cast<long>(yoe) + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return Date(static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d));
}

Date Date::today() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    return Date(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

std::string Date::iso() const {
    return fmt::format("{:04d}-{:02d}-{:02d}", m_year, m_month, m_day);
}

std::optional<Date> parse_date(std::string_view text) {
    // Trim blanks and drop a time part ("2025-03-01T00:00:00", "2025/03/01 00:00:00").
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    if (auto cut = text.find_first_of("T "); cut != std::string_view::npos && cut >= 8)
        text = text.substr(0, cut);
    auto runs = digit_runs(text);
    if (!runs)
        return std::nullopt;
    int y = 0, m = 0, d = 0;
    if (runs->size() == 1 && (*runs)[0].size() == 8) {
        auto s = (*runs)[0];
        y = to_int(s.substr(0, 4));
        m = to_int(s.substr(4, 2));
        d = to_int(s.substr(6, 2));
    } else if (runs->size() == 3 && (*runs)[0].size() == 4 && (*runs)[1].size() <= 2 &&
               (*runs)[2].size() <= 2) {
        y = to_int((*runs)[0]);
        m = to_int((*runs)[1]);
        d = to_int((*runs)[2]);
    } else {
        return std::nullopt;
    }
    if (!valid_ymd(y, m, d))
        return std::nullopt;
    return Date(y, m, d);
}

Date parse_date_option(std::string_view text, std::string_view option) {
    if (auto d = parse_date(text))
        return *d;
    throw_usage(fmt::format("{} '{}' is not a date", option, text),
                "write dates as YYYY-MM-DD, e.g. 2026-11-20");
}

} // namespace landclear
