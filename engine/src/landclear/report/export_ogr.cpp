// The GDAL vector formats (GeoJSON, GeoPackage, FlatGeobuf, KML, CSV) and what every GDAL
// writer shares: geometry from the store's WKB in the target CRS, feature names, the shapefile's
// field dictionary.
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/io/gdal_write.hpp"
#include "landclear/report/detail/export_detail.hpp"
#include "landclear/report/detail/export_pipeline.hpp"

#include <cpl_string.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <memory>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <optional>

namespace landclear::detail {

OGRGeometryUniquePtr make_geometry(const OutFeature& f, const WriteContext& ctx) {
    OGRGeometryUniquePtr out;
    if (!f.wkb || f.wkb->empty())
        return out;
    OGRGeometry* g = nullptr;
    if (OGRGeometryFactory::createFromWkb(f.wkb->data(),
                                          const_cast<OGRSpatialReference*>(ctx.working_srs), &g,
                                          f.wkb->size()) != OGRERR_NONE ||
        !g)
        throw_internal("the store holds a geometry GDAL cannot read");
    out.reset(g);
    if (ctx.transform && g->transform(ctx.transform) != OGRERR_NONE)
        throw_input(
            fmt::format("cannot transform a geometry into {}", describe_srs(*ctx.target_srs)));
    return out;
}

std::string describe_feature(const Source& source, const OutFeature& f) {
    std::string code = f.values.empty() ? std::string() : value_text(f.values.front());
    return fmt::format("{} feature '{}'", export_layer_name(source.layer), code);
}

void write_field_dictionary(const Source& source, const std::vector<int>& widths,
                            const std::vector<int>& precisions, const fs::path& path) {
    GdalErrorCapture capture; // failures outside the checked calls fail the write too
    const char* lco[] = {"WRITE_BOM=YES", "LINEFORMAT=CRLF", "STRING_QUOTING=IF_NEEDED", nullptr};
    gdal::Dataset ds("CSV", path.string(), path.string());
    auto layer = ds.create_layer("fields", nullptr, wkbNone, lco);
    const char* columns[] = {"field", "name", "label_zh", "type", "width", "decimals"};
    for (const char* c : columns) {
        bool number = std::string_view(c) == "width" || std::string_view(c) == "decimals";
        layer.add_field(c, number ? OFTInteger : OFTString);
    }
    auto type_name = [](FieldType t) {
        switch (t) {
        case FieldType::text:
            return "text";
        case FieldType::integer:
            return "integer";
        case FieldType::real:
            return "real";
        case FieldType::date:
            return "date";
        }
        return "";
    };
    for (size_t i = 0; i < source.fields.size(); ++i) {
        const auto& f = source.fields[i];
        gdal::Feature feat(layer);
        feat->SetField(0, f.shp.c_str());
        feat->SetField(1, f.key.c_str());
        feat->SetField(2, f.zh.c_str());
        feat->SetField(3, type_name(f.type));
        feat->SetField(4, widths[i]);
        feat->SetField(5, precisions[i]);
        feat.add_to_layer(fmt::format("field {}", f.key));
    }
    ds.close();
    if (auto why = capture.errors(); !why.empty())
        throw_input(fmt::format("cannot write {}: {}", path.string(), why));
}

namespace {

OGRFieldType ogr_type(const OutField& f, ExportFormat format) {
    switch (f.type) {
    case FieldType::text:
        return OFTString;
    case FieldType::integer:
        return OFTInteger64;
    case FieldType::real:
        return OFTReal;
    case FieldType::date:
        // CSV and KML would write 2025/03/01 or drop the type: ISO 8601 text instead.
        return format == ExportFormat::csv || format == ExportFormat::kml ? OFTString : OFTDate;
    }
    return OFTString;
}

// With spreadsheet (CSV, which Excel opens), a text starting with = + - @ is written as text:
// Excel would run it as a formula.
void set_value(OGRFeature& f, int i, const Value& v, OGRFieldType type, bool spreadsheet) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                f.SetFieldNull(i);
            else if constexpr (std::is_same_v<T, std::string>)
                f.SetField(i, spreadsheet ? text::neutralise_formula(x).c_str() : x.c_str());
            else if constexpr (std::is_same_v<T, std::int64_t>)
                f.SetField(i, static_cast<GIntBig>(x));
            else if constexpr (std::is_same_v<T, double>)
                f.SetField(i, x);
            else if constexpr (std::is_same_v<T, Date>) {
                if (type == OFTDate)
                    f.SetField(i, x.year(), x.month(), x.day());
                else
                    f.SetField(i, x.iso().c_str());
            }
        },
        v);
}

