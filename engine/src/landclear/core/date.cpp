#include "landclear/core/date.hpp"

#include "landclear/core/error.hpp"

#include <charconv>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <vector>

namespace landclear {

namespace {

namespace chr = std::chrono;

chr::year_month_day ymd_of(int y, int m, int d) {
    return chr::year(y) / chr::month(static_cast<unsigned>(m)) / chr::day(static_cast<unsigned>(d));
}

bool valid_ymd(int y, int m, int d) {
    // month() and day() wrap out-of-range values modulo 256; ok() then sees the wrapped ones.
    return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= 31 && ymd_of(y, m, d).ok();
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
    return chr::sys_days(ymd_of(m_year, m_month, m_day)).time_since_epoch().count();
}

Date Date::from_days(long days) {
    chr::year_month_day ymd{chr::sys_days(chr::days(days))};
    return Date(static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                static_cast<int>(static_cast<unsigned>(ymd.day())));
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
    // YYYY-MM-DD, as the store writes every date (Date::iso), read digit by digit: a status of
    // a million parcels reads three million of them. The same answer as the general path below.
    auto digit = [&](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
    if (text.size() == 10 && text[4] == '-' && text[7] == '-' && digit(0) && digit(1) && digit(2) &&
        digit(3) && digit(5) && digit(6) && digit(8) && digit(9)) {
        auto num = [&](size_t i, size_t n) {
            int v = 0;
            for (size_t k = i; k < i + n; ++k)
                v = v * 10 + (text[k] - '0');
            return v;
        };
        int y = num(0, 4), m = num(5, 2), d = num(8, 2);
        if (!valid_ymd(y, m, d))
            return std::nullopt;
        return Date(y, m, d);
    }
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
