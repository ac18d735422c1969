#pragma once
// Which encoding a text file's bytes are in, when the file does not say (a CSV saved by Excel, a
// .dbf without .cpg or code page): libuchardet's guess, checked by decoding the bytes with it and
// scored by how much of the decoded text is what that encoding's users write (CJK ideographs and
// full-width punctuation for GBK/GB18030/Big5, accented Latin letters for Latin-1), so a guess
// resting on three odd bytes says it is unsure. uchardet 0.0.7 gives no confidence of its own.
#include <string>
#include <string_view>

namespace landclear {

struct EncodingGuess {
    std::string charset;   // as iconv/CPLRecode names it: "UTF-8", "CP936" (GBK), "GB18030",
                           // "BIG5", "ISO-8859-1", "CP1252", ...; "" = no guess
    std::string label;     // for people: "GBK", "GB18030", "Big5", "Latin-1", ...
    double confidence = 0; // 0..1
    std::string sample;    // a few lines of the text decoded with the guess (UTF-8)
    bool confident() const { return !charset.empty() && confidence >= confident_level; }
    static constexpr double confident_level = 0.6;
};

// bytes: a sample of the file's text (not valid UTF-8, else there is nothing to guess).
EncodingGuess guess_encoding(std::string_view bytes);

// Recodes bytes from charset to UTF-8 ("" when the bytes are not valid in that charset).
std::string recode_to_utf8(std::string_view bytes, const std::string& charset);

} // namespace landclear
