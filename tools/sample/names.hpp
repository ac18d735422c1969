// Plausible Chinese names and administrative codes for the sample.
#pragma once

#include "model.hpp"
#include "random.hpp"

#include <set>
#include <string>
#include <vector>

namespace landclear::sample {

enum class Kind { Road, Flood, Renewal, Block, School };

// An administrative town (街道 / 镇 / 乡) of one district with its communities and villages.
struct Town {
    int code = 0; // 0xx 街道, 1xx 镇, 2xx 乡 (as in GB/T 10114 practice)
    std::vector<std::uint32_t> communities; // ids into Sample::villages (社区, codes 001-199)
    std::vector<std::uint32_t> villages;    // ids into Sample::villages (村, codes 201-399)
};

struct TownRegistry {
    std::vector<std::vector<Town>> by_district;
};

// Fills `villages` with invented but plausible village/community names per district.
TownRegistry build_towns(Rng& rng, const std::vector<District>& districts,
                         std::vector<Village>& villages);

struct ProjectName {
    std::string name;
    std::string unit;
    std::string corridor_name; // roads and flood works
};

// A new project name unique in `used`, with its responsible unit (责任单位).
ProjectName invent_project_name(Rng& rng, Kind kind, const District& district,
                                std::set<std::string>& used);

// The district-level unit, e.g. 雨湖区征拆办, 湘潭县征拆指挥部.
std::string district_unit(const District& district);

} // namespace landclear::sample
