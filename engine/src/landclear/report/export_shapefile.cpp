// Shapefile export. The dBASE file counts field names and text widths in bytes of its encoding
// (10 bytes per name, at most 254 per text value), and ArcGIS stops at 2 GB per file. So a
// first pass over the features measures every text value in the target encoding (UTF-8 or
// GBK through CPLRecode) and estimates the file sizes; the second pass writes with widths that
// fit every value whole; the result is read back and checked before it is moved into place.
// The second pass prepares the features on a second thread while GDAL writes (scan_beside), and
// writes into GDAL's memory file system when the files are small enough, copying them out after:
// the .dbf driver seeks back over its end-of-file byte after every record, and on a disk file
// each such seek is a write of the record to the kernel.
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/io/gdal_write.hpp"
#include "landclear/report/detail/export_detail.hpp"
#include "landclear/report/detail/export_pipeline.hpp"

#include <atomic>
#include <cerrno>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <gdal_priv.h>
#include <memory>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <optional>
#include <unordered_map>

namespace landclear::detail {

namespace {

constexpr size_t max_text_bytes = 254; // dBASE character fields
constexpr int integer_width = 18;
constexpr int real_width = 24, real_precision = 10;
constexpr int date_width = 8;
// Up to this much estimated .shp + .dbf, the set is written in memory first (see the top).
constexpr std::uint64_t in_memory_bytes = 512ull << 20;

// A folder of GDAL's memory file system, removed with everything in it.
class MemoryFolder {
public:
    MemoryFolder() {
        static std::atomic<int> counter{0};
        m_path = fmt::format("/vsimem/landclear-export-{}-{}", static_cast<const void*>(this),
                             counter++);
    }
    ~MemoryFolder() { VSIRmdirRecursive(m_path.c_str()); }
    MemoryFolder(const MemoryFolder&) = delete;
    MemoryFolder& operator=(const MemoryFolder&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

bool vsi_exists(const std::string& path) {
    VSIStatBufL st;
    return VSIStatL(path.c_str(), &st) == 0;
}

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

// One shapefile export: the two passes over the features and the checks between them share
// the field widths, the cut counts and the encoder.
class ShapefileWriter {
public:
    ShapefileWriter(const Source& s, const fs::path& target, PendingFiles& pending,
                    const WriteContext& ctx, ExportedLayer& result)
        : m_s(s), m_target(target), m_pending(pending), m_ctx(ctx), m_result(result),
          m_gbk(ctx.options.encoding == TextEncoding::gbk),
          m_encoding_name(m_gbk ? "GBK (CP936)" : "UTF-8"), m_enc(m_gbk), m_n(s.fields.size()),
          m_max_bytes(m_n, 0), m_cut(m_n, 0), m_widths(m_n), m_precisions(m_n, 0),
          m_stem(target.stem().string()) {}

    void run();

private:
    void measure();
    void choose_widths();
    OGRwkbGeometryType geometry_type() const;
    void write(OGRwkbGeometryType gtype);
    void check_read_back(const GdalErrorCapture& capture) const;
    void warn_cut_values() const;
    void stage_files();

    const Source& m_s;
    const fs::path& m_target;
    PendingFiles& m_pending;
    const WriteContext& m_ctx;
    ExportedLayer& m_result;
    bool m_gbk;
    const char* m_encoding_name;
    Encoder m_enc;
    size_t m_n;

    // Pass 1: byte widths, the geometry kinds present and the size of the files.
    std::vector<size_t> m_max_bytes;
    std::vector<std::int64_t> m_cut;
    std::uint64_t m_shp_bytes = 100, m_features = 0;
    int m_families = 0;

    std::vector<int> m_widths, m_precisions;
    std::vector<OGRFieldType> m_types;

    // Pass 2: a private folder beside the target (and the memory folder GDAL writes in when
    // the set is small), and per feature a hash of its text to check what reads back.
    std::string m_stem;
    fs::path m_dir;
    std::optional<MemoryFolder> m_memory;
    std::string m_write_dir; // where GDAL writes: m_dir or the memory folder
    std::string m_temp_shp;
    std::uint64_t m_estimate = 0;
    std::vector<std::size_t> m_written_text;
    std::hash<std::string> m_hasher;
};

void ShapefileWriter::run() {
    measure();
    choose_widths();
    OGRwkbGeometryType gtype = geometry_type();
    m_dir = m_pending.temp_dir();
    m_write_dir = m_dir.string();
    if (m_estimate <= in_memory_bytes) {
        m_memory.emplace();
        m_write_dir = m_memory->path();
    }
    m_temp_shp = m_write_dir + "/" + m_stem + ".shp";
    GdalErrorCapture capture; // failures outside the checked calls fail the write too
    write(gtype);
    if (auto why = capture.errors(); !why.empty())
        throw_input(fmt::format("cannot write {}: {}", m_target.string(), why));
    check_read_back(capture);
    warn_cut_values();
    stage_files();
}

void ShapefileWriter::measure() {
    bool unknown_geometry = m_s.geometry == wkbUnknown;
    m_s.scan([&](const OutFeature& f) {
        ++m_features;
        for (size_t i = 0; i < m_n; ++i) {
            auto str = std::get_if<std::string>(&f.values[i]);
            if (!str)
                continue;
            auto len = m_enc.length(*str);
            if (!len)
                throw_input(fmt::format("{}: field {} value '{}' has characters that GBK "
                                        "(CP936) cannot hold",
                                        describe_feature(m_s, f), m_s.fields[i].key, *str),
                            "export with --encoding UTF-8 (ArcGIS 10.2.1 and later and QGIS "
                            "read the .cpg), or use --format gpkg");
            if (*len > max_text_bytes) {
                m_cut[i] += 1;
                *len = max_text_bytes;
            }
            m_max_bytes[i] = std::max(m_max_bytes[i], *len);
        }
        if (f.wkb && !f.wkb->empty()) {
            // A shape record is 8 bytes of header plus at most 44 + 4 per part + 16 per point,
            // which never exceeds the WKB size plus 44.
            m_shp_bytes += 8 + 44 + f.wkb->size();
            if (unknown_geometry)
                m_families |= family(*f.wkb, m_ctx);
        } else {
            m_shp_bytes += 8 + 4; // a null shape
        }
    });
}

void ShapefileWriter::choose_widths() {
    const auto& o = m_ctx.options;
    std::uint64_t record = 1;
    for (size_t i = 0; i < m_n; ++i) {
        switch (m_s.fields[i].type) {
        case FieldType::text:
            m_widths[i] = static_cast<int>(std::max<size_t>(1, m_max_bytes[i]));
            break;
        case FieldType::integer:
            m_widths[i] = integer_width;
            break;
        case FieldType::real:
            m_widths[i] = real_width;
            m_precisions[i] = real_precision;
            break;
        case FieldType::date:
            m_widths[i] = date_width;
            break;
        }
        record += static_cast<std::uint64_t>(m_widths[i]);
    }
    std::uint64_t dbf_bytes = 32 + 32 * m_n + 1 + m_features * record + 1;
    m_estimate = m_shp_bytes + dbf_bytes;
    if (m_shp_bytes > o.shapefile_limit_bytes || dbf_bytes > o.shapefile_limit_bytes)
        throw_input(fmt::format("{} is too large for a shapefile: {} features need about {} "
                                "of .shp and {} of .dbf, and a shapefile stops at {} per file",
                                export_layer_name(m_s.layer), m_features, human_bytes(m_shp_bytes),
                                human_bytes(dbf_bytes), human_bytes(o.shapefile_limit_bytes)),
                    "export to GeoPackage (--format gpkg) or FlatGeobuf (--format fgb), or "
                    "select fewer features with --project or --district");
}

OGRwkbGeometryType ShapefileWriter::geometry_type() const {
    if (m_s.geometry != wkbUnknown)
        return static_cast<OGRwkbGeometryType>(m_s.geometry);
    switch (m_families) {
    case 0:
    case 1:
        return wkbMultiPolygon;
    case 2:
        return wkbMultiLineString;
    case 4:
        return wkbMultiPoint;
    default:
        throw_input(fmt::format("the {} mix polygons, lines and points; a shapefile holds "
                                "one kind of geometry",
                                export_layer_name(m_s.layer)),
                    "use --format gpkg, fgb or geojson");
    }
}

void ShapefileWriter::write(OGRwkbGeometryType gtype) {
    gdal::Dataset ds("ESRI Shapefile", m_temp_shp, m_target.string());
    CPLStringList lco;
    lco.SetNameValue("ENCODING", m_gbk ? "CP936" : "UTF-8");
    lco.SetNameValue("2GB_LIMIT", "YES");
    lco.SetNameValue("SPATIAL_INDEX", "NO");
    lco.SetNameValue("RESIZE", "NO");
    auto layer = ds.create_layer(m_stem, m_ctx.target_srs, gtype, lco.List());
    for (size_t i = 0; i < m_n; ++i) {
        const auto& f = m_s.fields[i];
        OGRFieldType t = f.type == FieldType::text      ? OFTString
                         : f.type == FieldType::integer ? OFTInteger64
                         : f.type == FieldType::real    ? OFTReal
                                                        : OFTDate;
        layer.add_field(f.shp, t, m_widths[i], m_precisions[i]);
        m_types.push_back(t);
    }
    auto* defn = &layer.defn();

    // Filled (and reprojected, with --crs) on the second thread; the encoder's cache is that
    // thread's alone.
    struct Prepared {
        OGRFeatureUniquePtr feature;
        std::size_t text_hash = 0;
        std::string what;
        double area_m2 = 0, length_m = 0;
    };
    auto make_prepare = [&]() -> std::function<Prepared(const OutFeature&)> {
        std::shared_ptr<OGRCoordinateTransformation> transform;
        if (m_ctx.transform) {
            transform.reset(m_ctx.transform->Clone());
            if (!transform)
                throw_internal("cannot copy the coordinate transformation");
        }
        return [&, transform](const OutFeature& f) {
            WriteContext local{m_ctx.options, m_ctx.working_srs, m_ctx.target_srs, transform.get(),
                               m_ctx.summary};
            Prepared p;
            p.feature.reset(OGRFeature::CreateFeature(defn));
            if (!p.feature)
                throw_internal(fmt::format("cannot create a feature for {}", m_target.string()));
            OGRFeature& feat = *p.feature;
            std::string text;
            for (size_t i = 0; i < m_n; ++i) {
                const Value& v = f.values[i];
                auto str = std::get_if<std::string>(&v);
                if (str && m_cut[i] > 0 && m_enc.length(*str).value_or(0) > max_text_bytes) {
                    std::string fitted = m_enc.fit(*str, max_text_bytes);
                    feat.SetField(static_cast<int>(i), fitted.c_str());
                    text += fitted;
                } else if (str) {
                    feat.SetField(static_cast<int>(i), str->c_str());
                    text += *str;
                } else if (auto d = std::get_if<Date>(&v)) {
                    feat.SetField(static_cast<int>(i), d->year(), d->month(), d->day());
                } else if (auto x = std::get_if<double>(&v)) {
                    feat.SetField(static_cast<int>(i), *x);
                } else if (auto k = std::get_if<std::int64_t>(&v)) {
                    feat.SetField(static_cast<int>(i), static_cast<GIntBig>(*k));
                } else {
                    feat.SetFieldNull(static_cast<int>(i));
                }
                if (m_s.fields[i].type == FieldType::text)
                    text += '\x1f';
            }
            if (auto g = make_geometry(f, local))
                if (feat.SetGeometryDirectly(g.release()) != OGRERR_NONE)
                    throw_internal(
                        fmt::format("{} does not take this geometry type", m_target.string()));
            p.text_hash = m_hasher(text);
            p.what = describe_feature(m_s, f);
            p.area_m2 = f.area_m2;
            p.length_m = f.length_m;
            return p;
        };
    };
    auto producer_errors = scan_beside<Prepared>(m_s.scan, make_prepare, [&](Prepared& p) {
        layer.add_feature(*p.feature, p.what);
        m_written_text.push_back(p.text_hash);
        m_result.features += 1;
        m_result.area_m2 += p.area_m2;
        m_result.length_m += p.length_m;
        if (m_result.features % 100000 == 0)
            report_progress(m_ctx.options,
                            fmt::format("{}: {} features written", m_s.name, m_result.features));
    });
    if (!producer_errors.empty())
        throw_input(fmt::format("cannot write {}: {}", m_target.string(), producer_errors));
    ds.close();
}

// Read it back as QGIS or ArcGIS would, through the .cpg: names, widths and every text value
// must be what was meant.
void ShapefileWriter::check_read_back(const GdalErrorCapture& capture) const {
    const std::string target = m_target.string();
    const char* drivers[] = {"ESRI Shapefile", nullptr};
    GDALDatasetUniquePtr check(
        GDALDataset::Open(m_temp_shp.c_str(), GDAL_OF_VECTOR, drivers, nullptr, nullptr));
    if (!check || check->GetLayerCount() != 1)
        throw_internal(fmt::format("the shapefile written for {} cannot be read back: {}", target,
                                   capture.last_error()));
    OGRLayer* l = check->GetLayer(0);
    auto* d = l->GetLayerDefn();
    if (d->GetFieldCount() != static_cast<int>(m_n))
        throw_internal(
            fmt::format("{}: {} fields read back, {} written", target, d->GetFieldCount(), m_n));
    for (size_t i = 0; i < m_n; ++i) {
        auto* fd = d->GetFieldDefn(static_cast<int>(i));
        if (m_s.fields[i].shp != fd->GetNameRef() ||
            (m_types[i] == OFTString && fd->GetWidth() != m_widths[i]))
            throw_internal(fmt::format("{}: field {} reads back as {} ({} bytes), written "
                                       "as {} ({} bytes)",
                                       target, i + 1, fd->GetNameRef(), fd->GetWidth(),
                                       m_s.fields[i].shp, m_widths[i]));
    }
    // Only the text values are compared: GDAL need not read the shapes or parse the numbers.
    std::vector<const char*> ignored{"OGR_GEOMETRY"};
    for (size_t i = 0; i < m_n; ++i)
        if (m_s.fields[i].type != FieldType::text)
            ignored.push_back(m_s.fields[i].shp.c_str());
    ignored.push_back(nullptr);
    if (l->SetIgnoredFields(ignored.data()) != OGRERR_NONE)
        throw_internal(fmt::format("{}: cannot read back only the text fields", target));
    size_t index = 0;
    for (auto& feat : *l) {
        std::string text;
        for (size_t i = 0; i < m_n; ++i)
            if (m_s.fields[i].type == FieldType::text) {
                if (feat->IsFieldSetAndNotNull(static_cast<int>(i)))
                    text += feat->GetFieldAsString(static_cast<int>(i));
                text += '\x1f';
            }
        if (index >= m_written_text.size() || m_hasher(text) != m_written_text[index])
            throw_internal(fmt::format("{}: the text of feature {} does not read back in "
                                       "{} as written",
                                       target, index + 1, m_encoding_name));
        ++index;
    }
    if (index != m_written_text.size())
        throw_internal(fmt::format("{}: {} features read back, {} written", target, index,
                                   m_written_text.size()));
}

void ShapefileWriter::warn_cut_values() const {
    for (size_t i = 0; i < m_n; ++i)
        if (m_cut[i] > 0)
            m_ctx.summary.warnings.push_back(fmt::format(
                "{} values of field {} ({}) are longer than the {} bytes a shapefile holds in "
                "{}; they were cut at a whole character",
                m_cut[i], m_s.fields[i].shp, m_s.fields[i].key, max_text_bytes, m_encoding_name));
}

// The field dictionary, the shapefile's parts and the removal of an older set's indexes go
// into the pending files, committed with the rest of the export.
void ShapefileWriter::stage_files() {
    fs::path dictionary = m_dir / (m_stem + "_fields.csv");
    write_field_dictionary(m_s, m_widths, m_precisions, dictionary);

    fs::path out_dir = m_target.parent_path().empty() ? fs::path(".") : m_target.parent_path();
    for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
        std::string written = m_write_dir + "/" + m_stem + ext;
        fs::path file = m_dir / (m_stem + ext);
        if (m_memory && vsi_exists(written)) {
            // GDAL's own copy, in 1 MB writes, into the private folder on disk.
            GdalErrorCapture capture;
            if (CPLCopyFile(file.c_str(), written.c_str()) != 0)
                throw_input(fmt::format("cannot write {}: {}", file.string(),
                                        capture.last_error().empty() ? std::strerror(errno)
                                                                     : capture.last_error()),
                            "check that the folder is writable and has space");
            VSIUnlink(written.c_str());
        }
        if (fs::exists(file))
            m_pending.add(file, out_dir / (m_stem + ext));
        else if (std::string(ext) == ".cpg" || (std::string(ext) == ".prj" && m_ctx.target_srs))
            throw_internal(fmt::format("GDAL wrote no {} for {}", ext, m_target.string()));
    }
    m_pending.add(dictionary, out_dir / dictionary.filename());
    // Indexes and metadata of an older set with this name would describe the old features.
    for (const char* ext : {".sbn", ".sbx", ".qix", ".shp.xml", ".aih", ".ain", ".atx", ".qmd"})
        if (fs::exists(out_dir / (m_stem + ext)))
            m_pending.remove_on_commit(out_dir / (m_stem + ext));
    if (!m_ctx.target_srs)
        m_pending.remove_on_commit(out_dir / (m_stem + ".prj"));
}

} // namespace

void write_shapefile(const Source& s, const fs::path& target, PendingFiles& pending,
                     const WriteContext& ctx, ExportedLayer& result) {
    ShapefileWriter(s, target, pending, ctx, result).run();
}

} // namespace landclear::detail
