#include "landclear/io/source.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/gdal_util.hpp"

#include <cpl_string.h>
#include <filesystem>
#include <fmt/format.h>
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
    if (colon != std::string::npos && colon > 0 && colon + 1 < text.size() &&
        source_exists(text.substr(0, colon)))
        return {text.substr(0, colon), text.substr(colon + 1)};
    return {text, std::nullopt};
}

namespace {

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
    if (shapefile && !enc.empty())
        opts.SetNameValue("ENCODING", enc.c_str());
    else if (!enc.empty() && enc != "UTF-8")
        m_recode_from = enc;

    m_ds = open_vector(path, opts, spec.path);
    auto pick_layer = [&](GDALDataset& ds) -> OGRLayer* {
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
