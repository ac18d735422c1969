#include "landclear/analysis/status.hpp"

#include "landclear/analysis/ellipsoidal_cache.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <thread>
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

// The distinct parcel codes the buildings name, each with a slot: an open-addressing table over
// the codes' hashes, so looking up a million parcels costs about one cache miss each (a node-based
// hash map chases several pointers per lookup; it was a third of `status` at 1M parcels).
class CodeSlots {
public:
    // The slot of code, added if new.
    std::uint32_t add(const std::string& code) {
        m_bits.clear(); // seal() again after adding
        if ((m_codes.size() + 1) * 2 > m_table.size())
            grow();
        auto h = hash(code);
        for (size_t i = h & m_mask;; i = (i + 1) & m_mask) {
            auto& e = m_table[i];
            if (e.slot == 0) {
                m_codes.push_back(code);
                e = {h, static_cast<std::uint32_t>(m_codes.size())};
                return e.slot - 1;
            }
            if (e.hash == h && m_codes[e.slot - 1] == code)
                return e.slot - 1;
        }
    }
    // After the last add: a bitmap of the codes' hashes, which answers "not there" for most
    // parcels (those without buildings) without touching the table (a cache miss each: the
    // table holds every code buildings name). 8 to 16 bits a code: at a million parcels (285,548
    // codes) 512 KB, which stays in a core's L2 beside SQLite's pages; at 16 to 32 bits (1 MB)
    // the probes missed L2 and `status` took 0.04–0.06 s longer (of 0.72 s).
    void seal() {
        size_t bits = 64;
        while (bits < m_codes.size() * 8)
            bits *= 2;
        m_bits.assign(bits / 64, 0);
        m_bit_mask = bits - 1;
        for (const auto& e : m_table)
            if (e.slot != 0) {
                auto b = (e.hash >> 32) & m_bit_mask;
                m_bits[b / 64] |= std::uint64_t{1} << (b % 64);
            }
    }
    // The slot of code, or nullopt.
    std::optional<std::uint32_t> find(const std::string& code) const {
        if (m_table.empty())
            return std::nullopt;
        auto h = hash(code);
        if (!m_bits.empty()) {
            auto b = (h >> 32) & m_bit_mask;
            if (!((m_bits[b / 64] >> (b % 64)) & 1))
                return std::nullopt;
        }
        for (size_t i = h & m_mask;; i = (i + 1) & m_mask) {
            const auto& e = m_table[i];
            if (e.slot == 0)
                return std::nullopt;
            if (e.hash == h && m_codes[e.slot - 1] == code)
                return e.slot - 1;
        }
    }
    size_t size() const { return m_codes.size(); }

private:
    struct Entry {
        std::uint64_t hash = 0;
        std::uint32_t slot = 0; // slot + 1; 0 = empty
    };
    static std::uint64_t hash(const std::string& s) { return std::hash<std::string>{}(s); }
    void grow() {
        std::vector<Entry> old = std::move(m_table);
        m_table.assign(std::max<size_t>(64, old.size() * 2), Entry{});
        m_mask = m_table.size() - 1;
        for (const auto& e : old)
            if (e.slot != 0)
                for (size_t i = e.hash & m_mask;; i = (i + 1) & m_mask)
                    if (m_table[i].slot == 0) {
                        m_table[i] = e;
                        break;
                    }
    }
    std::vector<std::string> m_codes;
    std::vector<Entry> m_table;
    size_t m_mask = 0;
    std::vector<std::uint64_t> m_bits;
    std::uint64_t m_bit_mask = 0;
};

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

