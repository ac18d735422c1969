// The exported layers: their field lists and the scans that assemble their features from the
// store (the writers in export_ogr.cpp, export_shapefile.cpp and export_xlsx.cpp take them).
// The layers `landclear corridor` derives are in export_corridor_layers.cpp.
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/ellipsoidal.hpp"
#include "landclear/report/detail/export_builder.hpp"
#include "landclear/report/issue_list_table.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <ogr_core.h>
#include <optional>
#include <set>
#include <unordered_map>

namespace landclear::detail {

namespace layers {

// ---------------------------------------------------------------------------------------------
// Field helpers.

OutField text_field(std::string key, std::string shp, std::string zh) {
    return {std::move(key), std::move(shp), std::move(zh), FieldType::text};
}
OutField date_field(std::string key, std::string shp, std::string zh) {
    return {std::move(key), std::move(shp), std::move(zh), FieldType::date};
}
OutField real_field(std::string key, std::string shp, std::string zh, ColumnKind kind,
                    Total total) {
    return {std::move(key), std::move(shp), std::move(zh), FieldType::real, kind, total};
}
OutField count_field(std::string key, std::string shp, std::string zh, Total total) {
    return {std::move(key),     std::move(shp),    std::move(zh),
            FieldType::integer, ColumnKind::count, total};
}
OutField ratio_field(std::string key, std::string shp, std::string zh, int numerator,
                     int denominator) {
    OutField f{std::move(key),  std::move(shp),      std::move(zh),
               FieldType::real, ColumnKind::percent, Total::ratio};
    f.numerator = numerator;
    f.denominator = denominator;
    return f;
}

std::string text_of(const Value& v) {
    if (auto s = std::get_if<std::string>(&v))
        return *s;
    return value_text(v);
}

std::optional<Date> date_of(const Value& v) {
    if (auto d = std::get_if<Date>(&v))
        return *d;
    return std::nullopt;
}

Value date_value(const std::optional<Date>& d) {
    if (d)
        return *d;
    return std::monostate{};
}

Value text_value(const std::string& s) {
    if (s.empty())
        return std::monostate{};
    return s;
}

int index_of(const LayerDef& def, std::string_view name) {
    int i = field_index(def, name);
    if (i < 0)
        throw_internal(fmt::format("layer {} has no field {}", def.name, name));
    return i;
}

Source Builder::parcels() {
    Source s;
    s.layer = ExportLayer::parcels;
    s.name = "parcels";
    s.zh = "宗地";
    s.geometry = wkbMultiPolygon;
    s.polygons = true;
    s.fields = {
        text_field("parcel_code", "PARCEL", "宗地编号"),
        text_field("project_code", "PROJECT", "项目编号"),
        text_field("project_name", "PROJ_NAME", "项目名称"),
        text_field("district", "DISTRICT", "区县"),
        text_field("village", "VILLAGE", "村(社区)"),
        text_field("owner_type", "OWNER", "权属性质"),
        text_field("land_class", "LAND_CLASS", "地类编码"),
        text_field("status", "STATUS", "征拆状态"),
        date_field("acquired_on", "ACQ_DATE", "征地日期"),
        date_field("cleared_on", "CLR_DATE", "腾地日期"),
        date_field("delivered_on", "DLV_DATE", "交地日期"),
        date_field("as_of", "AS_OF", "统计截止日期"),
        real_field("area_m2", "AREA_M2", "面积(平方米)", ColumnKind::m2),
        real_field("area_mu", "AREA_MU", "面积(亩)", ColumnKind::mu),
        real_field("acquired_mu", "ACQ_MU", "已征面积(亩)", ColumnKind::mu),
        real_field("cleared_mu", "CLR_MU", "已腾面积(亩)", ColumnKind::mu),
        real_field("delivered_mu", "DLV_MU", "已交面积(亩)", ColumnKind::mu),
    };
    const auto& def = layer_def(LayerKind::parcels);
    int i_code = index_of(def, "parcel_code"), i_project = index_of(def, "project_code"),
        i_district = index_of(def, "district"), i_village = index_of(def, "village"),
        i_owner = index_of(def, "owner_type"), i_class = index_of(def, "land_class"),
        i_acq = index_of(def, "acquired_on"), i_clr = index_of(def, "cleared_on"),
        i_dlv = index_of(def, "delivered_on");
    s.scan = [=, this](const Sink& sink) {
        FeatureFilter filter;
        filter.project_codes.assign(sel.projects.begin(), sel.projects.end());
        std::optional<std::set<std::string>> corridor_parcels;
        if (!sel.corridors.empty())
            corridor_parcels = parcels_in_corridors();
        OutFeature out;
        store->for_each_feature(LayerKind::parcels, filter, [&](const FeatureRow& r) {
            auto district = text_of(r.values[i_district]);
            if (!sel.district_ok(district))
                return;
            auto code = text_of(r.values[i_code]);
            if (corridor_parcels && !corridor_parcels->count(code))
                return;
            auto project = text_of(r.values[i_project]);
            ParcelDates dates{date_of(r.values[i_acq]), date_of(r.values[i_clr]),
                              date_of(r.values[i_dlv])};
            const double area = measure(r);
            LandAreas land;
            land.add(dates, area, o.as_of);
            const auto* info = lookups->project(project);
            double mu = m2_to_mu(area);
            out.values = {code,
                          text_value(project),
                          info ? text_value(info->name) : Value{},
                          r.values[i_district],
                          r.values[i_village],
                          r.values[i_owner],
                          r.values[i_class],
                          stage_label(parcel_stage(dates, o.as_of), o.lang),
                          date_value(dates.acquired_on),
                          date_value(dates.cleared_on),
                          date_value(dates.delivered_on),
                          o.as_of,
                          area,
                          mu,
                          m2_to_mu(land.acquired_m2),
                          m2_to_mu(land.cleared_m2),
                          m2_to_mu(land.delivered_m2)};
            out.wkb = &r.wkb;
            out.area_m2 = area;
            sink(out);
        });
    };
    return s;
}

Source Builder::buildings() {
    Source s;
    s.layer = ExportLayer::buildings;
    s.name = "buildings";
    s.zh = "房屋";
    s.geometry = wkbMultiPolygon;
    s.polygons = true;
    s.fields = {
        text_field("building_code", "BUILDING", "房屋编号"),
        text_field("parcel_code", "PARCEL", "宗地编号"),
        text_field("project_code", "PROJECT", "项目编号"),
        count_field("households", "HOUSEHOLDS", "户数"),
        real_field("floor_area_m2", "FLOOR_M2", "建筑面积(平方米)", ColumnKind::m2),
        text_field("building_status", "BLDG_STAT", "房屋状态"),
        date_field("signed_on", "SIGN_DATE", "签约日期"),
        date_field("demolished_on", "DEMO_DATE", "拆除日期"),
        text_field("status", "STATUS", "土地征拆状态"),
        date_field("as_of", "AS_OF", "统计截止日期"),
        real_field("area_m2", "AREA_M2", "占地面积(平方米)", ColumnKind::m2),
        real_field("area_mu", "AREA_MU", "占地面积(亩)", ColumnKind::mu),
        count_field("signed_households", "SIGNED_HH", "已签约户数"),
        count_field("demolished_households", "DEMOL_HH", "已拆除户数"),
    };
    const auto& def = layer_def(LayerKind::buildings);
    int i_code = index_of(def, "building_code"), i_parcel = index_of(def, "parcel_code"),
        i_hh = index_of(def, "households"), i_floor = index_of(def, "floor_area_m2"),
        i_signed = index_of(def, "signed_on"), i_demolished = index_of(def, "demolished_on");
    s.scan = [=, this](const Sink& sink) {
        FeatureFilter filter;
        filter.project_codes.assign(sel.projects.begin(), sel.projects.end());
        std::optional<std::set<std::string>> corridor_parcels;
        if (!sel.corridors.empty())
            corridor_parcels = parcels_in_corridors();
        OutFeature out;
        store->for_each_feature(LayerKind::buildings, filter, [&](const FeatureRow& r) {
            auto parcel_code = text_of(r.values[i_parcel]);
            const auto* parcel = lookups->parcel(parcel_code);
            if (!sel.district.empty() && (!parcel || !sel.district_ok(parcel->district)))
                return;
            if (corridor_parcels && !corridor_parcels->count(parcel_code))
                return;
            BuildingDates dates{date_of(r.values[i_signed]), date_of(r.values[i_demolished])};
            std::int64_t hh = 0;
            if (auto v = std::get_if<std::int64_t>(&r.values[i_hh]))
                hh = *v;
            HouseholdCounts counted;
            counted.add(dates, hh, 0, o.as_of);
            auto stage = parcel ? parcel_stage(parcel->dates, o.as_of) : ParcelStage::not_acquired;
            out.values = {r.values[i_code],
                          text_value(parcel_code),
                          parcel ? text_value(parcel->project) : Value{},
                          r.values[i_hh],
                          r.values[i_floor],
                          stage_label(building_stage(dates, o.as_of), o.lang),
                          date_value(dates.signed_on),
                          date_value(dates.demolished_on),
                          parcel ? Value{stage_label(stage, o.lang)} : Value{},
                          o.as_of,
                          r.measure,
                          m2_to_mu(r.measure),
                          counted.signed_households,
                          counted.demolished_households};
            out.wkb = &r.wkb;
            out.area_m2 = r.measure;
            sink(out);
        });
    };
    return s;
}

Source Builder::projects() {
    Source s;
    s.layer = ExportLayer::projects;
    s.name = "projects";
    s.zh = "项目";
    s.geometry = wkbMultiPolygon;
    s.polygons = true;
    s.fields = {
        text_field("project_code", "PROJECT", "项目编号"),
        text_field("project_name", "PROJ_NAME", "项目名称"),
        text_field("district", "DISTRICT", "区县"),
        text_field("unit", "UNIT", "责任单位"),
        date_field("deadline", "DEADLINE", "限期"),
        text_field("status", "STATUS", "征拆状态"),
        date_field("as_of", "AS_OF", "统计截止日期"),
        real_field("area_m2", "AREA_M2", "红线面积(平方米)", ColumnKind::m2),
        real_field("area_mu", "AREA_MU", "红线面积(亩)", ColumnKind::mu),
        count_field("parcels", "PARCELS", "宗地数"),
        real_field("parcel_mu", "PARCEL_MU", "宗地面积(亩)", ColumnKind::mu),
        real_field("acquired_mu", "ACQ_MU", "已征面积(亩)", ColumnKind::mu),
        ratio_field("acquired_pct", "ACQ_PCT", "征地率(%)", 11, 10),
        real_field("cleared_mu", "CLR_MU", "已腾面积(亩)", ColumnKind::mu),
        ratio_field("cleared_pct", "CLR_PCT", "腾地率(%)", 13, 10),
        real_field("delivered_mu", "DLV_MU", "已交面积(亩)", ColumnKind::mu),
        ratio_field("delivered_pct", "DLV_PCT", "交地率(%)", 15, 10),
    };
    const auto& def = layer_def(LayerKind::projects);
    int i_code = index_of(def, "project_code"), i_name = index_of(def, "name"),
        i_district = index_of(def, "district"), i_unit = index_of(def, "unit"),
        i_deadline = index_of(def, "deadline");
    s.scan = [=, this](const Sink& sink) {
        FeatureFilter filter;
        filter.project_codes.assign(sel.projects.begin(), sel.projects.end());
        std::set<std::string> corridor_projects;
        for (const auto& c : sel.corridors)
            if (auto it = lookups->corridors().find(c); it != lookups->corridors().end())
                corridor_projects.insert(it->second.project_code);
        OutFeature out;
        store->for_each_feature(LayerKind::projects, filter, [&](const FeatureRow& r) {
            auto code = text_of(r.values[i_code]);
            if (!sel.district_ok(text_of(r.values[i_district])))
                return;
            if (!sel.corridors.empty() && !corridor_projects.count(code))
                return;
            ProjectInfo none;
            const auto* info = lookups->project(code);
            if (!info)
                info = &none;
            bool has_shape = !r.wkb.empty();
            out.values = {code,
                          r.values[i_name],
                          r.values[i_district],
                          r.values[i_unit],
                          r.values[i_deadline],
                          stage_label(info->least, o.lang),
                          o.as_of,
                          has_shape ? Value{r.measure} : Value{},
                          has_shape ? Value{m2_to_mu(r.measure)} : Value{},
                          info->parcels,
                          m2_to_mu(info->area_m2),
                          m2_to_mu(info->acquired_m2),
                          percent(info->acquired_m2, info->area_m2),
                          m2_to_mu(info->cleared_m2),
                          percent(info->cleared_m2, info->area_m2),
                          m2_to_mu(info->delivered_m2),
                          percent(info->delivered_m2, info->area_m2)};
            out.wkb = &r.wkb;
            out.area_m2 = has_shape ? r.measure : 0.0;
            sink(out);
        });
    };
    return s;
}

Source Builder::corridors() {
    Source s;
    s.layer = ExportLayer::corridors;
    s.name = "corridors";
    s.zh = "线路";
    s.geometry = wkbLineString;
    s.lines = true;
    s.fields = {
        text_field("corridor_code", "CORRIDOR", "线路编号"),
        text_field("project_code", "PROJECT", "项目编号"),
        text_field("corridor_name", "CORR_NAME", "线路名称"),
        real_field("width_m", "WIDTH_M", "红线宽度(米)", ColumnKind::metres, Total::none),
        real_field("left_width_m", "LEFT_W_M", "左侧宽度(米)", ColumnKind::metres, Total::none),
        real_field("right_width_m", "RIGHT_W_M", "右侧宽度(米)", ColumnKind::metres, Total::none),
        real_field("start_chainage_m", "START_CH", "起点桩号(米)", ColumnKind::metres, Total::none),
        real_field("end_chainage_m", "END_CH", "终点桩号(米)", ColumnKind::metres, Total::none),
        text_field("chainage", "CHAINAGE", "桩号范围"),
        text_field("status", "STATUS", "项目征拆状态"),
        date_field("as_of", "AS_OF", "统计截止日期"),
        real_field("length_m", "LENGTH_M", "长度(米)", ColumnKind::metres),
    };
    const auto& def = layer_def(LayerKind::corridors);
    int i_code = index_of(def, "corridor_code"), i_project = index_of(def, "project_code"),
        i_name = index_of(def, "name"), i_width = index_of(def, "width_m"),
        i_start = index_of(def, "start_chainage_m"), i_left = index_of(def, "left_width_m"),
        i_right = index_of(def, "right_width_m");
    s.scan = [=, this](const Sink& sink) {
        FeatureFilter filter;
        filter.project_codes.assign(sel.projects.begin(), sel.projects.end());
        filter.codes.assign(sel.corridors.begin(), sel.corridors.end());
        OutFeature out;
        store->for_each_feature(LayerKind::corridors, filter, [&](const FeatureRow& r) {
            auto project = text_of(r.values[i_project]);
            const auto* info = lookups->project(project);
            if (!sel.district.empty() && (!info || !sel.district_ok(info->district)))
                return;
            double start = 0;
            if (auto v = std::get_if<double>(&r.values[i_start]))
                start = *v;
            out.values = {r.values[i_code],
                          text_value(project),
                          r.values[i_name],
                          r.values[i_width],
                          r.values[i_left],
                          r.values[i_right],
                          start,
                          start + r.measure,
                          format_chainage_range(start, start + r.measure),
                          info ? Value{stage_label(info->least, o.lang)} : Value{},
                          o.as_of,
                          r.measure};
            out.wkb = &r.wkb;
            out.length_m = r.measure;
            sink(out);
        });
    };
    return s;
}

Source Builder::findings() {
    if (!sel.corridors.empty())
        throw_usage("--corridor does not apply to --layer findings",
                    "select findings with --project or --district");
    Source s;
    s.layer = ExportLayer::findings;
    s.name = "findings";
    s.zh = "数据问题";
    s.geometry = wkbUnknown;
    s.fields = {
        text_field("origin", "ORIGIN", "来源命令"),
        text_field("kind", "KIND", "问题类型"),
        text_field("layer", "LAYER", "图层"),
        text_field("feature_code", "FEATURE", "要素编号"),
        text_field("source", "SOURCE", "源文件"),
        count_field("source_fid", "SOURCE_FID", "源要素序号", Total::none),
        text_field("message", "MESSAGE", "说明"),
        real_field("value", "VALUE", "数值", ColumnKind::text, Total::none),
    };
    s.scan = [this](const Sink& sink) {
        bool filtered = !sel.projects.empty() || !sel.district.empty();
        OutFeature out;
        for (const auto& f : store->findings()) {
            if (filtered && !finding_selected(f))
                continue;
            out.values = {f.origin,
                          f.kind,
                          text_value(f.layer),
                          text_value(f.feature_code),
                          text_value(f.source),
                          f.source_fid >= 0 ? Value{f.source_fid} : Value{},
                          f.message,
                          f.value ? Value{*f.value} : Value{}};
            out.wkb = &f.wkb;
            sink(out);
        }
    };
    return s;
}

// The issue list with each issue's status on the as-of day; selected by its project (a
// corridor selects its project's issues).
Source Builder::issues() {
    Source s;
    s.layer = ExportLayer::issues;
    s.name = "issues";
    s.zh = "问题清单";
    s.geometry = wkbMultiPolygon;
    s.fields = {
        text_field("issue_id", "ISSUE_ID", "问题编号"),
        text_field("target", "TARGET", "对象类型"),
        text_field("target_code", "TARGET_CD", "对象编号"),
        text_field("label", "LABEL", "对象"),
        text_field("project_code", "PROJECT", "项目编号"),
        text_field("unit", "UNIT", "责任单位"),
        text_field("text", "TEXT", "问题描述"),
        date_field("raised_on", "RAISED", "提出日期"),
        date_field("deadline", "DEADLINE", "限期"),
        text_field("status", "STATUS", "状态"),
        count_field("days_overdue", "DAYS_OVER", "逾期天数", Total::none),
        date_field("closed_on", "CLOSED", "销号日期"),
        text_field("note", "NOTE", "备注"),
        real_field("area_m2", "AREA_M2", "面积(平方米)", ColumnKind::m2),
    };
    s.scan = [this](const Sink& sink) {
        std::set<std::string> corridor_projects;
        for (const auto& c : sel.corridors)
            if (auto it = lookups->corridors().find(c); it != lookups->corridors().end())
                corridor_projects.insert(it->second.project_code);
        IssueListOptions lo;
        lo.as_of = o.as_of;
        OutFeature out;
        for (const auto& r : list_issues(*store, lo).rows) {
            const auto& i = r.issue;
            const auto* project = lookups->project(i.project_code);
            if (!sel.project_ok(i.project_code) ||
                !sel.district_ok(project ? project->district : std::string()) ||
                (!corridor_projects.empty() && !corridor_projects.count(i.project_code)))
                continue;
            out.values = {i.id,
                          std::string(issue_target_name(i.target)),
                          i.target_code,
                          i.target_label(),
                          text_value(i.project_code),
                          i.unit,
                          i.text,
                          i.raised_on,
                          r.state.deadline,
                          std::string(o.lang == Lang::zh ? issue_status_zh(r.state)
                                                         : issue_status_key(r.state)),
                          std::int64_t{r.state.days_overdue},
                          date_value(r.state.closed_on),
                          text_value(r.state.note),
                          i.area_m2};
            out.wkb = &i.wkb;
            out.area_m2 = i.area_m2;
            sink(out);
        }
    };
    return s;
}

// A finding is selected when the feature it is about belongs to a selected project and
// district.
bool Builder::finding_selected(const Finding& f) {
    std::string project, district;
    auto from_parcel = [&](const std::string& code) {
        if (const auto* p = lookups->parcel(code)) {
            project = p->project;
            district = p->district;
        }
    };
    auto from_project = [&](const std::string& code) {
        project = code;
        if (const auto* p = lookups->project(code))
            district = p->district;
    };
    if (f.layer == "parcels") {
        from_parcel(f.feature_code);
    } else if (f.layer == "buildings") {
        auto& b = lookups->building_parcels();
        if (auto it = b.find(f.feature_code); it != b.end())
            from_parcel(it->second);
    } else if (f.layer == "projects") {
        from_project(f.feature_code);
    } else if (f.layer == "corridors") {
        auto& c = lookups->corridors();
        if (auto it = c.find(f.feature_code); it != c.end())
            from_project(it->second.project_code);
    }
    if (project.empty())
        return false;
    return sel.project_ok(project) && sel.district_ok(district);
}

Source Builder::source(ExportLayer layer) {
    switch (layer) {
    case ExportLayer::parcels:
        return parcels();
    case ExportLayer::buildings:
        return buildings();
    case ExportLayer::projects:
        return projects();
    case ExportLayer::corridors:
        return corridors();
    case ExportLayer::findings:
        return findings();
    case ExportLayer::issues:
        return issues();
    case ExportLayer::corridor_parcels:
        return corridor_parcels();
    case ExportLayer::corridor_segments:
        return corridor_segments();
    }
    throw_internal("unknown export layer");
}

// A feature's land area: the store's planar measure, or with --area ellipsoidal its 32号
// area from its geometry (working CRS).
double Builder::measure(const FeatureRow& r) const {
    if (!ell)
        return r.measure;
    return ell->area_32(r.wkb);
}

} // namespace layers

namespace {

using layers::Builder;
using layers::Lookups;
using layers::Selection;

// --area ellipsoidal: the land-area fields say so in every name (long, dBASE, Chinese).
void say_ellipsoidal(Source& s) {
    for (auto& f : s.fields) {
        if (f.kind != ColumnKind::m2 && f.kind != ColumnKind::mu)
            continue;
        f.key = "ellipsoidal_" + f.key;
        f.shp = "E" + f.shp;
        if (f.shp.size() > 10)
            f.shp.erase(1, 1); // EPARCEL_MU: still at most 10 bytes
        if (auto at = f.zh.find("面积("); at != std::string::npos)
            f.zh.insert(at, "椭球");
        else if (auto paren = f.zh.rfind('('); paren != std::string::npos)
            f.zh.insert(paren, "椭球面积");
    }
}

void check_codes(Lookups& lookups, const ExportOptions& o) {
    if (!o.projects.empty()) {
        const auto& known = lookups.projects();
        for (const auto& p : o.projects)
            if (!known.count(p))
                throw_usage(fmt::format("project '{}' is not in the store", p),
                            "landclear status STORE lists the project codes");
    }
    if (!o.corridors.empty()) {
        const auto& known = lookups.corridors();
        for (const auto& c : o.corridors)
            if (!known.count(c))
                throw_usage(fmt::format("corridor '{}' is not in the store", c),
                            "import the corridors, or check the code");
    }
}

} // namespace

struct ExportSources::Impl {
    Lookups lookups;
    Selection sel;
    Builder builder;

