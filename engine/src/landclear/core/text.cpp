#include "landclear/core/text.hpp"

#include <cstdlib>
#include <memory>
#include <utf8proc.h>

namespace landclear::text {

namespace {

const utf8proc_uint8_t* bytes(std::string_view s) {
    return reinterpret_cast<const utf8proc_uint8_t*>(s.data());
}

// Decodes the code point at s[i]: its length in bytes (1 for an invalid byte, cp = -1).
std::size_t decode(std::string_view s, std::size_t i, utf8proc_int32_t& cp) {
    auto n = utf8proc_iterate(bytes(s) + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) {
        cp = -1;
        return 1;
    }
    return static_cast<std::size_t>(n);
}

} // namespace

bool is_valid_utf8(std::string_view s) {
    utf8proc_int32_t cp = 0;
    for (std::size_t i = 0; i < s.size();) {
        i += decode(s, i, cp);
        if (cp < 0)
            return false;
    }
    return true;
}

void for_each_code_point(std::string_view s,
                         const std::function<void(char32_t cp, bool valid)>& f) {
    utf8proc_int32_t cp = 0;
    for (std::size_t i = 0; i < s.size();) {
        i += decode(s, i, cp);
        f(cp < 0 ? U'\0' : static_cast<char32_t>(cp), cp >= 0);
    }
}

void for_each_character(std::string_view s, const std::function<void(std::string_view)>& f) {
    utf8proc_int32_t state = 0, previous = -1, cp = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = decode(s, i, cp);
        // An invalid byte is a character of its own: never glued to its neighbours.
        bool boundary =
            previous < 0 || cp < 0 || utf8proc_grapheme_break_stateful(previous, cp, &state);
        if (boundary && i > start) {
            f(s.substr(start, i - start));
            start = i;
        }
        if (cp < 0)
            state = 0;
        previous = cp;
        i += n;
    }
    if (s.size() > start)
        f(s.substr(start));
}

std::size_t character_count(std::string_view s) {
    std::size_t n = 0;
    for_each_character(s, [&](std::string_view) { ++n; });
    return n;
}

std::size_t display_width(std::string_view s) {
    std::size_t width = 0;
    utf8proc_int32_t cp = 0;
    for (std::size_t i = 0; i < s.size();) {
        i += decode(s, i, cp);
        if (cp < 0) {
            width += 1; // shown as one replacement character
            continue;
        }
        int w = utf8proc_charwidth(cp);
        // Control characters report 0; a tab or a stray control still takes a column here.
        if (w == 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_CC)
            w = 1;
        width += static_cast<std::size_t>(w);
    }
    return width;
}

std::string fit_bytes(std::string_view s, std::size_t max_bytes,
                      const std::function<std::size_t(std::string_view)>& bytes_of) {
    std::string out;
    std::size_t used = 0;
    bool full = false;
    for_each_character(s, [&](std::string_view ch) {
        if (full)
            return;
        std::size_t n = bytes_of ? bytes_of(ch) : ch.size();
        if (used + n > max_bytes) {
            full = true;
            return;
        }
        out += ch;
        used += n;
    });
    return out;
}

std::string first_characters(std::string_view s, std::size_t max_chars) {
    std::string out;
    std::size_t n = 0;
    for_each_character(s, [&](std::string_view ch) {
        if (n++ < max_chars)
            out += ch;
    });
    return out;
}

std::string nfkc(std::string_view s) {
    utf8proc_uint8_t* mapped = nullptr;
    auto n = utf8proc_map(
        bytes(s), static_cast<utf8proc_ssize_t>(s.size()), &mapped,
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
    if (n < 0)
        return std::string(s);
    return std::string(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(n));
}

std::string trim(std::string_view s) {
    constexpr std::string_view ideographic_space = "\xE3\x80\x80";
    auto blank_front = [&]() -> std::size_t {
        if (s.empty())
            return 0;
        if (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')
            return 1;
        return s.substr(0, 3) == ideographic_space ? 3 : 0;
    };
    auto blank_back = [&]() -> std::size_t {
        if (s.empty())
            return 0;
        if (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')
            return 1;
        return s.size() >= 3 && s.substr(s.size() - 3) == ideographic_space ? 3 : 0;
    };
    while (auto n = blank_front())
        s.remove_prefix(n);
    while (auto n = blank_back())
        s.remove_suffix(n);
    return std::string(s);
}

std::string neutralise_formula(std::string_view s) {
    if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos)
        return "'" + std::string(s);
    return std::string(s);
}

} // namespace landclear::text