// GDAL writes a polygon's rings as they are unless in RFC7946 mode, where it writes the outer
// ring counter-clockwise and the inner rings clockwise (the right-hand rule): the same test,
// GDAL's isClockwise, and the same reversal, done here.
void right_hand_rule(OGRGeometry& g) {
    switch (wkbFlatten(g.getGeometryType())) {
    case wkbPolygon: {
        auto& poly = *g.toPolygon();
        for (int i = 0; i < poly.getNumInteriorRings() + 1; ++i) {
            OGRLinearRing* ring = i == 0 ? poly.getExteriorRing() : poly.getInteriorRing(i - 1);
            if (ring && (ring->isClockwise() != 0) == (i == 0))
                ring->reversePoints();
        }
        break;
    }
    case wkbMultiPolygon:
    case wkbGeometryCollection:
        for (auto* part : *g.toGeometryCollection())
            right_hand_rule(*part);
        break;
    default:
        break;
    }
}

// What GDAL's GeoJSON writer does to a WGS84 geometry in RFC7946 mode before it writes it
// (ogrgeojsonwritelayer.cpp, GDAL 3.6): a copy cut at the antimeridian, its extent checked,
// its rings turned to the right-hand rule.
OGRGeometryUniquePtr rfc7946_geometry(OGRGeometryUniquePtr g,
                                      const OGRGeometryFactory::TransformWithOptionsCache& cache,
                                      const Source& s, const OutFeature& f) {
    const char* const options[] = {"WRAPDATELINE=YES", nullptr};
    OGRGeometryUniquePtr out(OGRGeometryFactory::transformWithOptions(
        g.get(), nullptr, const_cast<char**>(options), cache));
    if (!out)
        throw_input(
            fmt::format("{}: cannot cut the geometry at the antimeridian", describe_feature(s, f)));
    OGREnvelope e;
    out->getEnvelope(&e);
    if (e.MinX < -180.0 || e.MaxX > 180.0 || e.MinY < -90.0 || e.MaxY > 90.0)
        throw_input(fmt::format("{}: geometry extent outside of [-180.0,180.0]x[-90.0,90.0] "
                                "bounds",
                                describe_feature(s, f)));
    right_hand_rule(*out);
    return out;
}

OGRwkbGeometryType layer_geometry(const Source& s) {
    return static_cast<OGRwkbGeometryType>(s.geometry);
}

