#pragma once
// UTF-8 text as people see it, through utf8proc: characters (grapheme clusters, so a base letter
// and its combining mark stay together), terminal display width (East Asian wide = 2 columns),
// cutting to a byte or character budget without splitting a character, and NFKC for comparing
// codes typed with full-width letters or ideographic spaces.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace landclear::text {

// True when every byte sequence is valid UTF-8.
bool is_valid_utf8(std::string_view s);

// Calls f with each user-perceived character (one grapheme cluster, as its bytes), in order.
// A byte that is not valid UTF-8 is passed on its own, so nothing is lost.
void for_each_character(std::string_view s, const std::function<void(std::string_view)>& f);

// Calls f with each code point of s, in order; an invalid byte is passed as (0, false).
void for_each_code_point(std::string_view s, const std::function<void(char32_t cp, bool valid)>& f);

// Characters (grapheme clusters) in s.
std::size_t character_count(std::string_view s);

// Terminal columns s takes: wide (CJK, full-width) characters 2, combining marks 0, others 1.
std::size_t display_width(std::string_view s);

// The longest prefix of whole characters whose size, as measured by bytes_of (default: UTF-8
// bytes; a shapefile in GBK measures its own), is at most max_bytes.
std::string fit_bytes(std::string_view s, std::size_t max_bytes,
                      const std::function<std::size_t(std::string_view)>& bytes_of = {});

// The first max_chars characters of s.
std::string first_characters(std::string_view s, std::size_t max_chars);

// Unicode NFKC: full-width ASCII becomes ASCII, U+3000 a plain space, composed forms one code
// point. Invalid UTF-8 is returned unchanged.
std::string nfkc(std::string_view s);

// s without surrounding blanks: ASCII space, tab, CR, LF and the full-width space U+3000 that
// pads many Chinese spreadsheets.
std::string trim(std::string_view s);

// Text for a spreadsheet cell that must stay text: a value starting with =, +, -, @, a tab or a
// carriage return is one Excel and LibreOffice would run as a formula when the CSV is opened
// (CSV injection), so it gets a leading apostrophe, which they show as plain text. Full-width
// forms (＝, ＋, －, ＠) are left alone: spreadsheets do not read them as formulas.
std::string neutralise_formula(std::string_view s);

} // namespace landclear::text
