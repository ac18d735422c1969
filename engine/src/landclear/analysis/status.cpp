#include "landclear/analysis/status.hpp"

#include "landclear/analysis/ellipsoidal_cache.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"

#include <fmt/format.h>
#include <map>
#include <unordered_map>

namespace landclear {

namespace {

const char* unmatched_label(GroupBy by) {
    switch (by) {
    case GroupBy::unit:
        return "(未登记责任单位)";
    case GroupBy::project:
        return "(未登记项目)";
    default:
        return "(空)";
    }
}

} // namespace

GroupByInfo group_label(GroupBy by) {
    switch (by) {
    case GroupBy::project:
        return {"项目编号", "project"};
    case GroupBy::district:
        return {"区县", "district"};
    case GroupBy::unit:
        return {"责任单位", "unit"};
    case GroupBy::village:
        return {"村(社区)", "village"};
    case GroupBy::land_class:
        return {"地类编码", "land class"};
    case GroupBy::owner_type:
        return {"权属性质", "ownership"};
    }
    return {"", ""};
}

GroupBy parse_group_by(const std::string& text) {
    static const std::map<std::string, GroupBy> names{{"project", GroupBy::project},
                                                      {"district", GroupBy::district},
                                                      {"unit", GroupBy::unit},
                                                      {"village", GroupBy::village},
                                                      {"land_class", GroupBy::land_class},
                                                      {"owner_type", GroupBy::owner_type}};
    auto it = names.find(text);
    if (it == names.end())
        throw_usage(fmt::format("--by '{}' is not one of project, district, unit, village, "
                                "land_class, owner_type",
                                text));
    return it->second;
}

void StatusFigures::add(const StatusFigures& o) {
    parcels += o.parcels;
    area_m2 += o.area_m2;
    acquired_m2 += o.acquired_m2;
    cleared_m2 += o.cleared_m2;
    delivered_m2 += o.delivered_m2;
    buildings += o.buildings;
    households += o.households;
    signed_households += o.signed_households;
    demolished_households += o.demolished_households;
    floor_area_m2 += o.floor_area_m2;
    signed_floor_m2 += o.signed_floor_m2;
    demolished_floor_m2 += o.demolished_floor_m2;
    new_acquired_m2 += o.new_acquired_m2;
    new_cleared_m2 += o.new_cleared_m2;
    new_delivered_m2 += o.new_delivered_m2;
    new_signed_households += o.new_signed_households;
    new_demolished_households += o.new_demolished_households;
}

void StatusFigures::add_parcel(const ParcelDates& d, double area, const Date& as_of,
                               const std::optional<Date>& since) {
    LandAreas a;
    a.add(d, area, as_of, since);
    parcels += 1;
    area_m2 += area;
    acquired_m2 += a.acquired_m2;
    cleared_m2 += a.cleared_m2;
    delivered_m2 += a.delivered_m2;
    new_acquired_m2 += a.new_acquired_m2;
    new_cleared_m2 += a.new_cleared_m2;
    new_delivered_m2 += a.new_delivered_m2;
}

void StatusFigures::add_building(const BuildingDates& d, std::int64_t hh, double floor_area,
                                 const Date& as_of, const std::optional<Date>& since) {
    HouseholdCounts c;
    c.add(d, hh, floor_area, as_of, since);
    buildings += 1;
    households += hh;
    floor_area_m2 += floor_area;
    signed_households += c.signed_households;
    signed_floor_m2 += c.signed_floor_m2;
    demolished_households += c.demolished_households;
    demolished_floor_m2 += c.demolished_floor_m2;
    new_signed_households += c.new_signed_households;
    new_demolished_households += c.new_demolished_households;
}

StatusReport compute_status(Store& store, const StatusOptions& options) {
    if (options.since && *options.since >= options.as_of)
        throw_usage(fmt::format("--since {} is not before --as-of {}", options.since->iso(),
                                options.as_of.iso()));
    StatusReport report;
    report.as_of = options.as_of;
    report.since = options.since;
    report.by = options.by;
    report.area = options.area;

    std::map<std::string, StatusFigures> groups;
    std::unordered_map<std::string, std::string> project_unit;
    std::map<std::string, std::string> project_names;
    for (const auto& p : store.projects()) {
        project_unit[p.code] = p.unit;
        project_names[p.code] = p.name;
        if (options.by == GroupBy::project)
            groups[p.code]; // projects without parcels still get a row
        else if (options.by == GroupBy::unit && !p.unit.empty())
            groups[p.unit];
    }

    auto key_of = [&](const ParcelRow& p) -> std::string {
        std::string key;
        switch (options.by) {
        case GroupBy::project:
            key = p.project_code;
            break;
        case GroupBy::district:
            key = p.district;
            break;
        case GroupBy::village:
            key = p.village;
            break;
        case GroupBy::land_class:
            key = p.land_class;
            break;
        case GroupBy::owner_type:
            key = p.owner_type;
            break;
        case GroupBy::unit: {
            auto it = project_unit.find(p.project_code);
            key = it == project_unit.end() ? std::string() : it->second;
            break;
        }
        }
        return key.empty() ? unmatched_label(options.by) : key;
    };

    const Date& as_of = options.as_of;
    std::unordered_map<std::string, StatusFigures*> parcel_group;
    std::unordered_map<std::string, double> ellipsoidal;
    if (options.area == AreaBasis::ellipsoidal)
        ellipsoidal = parcel_ellipsoidal_areas(store);
    ParcelRow on_ellipsoid;
    store.for_each_parcel([&](const ParcelRow& stored) {
        // --area ellipsoidal: the same sums over each parcel's 32号 area.
        if (options.area == AreaBasis::ellipsoidal) {
            on_ellipsoid = stored;
            auto it = ellipsoidal.find(stored.code);
            on_ellipsoid.area_m2 = it == ellipsoidal.end() ? 0.0 : it->second;
        }
        const ParcelRow& p = options.area == AreaBasis::ellipsoidal ? on_ellipsoid : stored;
        auto& g = groups[key_of(p)];
        parcel_group[p.code] = &g;
        g.add_parcel(dates_of(p), p.area_m2, as_of, options.since);
    });
    store.for_each_building([&](const BuildingRow& b) {
        auto it = parcel_group.find(b.parcel_code);
        auto& g = it != parcel_group.end() ? *it->second : groups["(无对应宗地)"];
        g.add_building(dates_of(b), b.households, b.floor_area_m2, as_of, options.since);
    });

    for (auto& [key, figures] : groups) {
        StatusGroup g{key, {}, figures};
        if (options.by == GroupBy::project)
            if (auto it = project_names.find(key); it != project_names.end())
                g.name = it->second;
        report.total.add(figures);
        report.groups.push_back(std::move(g));
    }
    return report;
}

} // namespace landclear