    Impl(Store& store, const ExportOptions& o)
        : lookups(store, o.as_of), builder{&store, o, &lookups, sel} {}
};

ExportSources::ExportSources(Store& store, const ExportOptions& o, ExportSummary& summary)
    : m(std::make_unique<Impl>(store, o)) {
    check_codes(m->lookups, o);
    m->sel.projects.insert(o.projects.begin(), o.projects.end());
    m->sel.corridors.insert(o.corridors.begin(), o.corridors.end());
    m->sel.district = o.district;
    m->builder.warnings = &summary.warnings;
    if (o.area == AreaBasis::ellipsoidal) {
        for (auto l : o.layers)
            if (l != ExportLayer::parcels && l != ExportLayer::corridor_parcels &&
                l != ExportLayer::corridor_segments)
                throw_usage(fmt::format("--area ellipsoidal does not apply to --layer {}",
                                        export_layer_name(l)),
                            "it measures parcels, corridor-parcels and corridor-segments");
        auto epsg = store.working_epsg();
        if (!epsg)
            throw_input(fmt::format("{} has no working CRS, so its areas cannot be measured on "
                                    "the ellipsoid",
                                    store.location()),
                        "use --area planar");
        m->builder.ell = std::make_shared<const EllipsoidalArea>(*epsg);
    }
    for (auto l : o.layers) {
        m_sources.push_back(m->builder.source(l));
        if (m->builder.ell)
            say_ellipsoidal(m_sources.back());
    }
}

ExportSources::~ExportSources() = default;

std::vector<OutField> layer_fields(ExportLayer layer) {
    ExportOptions o;
    Selection sel;
    Builder b{nullptr, o, nullptr, sel}; // the field lists only: no scan runs
    return b.source(layer).fields;
}

} // namespace landclear::detail
