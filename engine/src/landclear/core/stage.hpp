#pragma once
// The stage of a parcel (未征/已征/已腾/已交) and of a building (未签约/已签约/已拆除) on a date,
// the rule that turns dates into acquired/cleared/delivered areas, the labels and the palette.
// Every command (status, corridor, export, map, serve, reconcile, check) goes through this file,
// so the office's headline numbers and both maps agree.
//
// The rule (docs/INPUT.md, "Stages on a date"): each date counts on its own, as a ledger counts
// it. Acquired area as of D = Σ area of parcels with acquired_on ≤ D; cleared by cleared_on ≤ D;
// delivered by delivered_on ≤ D; signed and demolished households by their own dates. The nested
// reading (cleared only if acquired) would guarantee acquired ≥ cleared ≥ delivered, but it
// contradicts the office's own reported figures: Xiangtan cleared 18,100 亩 against 17,800 亩
// acquired over two years, because state-owned land is cleared without an acquisition date.
//
// For colouring, a parcel's stage on D is the furthest stage whose own date is ≤ D (delivered >
// cleared > acquired > not acquired); a building's is demolished > signed > not signed. Dates
// that contradict the order (cleared without or before acquired, ...) are findings of `check`
// (date_contradictions) and still count as the rule says.
#include "landclear/core/date.hpp"
#include "landclear/core/model.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

enum class ParcelStage { not_acquired, acquired, cleared, delivered }; // ordered: furthest last
enum class BuildingStage { not_signed, signed_up, demolished };

inline constexpr std::array<ParcelStage, 4> all_parcel_stages{
    ParcelStage::not_acquired, ParcelStage::acquired, ParcelStage::cleared, ParcelStage::delivered};
inline constexpr std::array<BuildingStage, 3> all_building_stages{
    BuildingStage::not_signed, BuildingStage::signed_up, BuildingStage::demolished};

struct ParcelDates {
    std::optional<Date> acquired_on, cleared_on, delivered_on;
};
struct BuildingDates {
    std::optional<Date> signed_on, demolished_on;
};
ParcelDates dates_of(const ParcelRow& p);
BuildingDates dates_of(const BuildingRow& b);

// A date is reached on D when it is on or before D ("as of" means the end of that day).
bool reached(const std::optional<Date>& date, const Date& as_of);
// Reached in the period (since, as_of]: after since, on or before as_of. False without since.
bool reached_within(const std::optional<Date>& date, const std::optional<Date>& since,
                    const Date& as_of);

ParcelStage parcel_stage(const ParcelDates& d, const Date& as_of);
ParcelStage parcel_stage(const ParcelRow& p, const Date& as_of);
BuildingStage building_stage(const BuildingDates& d, const Date& as_of);
BuildingStage building_stage(const BuildingRow& b, const Date& as_of);

// The date a land figure counts by: acquired_on for acquired, and so on; none for not_acquired.
std::optional<Date> stage_date(const ParcelDates& d, ParcelStage s);

// The accumulation rule for areas: add(...) puts a parcel's (or a piece's) area into each figure
// whose own date is reached, and into the period increase when reached in (since, as_of].
struct LandAreas {
    double acquired_m2 = 0, cleared_m2 = 0, delivered_m2 = 0;
    double new_acquired_m2 = 0, new_cleared_m2 = 0, new_delivered_m2 = 0;
    void add(const ParcelDates& d, double area_m2, const Date& as_of,
             const std::optional<Date>& since = std::nullopt);
};

// The same rule for a building's households and floor area.
struct HouseholdCounts {
    std::int64_t signed_households = 0, demolished_households = 0;
    double signed_floor_m2 = 0, demolished_floor_m2 = 0;
    std::int64_t new_signed_households = 0, new_demolished_households = 0;
    void add(const BuildingDates& d, std::int64_t households, double floor_area_m2,
             const Date& as_of, const std::optional<Date>& since = std::nullopt);
};

// ---- Labels and palette: the printed maps and the web map use these, nothing else. ----

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb&) const = default;
    std::string hex() const; // "#c8c8c8"
};

struct StageStyle {
    const char* key; // API and CSS key: none, acquired, cleared, delivered; not_signed, ...
    const char* zh;
    const char* en;
    Rgb fill;
};
// Parcels: not acquired grey, acquired yellow, cleared orange, delivered green. Buildings: not
// signed brown, signed blue, demolished white (drawn as an outline).
const StageStyle& stage_style(ParcelStage s);
const StageStyle& stage_style(BuildingStage s);
// Red is kept for what needs action: a parcel overdue (past its project's deadline and not
// delivered) or in a corridor's blocking stretch. No stage is red.
inline constexpr Rgb attention_colour{0xd7, 0x19, 0x1c};

// ---- Dates that contradict the order of the stages ----

enum class DateContradiction {
    cleared_without_acquired,  // a cleared date, no acquired date
    cleared_before_acquired,   // cleared_on < acquired_on
    delivered_without_cleared, // a delivered date, no cleared date
    delivered_before_cleared,  // delivered_on < cleared_on
    delivered_before_acquired, // delivered_on < acquired_on (when cleared does not already say so)
    demolished_without_signed, // a demolished date, no signed date
    demolished_before_signed,  // demolished_on < signed_on
};
struct ContradictionInfo {
    const char* kind; // the finding kind of `check`
    const char* zh;
    const char* en;
};
const ContradictionInfo& contradiction_info(DateContradiction c);
// In report order.
std::vector<DateContradiction> all_date_contradictions();
// Which contradictions a parcel's or building's dates have (independent of any as-of date).
std::vector<DateContradiction> date_contradictions(const ParcelDates& d);
std::vector<DateContradiction> date_contradictions(const BuildingDates& d);
// One line naming the dates involved, e.g. "腾地日期 2025-01-01 早于征地日期 2025-01-10".
std::string describe(DateContradiction c, const ParcelDates& d);
std::string describe(DateContradiction c, const BuildingDates& d);

} // namespace landclear