// The creation options of one exported layer, per format.
CPLStringList layer_options(const Source& s, const ExportOptions& o, ExportFormat format) {
    CPLStringList lco;
    switch (format) {
    case ExportFormat::geojson:
        // RFC 7946 (WGS84, 7 decimals, right-hand rings, no "crs" member), but the driver's
        // RFC7946 mode is not asked for: in it GDAL copies every feature and its geometry on
        // the writing thread before it serialises it. rfc7946_geometry does that mode's work on
        // the preparing thread instead, with the same GDAL calls, so the file is the same byte
        // for byte. The layer gets no CRS, so that GDAL writes no "crs" member.
        lco.SetNameValue("COORDINATE_PRECISION", "7");
        break;
    case ExportFormat::gpkg:
        lco.SetNameValue("GEOMETRY_NAME", "geom");
        lco.SetNameValue("FID", "fid");
        lco.SetNameValue("SPATIAL_INDEX", "YES");
        lco.SetNameValue("IDENTIFIER", s.zh.c_str());
        lco.SetNameValue("DESCRIPTION",
                         fmt::format("landclear {} as of {}", s.name, o.as_of.iso()).c_str());
        break;
    case ExportFormat::fgb:
        lco.SetNameValue("SPATIAL_INDEX", "YES");
        break;
    case ExportFormat::csv:
        lco.SetNameValue("WRITE_BOM", "YES");
        lco.SetNameValue("LINEFORMAT", "CRLF");
        lco.SetNameValue("STRING_QUOTING", "IF_NEEDED");
        if (o.csv_geometry)
            lco.SetNameValue("GEOMETRY", "AS_WKT");
        break;
    default:
        break;
    }
    return lco;
}

// Writes one source into an open GDAL dataset as a new layer.
void write_ogr_layer(gdal::Dataset& ds, const Source& s, const WriteContext& ctx,
                     ExportFormat format, ExportedLayer& result) {
    const auto& o = ctx.options;
    auto lco = layer_options(s, o, format);
    bool geometry = format != ExportFormat::csv || o.csv_geometry;
    auto layer = ds.create_layer(
        s.name, geometry && format != ExportFormat::geojson ? ctx.target_srs : nullptr,
        geometry ? layer_geometry(s) : wkbNone, lco.List());
    std::vector<OGRFieldType> types;
    for (const auto& f : s.fields) {
        std::string name = f.key;
        if (format == ExportFormat::csv && o.lang == Lang::zh)
            name = f.zh;
        OGRFieldDefn fd(name.c_str(), ogr_type(f, format));
        if (format == ExportFormat::gpkg)
            fd.SetAlternativeName(f.zh.c_str());
        layer.add_field(fd);
        types.push_back(fd.GetType());
    }
    // Drivers may add fields of their own (KML: Name and Description first), so values go by
    // name, not by position.
    auto* defn = &layer.defn();
    std::vector<int> index;
    for (int i = 0; i < defn->GetFieldCount(); ++i)
        if (index.size() < s.fields.size() &&
            EQUAL(defn->GetFieldDefn(i)->GetNameRef(),
                  (format == ExportFormat::csv && o.lang == Lang::zh ? s.fields[index.size()].zh
                                                                     : s.fields[index.size()].key)
                      .c_str()))
            index.push_back(i);
    if (index.size() != s.fields.size())
        throw_internal(
            fmt::format("{}: GDAL did not create the fields of {} as asked", ds.display(), s.name));
    int kml_name = format == ExportFormat::kml ? defn->GetFieldIndex("Name") : -1;
    bool rfc7946 = format == ExportFormat::geojson;
    // One commit, not one per feature.
    bool transaction = format == ExportFormat::gpkg && ds.start_transaction();
    // The driver's serialisation (CreateFeature) is most of an export; the features are read,
    // filled and reprojected on a second thread meanwhile (scan_beside), with their own PROJ
    // transformation.
    struct Prepared {
        OGRFeatureUniquePtr feature;
        std::string what;
        double area_m2 = 0, length_m = 0;
    };
    auto make_prepare = [&]() -> std::function<Prepared(const OutFeature&)> {
        std::shared_ptr<OGRCoordinateTransformation> transform;
        if (ctx.transform) {
            transform.reset(ctx.transform->Clone());
            if (!transform)
                throw_internal("cannot copy the coordinate transformation");
        }
        auto cache = std::make_shared<OGRGeometryFactory::TransformWithOptionsCache>();
        return [&, transform, cache](const OutFeature& f) {
            WriteContext local{ctx.options, ctx.working_srs, ctx.target_srs, transform.get(),
                               ctx.summary};
            Prepared p;
            p.feature.reset(OGRFeature::CreateFeature(defn));
            if (!p.feature)
                throw_internal(fmt::format("cannot create a feature for layer {}", s.name));
            if (kml_name >= 0) // the Placemark's <name>: the feature's code
                p.feature->SetField(kml_name, value_text(f.values.front()).c_str());
            for (size_t i = 0; i < s.fields.size(); ++i)
                set_value(*p.feature, index[i], f.values[i], types[i], format == ExportFormat::csv);
            if (geometry)
                if (auto g = make_geometry(f, local)) {
                    if (rfc7946)
                        g = rfc7946_geometry(std::move(g), *cache, s, f);
                    if (p.feature->SetGeometryDirectly(g.release()) != OGRERR_NONE)
                        throw_internal(
                            fmt::format("layer {} does not take this geometry type", s.name));
                }
            p.what = describe_feature(s, f);
            p.area_m2 = f.area_m2;
            p.length_m = f.length_m;
            return p;
        };
    };
    auto producer_errors = scan_beside<Prepared>(s.scan, make_prepare, [&](Prepared& p) {
        layer.add_feature(*p.feature, p.what);
        result.features += 1;
        result.area_m2 += p.area_m2;
        result.length_m += p.length_m;
        if (result.features % 100000 == 0)
            report_progress(o, fmt::format("{}: {} features written", s.name, result.features));
    });
    if (!producer_errors.empty())
        throw_input(fmt::format("cannot write {}: {}", ds.display(), producer_errors));
    if (transaction)
        ds.commit_transaction();
}

