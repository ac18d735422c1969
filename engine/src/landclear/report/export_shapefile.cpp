// Shapefile export. The dBASE file counts field names and text widths in bytes of its encoding
// (10 bytes per name, at most 254 per text value), and ArcGIS stops at 2 GB per file. So a
// first pass over the features measures every text value in the target encoding (UTF-8 or
// GBK through CPLRecode) and estimates the file sizes; the second pass writes with widths that
// fit every value whole; the result is read back and checked before it is moved into place.
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/io/gdal_write.hpp"
#include "landclear/report/detail/export_detail.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <fmt/format.h>
#include <functional>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <unordered_map>

namespace landclear::detail {

namespace {

constexpr size_t max_text_bytes = 254; // dBASE character fields
constexpr int integer_width = 18;
constexpr int real_width = 24, real_precision = 10;
constexpr int date_width = 8;

bool is_ascii(const std::string& s) {
    for (unsigned char c : s)
        if (c >= 0x80)
            return false;
    return true;
}

// Byte lengths of text in the target encoding, remembered per distinct value (district,
// village and project names repeat across thousands of features).
class Encoder {
public:
    explicit Encoder(bool gbk) : m_gbk(gbk) {}

    // The length in bytes; nullopt when the encoding cannot hold some character.
    std::optional<size_t> length(const std::string& s) {
        if (!m_gbk || is_ascii(s))
            return s.size();
        auto it = m_cache.find(s);
        if (it != m_cache.end())
            return it->second;
        std::optional<size_t> n = recoded_length(s);
        m_cache.emplace(s, n);
        return n;
    }

    // The longest prefix of whole characters that fits max bytes in the target encoding.
    std::string fit(const std::string& s, size_t max) {
        return text::fit_bytes(s, max, [&](std::string_view ch) {
            return m_gbk ? length(std::string(ch)).value_or(ch.size()) : ch.size();
        });
    }

private:
    std::optional<size_t> recoded_length(const std::string& s) {
        // CPLRecode warns once per process about lost characters; a lost character is what
        // this asks about, and the answer is the round trip below.
        GdalErrorCapture quiet;
        char* gbk = CPLRecode(s.c_str(), CPL_ENC_UTF8, "CP936");
        std::string encoded = gbk ? gbk : "";
        CPLFree(gbk);
        char* back = CPLRecode(encoded.c_str(), "CP936", CPL_ENC_UTF8);
        bool same = back && s == back;
        CPLFree(back);
        quiet.discard_warnings();
        if (!same)
            return std::nullopt;
        return encoded.size();
    }

    bool m_gbk;
    std::unordered_map<std::string, std::optional<size_t>> m_cache;
};

int family(const std::vector<unsigned char>& wkb, const WriteContext& ctx) {
    OGRGeometry* raw = nullptr;
    if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &raw, wkb.size()) != OGRERR_NONE ||
        !raw)
        return 0;
    OGRGeometryUniquePtr g(raw);
    auto t = wkbFlatten(g->getGeometryType());
    if (t == wkbPolygon || t == wkbMultiPolygon)
        return 1;
    if (t == wkbLineString || t == wkbMultiLineString)
        return 2;
    if (t == wkbPoint || t == wkbMultiPoint)
        return 4;
    return 8;
}

std::string human_bytes(std::uint64_t n) {
    return fmt::format("{:.2f} GB", static_cast<double>(n) / (1024.0 * 1024.0 * 1024.0));
}

} // namespace

