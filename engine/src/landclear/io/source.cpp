#include "landclear/io/source.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/gdal_util.hpp"

#include <cerrno>
#include <cpl_string.h>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iconv.h>
#include <nlohmann/json.hpp>
#include <vector>

namespace landclear {

namespace fs = std::filesystem;

std::string SourceSpec::display() const {
    return layer ? path + ":" + *layer : path;
}

bool source_exists(const std::string& path) {
    if (path.rfind("/vsi", 0) == 0) {
        ensure_gdal_registered();
        VSIStatBufL st;
        return VSIStatL(path.c_str(), &st) == 0;
    }
    std::error_code ec;
    return fs::exists(path, ec);
}

SourceSpec parse_source_spec(const std::string& text) {
    if (source_exists(text))
        return {text, std::nullopt};
    auto colon = text.rfind(':');
    if (colon != std::string::npos && colon > 0 && source_exists(text.substr(0, colon)))
        return {text.substr(0, colon), text.substr(colon + 1)};
    return {text, std::nullopt};
}

void check_encoding(const std::string& encoding, const std::string& option) {
    if (encoding.empty())
        return;
    iconv_t cd = ::iconv_open("UTF-8", encoding.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1))
        throw_usage(
            fmt::format("{} '{}' is not a text encoding this system knows", option, encoding),
            "use GBK (also CP936, GB18030), BIG5 or UTF-8; `iconv -l` lists the rest");
    ::iconv_close(cd);
}

namespace {

// A GeoJSON file holding the escape \u0000 somewhere (a NUL character in a text).
bool has_nul_escape(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    constexpr std::string_view needle = "\\u0000";
    std::string buffer(1 << 20, '\0');
    std::string carry;
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        std::string chunk = carry + buffer.substr(0, static_cast<size_t>(in.gcount()));
        if (chunk.find(needle) != std::string::npos)
            return true;
        carry =
            chunk.size() >= needle.size() ? chunk.substr(chunk.size() - needle.size() + 1) : chunk;
    }
    return false;
}

// Throws naming the first feature (its index in "features", as GDAL numbers them) whose
// property text holds a NUL character; only run on files that hold the escape at all.
void refuse_nul_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    auto doc = nlohmann::json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("features") ||
        !doc["features"].is_array())
        return; // GDAL will say what is wrong with it
    size_t index = 0;
    for (const auto& feature : doc["features"]) {
        if (feature.is_object() && feature.contains("properties") &&
            feature["properties"].is_object())
            for (const auto& [name, value] : feature["properties"].items()) {
                if (!value.is_string())
                    continue;
                const auto& text = value.get_ref<const std::string&>();
                if (text.find('\0') == std::string::npos)
                    continue;
                std::string shown;
                for (char c : text)
                    shown += c == '\0' ? std::string("\\0") : std::string(1, c);
                throw_input(fmt::format("{}: feature {}: column {} holds a NUL character "
                                        "('{}'), which would cut the text short there",
                                        path, index, name, shown),
                            "remove the NUL character (\\u0000) from the source's text");
            }
        ++index;
    }
}

// The reason a shapefile's .prj gave no CRS: unreadable, or not a CRS GDAL understands.
std::string prj_problem(const fs::path& shp) {
    for (const char* ext : {".prj", ".PRJ"}) {
        auto prj = fs::path(shp).replace_extension(ext);
        std::error_code ec;
        if (!fs::exists(prj, ec))
            continue;
        std::ifstream in(prj, std::ios::binary);
        if (!in)
            return fmt::format("its CRS file {} cannot be read ({})", prj.string(),
                               std::strerror(errno));
        std::string head(120, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<size_t>(in.gcount()));
        for (char& c : head)
            if (static_cast<unsigned char>(c) < 0x20)
                c = ' ';
        return fmt::format("its CRS file {} is not a CRS that GDAL can read (it begins '{}')",
                           prj.string(), head);
    }
    return {};
}

bool is_gbk(const std::string& enc) {
    auto upper = CPLString(enc).toupper();
    return upper == "GBK" || upper == "CP936" || upper == "GB2312" || upper == "GB18030";
}

std::string canonical_encoding(const std::string& enc) {
    if (enc.empty())
        return enc;
    auto upper = std::string(CPLString(enc).toupper());
    if (upper == "UTF8" || upper == "UTF-8")
        return "UTF-8";
    if (is_gbk(upper))
        return upper == "GB18030" ? "GB18030" : "CP936";
    return upper;
}

std::vector<std::string> layer_names(GDALDataset& ds) {
    std::vector<std::string> names;
    for (auto* l : ds.GetLayers())
        names.emplace_back(l->GetName());
    return names;
}

