// The exported layers: their field lists and the scans that assemble their features from the
// store (the writers in export_ogr.cpp, export_shapefile.cpp and export_xlsx.cpp take them).
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/ellipsoidal.hpp"
#include "landclear/report/detail/export_detail.hpp"
#include "landclear/report/issue_list_table.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <ogr_core.h>
#include <optional>
#include <set>
#include <unordered_map>

namespace landclear::detail {

namespace {

// ---------------------------------------------------------------------------------------------
// What the store knows beyond one layer: a parcel's project and dates (for buildings and
// findings), a project's figures (for projects and corridors). Built only when needed.

std::string text_of(const Value& v);
std::optional<Date> date_of(const Value& v);
int index_of(const LayerDef& def, std::string_view name);

struct ParcelInfo {
    std::string project, district;
    ParcelDates dates;
};

struct ProjectInfo {
    std::string name, district;
    std::int64_t parcels = 0;
    double area_m2 = 0, acquired_m2 = 0, cleared_m2 = 0, delivered_m2 = 0;
    ParcelStage least = ParcelStage::delivered; // the stage every parcel of the project reached
};

class Lookups {
public:
    Lookups(Store& store, const Date& as_of) : m_store(store), m_as_of(as_of) {}

    const std::unordered_map<std::string, ParcelInfo>& parcels() {
        if (!m_parcels) {
            m_parcels.emplace();
            m_store.for_each_parcel([&](const ParcelRow& p) {
                (*m_parcels)[p.code] = {p.project_code, p.district, dates_of(p)};
            });
        }
        return *m_parcels;
    }

    const std::map<std::string, ProjectInfo>& projects() {
        if (!m_projects) {
            m_projects.emplace();
            for (const auto& p : m_store.projects())
                (*m_projects)[p.code] = {p.name, p.district};
            m_store.for_each_parcel([&](const ParcelRow& p) {
                auto& g = (*m_projects)[p.project_code];
                g.parcels += 1;
                g.area_m2 += p.area_m2;
                LandAreas a; // the rule of core/stage.hpp, as in `landclear status`
                a.add(dates_of(p), p.area_m2, m_as_of);
                g.acquired_m2 += a.acquired_m2;
                g.cleared_m2 += a.cleared_m2;
                g.delivered_m2 += a.delivered_m2;
                g.least = std::min(g.least, parcel_stage(p, m_as_of));
            });
            for (auto& [code, g] : *m_projects)
                if (g.parcels == 0)
                    g.least = ParcelStage::not_acquired;
        }
        return *m_projects;
    }

    const std::map<std::string, CorridorRow>& corridors() {
        if (!m_corridors) {
            m_corridors.emplace();
            for (auto& c : m_store.corridors())
                (*m_corridors)[c.code] = c;
        }
        return *m_corridors;
    }

    const std::unordered_map<std::string, std::string>& building_parcels() {
        if (!m_buildings) {
            m_buildings.emplace();
            m_store.for_each_building(
                [&](const BuildingRow& b) { (*m_buildings)[b.code] = b.parcel_code; });
        }
        return *m_buildings;
    }

    const ParcelInfo* parcel(const std::string& code) {
        auto& p = parcels();
        auto it = p.find(code);
        return it == p.end() ? nullptr : &it->second;
    }

    // The parcels of `codes` only, added to `out` (codes the store does not have stay absent):
    // an export of corridor pieces names a small part of the parcels, and building a map of
    // all of them cost more than the rest of the lookup.
    void parcels_by_code(const std::vector<std::string>& codes,
                         std::unordered_map<std::string, ParcelInfo>& out) {
        if (codes.empty())
            return;
        const auto& def = layer_def(LayerKind::parcels);
        int i_code = index_of(def, "parcel_code"), i_project = index_of(def, "project_code"),
            i_district = index_of(def, "district"), i_acq = index_of(def, "acquired_on"),
            i_clr = index_of(def, "cleared_on"), i_dlv = index_of(def, "delivered_on");
        FeatureFilter filter;
        filter.codes = codes;
        filter.with_geometry = false;
        filter.fields = {"parcel_code", "project_code", "district",
                         "acquired_on", "cleared_on",   "delivered_on"};
        m_store.for_each_feature(LayerKind::parcels, filter, [&](const FeatureRow& r) {
            out[text_of(r.values[i_code])] = {
                text_of(r.values[i_project]), text_of(r.values[i_district]),
                ParcelDates{date_of(r.values[i_acq]), date_of(r.values[i_clr]),
                            date_of(r.values[i_dlv])}};
        });
    }

