#pragma once
// Private to render/: the words of a page, Chinese by default, English with --lang en (the
// page's drawing, map_page.cpp, and what it shows, map_data.cpp and its parts).
#include "landclear/report/table.hpp"

#include <fmt/format.h>
#include <string>

namespace landclear::render_detail {

inline const char* tr(Lang lang, const char* zh, const char* en) {
    return lang == Lang::en ? en : zh;
}
// The same, formatted: trf(lang, "{} 宗", "{} parcels", n).
template <class... A> std::string trf(Lang lang, const char* zh, const char* en, const A&... args) {
    return fmt::vformat(tr(lang, zh, en), fmt::make_format_args(args...));
}

} // namespace landclear::render_detail
