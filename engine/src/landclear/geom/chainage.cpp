#include "landclear/geom/chainage.hpp"

#include "landclear/core/error.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <fmt/format.h>

namespace landclear {

std::string format_chainage(double metres, std::string_view prefix) {
    // Whole millimetres first, so 1199.9999999 prints as K1+200 and not K1+199.1000.
    auto mm = static_cast<std::int64_t>(std::llround(std::abs(metres) * 1000.0));
    std::string sign = metres < 0 && mm != 0 ? "-" : "";
    std::int64_t km = mm / 1'000'000;
    std::int64_t rest_mm = mm % 1'000'000;
    std::int64_t whole = rest_mm / 1000;
    std::int64_t frac = rest_mm % 1000;
    if (frac == 0)
        return fmt::format("{}{}{}+{:03d}", sign, prefix, km, whole);
    std::string decimals = fmt::format("{:03d}", frac);
    while (decimals.back() == '0')
        decimals.pop_back();
    return fmt::format("{}{}{}+{:03d}.{}", sign, prefix, km, whole, decimals);
}

std::string format_chainage_range(double from_m, double to_m, std::string_view prefix) {
    return format_chainage(from_m, prefix) + "\u2013" + format_chainage(to_m, prefix);
}

} // namespace landclear

namespace landclear {

namespace {

constexpr double min_piece_m = 1e-3; // no segment or run shorter than a millimetre

std::string trim(std::string s) {
    auto space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(static_cast<unsigned char>(s.back())))
        s.pop_back();
    size_t i = 0;
    while (i < s.size() && space(static_cast<unsigned char>(s[i])))
        ++i;
    return s.substr(i);
}

std::optional<double> plain_number(const std::string& s) {
    if (s.empty())
        return std::nullopt;
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

} // namespace

namespace {

// K-notation split into its parts: an optional '-' (a station before the origin, as
// format_chainage writes it), the kilometres and the metres after '+'. nullopt when the text is
// not K-notation at all.
struct KParts {
    bool negative = false;
    std::optional<double> km, m;
};

std::optional<KParts> k_parts(const std::string& text) {
    size_t at = 0;
    KParts parts;
    if (at < text.size() && text[at] == '-') {
        parts.negative = true;
        ++at;
    }
    if (at >= text.size() || (text[at] != 'K' && text[at] != 'k'))
        return std::nullopt;
    auto plus = text.find('+', at);
    if (plus == std::string::npos)
        return parts;
    parts.km = plain_number(trim(text.substr(at + 1, plus - at - 1)));
    parts.m = plain_number(trim(text.substr(plus + 1)));
    return parts;
}

} // namespace

std::optional<std::string> chainage_problem(const std::string& input) {
    std::string text = trim(input);
    auto k = k_parts(text);
    if (!k || !k->km || !k->m || *k->km < 0 || *k->km != std::floor(*k->km) || *k->m < 0)
        return std::nullopt;
    if (*k->m >= 1000) {
        double total = *k->km * 1000.0 + *k->m;
        return fmt::format("'{}' has {} m after the '+', but the metres of a station are below "
                           "1000 (that many metres is written {})",
                           text, *k->m,
                           std::isfinite(total) ? format_chainage(k->negative ? -total : total)
                                                : std::string("with more kilometres"));
    }
    return std::nullopt;
}

std::optional<double> parse_chainage(const std::string& input) {
    std::string text = trim(input);
    if (text.empty())
        return std::nullopt;
    if (auto k = k_parts(text)) {
        if (!k->km || !k->m || *k->km < 0 || *k->m < 0 || *k->km != std::floor(*k->km))
            return std::nullopt;
        // K1+1500 is not a station: the metres after '+' run from 0 to 999.999...
        if (*k->m >= 1000)
            return std::nullopt;
        double v = *k->km * 1000.0 + *k->m;
        // 1e306 km is finite text but not a finite distance.
        if (!std::isfinite(v))
            return std::nullopt;
        return k->negative ? -v : v;
    }
    return plain_number(text);
}

std::vector<ChainageBreak> parse_chainage_breaks(const std::string& text) {
    // Separators: ';' ',' and a new line, and the full-width '；' and '，' (UTF-8).
    std::string s = text;
    for (const char* wide : {"\xEF\xBC\x9B", "\xEF\xBC\x8C"})
        for (size_t at; (at = s.find(wide)) != std::string::npos;)
            s.replace(at, 3, ";");
    std::vector<ChainageBreak> out;
    size_t from = 0;
    while (from <= s.size()) {
        size_t to = s.find_first_of(";,\n", from);
        if (to == std::string::npos)
            to = s.size();
        std::string entry = trim(s.substr(from, to - from));
        from = to + 1;
        if (entry.empty())
            continue;
        auto eq = entry.find('=');
        std::optional<double> back, ahead;
        if (eq != std::string::npos && entry.find('=', eq + 1) == std::string::npos) {
            back = parse_chainage(entry.substr(0, eq));
            ahead = parse_chainage(entry.substr(eq + 1));
        }
        if (!back || !ahead) {
            auto why =
                eq == std::string::npos ? std::nullopt : chainage_problem(entry.substr(0, eq));
            if (!why && eq != std::string::npos)
                why = chainage_problem(entry.substr(eq + 1));
            if (why)
                throw_input(fmt::format("chainage break '{}': {}", entry, *why),
                            "write each station as K{km}+{metres}, the metres below 1000");
        }
        if (!back || !ahead)
            throw_input(fmt::format("chainage break '{}' is not 'back = ahead'", entry),
                        "write each break (断链) as back = ahead, e.g. K12+345.6=K12+300, "
                        "breaks separated by ';'");
        if (*back == *ahead)
            throw_input(fmt::format("chainage break '{}' changes nothing (back = ahead)", entry),
                        "remove it, or give the chainage ahead of the break");
        out.push_back({*back, *ahead});
    }
    return out;
}

std::string format_chainage_breaks(const std::vector<ChainageBreak>& breaks) {
    std::string out;
    for (const auto& b : breaks)
        out += fmt::format("{}{}={}", out.empty() ? "" : ";", format_chainage(b.back_m),
                           format_chainage(b.ahead_m));
    return out;
}

Stationing::Stationing(double start, double length, std::vector<ChainageBreak> breaks)
    : m_start(start), m_length(length), m_breaks(std::move(breaks)) {
    if (!std::isfinite(start) || !std::isfinite(length) || length <= 0)
        throw_input(fmt::format("cannot station a centreline of length {} m from chainage {}",
                                length, start));
    double along = 0, chainage = start;
    for (const auto& b : m_breaks) {
        if (!std::isfinite(b.back_m) || !std::isfinite(b.ahead_m))
            throw_input("a chainage break is not a finite number");
        double at = along + (b.back_m - chainage);
        if (!(at >= along + min_piece_m) || !(at <= length - min_piece_m))
            throw_input(
                fmt::format("chainage break {}={} is not on the line: walking from {} its back "
                            "chainage is {:.3f} m along a centreline {:.3f} m long",
                            format_chainage(b.back_m), format_chainage(b.ahead_m),
                            format_chainage(chainage), at, length),
                "list the breaks in the order they occur along the line, each with the "
                "chainage the stationing reads there (back) and the one it continues from "
                "(ahead)");
        m_runs.push_back({along, at, chainage, b.back_m});
        along = at;
        chainage = b.ahead_m;
    }
    m_runs.push_back({along, length, chainage, chainage + (length - along)});
}

double Stationing::chainage_at(double along) const {
    for (size_t i = m_runs.size(); i-- > 0;)
        if (along >= m_runs[i].along_from_m || i == 0)
            return m_runs[i].from_m + (along - m_runs[i].along_from_m);
    return m_start + along;
}

double Stationing::total_jump() const {
    double jump = 0;
    for (const auto& b : m_breaks)
        jump += b.ahead_m - b.back_m;
    return jump;
}

std::vector<StationSpan> Stationing::segments(double segment_m) const {
    if (!std::isfinite(segment_m) || segment_m < 1)
        throw_usage(fmt::format("--segment {} m: segments must be at least 1 m", segment_m));
    std::vector<StationSpan> out;
    for (const auto& run : m_runs) {
        // Boundaries of this run as chainages: every multiple strictly inside, not within a
        // millimetre of its ends.
        std::vector<double> cuts{run.from_m};
        double k = std::floor(run.from_m / segment_m) + 1;
        for (double c = k * segment_m; c < run.to_m - min_piece_m; c = (++k) * segment_m)
            if (c > run.from_m + min_piece_m)
                cuts.push_back(c);
        cuts.push_back(run.to_m);
        for (size_t i = 0; i + 1 < cuts.size(); ++i) {
            double a = run.along_from_m + (cuts[i] - run.from_m);
            double b = i + 2 == cuts.size() ? run.along_to_m
                                            : run.along_from_m + (cuts[i + 1] - run.from_m);
            out.push_back({i == 0 ? run.along_from_m : a, b, cuts[i], cuts[i + 1]});
        }
    }
    return out;
}

} // namespace landclear