const char* gdal_driver(ExportFormat f) {
    switch (f) {
    case ExportFormat::geojson:
        return "GeoJSON";
    case ExportFormat::shp:
        return "ESRI Shapefile";
    case ExportFormat::gpkg:
        return "GPKG";
    case ExportFormat::fgb:
        return "FlatGeobuf";
    case ExportFormat::kml: // LIBKML needs minutes for a few thousand placemarks
        return "KML";
    case ExportFormat::csv:
        return "CSV";
    case ExportFormat::xlsx:
        return "";
    }
    return "";
}

} // namespace

void write_gdal(const std::vector<Source>& sources, const fs::path& target, PendingFiles& pending,
                const WriteContext& ctx) {
    const auto& o = ctx.options;
    // Drivers also report failures outside the calls gdal::Dataset checks (a GeoJSON feature
    // that cannot be serialised): any of them fails the export.
    GdalErrorCapture capture;
    auto temp = pending.temp_for(target);
    std::optional<gdal::Dataset> ds;
    if (o.format == ExportFormat::gpkg && fs::exists(target)) {
        // Another export's layers stay; ours are replaced. Work on a copy so that a failure
        // leaves the original as it was.
        std::error_code ec;
        fs::copy_file(target, temp, fs::copy_options::overwrite_existing, ec);
        if (ec)
            throw_input(fmt::format("cannot copy {}: {}", target.string(), ec.message()));
        try {
            ds.emplace(gdal::Dataset::open_update("GPKG", temp.string(), target.string()));
        } catch (const Error&) {
            throw_input(fmt::format("{} exists but is not a GeoPackage", target.string()),
                        "choose another --out, or remove the file first");
        }
        for (const auto& s : sources)
            ds->delete_layer(s.name);
    } else {
        ds.emplace(gdal_driver(o.format), temp.string(), target.string());
    }
    for (const auto& s : sources) {
        ExportedLayer r;
        r.name = s.name;
        write_ogr_layer(*ds, s, ctx, o.format, r);
        ctx.summary.layers.push_back(r);
    }
    check_empty(sources, o, ctx.summary);
    ds->close();
    if (auto why = capture.errors(); !why.empty())
        throw_input(fmt::format("cannot write {}: {}", target.string(), why));
    pending.add(temp, target);
}

} // namespace landclear::detail