GDALDatasetUniquePtr open_vector(const std::string& path, const CPLStringList& open_options,
                                 const std::string& display) {
    GdalErrorCapture capture;
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                              nullptr, open_options.List(), nullptr));
    if (!ds) {
        auto why = capture.last_error();
        throw_input(
            fmt::format("cannot read {} as vector data{}", display, why.empty() ? "" : ": " + why),
            "landclear reads any vector format GDAL does (GeoPackage, Shapefile, "
            "GeoJSON, FlatGeobuf, CSV with WKT, XLSX, ...)");
    }
    return ds;
}

bool ends_with_zip(const std::string& path) {
    return path.size() > 4 && EQUAL(path.c_str() + path.size() - 4, ".zip");
}

// A plain .zip path opens as GDAL opens its content: the one data file inside it, or the
// archive as a folder (several shapefiles).
std::string gdal_path(const std::string& path) {
    if (!ends_with_zip(path) || path.rfind("/vsi", 0) == 0)
        return path;
    std::string root = "/vsizip/" + path;
    CPLStringList files(VSIReadDirRecursive(root.c_str()));
    std::vector<std::string> data;
    for (int i = 0; i < files.Count(); ++i) {
        std::string f = files[i];
        if (f.empty() || f.back() == '/')
            continue;
        auto dot = f.rfind('.');
        auto ext = CPLString(dot == std::string::npos ? "" : f.substr(dot + 1)).tolower();
        for (const char* side : {"dbf", "shx", "prj", "cpg", "sbn", "sbx", "qix", "xml", "txt"})
            if (ext == side)
                ext.clear();
        if (!ext.empty())
            data.push_back(f);
    }
    return data.size() == 1 ? root + "/" + data.front() : root;
}

} // namespace

Source::Source(const SourceSpec& spec, const SourceOptions& options) : m_spec(spec) {
    ensure_gdal_registered();
    if (!source_exists(spec.path))
        throw_input(fmt::format("file {} does not exist", spec.path),
                    "check the path (relative paths start from the current directory)");
    check_encoding(options.encoding, "--encoding");
    std::string enc = canonical_encoding(options.encoding);
    const std::string path = gdal_path(spec.path);

    // Probe with the options GDAL accepts for this driver only.
    GDALDriverH probe_driver = GDALIdentifyDriver(path.c_str(), nullptr);
    std::string driver_name = probe_driver ? GDALGetDriverShortName(probe_driver) : "";
    CPLStringList opts;
    if (driver_name == "CSV") {
        opts.SetNameValue("GEOM_POSSIBLE_NAMES", "WKT,wkt,geom,geometry,GEOMETRY");
        opts.SetNameValue("KEEP_GEOM_COLUMNS", "NO");
        opts.SetNameValue("AUTODETECT_TYPE", "NO");
        if (options.spreadsheet)
            opts.SetNameValue("HEADERS", "NO");
    } else if (driver_name == "XLSX" || driver_name == "ODS") {
        if (options.spreadsheet)
            opts.SetNameValue("HEADERS", "FORCE");
    }
    bool shapefile = driver_name == "ESRI Shapefile";
    if (shapefile && fs::path(spec.path).extension() != ".dbf") {
        // GDAL opens a .shp without its .dbf as a layer with no fields; say what is missing.
        auto dbf = fs::path(spec.path).replace_extension(".dbf");
        auto dbf_upper = fs::path(spec.path).replace_extension(".DBF");
        std::error_code ec;
        if (!fs::is_directory(spec.path, ec) && !fs::exists(dbf, ec) && !fs::exists(dbf_upper, ec))
            throw_input(
                fmt::format("{}: its attribute file {} is missing", spec.path, dbf.string()),
                "a shapefile is several files: copy the .dbf (and .shx, .prj, .cpg) "
                "together with the .shp");
    }
    if (driver_name == "GeoJSON" && has_nul_escape(spec.path))
        refuse_nul_text(spec.path);
    if (shapefile && !enc.empty())
        opts.SetNameValue("ENCODING", enc.c_str());
    else if (!enc.empty() && enc != "UTF-8")
        m_recode_from = enc;

    m_ds = open_vector(path, opts, spec.path);
    auto pick_layer = [&](GDALDataset& ds) -> OGRLayer* {
        if (spec.layer && spec.layer->empty())
            throw_input(fmt::format("{}: no layer name after the colon; its layers are: {}",
                                    spec.path, fmt::join(layer_names(ds), ", ")),
                        fmt::format("name one of them after the colon: {}:LAYER, or drop the "
                                    "colon",
                                    spec.path));
        if (spec.layer) {
            OGRLayer* l = ds.GetLayerByName(spec.layer->c_str());
            if (!l)
                throw_input(fmt::format("{} has no layer '{}'; its layers are: {}", spec.path,
                                        *spec.layer, fmt::join(layer_names(ds), ", ")),
                            fmt::format("name one of them after a colon: {}:LAYER", spec.path));
            return l;
        }
        if (ds.GetLayerCount() == 1)
            return ds.GetLayer(0);
        if (options.default_layer)
            if (OGRLayer* l = ds.GetLayerByName(options.default_layer->c_str()))
                return l;
        if (ds.GetLayerCount() == 0)
            throw_input(fmt::format("{} has no vector layers", spec.path));
        throw_input(fmt::format("{} has several layers ({}); which one?", spec.path,
                                fmt::join(layer_names(ds), ", ")),
                    fmt::format("name it after a colon: {}:LAYER", spec.path));
    };
    m_layer = pick_layer(*m_ds);

    if (shapefile && enc.empty()) {
        const char* from_cpg = m_layer->GetMetadataItem("ENCODING_FROM_CPG", "SHAPEFILE");
        const char* from_ldid = m_layer->GetMetadataItem("ENCODING_FROM_LDID", "SHAPEFILE");
        if (!from_cpg && !from_ldid) {
            // No .cpg and no code page in the .dbf: GDAL would guess ISO-8859-1 and turn GBK
            // into mojibake. Read raw bytes instead and insist that they are UTF-8.
            opts.SetNameValue("ENCODING", "");
            std::string layer_name = m_layer->GetName();
            m_ds = open_vector(path, opts, spec.path);
            m_layer = m_ds->GetLayerByName(layer_name.c_str());
            m_check_utf8 = true;
            guess_encoding_from_text();
            if (m_guess.confident()) {
                // Let GDAL recode names and values alike, as if a .cpg had said it.
                opts.SetNameValue("ENCODING", m_guess.charset.c_str());
                m_ds = open_vector(path, opts, spec.path);
                m_layer = m_ds->GetLayerByName(layer_name.c_str());
                m_check_utf8 = false;
            }
        }
    }
    if (driver_name != "ESRI Shapefile" && enc.empty()) {
        m_check_utf8 = true;
        if (driver_name == "CSV") {
            guess_encoding_from_text();
            if (m_guess.confident()) {
                m_recode_from = m_guess.charset;
                m_check_utf8 = false;
            }
        }
    }
    if (shapefile) {
        // GDAL reads the .prj here and says why it failed; that goes into our message.
        GdalErrorCapture prj;
        if (!m_layer->GetSpatialRef()) {
            m_crs_problem = prj_problem(spec.path);
            if (auto said = prj.errors(); !m_crs_problem.empty() && !said.empty())
                m_crs_problem += fmt::format(" (GDAL: {})", said);
        }
    }
}

