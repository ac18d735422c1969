#pragma once
// The domain model: what the office knows of a parcel, a building, a project and a corridor, as
// every layer above reads it. Dates are the days each stage was reached; stage.hpp says what
// they mean on a given day.
#include "landclear/core/date.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

struct ParcelRow {
    std::string code, project_code, district, village, owner_type, land_class;
    std::optional<Date> acquired_on, cleared_on, delivered_on;
    double area_m2 = 0;
};

struct BuildingRow {
    std::string code, parcel_code;
    std::int64_t households = 0;
    double floor_area_m2 = 0;
    std::optional<Date> signed_on, demolished_on;
};

struct ProjectRow {
    std::string code, name, district, unit;
    std::optional<Date> deadline;
    std::optional<double> area_m2; // red line area; none when the project has no geometry
};

struct CorridorRow {
    std::string code, project_code, name;
    double width_m = 0, start_chainage_m = 0, length_m = 0;
    std::optional<double> left_width_m, right_width_m;
    std::string chainage_breaks; // "K12+345.6=K12+300;..." (geom/chainage.hpp), empty: none
    std::string alignment;       // chainage prefix ("ZK", "YK"); empty: "K"
};

// A data-quality observation kept in the store as a layer of its own (so it can be mapped).
struct Finding {
    std::string origin; // which command produced it: "import", "check", ...
    std::string kind;   // "invalid_geometry_repaired", "overlap", ...
    std::string layer;
    std::string feature_code;
    std::string source;
    std::int64_t source_fid = -1;
    std::string message;
    std::optional<double> value; // e.g. the area involved, m²
    std::vector<unsigned char> wkb;
};

// A box in the working CRS.
struct Envelope {
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
};

} // namespace landclear
