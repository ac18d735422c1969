#include "landclear/core/stage.hpp"

#include <fmt/format.h>

namespace landclear {

ParcelDates dates_of(const ParcelRow& p) {
    return {p.acquired_on, p.cleared_on, p.delivered_on};
}

BuildingDates dates_of(const BuildingRow& b) {
    return {b.signed_on, b.demolished_on};
}

bool reached(const std::optional<Date>& date, const Date& as_of) {
    return date && *date <= as_of;
}

bool reached_within(const std::optional<Date>& date, const std::optional<Date>& since,
                    const Date& as_of) {
    return since && date && *date > *since && *date <= as_of;
}

ParcelStage parcel_stage(const ParcelDates& d, const Date& as_of) {
    if (reached(d.delivered_on, as_of))
        return ParcelStage::delivered;
    if (reached(d.cleared_on, as_of))
        return ParcelStage::cleared;
    if (reached(d.acquired_on, as_of))
        return ParcelStage::acquired;
    return ParcelStage::not_acquired;
}

ParcelStage parcel_stage(const ParcelRow& p, const Date& as_of) {
    return parcel_stage(dates_of(p), as_of);
}

BuildingStage building_stage(const BuildingDates& d, const Date& as_of) {
    if (reached(d.demolished_on, as_of))
        return BuildingStage::demolished;
    if (reached(d.signed_on, as_of))
        return BuildingStage::signed_up;
    return BuildingStage::not_signed;
}

BuildingStage building_stage(const BuildingRow& b, const Date& as_of) {
    return building_stage(dates_of(b), as_of);
}

std::optional<Date> stage_date(const ParcelDates& d, ParcelStage s) {
    switch (s) {
    case ParcelStage::acquired:
        return d.acquired_on;
    case ParcelStage::cleared:
        return d.cleared_on;
    case ParcelStage::delivered:
        return d.delivered_on;
    case ParcelStage::not_acquired:
        break;
    }
    return std::nullopt;
}

void LandAreas::add(const ParcelDates& d, double area_m2, const Date& as_of,
                    const std::optional<Date>& since) {
    // Each date on its own: no figure depends on another stage's date.
    if (reached(d.acquired_on, as_of))
        acquired_m2 += area_m2;
    if (reached(d.cleared_on, as_of))
        cleared_m2 += area_m2;
    if (reached(d.delivered_on, as_of))
        delivered_m2 += area_m2;
    if (reached_within(d.acquired_on, since, as_of))
        new_acquired_m2 += area_m2;
    if (reached_within(d.cleared_on, since, as_of))
        new_cleared_m2 += area_m2;
    if (reached_within(d.delivered_on, since, as_of))
        new_delivered_m2 += area_m2;
}

void HouseholdCounts::add(const BuildingDates& d, std::int64_t households, double floor_area_m2,
                          const Date& as_of, const std::optional<Date>& since) {
    if (reached(d.signed_on, as_of)) {
        signed_households += households;
        signed_floor_m2 += floor_area_m2;
    }
    if (reached(d.demolished_on, as_of)) {
        demolished_households += households;
        demolished_floor_m2 += floor_area_m2;
    }
    if (reached_within(d.signed_on, since, as_of))
        new_signed_households += households;
    if (reached_within(d.demolished_on, since, as_of))
        new_demolished_households += households;
}

std::string Rgb::hex() const {
    return fmt::format("#{:02x}{:02x}{:02x}", r, g, b);
}

const StageStyle& stage_style(ParcelStage s) {
    // The colours the printed maps have used from the start (grey, yellow, orange, green).
    static const StageStyle styles[] = {
        {"none", "未征", "not acquired", {0xc8, 0xc8, 0xc8}},
        {"acquired", "已征", "acquired", {0xff, 0xd8, 0x4d}},
        {"cleared", "已腾", "cleared", {0xf5, 0x8f, 0x2a}},
        {"delivered", "已交", "delivered", {0x4f, 0xb0, 0x5a}},
    };
    return styles[static_cast<int>(s)];
}

const StageStyle& stage_style(BuildingStage s) {
    static const StageStyle styles[] = {
        {"not_signed", "未签约", "not signed", {0x7b, 0x55, 0x44}},
        {"signed", "已签约", "signed", {0x3c, 0x6f, 0xb4}},
        {"demolished", "已拆除", "demolished", {0xff, 0xff, 0xff}},
    };
    return styles[static_cast<int>(s)];
}

const ContradictionInfo& contradiction_info(DateContradiction c) {
    static const ContradictionInfo infos[] = {
        {"cleared_without_acquired", "已腾地无征地日期", "cleared without acquired date"},
        {"cleared_before_acquired", "腾地早于征地", "cleared before acquired"},
        {"delivered_without_cleared", "已交地无腾地日期", "delivered without cleared date"},
        {"delivered_before_cleared", "交地早于腾地", "delivered before cleared"},
        {"delivered_before_acquired", "交地早于征地", "delivered before acquired"},
        {"demolished_without_signed", "已拆除无签约日期", "demolished without signed date"},
        {"demolished_before_signed", "拆除早于签约", "demolished before signed"},
    };
    return infos[static_cast<int>(c)];
}

std::vector<DateContradiction> all_date_contradictions() {
    return {
        DateContradiction::cleared_without_acquired,  DateContradiction::cleared_before_acquired,
        DateContradiction::delivered_without_cleared, DateContradiction::delivered_before_cleared,
        DateContradiction::delivered_before_acquired, DateContradiction::demolished_without_signed,
        DateContradiction::demolished_before_signed};
}

std::vector<DateContradiction> date_contradictions(const ParcelDates& d) {
    const auto &a = d.acquired_on, &c = d.cleared_on, &v = d.delivered_on;
    std::vector<DateContradiction> out;
    if (c && !a)
        out.push_back(DateContradiction::cleared_without_acquired);
    if (a && c && *c < *a)
        out.push_back(DateContradiction::cleared_before_acquired);
    if (v && !c)
        out.push_back(DateContradiction::delivered_without_cleared);
    if (c && v && *v < *c)
        out.push_back(DateContradiction::delivered_before_cleared);
    // Delivered before cleared before acquired is said by those two; this one is for the case
    // they do not cover (no cleared date, or cleared on or after acquired).
    if (a && v && *v < *a && !(c && *c < *a))
        out.push_back(DateContradiction::delivered_before_acquired);
    return out;
}

std::vector<DateContradiction> date_contradictions(const BuildingDates& d) {
    std::vector<DateContradiction> out;
    if (d.demolished_on && !d.signed_on)
        out.push_back(DateContradiction::demolished_without_signed);
    if (d.signed_on && d.demolished_on && *d.demolished_on < *d.signed_on)
        out.push_back(DateContradiction::demolished_before_signed);
    return out;
}

namespace {
std::string iso(const std::optional<Date>& d) {
    return d ? d->iso() : std::string("-");
}
} // namespace

std::string describe(DateContradiction c, const ParcelDates& d) {
    switch (c) {
    case DateContradiction::cleared_without_acquired:
        return fmt::format("已腾地（{}）却无征地日期", iso(d.cleared_on));
    case DateContradiction::cleared_before_acquired:
        return fmt::format("腾地日期 {} 早于征地日期 {}", iso(d.cleared_on), iso(d.acquired_on));
    case DateContradiction::delivered_without_cleared:
        return d.acquired_on ? fmt::format("已交地（{}）却无腾地日期", iso(d.delivered_on))
                             : fmt::format("已交地（{}）却无征地、腾地日期", iso(d.delivered_on));
    case DateContradiction::delivered_before_cleared:
        return fmt::format("交地日期 {} 早于腾地日期 {}", iso(d.delivered_on), iso(d.cleared_on));
    case DateContradiction::delivered_before_acquired:
        return fmt::format("交地日期 {} 早于征地日期 {}", iso(d.delivered_on), iso(d.acquired_on));
    default:
        break;
    }
    return contradiction_info(c).zh;
}

std::string describe(DateContradiction c, const BuildingDates& d) {
    switch (c) {
    case DateContradiction::demolished_without_signed:
        return fmt::format("已拆除（{}）却无签约日期", iso(d.demolished_on));
    case DateContradiction::demolished_before_signed:
        return fmt::format("拆除日期 {} 早于签约日期 {}", iso(d.demolished_on), iso(d.signed_on));
    default:
        break;
    }
    return contradiction_info(c).zh;
}

} // namespace landclear
