// The viewer's GeoJSON answers (server_api.hpp): a layer's features in a box or a project, and
// the issue list, written by OGR's GeoJSON driver to memory.
#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/units.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/io/gdal_write.hpp"
#include "landclear/server/detail/viewer_api.hpp"

#include <atomic>
#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

namespace landclear {

namespace {

using server_detail::building_dates;
using server_detail::geometry_from_wkb;
using server_detail::parcel_row;
using server_detail::text_value;

std::atomic<std::uint64_t> g_vsimem_counter{0};

// The fields of a features response: where each schema field went (-1: not in this view) and
// the computed fields after them.
struct ResponseFields {
    std::vector<int> index;
    int next_index = 0;
    bool polygons = false;
    bool measures = false;
};

ResponseFields add_response_fields(gdal::Layer& layer, const LayerDef& def, const FeatureQuery& q) {
    auto add_field = [&](const std::string& name, OGRFieldType type,
                         OGRFieldSubType sub = OFSTNone) {
        OGRFieldDefn fd(name.c_str(), type);
        fd.SetSubType(sub);
        layer.add_field(fd);
    };
    // The map view carries only what the page needs to draw and to find a feature again (its
    // code, project, stage); a click asks /api/parcel for the rest. Full otherwise (downloads).
    auto in_map_view = [&](std::string_view name) {
        return name == def.key || name == "project_code" || name == "parcel_code" ||
               (name == "name" && q.layer != LayerKind::parcels);
    };
    ResponseFields fields;
    fields.index.assign(def.fields.size(), -1);
    for (size_t i = 0; i < def.fields.size(); ++i) {
        const auto& f = def.fields[i];
        if (q.map_view && !in_map_view(f.name))
            continue;
        fields.index[i] = fields.next_index++;
        switch (f.type) {
        case FieldType::integer:
            add_field(std::string(f.name), OFTInteger64);
            break;
        case FieldType::real:
            add_field(std::string(f.name), OFTReal);
            break;
        default:
            add_field(std::string(f.name), OFTString);
            break; // dates as YYYY-MM-DD
        }
    }
    fields.polygons = def.geom == GeomKind::polygon;
    fields.measures = !q.map_view || q.layer == LayerKind::corridors;
    if (fields.measures) {
        add_field(fields.polygons ? "area_m2" : "length_m", OFTReal);
        if (fields.polygons)
            add_field("area_mu", OFTReal);
    }
    if (q.layer == LayerKind::parcels) {
        add_field("stage", OFTString);
        if (!q.map_view)
            add_field("status", OFTString);
    }
    if (q.layer == LayerKind::buildings) {
        add_field("stage", OFTString);
        add_field("signed", OFTInteger, OFSTBoolean);
        add_field("demolished", OFTInteger, OFSTBoolean);
    }
    return fields;
}

void add_response_feature(gdal::Layer& layer, const LayerDef& def, const FeatureQuery& q,
                          const ResponseFields& fields, const FeatureRow& row,
                          OGRCoordinateTransformation* to_wgs) {
    gdal::Feature out(layer);
    OGRFeature& feature = out.get();
    for (size_t i = 0; i < def.fields.size(); ++i) {
        int idx = fields.index[i];
        if (idx < 0)
            continue;
        const auto& v = row.values.at(i);
        if (auto s = std::get_if<std::string>(&v))
            feature.SetField(idx, s->c_str());
        else if (auto n = std::get_if<std::int64_t>(&v))
            feature.SetField(idx, static_cast<GIntBig>(*n));
        else if (auto d = std::get_if<double>(&v))
            feature.SetField(idx, *d);
        else if (auto dt = std::get_if<Date>(&v))
            feature.SetField(idx, dt->iso().c_str());
        else
            feature.SetFieldNull(idx);
    }
    int next = fields.next_index;
    if (fields.measures) {
        feature.SetField(next++, row.measure);
        if (fields.polygons)
            feature.SetField(next++, m2_to_mu(row.measure));
    }
    if (q.layer == LayerKind::parcels) {
        const auto& style = stage_style(parcel_stage(parcel_row(row), q.as_of));
        feature.SetField(next++, style.key);
        if (!q.map_view)
            feature.SetField(next++, style.zh);
    }
    if (q.layer == LayerKind::buildings) {
        auto dates = building_dates(row);
        feature.SetField(next++, stage_style(building_stage(dates, q.as_of)).key);
        feature.SetField(next++, reached(dates.signed_on, q.as_of) ? 1 : 0);
        feature.SetField(next++, reached(dates.demolished_on, q.as_of) ? 1 : 0);
    }
    if (auto g = geometry_from_wkb(row.wkb)) {
        if (g->transform(to_wgs) != OGRERR_NONE)
            throw_internal(fmt::format("cannot transform {} feature to WGS84", def.name));
        out.set_geometry(std::move(g));
    }
    out.add_to_layer(fmt::format("{} {}", def.name, text_value(row.values.at(0))));
}

// The response written to /vsimem/ by ds: closed (which flushes it), checked, and taken out of
// GDAL's memory file system.
std::string take_geojson(gdal::Dataset& ds, GdalErrorCapture& errors, const std::string& path) {
    ds.close();
    if (auto why = errors.errors(); !why.empty())
        throw_internal(fmt::format("cannot write the GeoJSON response: {}", why));
    vsi_l_offset length = 0;
    GByte* data = VSIGetMemFileBuffer(path.c_str(), &length, TRUE);
    if (!data)
        throw_internal("the in-memory GeoJSON vanished");
    std::string text(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
    CPLFree(data);
    return text;
}

} // namespace

std::string ViewerApi::features(const FeatureQuery& q) {
    const auto& def = layer_def(q.layer);
    FeatureFilter filter;
    if (q.bbox)
        filter.bbox = m->to_working(*q.bbox);
    if (!q.project.empty()) {
        if (q.project.size() > 200)
            throw ApiError(400, "a project code has 1 to 200 characters");
        filter.project_codes = {q.project};
    }

    // Collected first, so a request past the limit is refused before anything is written.
    struct TooMany {};
    std::vector<FeatureRow> rows;
    try {
        m_store->for_each_feature(q.layer, filter, [&](const FeatureRow& row) {
            if (rows.size() >= m->limits.max_features)
                throw TooMany{};
            rows.push_back(row);
        });
    } catch (const TooMany&) {
        throw ApiError(
            413, fmt::format("more than {} {} in this view", m->limits.max_features, def.name),
            "zoom in, or ask for one project with project=CODE");
    }

    std::string path = fmt::format("/vsimem/landclear-serve-{}.geojson", ++g_vsimem_counter);
    // A failure writing to memory is ours, not the request's: internal (500).
    GdalErrorCapture errors;
    gdal::Dataset ds("GeoJSON", path, "the GeoJSON response", nullptr, ErrorKind::internal);
    // The geometries are transformed to WGS84 here (m->to_wgs, made once per connection); the
    // layer gets no SRS so the driver does not build a transformation of its own per request.
    // RFC7946=YES still gives 7 decimals and counter-clockwise outer rings.
    const char* lco[] = {"RFC7946=YES", nullptr};
    auto layer = ds.create_layer(std::string(def.name), nullptr, wkbUnknown, lco);
    ResponseFields fields = add_response_fields(layer, def, q);
    for (const auto& row : rows)
        add_response_feature(layer, def, q, fields, row, m->to_wgs.get());
    return take_geojson(ds, errors, path);
}

std::string ViewerApi::issues(const Date& as_of, bool all) {
    IssueListOptions o;
    o.as_of = as_of;
    o.open_only = !all;
    auto list = list_issues(*m_store, o);
    std::string path = fmt::format("/vsimem/landclear-serve-{}.geojson", ++g_vsimem_counter);
    GdalErrorCapture errors;
    gdal::Dataset ds("GeoJSON", path, "the GeoJSON response", nullptr, ErrorKind::internal);
    const char* lco[] = {"RFC7946=YES", nullptr};
    auto layer = ds.create_layer("issues", nullptr, wkbUnknown, lco);
    const std::vector<std::pair<const char*, OGRFieldType>> fields{
        {"id", OFTString},        {"target", OFTString},       {"target_code", OFTString},
        {"label", OFTString},     {"project_code", OFTString}, {"unit", OFTString},
        {"text", OFTString},      {"raised_on", OFTString},    {"deadline", OFTString},
        {"status", OFTString},    {"overdue", OFTInteger},     {"days_overdue", OFTInteger},
        {"closed_on", OFTString}, {"area_m2", OFTReal}};
    for (const auto& [name, type] : fields) {
        OGRFieldDefn fd(name, type);
        if (std::string_view(name) == "overdue")
            fd.SetSubType(OFSTBoolean);
        layer.add_field(fd);
    }
    for (const auto& r : list.rows) {
        const auto& i = r.issue;
        gdal::Feature out(layer);
        OGRFeature& f = out.get();
        f.SetField("id", i.id.c_str());
        f.SetField("target", issue_target_name(i.target));
        f.SetField("target_code", i.target_code.c_str());
        f.SetField("label", i.target_label().c_str());
        f.SetField("project_code", i.project_code.c_str());
        f.SetField("unit", i.unit.c_str());
        f.SetField("text", i.text.c_str());
        f.SetField("raised_on", i.raised_on.iso().c_str());
        f.SetField("deadline", r.state.deadline.iso().c_str());
        f.SetField("status", !r.state.open ? "closed" : r.state.overdue ? "overdue" : "open");
        f.SetField("overdue", r.state.overdue ? 1 : 0);
        f.SetField("days_overdue", static_cast<int>(r.state.days_overdue));
        if (r.state.closed_on)
            f.SetField("closed_on", r.state.closed_on->iso().c_str());
        f.SetField("area_m2", i.area_m2);
        if (auto g = geometry_from_wkb(i.wkb)) {
            if (g->transform(m->to_wgs.get()) != OGRERR_NONE)
                throw_internal(fmt::format("cannot transform issue {} to WGS84", i.id));
            out.set_geometry(std::move(g));
        }
        out.add_to_layer("issue " + i.id);
    }
    return take_geojson(ds, errors, path);
}

} // namespace landclear