    const ProjectInfo* project(const std::string& code) {
        auto& p = projects();
        auto it = p.find(code);
        return it == p.end() ? nullptr : &it->second;
    }

private:
    Store& m_store;
    Date m_as_of;
    std::optional<std::unordered_map<std::string, ParcelInfo>> m_parcels;
    std::optional<std::map<std::string, ProjectInfo>> m_projects;
    std::optional<std::map<std::string, CorridorRow>> m_corridors;
    std::optional<std::unordered_map<std::string, std::string>> m_buildings;
};

// The selection the options ask for.
struct Selection {
    std::set<std::string> projects, corridors;
    std::string district;
    bool project_ok(const std::string& code) const {
        return projects.empty() || projects.count(code) > 0;
    }
    bool district_ok(const std::string& d) const { return district.empty() || d == district; }
};

// ---------------------------------------------------------------------------------------------
// Field helpers.

OutField text_field(std::string key, std::string shp, std::string zh) {
    return {std::move(key), std::move(shp), std::move(zh), FieldType::text};
}
OutField date_field(std::string key, std::string shp, std::string zh) {
    return {std::move(key), std::move(shp), std::move(zh), FieldType::date};
}
OutField real_field(std::string key, std::string shp, std::string zh, ColumnKind kind,
                    Total total = Total::sum) {
    return {std::move(key), std::move(shp), std::move(zh), FieldType::real, kind, total};
}
OutField count_field(std::string key, std::string shp, std::string zh, Total total = Total::sum) {
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

// ---------------------------------------------------------------------------------------------
// The layers.

struct Builder {
    Store* store; // null when only the field lists are wanted
    const ExportOptions& o;
    Lookups* lookups;
    const Selection& sel;

    Source parcels() {
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

    Source buildings() {
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
                auto stage =
                    parcel ? parcel_stage(parcel->dates, o.as_of) : ParcelStage::not_acquired;
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

    Source projects() {
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

    Source corridors() {
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
            real_field("right_width_m", "RIGHT_W_M", "右侧宽度(米)", ColumnKind::metres,
                       Total::none),
            real_field("start_chainage_m", "START_CH", "起点桩号(米)", ColumnKind::metres,
                       Total::none),
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

    Source findings() {
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
    Source issues() {
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
    bool finding_selected(const Finding& f) {
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

    // ---- Layers derived by `landclear corridor` ----

    static int derived_index(const DerivedLayerDef& def, std::string_view name) {
        for (size_t i = 0; i < def.fields.size(); ++i)
            if (def.fields[i].first == name)
                return static_cast<int>(i);
        throw_internal(fmt::format("derived layer {} has no field {}", def.name, name));
    }

    static DerivedLayerDef attributes_only(DerivedLayerDef def) {
        def.geometry_type.clear();
        return def;
    }

    void require_derived(const DerivedLayerDef& def, const std::string& what) {
        if (store && !store->has_derived(def.name))
            throw_input(fmt::format("the store has no {} yet", what),
                        fmt::format("run landclear corridor {} first", store->location()));
    }

    // The pieces of the selected corridors (all corridors when none is selected), after
    // checking that each was analysed on the current data.
    void for_each_piece(const DerivedLayerDef& def,
                        const std::function<void(const FeatureRow&)>& fn) {
        check_analysed();
        if (sel.corridors.empty()) {
            store->for_each_derived(def, "", "", fn);
        } else {
            for (const auto& c : sel.corridors)
                store->for_each_derived(def, "corridor_code", c, fn);
        }
    }

    void check_analysed() {
        if (m_checked)
            return;
        m_checked = true;
        std::vector<std::string> codes(sel.corridors.begin(), sel.corridors.end());
        if (codes.empty())
            for (const auto& [code, c] : lookups->corridors())
                codes.push_back(code);
        for (const auto& code : codes) {
            auto state = stored_corridor(*store, code);
            if (state == StoredCorridor::not_analysed) {
                if (!sel.corridors.empty())
                    throw_input(fmt::format("corridor {} has not been analysed yet", code),
                                fmt::format("run landclear corridor {} --corridor {} first",
                                            store->location(), code));
                warnings->push_back(fmt::format(
                    "corridor {} has not been analysed, so it has no pieces in this export; "
                    "run landclear corridor {} to add it",
                    code, store->location()));
                continue;
            }
            if (state == StoredCorridor::stale)
                warnings->push_back(fmt::format(
                    "corridor {} was analysed before the last import; run landclear corridor "
                    "{} to bring its pieces up to date",
                    code, store->location()));
        }
    }

    bool corridor_selected(const std::string& corridor, const std::string* parcel_district) {
        const auto& all = lookups->corridors();
        auto it = all.find(corridor);
        std::string project = it == all.end() ? std::string() : it->second.project_code;
        if (!sel.projects.empty() && !sel.project_ok(project))
            return false;
        if (sel.district.empty())
            return true;
        if (parcel_district)
            return sel.district_ok(*parcel_district);
        const auto* info = lookups->project(project);
        return info && sel.district_ok(info->district);
    }

    Source corridor_parcels() {
        const auto& def = corridor_parcels_layer();
        require_derived(def, "corridor-parcels");
        Source s;
        s.layer = ExportLayer::corridor_parcels;
        s.name = def.name;
        s.zh = "红线内宗地";
        s.geometry = wkbMultiPolygon;
        s.polygons = true;
        s.fields = {
            text_field("corridor_code", "CORRIDOR", "线路编号"),
            count_field("segment_index", "SEGMENT", "段号", Total::none),
            real_field("chainage_from_m", "CH_FROM_M", "起点桩号(米)", ColumnKind::metres,
                       Total::none),
            real_field("chainage_to_m", "CH_TO_M", "终点桩号(米)", ColumnKind::metres, Total::none),
            text_field("chainage", "CHAINAGE", "桩号范围"),
            text_field("parcel_code", "PARCEL", "宗地编号"),
            count_field("whole", "WHOLE", "整宗在段内(1是0否)", Total::none),
            text_field("project_code", "PROJECT", "宗地项目编号"),
            text_field("district", "DISTRICT", "区县"),
            text_field("status", "STATUS", "征拆状态"),
            date_field("acquired_on", "ACQ_DATE", "征地日期"),
            date_field("cleared_on", "CLR_DATE", "腾地日期"),
            date_field("delivered_on", "DLV_DATE", "交地日期"),
            date_field("as_of", "AS_OF", "统计截止日期"),
            real_field("area_m2", "AREA_M2", "段内面积(平方米)", ColumnKind::m2),
            real_field("area_mu", "AREA_MU", "段内面积(亩)", ColumnKind::mu),
            real_field("acquired_mu", "ACQ_MU", "段内已征面积(亩)", ColumnKind::mu),
            real_field("cleared_mu", "CLR_MU", "段内已腾面积(亩)", ColumnKind::mu),
            real_field("delivered_mu", "DLV_MU", "段内已交面积(亩)", ColumnKind::mu),
        };
        int i_corridor = derived_index(def, "corridor_code"),
            i_segment = derived_index(def, "segment_index"),
            i_from = derived_index(def, "chainage_from_m"),
            i_to = derived_index(def, "chainage_to_m"),
            i_parcel = derived_index(def, "parcel_code"), i_whole = derived_index(def, "whole");
        s.scan = [=, this](const Sink& sink) {
            OutFeature out;
            // Pieces in batches: the parcels a batch names are read by code in one query.
            constexpr size_t batch_size = 4096;
            std::vector<FeatureRow> batch;
            std::unordered_map<std::string, ParcelInfo> parcels;
            auto emit = [&](const FeatureRow& r) {
                auto corridor = text_of(r.values[i_corridor]);
                auto parcel_code = text_of(r.values[i_parcel]);
                auto found = parcels.find(parcel_code);
                const ParcelInfo* parcel = found == parcels.end() ? nullptr : &found->second;
                std::string district = parcel ? parcel->district : std::string();
                if (!corridor_selected(corridor, &district))
                    return;
                ParcelDates dates = parcel ? parcel->dates : ParcelDates{};
                const double area = measure(r);
                LandAreas land;
                land.add(dates, area, o.as_of);
                double from = 0, to = 0;
                if (auto v = std::get_if<double>(&r.values[i_from]))
                    from = *v;
                if (auto v = std::get_if<double>(&r.values[i_to]))
                    to = *v;
                double mu = m2_to_mu(area);
                out.values = {corridor,
                              r.values[i_segment],
                              r.values[i_from],
                              r.values[i_to],
                              format_chainage_range(from, to),
                              text_value(parcel_code),
                              r.values[i_whole],
                              parcel ? text_value(parcel->project) : Value{},
                              text_value(district),
                              parcel ? Value{stage_label(parcel_stage(dates, o.as_of), o.lang)}
                                     : Value{},
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
            };
            auto flush = [&] {
                parcels.clear();
                std::vector<std::string> codes;
                codes.reserve(batch.size());
                for (const auto& r : batch)
                    codes.push_back(text_of(r.values[i_parcel]));
                std::sort(codes.begin(), codes.end());
                codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
                lookups->parcels_by_code(codes, parcels);
                for (const auto& r : batch)
                    emit(r);
                batch.clear();
            };
            for_each_piece(def, [&](const FeatureRow& r) {
                batch.push_back(r);
                if (batch.size() == batch_size)
                    flush();
            });
            flush();
        };
        return s;
    }

    Source corridor_segments() {
        const auto& def = corridor_segments_layer();
        require_derived(def, "corridor-segments");
        Source s;
        s.layer = ExportLayer::corridor_segments;
        s.name = def.name;
        s.zh = "红线分段";
        s.geometry = wkbMultiPolygon;
        s.polygons = true;
        s.fields = {
            text_field("corridor_code", "CORRIDOR", "线路编号"),
            count_field("segment_index", "SEGMENT", "段号", Total::none),
            real_field("chainage_from_m", "CH_FROM_M", "起点桩号(米)", ColumnKind::metres,
                       Total::none),
            real_field("chainage_to_m", "CH_TO_M", "终点桩号(米)", ColumnKind::metres, Total::none),
            text_field("chainage", "CHAINAGE", "桩号范围"),
            text_field("project_code", "PROJECT", "项目编号"),
            text_field("status", "STATUS", "征拆状态"),
            date_field("as_of", "AS_OF", "统计截止日期"),
            real_field("area_m2", "AREA_M2", "红线面积(平方米)", ColumnKind::m2),
            real_field("area_mu", "AREA_MU", "红线面积(亩)", ColumnKind::mu),
            count_field("parcels", "PARCELS", "宗地块数"),
            real_field("parcel_mu", "PARCEL_MU", "红线内宗地面积(亩)", ColumnKind::mu),
            real_field("acquired_mu", "ACQ_MU", "已征面积(亩)", ColumnKind::mu),
            ratio_field("acquired_pct", "ACQ_PCT", "征地率(%)", 12, 11),
            real_field("cleared_mu", "CLR_MU", "已腾面积(亩)", ColumnKind::mu),
            ratio_field("cleared_pct", "CLR_PCT", "腾地率(%)", 14, 11),
            real_field("delivered_mu", "DLV_MU", "已交面积(亩)", ColumnKind::mu),
            ratio_field("delivered_pct", "DLV_PCT", "交地率(%)", 16, 11),
        };
        int i_corridor = derived_index(def, "corridor_code"),
            i_segment = derived_index(def, "segment_index"),
            i_from = derived_index(def, "chainage_from_m"),
            i_to = derived_index(def, "chainage_to_m"), i_label = derived_index(def, "label");
        const auto& pieces_def = corridor_parcels_layer();
        int p_corridor = derived_index(pieces_def, "corridor_code"),
            p_segment = derived_index(pieces_def, "segment_index"),
            p_parcel = derived_index(pieces_def, "parcel_code");
        s.scan = [=, this](const Sink& sink) {
            // The land in each segment: its parcel pieces with their parcels' dates.
            struct Figures {
                std::int64_t pieces = 0;
                double area = 0, acquired = 0, cleared = 0, delivered = 0;
                ParcelStage least = ParcelStage::delivered;
            };
            std::map<std::pair<std::string, std::int64_t>, Figures> figures;
            if (store->has_derived(pieces_def.name))
                // Ellipsoidal: the pieces' geometry is measured, so it is read.
                for_each_piece(
                    ell ? pieces_def : attributes_only(pieces_def), [&](const FeatureRow& r) {
                        auto seg = std::get_if<std::int64_t>(&r.values[p_segment]);
                        auto& f = figures[{text_of(r.values[p_corridor]), seg ? *seg : -1}];
                        const auto* parcel = lookups->parcel(text_of(r.values[p_parcel]));
                        const double area = measure(r);
                        f.pieces += 1;
                        f.area += area;
                        if (!parcel) {
                            f.least = ParcelStage::not_acquired;
                            return;
                        }
                        LandAreas land;
                        land.add(parcel->dates, area, o.as_of);
                        f.acquired += land.acquired_m2;
                        f.cleared += land.cleared_m2;
                        f.delivered += land.delivered_m2;
                        if (area >= blocking_min_m2) // slivers along the red line do not count
                            f.least = std::min(f.least, parcel_stage(parcel->dates, o.as_of));
                    });
            OutFeature out;
            bool zh = o.lang == Lang::zh;
            for_each_piece(def, [&](const FeatureRow& r) {
                auto corridor = text_of(r.values[i_corridor]);
                if (!corridor_selected(corridor, nullptr))
                    return;
                auto seg = std::get_if<std::int64_t>(&r.values[i_segment]);
                const double red = measure(r);
                Figures f;
                if (auto it = figures.find({corridor, seg ? *seg : -1}); it != figures.end())
                    f = it->second;
                const auto& all = lookups->corridors();
                auto c = all.find(corridor);
                Value status = f.pieces == 0 ? Value{std::string(zh ? "无宗地" : "no parcels")}
                                             : Value{stage_label(f.least, o.lang)};
                out.values = {corridor,
                              r.values[i_segment],
                              r.values[i_from],
                              r.values[i_to],
                              r.values[i_label],
                              c == all.end() ? Value{} : text_value(c->second.project_code),
                              status,
                              o.as_of,
                              red,
                              m2_to_mu(red),
                              f.pieces,
                              m2_to_mu(f.area),
                              m2_to_mu(f.acquired),
                              percent(f.acquired, f.area),
                              m2_to_mu(f.cleared),
                              percent(f.cleared, f.area),
                              m2_to_mu(f.delivered),
                              percent(f.delivered, f.area)};
                out.wkb = &r.wkb;
                out.area_m2 = red;
                sink(out);
            });
        };
        return s;
    }

    std::set<std::string> parcels_in_corridors() {
        const auto& def = corridor_parcels_layer();
        require_derived(def, "corridor-parcels (needed for --corridor)");
        int i_parcel = derived_index(def, "parcel_code");
        std::set<std::string> codes;
        for_each_piece(attributes_only(def),
                       [&](const FeatureRow& r) { codes.insert(text_of(r.values[i_parcel])); });
        return codes;
    }

    Source source(ExportLayer layer) {
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
    double measure(const FeatureRow& r) const {
        if (!ell)
            return r.measure;
        return ell->area_32(r.wkb);
    }

    std::vector<std::string>* warnings = nullptr;
    bool m_checked = false;
    std::shared_ptr<const EllipsoidalArea> ell = nullptr; // --area ellipsoidal
};

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
