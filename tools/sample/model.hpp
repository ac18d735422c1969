// The generated sample: projects with their parcels, buildings, corridor and red line.
#pragma once

#include "geos_raii.hpp"
#include "random.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace landclear::sample {

// Working CRS of the generator: CGCS2000 3-degree Gauss-Krüger zone 38, metres.
inline constexpr const char* kWorkingCrs = "EPSG:4547";
// Earliest date in the data.
inline Day earliest_day() {
    return make_day(2024, 1, 1);
}

struct District {
    std::string code; // GB/T 2260, e.g. 430302
    std::string name; // e.g. 雨湖区
    GeomPtr geom;     // valid (Multi)Polygon in the working CRS
    PreparedPtr prepared;
    GeomPtr boundary; // its rings, for distance tests
    PreparedPtr prepared_boundary;
    GeosContext::Box box{};
    Vec2 centre;   // label point (urban centre) in the working CRS
    double area{}; // m²
};

struct Village {
    std::size_t district = 0;
    int town_code = 0;    // 3 digits
    int village_code = 0; // 3 digits
    bool community = false;
    std::string name;
    std::array<int, 2> next_seq{1, 1}; // next 5-digit sequence for JC (collective) / GB (state)
};

struct Parcel {
    std::uint32_t first = 0; // offset of the ring in ProjectData::coords
    std::uint32_t count = 0; // ring vertices (open ring, counter-clockwise)
    std::uint32_t village = 0;
    std::uint32_t zone = 0;
    bool state_owned = false;
    const char* land_class = "";
    double area = 0; // planar m² in the working CRS
    Day acquired = kNever;
    Day cleared = kNever;
    Day delivered = kNever;
    std::string code;
};

struct Building {
    std::array<Vec2, 4> ring{}; // counter-clockwise, open
    std::uint32_t parcel = 0;   // index into ProjectData::parcels
    int number = 1;             // 1-based within its parcel
    int households = 1;
    double floor_area = 0;
    Day signed_on = kNever;
    Day demolished_on = kNever;
};

struct Corridor {
    std::string code;
    std::string name;
    double width = 0;
    double start_chainage = 0;
    std::vector<Vec2> line;
};

struct ProjectData {
    std::string code;
    std::string name;
    std::string unit;
    std::size_t district = 0;
    Day start = 0;
    Day deadline = 0;
    std::vector<unsigned char> red_line_wkb; // (Multi)Polygon, working CRS
    std::optional<Corridor> corridor;
    std::vector<Vec2> coords;
    std::vector<Parcel> parcels;
    std::vector<Building> buildings;
};

struct GeneratorOptions {
    std::uint64_t seed = 20261127;
    std::int64_t parcels = 3000;
    Day as_of = 0;
};

// Receives each finished project, in order.
using ProjectSink = std::function<void(ProjectData&&)>;

// Builds the sample in the working CRS, project by project. `villages` is filled before the first
// project reaches `sink` and is only read afterwards. Deterministic for given options and
// districts.
void generate_sample(const GeneratorOptions& options, const std::vector<District>& districts,
                     GeosContext& geos, std::vector<Village>& villages, const ProjectSink& sink);

} // namespace landclear::sample
