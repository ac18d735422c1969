#pragma once
// Opening an input layer through GDAL/OGR: any vector format GDAL reads, with the text encoding
// settled (a GBK shapefile without .cpg is caught, not read as mojibake).
#include "landclear/io/encoding.hpp"

#include <gdal_priv.h>
#include <memory>
#include <ogrsf_frmts.h>
#include <optional>
#include <string>

namespace landclear {

struct SourceSpec {
    std::string path;
    std::optional<std::string> layer;
    std::string display() const; // "parcels.shp" or "sample.gpkg:parcels"
};

// "file.gpkg:parcels" -> {file.gpkg, parcels}; a path that exists as written is never split.
// "file.gpkg:" -> {file.gpkg, ""}: an empty layer name, which Source refuses by name.
SourceSpec parse_source_spec(const std::string& text);

// True when GDAL can see the path: a file or folder, or a /vsizip/, /vsigzip/... path inside one.
bool source_exists(const std::string& path);

// Throws Error(usage) naming the option when iconv does not know the encoding ("GBK", "UTF-8",
// "BIG5" ... are known; "" means as the file declares).
void check_encoding(const std::string& encoding, const std::string& option);

struct SourceOptions {
    std::string encoding;                     // "" = as the file declares; e.g. "GBK", "CP936"
    std::optional<std::string> default_layer; // preferred layer name in multi-layer sources
    // XLSX/ODS/CSV ledger: XLSX/ODS headers forced (HEADERS=FORCE, so an all-text sheet keeps
    // its first row); CSV read without a header (HEADERS=NO) so that title rows above the
    // header row stay rows and the caller finds the header.
    bool spreadsheet = false;
};

class Source {
public:
    // Refuses a GeoJSON whose text holds a NUL character (the escape \u0000), which GDAL's C
    // strings would silently cut short, naming the feature, field and value.
    Source(const SourceSpec& spec, const SourceOptions& options);

    OGRLayer& layer() const { return *m_layer; }
    const SourceSpec& spec() const { return m_spec; }
    std::string display() const { return m_spec.display(); }
    std::string driver() const;
    // Text that GDAL hands over must be recoded from this encoding ("" = already UTF-8).
    const std::string& recode_from() const { return m_recode_from; }
    // True when strings are raw bytes of unknown encoding that must be checked for UTF-8.
    bool check_utf8() const { return m_check_utf8; }

    // Converts a string field value to UTF-8 as this source requires; nullopt when the bytes
    // are not valid UTF-8 (the caller reports the feature and suggests --encoding).
    std::optional<std::string> text(const char* raw) const;

    // The encoding guessed for a CSV or .dbf that declares none and is not UTF-8 (empty
    // charset when none was needed). When confident, the text is read in it; when not, text()
    // still refuses non-UTF-8 and encoding_hint() says what the guess would show.
    const EncodingGuess& encoding_guess() const { return m_guess; }
    // What to tell a user whose text is not UTF-8: the guess, its confidence and a sample.
    std::string encoding_hint() const;
    // "GBK (detected, confidence 0.97)" when the text was recoded from a guess, else "".
    std::string detected_encoding() const;
    // Why the source's CRS could not be read when it has a CRS file that GDAL could not use (a
    // shapefile's damaged or unreadable .prj); empty otherwise.
    const std::string& crs_problem() const { return m_crs_problem; }

private:
    SourceSpec m_spec;
    GDALDatasetUniquePtr m_ds;
    OGRLayer* m_layer = nullptr;
    std::string m_recode_from;
    bool m_check_utf8 = false;
    EncodingGuess m_guess;

    void guess_encoding_from_text();
    std::string m_crs_problem;
};

} // namespace landclear
