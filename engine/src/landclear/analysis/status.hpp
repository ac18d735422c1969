#pragma once
// Project status: 亩 acquired, cleared and delivered, households signed and demolished, as of a
// date and grouped; with a "since" date also the increase in that period (本周新增).
#include "landclear/core/area_basis.hpp"
#include "landclear/core/date.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace landclear {

enum class GroupBy { project, district, unit, village, land_class, owner_type };
// option: how the caller names the choice in a message (the CLI passes "--by").
GroupBy parse_group_by(const std::string& text, const std::string& option = "grouping");
struct GroupByInfo {
    const char* zh;
    const char* en;
};
GroupByInfo group_label(GroupBy by); // the grouping column's header

struct StatusOptions {
    Date as_of = Date::today();
    std::optional<Date> since; // increase over (since, as_of]
    GroupBy by = GroupBy::project;
    AreaBasis area = AreaBasis::planar; // --area: planar (working CRS) or ellipsoidal (32号)
};

struct StatusFigures {
    std::int64_t parcels = 0;
    double area_m2 = 0, acquired_m2 = 0, cleared_m2 = 0, delivered_m2 = 0;
    std::int64_t buildings = 0, households = 0, signed_households = 0, demolished_households = 0;
    double floor_area_m2 = 0, signed_floor_m2 = 0, demolished_floor_m2 = 0;
    // Increases over (since, as_of]; zero without --since.
    double new_acquired_m2 = 0, new_cleared_m2 = 0, new_delivered_m2 = 0;
    std::int64_t new_signed_households = 0, new_demolished_households = 0;

    void add(const StatusFigures& o);
    // One parcel (or a piece of one) and one building, counted by the rule of core/stage.hpp:
    // each date on its own.
    void add_parcel(const ParcelDates& d, double area, const Date& as_of,
                    const std::optional<Date>& since);
    void add_building(const BuildingDates& d, std::int64_t households, double floor_area,
                      const Date& as_of, const std::optional<Date>& since);
};

struct StatusGroup {
    std::string key;
    std::string name; // project name when grouped by project
    StatusFigures figures;
};

struct StatusReport {
    Date as_of;
    std::optional<Date> since;
    GroupBy by = GroupBy::project;
    AreaBasis area = AreaBasis::planar;
    std::vector<StatusGroup> groups;
    StatusFigures total;
};

StatusReport compute_status(Store& store, const StatusOptions& options);

} // namespace landclear