GroupBy parse_group_by(const std::string& text, const std::string& option) {
    static const std::map<std::string, GroupBy> names{{"project", GroupBy::project},
                                                      {"district", GroupBy::district},
                                                      {"unit", GroupBy::unit},
                                                      {"village", GroupBy::village},
                                                      {"land_class", GroupBy::land_class},
                                                      {"owner_type", GroupBy::owner_type}};
    auto it = names.find(text);
    if (it == names.end())
        throw_usage(fmt::format("{} '{}' is not one of project, district, unit, village, "
                                "land_class, owner_type",
                                option, text));
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

    // The group's name, without a copy: the field itself, the project's unit, or the label for
    // "none".
    const std::string unmatched = unmatched_label(options.by);
    auto key_of = [&](const ParcelRow& p) -> const std::string& {
        const std::string* key = nullptr;
        switch (options.by) {
        case GroupBy::project:
            key = &p.project_code;
            break;
        case GroupBy::district:
            key = &p.district;
            break;
        case GroupBy::village:
            key = &p.village;
            break;
        case GroupBy::land_class:
            key = &p.land_class;
            break;
        case GroupBy::owner_type:
            key = &p.owner_type;
            break;
        case GroupBy::unit: {
            auto it = project_unit.find(p.project_code);
            key = it == project_unit.end() ? &unmatched : &it->second;
            break;
        }
        }
        return key->empty() ? unmatched : *key;
    };

    const Date& as_of = options.as_of;
    // Buildings are read first (there are far fewer of them than parcels), so only the parcels
    // they name keep their group, and the parcel pass allocates nothing per parcel.
    // Each building kept as the figures need it, without its codes (a BuildingRow copy
    // allocates two strings; at a million parcels copying them was a tenth of `status`).
    struct BuildingFacts {
        std::uint32_t slot;
        std::int64_t households;
        double floor_area_m2;
        BuildingDates dates;
    };
    std::vector<BuildingFacts> buildings;
    buildings.reserve(
        static_cast<size_t>(std::max<std::int64_t>(0, store.count(LayerKind::buildings))));
    CodeSlots parcel_slots;
    store.for_each_building([&](const BuildingRow& b) {
        buildings.push_back(
            {parcel_slots.add(b.parcel_code), b.households, b.floor_area_m2, dates_of(b)});
    });
    parcel_slots.seal();
    std::vector<StatusFigures*> parcel_group(parcel_slots.size(), nullptr); // by slot
    std::unordered_map<std::string, double> ellipsoidal;
    if (options.area == AreaBasis::ellipsoidal)
        ellipsoidal = parcel_ellipsoidal_areas(store);
    // Only the fields the figures and the grouping need: decoding all ten columns of every
    // parcel was most of `status`.
    std::vector<std::string> fields{"acquired_on", "cleared_on", "delivered_on", "area_m2"};
    if (parcel_slots.size() > 0 || options.area == AreaBasis::ellipsoidal)
        fields.emplace_back("parcel_code");
    switch (options.by) {
    case GroupBy::project:
    case GroupBy::unit:
        fields.emplace_back("project_code");
        break;
    case GroupBy::district:
        fields.emplace_back("district");
        break;
    case GroupBy::village:
        fields.emplace_back("village");
        break;
    case GroupBy::land_class:
        fields.emplace_back("land_class");
        break;
    case GroupBy::owner_type:
        fields.emplace_back("owner_type");
        break;
    }
    // The parcels are read in parts on as many threads (Store::for_each_parcel_parts), each part
    // summing into groups of its own, merged in part order after the buildings. A group whose
    // parcels all lie in one part (all but the one or two at a part boundary: parcels come in
    // runs of one project) is summed in exactly the order of a single thread.
    struct Part {
        std::map<std::string, StatusFigures> groups;
        StatusFigures* last_group = nullptr; // parcels come in runs of one group: skip the lookup
        std::string last_key;
        ParcelRow on_ellipsoid;
    };
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<Part> parts(threads);
    store.for_each_parcel_parts(fields, threads, [&](unsigned k, const ParcelRow& stored) {
        auto& part = parts[k];
        // --area ellipsoidal: the same sums over each parcel's 32号 area.
        if (options.area == AreaBasis::ellipsoidal) {
            part.on_ellipsoid = stored;
            auto it = ellipsoidal.find(stored.code);
            part.on_ellipsoid.area_m2 = it == ellipsoidal.end() ? 0.0 : it->second;
        }
        const ParcelRow& p = options.area == AreaBasis::ellipsoidal ? part.on_ellipsoid : stored;
        const std::string& key = key_of(p);
        if (!part.last_group || key != part.last_key) {
            part.last_group = &part.groups[key];
            part.last_key = key;
        }
        auto& g = *part.last_group;
        // Each parcel code is in one part, so the threads write different slots.
        if (auto slot = parcel_slots.find(p.code))
            parcel_group[*slot] = &g;
        g.add_parcel(dates_of(p), p.area_m2, as_of, options.since);
    });
    for (const auto& b : buildings) {
        auto* parcel = parcel_group[b.slot];
        auto& g = parcel ? *parcel : groups["(无对应宗地)"];
        g.add_building(b.dates, b.households, b.floor_area_m2, as_of, options.since);
    }
    for (const auto& part : parts)
        for (const auto& [key, figures] : part.groups)
            groups[key].add(figures);

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
