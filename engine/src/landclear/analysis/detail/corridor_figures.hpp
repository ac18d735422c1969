// The corridor's figures for a date (detail of analysis/corridor.cpp): the facts of the parcels
// and buildings the clipped pieces name, and the reports made of a clip and those facts. The
// date-independent part (red line, segments, clipping, saving) stays in corridor.cpp.
#pragma once

#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/detail/corridor_clip.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/store/store.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace landclear::corridor_detail {

struct BuildingFacts {
    std::int64_t households = 0;
    double floor_area_m2 = 0;
    BuildingDates dates;
};

inline std::optional<Date> date_value(const Value& v) {
    auto d = std::get_if<Date>(&v);
    return d ? std::optional<Date>(*d) : std::nullopt;
}

// What the figures need of a parcel or a building, and how to take it from a row that holds
// those fields: one reading for the rows read near a red line and for those read by code.
struct FactFields {
    explicit FactFields(LayerKind kind) : kind(kind), def(layer_def(kind)) {
        key = field_index(def, def.key);
        if (kind == LayerKind::parcels) {
            names = {"acquired_on", "cleared_on", "delivered_on"};
        } else {
            names = {"households", "floor_area_m2", "signed_on", "demolished_on"};
        }
        for (const auto& n : names)
            at.push_back(static_cast<size_t>(field_index(def, n)));
    }
    ParcelDates parcel(const FeatureRow& r) const {
        return {date_value(r.values[at[0]]), date_value(r.values[at[1]]),
                date_value(r.values[at[2]])};
    }
    BuildingFacts building(const FeatureRow& r) const {
        BuildingFacts f;
        if (auto v = std::get_if<std::int64_t>(&r.values[at[0]]))
            f.households = *v;
        if (auto v = std::get_if<double>(&r.values[at[1]]))
            f.floor_area_m2 = *v;
        f.dates.signed_on = date_value(r.values[at[2]]);
        f.dates.demolished_on = date_value(r.values[at[3]]);
        return f;
    }
    LayerKind kind;
    const LayerDef& def;
    int key = -1;
    std::vector<std::string> names;
    std::vector<size_t> at;
};

// The facts of the features read near a red line, kept with its job: read in the same query
// (and snapshot) as their geometry, so the figures need no second read of them by code.
struct NearFacts {
    std::vector<std::pair<std::string, ParcelDates>> parcels;
    std::vector<std::pair<std::string, BuildingFacts>> buildings;
};

// "K" or the corridor's alignment: the prefix of its chainage labels.
std::string alignment_prefix(const CorridorRow& c);
// The corridor's stationing: start chainage, the centreline's length, its breaks (断链).
Stationing corridor_stationing(const CorridorRow& c, double length);

// The dates of the parcels and the facts of the buildings the clipped pieces name that the maps
// do not hold yet (corridors whose saved geometry is reused): read once, by code.
void read_facts(Store& store, const std::vector<CorridorClip>& clips,
                std::unordered_map<std::string, ParcelDates>& parcel_dates,
                std::unordered_map<std::string, BuildingFacts>& building_facts);

// A corridor's report (figures, segments, blocking stretches) from its clip and the facts.
CorridorReport make_report(const CorridorRow& c, const CorridorClip& clip,
                           const std::unordered_map<std::string, ParcelDates>& parcels,
                           const std::unordered_map<std::string, BuildingFacts>& buildings,
                           const CorridorOptions& o);
// The figures of a corridor of several alignments' union red line.
StatusFigures union_figures(const CorridorClip& clip,
                            const std::unordered_map<std::string, ParcelDates>& parcels,
                            const std::unordered_map<std::string, BuildingFacts>& buildings,
                            const CorridorOptions& o);
// The report of a corridor of several alignments: its members and its union red line's figures.
CorridorReport group_report(const std::string& code, std::vector<CorridorReport> members,
                            const CorridorClip* union_clip, const std::string& union_geometry,
                            const std::string& union_row, const StatusFigures& union_f);

} // namespace landclear::corridor_detail
