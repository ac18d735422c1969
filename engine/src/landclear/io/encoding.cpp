#include "landclear/io/encoding.hpp"

#include "landclear/core/text.hpp"
#include "landclear/io/gdal_error.hpp"

#include <algorithm>
#include <cpl_string.h>
#include <memory>
#include <uchardet.h>

namespace landclear {

namespace {

struct UchardetDeleter {
    void operator()(uchardet_t u) const { uchardet_delete(u); }
};

bool is_cjk(const std::string& charset) {
    return charset == "CP936" || charset == "GB18030" || charset == "BIG5";
}

// The share of the non-ASCII characters that people writing in this encoding use, times how
// much evidence there is (a dozen such characters is plenty; three is a hunch).
double plausibility(const std::string& utf8, const std::string& charset) {
    std::size_t non_ascii = 0, typical = 0;
    text::for_each_code_point(utf8, [&](char32_t cp, bool valid) {
        if (valid && cp < 0x80)
            return;
        ++non_ascii;
        if (!valid)
            return;
        bool ok = is_cjk(charset)
                      ? (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3000 && cp <= 0x303F) ||
                            (cp >= 0xFF00 && cp <= 0xFFEF) || cp == 0x00B7 || cp == 0x2014 ||
                            cp == 0x2026 || (cp >= 0x2018 && cp <= 0x201D)
                      : (cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7) || cp == 0x152 ||
                            cp == 0x153 || cp == 0x160 || cp == 0x161 || cp == 0x178 ||
                            cp == 0x17D || cp == 0x17E || cp == 0xB0 || cp == 0xB2;
        typical += ok;
    });
    if (non_ascii == 0)
        return 0;
    double share = static_cast<double>(typical) / static_cast<double>(non_ascii);
    double evidence = std::min(1.0, static_cast<double>(typical) / 12.0);
    return share * evidence;
}

// uchardet's names to iconv's, narrowed: GB18030 text that is valid GBK is called GBK, Latin
// text without the C1 range is ISO-8859-1.
std::pair<std::string, std::string> canonical(const std::string& detected, std::string_view b) {
    auto upper = std::string(CPLString(detected).toupper());
    if (upper == "GB18030" || upper == "GB2312" || upper == "GBK" || upper == "HZ-GB-2312")
        return !recode_to_utf8(b, "CP936").empty() ? std::pair{"CP936", "GBK"}
                                                   : std::pair{"GB18030", "GB18030"};
    if (upper == "BIG5" || upper == "EUC-TW")
        return {"BIG5", "Big5"};
    if (upper == "ISO-8859-1" || upper == "WINDOWS-1252" || upper == "ISO-8859-15") {
        bool c1 = std::any_of(b.begin(), b.end(), [](char c) {
            auto u = static_cast<unsigned char>(c);
            return u >= 0x80 && u < 0xA0;
        });
        return c1 ? std::pair{"CP1252", "Windows-1252"} : std::pair{"ISO-8859-1", "Latin-1"};
    }
    return {upper, detected};
}

std::string first_lines(const std::string& s) {
    std::string out;
    int lines = 0;
    for (char c : s) {
        if (c == '\n') {
            if (++lines == 3)
                break;
            out += " | ";
            continue;
        }
        if (c != '\r')
            out += c;
    }
    return text::first_characters(out, 120);
}

} // namespace

std::string recode_to_utf8(std::string_view bytes, const std::string& charset) {
    GdalErrorCapture capture; // iconv's "could not be converted" warnings are the answer here
    std::string in(bytes);
    char* out = CPLRecode(in.c_str(), charset.c_str(), CPL_ENC_UTF8);
    std::string utf8 = out ? out : "";
    CPLFree(out);
    if (!capture.errors().empty() || !text::is_valid_utf8(utf8))
        return {};
    // Decoding that cannot be undone lost bytes.
    char* back = CPLRecode(utf8.c_str(), CPL_ENC_UTF8, charset.c_str());
    bool same = back && in == back;
    CPLFree(back);
    if (!capture.errors().empty() || !same)
        return {};
    return utf8;
}

EncodingGuess guess_encoding(std::string_view bytes) {
    EncodingGuess g;
    std::unique_ptr<struct uchardet, UchardetDeleter> ud(uchardet_new());
    if (!ud)
        return g;
    uchardet_handle_data(ud.get(), bytes.data(), bytes.size());
    uchardet_data_end(ud.get());
    const char* detected = uchardet_get_charset(ud.get());
    std::string name = detected ? detected : "";
    if (name.empty() || name == "ASCII")
        return g;
    auto [charset, label] = canonical(name, bytes);
    auto utf8 = recode_to_utf8(bytes, charset);
    g.charset = charset;
    g.label = label;
    if (utf8.empty()) // uchardet's guess does not even decode the bytes
        return g;
    g.sample = first_lines(utf8);
    g.confidence = plausibility(utf8, charset);
    return g;
}

} // namespace landclear
