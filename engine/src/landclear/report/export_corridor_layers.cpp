// The exported layers that `landclear corridor` derives (corridor-parcels, corridor-segments)
// and the checks that the selected corridors were analysed on the current data; the store's own
// layers are in export_layers.cpp.
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/report/detail/export_builder.hpp"

#include <fmt/format.h>
#include <ogr_core.h>

namespace landclear::detail::layers {

int Builder::derived_index(const DerivedLayerDef& def, std::string_view name) {
    for (size_t i = 0; i < def.fields.size(); ++i)
        if (def.fields[i].first == name)
            return static_cast<int>(i);
    throw_internal(fmt::format("derived layer {} has no field {}", def.name, name));
}

DerivedLayerDef Builder::attributes_only(DerivedLayerDef def) {
    def.geometry_type.clear();
    return def;
}

void Builder::require_derived(const DerivedLayerDef& def, const std::string& what) {
    if (store && !store->has_derived(def.name))
        throw_input(fmt::format("the store has no {} yet", what),
                    fmt::format("run landclear corridor {} first", store->location()));
}

// The pieces of the selected corridors (all corridors when none is selected), after
// checking that each was analysed on the current data.
void Builder::for_each_piece(const DerivedLayerDef& def,
                             const std::function<void(const FeatureRow&)>& fn) {
    check_analysed();
    if (sel.corridors.empty()) {
        store->for_each_derived(def, "", "", fn);
    } else {
        for (const auto& c : sel.corridors)
            store->for_each_derived(def, "corridor_code", c, fn);
    }
}

void Builder::check_analysed() {
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

bool Builder::corridor_selected(const std::string& corridor, const std::string* parcel_district) {
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

Source Builder::corridor_parcels() {
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
        real_field("chainage_from_m", "CH_FROM_M", "起点桩号(米)", ColumnKind::metres, Total::none),
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
        i_from = derived_index(def, "chainage_from_m"), i_to = derived_index(def, "chainage_to_m"),
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

Source Builder::corridor_segments() {
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
        real_field("chainage_from_m", "CH_FROM_M", "起点桩号(米)", ColumnKind::metres, Total::none),
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
        i_from = derived_index(def, "chainage_from_m"), i_to = derived_index(def, "chainage_to_m"),
        i_label = derived_index(def, "label");
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

std::set<std::string> Builder::parcels_in_corridors() {
    const auto& def = corridor_parcels_layer();
    require_derived(def, "corridor-parcels (needed for --corridor)");
    int i_parcel = derived_index(def, "parcel_code");
    std::set<std::string> codes;
    for_each_piece(attributes_only(def),
                   [&](const FeatureRow& r) { codes.insert(text_of(r.values[i_parcel])); });
    return codes;
}

} // namespace landclear::detail::layers