// The text GDAL hands over raw: field names and the string values of the first features.
void Source::guess_encoding_from_text() {
    std::string sample;
    bool utf8 = true;
    auto add = [&](const char* s) {
        if (!s || !*s)
            return;
        utf8 = utf8 && CPLIsUTF8(s, -1);
        sample += s;
        sample += '\n';
    };
    auto* defn = m_layer->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i)
        add(defn->GetFieldDefn(i)->GetNameRef());
    m_layer->ResetReading();
    int n = 0;
    for (auto& f : *m_layer) {
        for (int i = 0; i < defn->GetFieldCount(); ++i)
            if (defn->GetFieldDefn(i)->GetType() == OFTString && f->IsFieldSetAndNotNull(i))
                add(f->GetFieldAsString(i));
        if (++n == 2000 || sample.size() > (1u << 18))
            break;
    }
    m_layer->ResetReading();
    if (!utf8)
        m_guess = guess_encoding(sample);
}

std::string Source::detected_encoding() const {
    if (m_guess.charset.empty() || m_check_utf8)
        return {};
    return fmt::format("{} (detected, confidence {:.2f})", m_guess.label, m_guess.confidence);
}

std::string Source::encoding_hint() const {
    if (m_guess.charset.empty() || m_guess.sample.empty())
        return "the text is in an encoding that could not be told: pass --encoding (GBK, "
               "GB18030, BIG5, ISO-8859-1, ...)";
    return fmt::format("the encoding is probably {} but that is not certain (confidence {:.2f}); "
                       "read as {} the text would be: \"{}\"; if that is right pass --encoding "
                       "{}, else the file's own encoding",
                       m_guess.label, m_guess.confidence, m_guess.label, m_guess.sample,
                       m_guess.charset);
}

std::string Source::driver() const {
    return m_ds->GetDriver()->GetDescription();
}

std::optional<std::string> Source::text(const char* raw) const {
    if (!raw)
        return std::string();
    if (!m_recode_from.empty()) {
        char* recoded = CPLRecode(raw, m_recode_from.c_str(), CPL_ENC_UTF8);
        std::string out = recoded ? recoded : "";
        CPLFree(recoded);
        return out;
    }
    if (m_check_utf8 && !CPLIsUTF8(raw, -1))
        return std::nullopt;
    return std::string(raw);
}

} // namespace landclear