void write_shapefile(const Source& s, const fs::path& target, PendingFiles& pending,
                     const WriteContext& ctx, ExportedLayer& result) {
    const auto& o = ctx.options;
    bool gbk = o.encoding == TextEncoding::gbk;
    const char* encoding_name = gbk ? "GBK (CP936)" : "UTF-8";
    Encoder enc(gbk);
    size_t n = s.fields.size();

    // Pass 1: byte widths, the geometry kinds present and the size of the files.
    std::vector<size_t> max_bytes(n, 0);
    std::vector<std::int64_t> cut(n, 0);
    std::uint64_t shp_bytes = 100, features = 0;
    int families = 0;
    bool unknown_geometry = s.geometry == wkbUnknown;
    s.scan([&](const OutFeature& f) {
        ++features;
        for (size_t i = 0; i < n; ++i) {
            auto str = std::get_if<std::string>(&f.values[i]);
            if (!str)
                continue;
            auto len = enc.length(*str);
            if (!len)
                throw_input(fmt::format("{}: field {} value '{}' has characters that GBK "
                                        "(CP936) cannot hold",
                                        describe_feature(s, f), s.fields[i].key, *str),
                            "export with --encoding UTF-8 (ArcGIS 10.2.1 and later and QGIS "
                            "read the .cpg), or use --format gpkg");
            if (*len > max_text_bytes) {
                cut[i] += 1;
                *len = max_text_bytes;
            }
            max_bytes[i] = std::max(max_bytes[i], *len);
        }
        if (f.wkb && !f.wkb->empty()) {
            // A shape record is 8 bytes of header plus at most 44 + 4 per part + 16 per point,
            // which never exceeds the WKB size plus 44.
            shp_bytes += 8 + 44 + f.wkb->size();
            if (unknown_geometry)
                families |= family(*f.wkb, ctx);
        } else {
            shp_bytes += 8 + 4; // a null shape
        }
    });

    std::vector<int> widths(n), precisions(n, 0);
    std::uint64_t record = 1;
    for (size_t i = 0; i < n; ++i) {
        switch (s.fields[i].type) {
        case FieldType::text:
            widths[i] = static_cast<int>(std::max<size_t>(1, max_bytes[i]));
            break;
        case FieldType::integer:
            widths[i] = integer_width;
            break;
        case FieldType::real:
            widths[i] = real_width;
            precisions[i] = real_precision;
            break;
        case FieldType::date:
            widths[i] = date_width;
            break;
        }
        record += static_cast<std::uint64_t>(widths[i]);
    }
    std::uint64_t dbf_bytes = 32 + 32 * n + 1 + features * record + 1;
    if (shp_bytes > o.shapefile_limit_bytes || dbf_bytes > o.shapefile_limit_bytes)
        throw_input(fmt::format("{} is too large for a shapefile: {} features need about {} "
                                "of .shp and {} of .dbf, and a shapefile stops at {} per file",
                                export_layer_name(s.layer), features, human_bytes(shp_bytes),
                                human_bytes(dbf_bytes), human_bytes(o.shapefile_limit_bytes)),
                    "export to GeoPackage (--format gpkg) or FlatGeobuf (--format fgb), or "
                    "select fewer features with --project or --district");

    OGRwkbGeometryType gtype = static_cast<OGRwkbGeometryType>(s.geometry);
    if (unknown_geometry) {
        switch (families) {
        case 0:
        case 1:
            gtype = wkbMultiPolygon;
            break;
        case 2:
            gtype = wkbMultiLineString;
            break;
        case 4:
            gtype = wkbMultiPoint;
            break;
        default:
            throw_input(fmt::format("the {} mix polygons, lines and points; a shapefile holds "
                                    "one kind of geometry",
                                    export_layer_name(s.layer)),
                        "use --format gpkg, fgb or geojson");
        }
    }

    // Pass 2: write into a private folder beside the target.
    std::string stem = target.stem().string();
    fs::path dir = pending.temp_dir();
    fs::path temp_shp = dir / (stem + ".shp");
    GdalErrorCapture capture; // failures outside the checked calls fail the write too
    gdal::Dataset ds("ESRI Shapefile", temp_shp.string(), target.string());
    CPLStringList lco;
    lco.SetNameValue("ENCODING", gbk ? "CP936" : "UTF-8");
    lco.SetNameValue("2GB_LIMIT", "YES");
    lco.SetNameValue("SPATIAL_INDEX", "NO");
    lco.SetNameValue("RESIZE", "NO");
    auto layer = ds.create_layer(stem, ctx.target_srs, gtype, lco.List());
    std::vector<OGRFieldType> types;
    for (size_t i = 0; i < n; ++i) {
        const auto& f = s.fields[i];
        OGRFieldType t = f.type == FieldType::text      ? OFTString
                         : f.type == FieldType::integer ? OFTInteger64
                         : f.type == FieldType::real    ? OFTReal
                                                        : OFTDate;
        layer.add_field(f.shp, t, widths[i], precisions[i]);
        types.push_back(t);
    }

    std::vector<std::size_t> written_text; // per feature, to check what reads back
    std::hash<std::string> hasher;
    s.scan([&](const OutFeature& f) {
        gdal::Feature feat(layer);
        std::string text;
        for (size_t i = 0; i < n; ++i) {
            const Value& v = f.values[i];
            auto str = std::get_if<std::string>(&v);
            if (str && cut[i] > 0 && enc.length(*str).value_or(0) > max_text_bytes) {
                std::string fitted = enc.fit(*str, max_text_bytes);
                feat->SetField(static_cast<int>(i), fitted.c_str());
                text += fitted;
            } else if (str) {
                feat->SetField(static_cast<int>(i), str->c_str());
                text += *str;
            } else if (auto d = std::get_if<Date>(&v)) {
                feat->SetField(static_cast<int>(i), d->year(), d->month(), d->day());
            } else if (auto x = std::get_if<double>(&v)) {
                feat->SetField(static_cast<int>(i), *x);
            } else if (auto k = std::get_if<std::int64_t>(&v)) {
                feat->SetField(static_cast<int>(i), static_cast<GIntBig>(*k));
            } else {
                feat->SetFieldNull(static_cast<int>(i));
            }
            if (s.fields[i].type == FieldType::text)
                text += '\x1f';
        }
        if (auto g = make_geometry(f, ctx))
            feat.set_geometry(std::move(g));
        feat.add_to_layer(describe_feature(s, f));
        written_text.push_back(hasher(text));
        result.features += 1;
        result.area_m2 += f.area_m2;
        result.length_m += f.length_m;
        if (result.features % 100000 == 0)
            report_progress(o, fmt::format("{}: {} features written", s.name, result.features));
    });
    ds.close();
    if (auto why = capture.errors(); !why.empty())
        throw_input(fmt::format("cannot write {}: {}", target.string(), why));

    // Read it back as QGIS or ArcGIS would, through the .cpg: names, widths and every text
    // value must be what was meant.
    {
        const char* drivers[] = {"ESRI Shapefile", nullptr};
        GDALDatasetUniquePtr check(GDALDataset::Open(temp_shp.string().c_str(), GDAL_OF_VECTOR,
                                                     drivers, nullptr, nullptr));
        if (!check || check->GetLayerCount() != 1)
            throw_internal(fmt::format("the shapefile written for {} cannot be read back: {}",
                                       target.string(), capture.last_error()));
        OGRLayer* l = check->GetLayer(0);
        auto* d = l->GetLayerDefn();
        if (d->GetFieldCount() != static_cast<int>(n))
            throw_internal(fmt::format("{}: {} fields read back, {} written", target.string(),
                                       d->GetFieldCount(), n));
        for (size_t i = 0; i < n; ++i) {
            auto* fd = d->GetFieldDefn(static_cast<int>(i));
            if (s.fields[i].shp != fd->GetNameRef() ||
                (types[i] == OFTString && fd->GetWidth() != widths[i]))
                throw_internal(fmt::format("{}: field {} reads back as {} ({} bytes), written "
                                           "as {} ({} bytes)",
                                           target.string(), i + 1, fd->GetNameRef(), fd->GetWidth(),
                                           s.fields[i].shp, widths[i]));
        }
        size_t index = 0;
        for (auto& feat : *l) {
            std::string text;
            for (size_t i = 0; i < n; ++i)
                if (s.fields[i].type == FieldType::text) {
                    if (feat->IsFieldSetAndNotNull(static_cast<int>(i)))
                        text += feat->GetFieldAsString(static_cast<int>(i));
                    text += '\x1f';
                }
            if (index >= written_text.size() || hasher(text) != written_text[index])
                throw_internal(fmt::format("{}: the text of feature {} does not read back in "
                                           "{} as written",
                                           target.string(), index + 1, encoding_name));
            ++index;
        }
        if (index != written_text.size())
            throw_internal(fmt::format("{}: {} features read back, {} written", target.string(),
                                       index, written_text.size()));
    }

    for (size_t i = 0; i < n; ++i)
        if (cut[i] > 0)
            ctx.summary.warnings.push_back(fmt::format(
                "{} values of field {} ({}) are longer than the {} bytes a shapefile holds in "
                "{}; they were cut at a whole character",
                cut[i], s.fields[i].shp, s.fields[i].key, max_text_bytes, encoding_name));

    fs::path dictionary = dir / (stem + "_fields.csv");
    write_field_dictionary(s, widths, precisions, dictionary);

    fs::path out_dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
        fs::path file = dir / (stem + ext);
        if (fs::exists(file))
            pending.add(file, out_dir / (stem + ext));
        else if (std::string(ext) == ".cpg" || (std::string(ext) == ".prj" && ctx.target_srs))
            throw_internal(fmt::format("GDAL wrote no {} for {}", ext, target.string()));
    }
    pending.add(dictionary, out_dir / dictionary.filename());
    // Indexes and metadata of an older set with this name would describe the old features.
    for (const char* ext : {".sbn", ".sbx", ".qix", ".shp.xml", ".aih", ".ain", ".atx", ".qmd"})
        if (fs::exists(out_dir / (stem + ext)))
            pending.remove_on_commit(out_dir / (stem + ext));
    if (!ctx.target_srs)
        pending.remove_on_commit(out_dir / (stem + ".prj"));
}

} // namespace landclear::detail
