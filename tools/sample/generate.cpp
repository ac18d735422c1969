// Generation of projects, parcels, buildings, corridors and statuses in the working CRS.
//
// Parcels of one project are a planar partition built on a jittered grid in a parameter space
// (u, v): along/across the centreline for corridors, a rotated frame for blocks. Every grid vertex
// is computed once, so neighbouring parcels share bit-identical vertices. Shapes vary through
// merged neighbours, diagonal/mid splits and extra vertices on edges (shared by both sides).
#include "layout.hpp"
#include "model.hpp"
#include "names.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numbers>
#include <set>
#include <stdexcept>
#include <string_view>

namespace landclear::sample {
namespace {

constexpr double kPi = std::numbers::pi;

enum class Setting { Rural, Fringe, Urban };

struct Spec {
    Kind kind = Kind::Block;
    Setting setting = Setting::Rural;
    std::size_t district = 0;
    bool near_centre = false;
    bool named = false;
    std::int64_t target = 0;
    std::string name, unit, corridor_name;
    double width = 0;     // red-line width (corridors)
    double half_band = 0; // half width of the parcel band (corridors)
    double start_chainage = 0;
    double progress =
        -1; // named projects: acquired share at the as-of day (1 = finished); else random
};

// Up to this many parcels the cells have their natural size; above it they shrink.
constexpr std::int64_t kDenseParcels = 1000000;

bool is_corridor(Kind k) {
    return k == Kind::Road || k == Kind::Flood;
}

double round_mm(double x) {
    return std::round(x * 1000.0) / 1000.0;
}
double round_to(double x, double step) {
    return std::round(x / step) * step;
}

// ---------------------------------------------------------------------------------------------
// Project plan
// ---------------------------------------------------------------------------------------------

std::size_t district_by_name(const std::vector<District>& ds, std::string_view name) {
    for (std::size_t i = 0; i < ds.size(); ++i) {
        if (ds[i].name == name) {
            return i;
        }
    }
    return 0;
}

double corridor_capacity(const Spec& s) {
    return 15000.0 * 2 * s.half_band / 650.0;
}

std::vector<Spec> plan_projects(Rng& rng, std::int64_t n, const std::vector<District>& ds) {
    std::vector<Spec> specs;
    auto named = [&](Kind kind, Setting setting, std::string_view district, bool near_centre,
                     std::int64_t target, std::string name, std::string unit, std::string corridor,
                     double width, double margin, double start, double progress) {
        Spec s;
        s.kind = kind;
        s.setting = setting;
        s.district = district_by_name(ds, district);
        s.near_centre = near_centre;
        s.named = true;
        s.target = target;
        s.name = std::move(name);
        s.unit = std::move(unit);
        s.corridor_name = std::move(corridor);
        s.width = width;
        s.half_band = width / 2 + margin;
        s.start_chainage = start;
        s.progress = progress;
        specs.push_back(std::move(s));
    };
    named(Kind::Road, Setting::Rural, "雨湖区", false, 700, "G320绕城线三期（雨湖段）",
          "雨湖区征拆办", "G320绕城线三期（雨湖段）", 60, 20, 12350, 0.84);
    named(Kind::Road, Setting::Fringe, "岳塘区", true, 300, "杨梅洲大桥南引线", "岳塘区征拆办",
          "杨梅洲大桥南引线", 40, 16, 1180, 0.76);
    named(Kind::Road, Setting::Fringe, "湘潭县", true, 220, "下摄司大桥", "湘潭县征拆指挥部",
          "下摄司大桥及接线", 45, 16, 0, 0.62);
    named(Kind::Renewal, Setting::Urban, "雨湖区", true, 400, "压缩机厂及周边地块棚户区改造",
          "雨湖区征拆办", "", 0, 0, 0, 0.8);
    named(Kind::School, Setting::Fringe, "雨湖区", true, 160, "湘大附属实验学校", "雨湖区征拆办",
          "", 0, 0, 0, 1.0);
    named(Kind::Flood, Setting::Rural, "湘乡市", false, 380, "涟水河防洪堤加固工程", "湘乡市征拆办",
          "涟水河左岸堤防", 35, 14, 0, 0.55);

    const double scale = std::min(1.0, 0.72 * static_cast<double>(n) / 2160.0);
    std::int64_t named_total = 0;
    for (Spec& s : specs) {
        s.target = std::max<std::int64_t>(8, std::llround(static_cast<double>(s.target) * scale));
        named_total += s.target;
    }
    const std::int64_t rest = n - named_total;
    if (rest < 0) {
        throw std::runtime_error("--parcels is too small for the sample's named projects");
    }
    std::int64_t n_extra =
        std::max<std::int64_t>(4, std::llround(std::pow(static_cast<double>(n), 0.78) / 100.0));
    n_extra = std::min(n_extra, rest / 20);
    if (n_extra == 0) {
        specs.back().target += rest; // tiny samples: the flood corridor takes the remainder
        return specs;
    }

    // District and kind of each further project.
    std::vector<double> area_w;
    std::vector<double> urban_w;
    for (const District& d : ds) {
        area_w.push_back(d.area);
        const bool city = d.name == "雨湖区" || d.name == "岳塘区";
        urban_w.push_back(city ? 4.0 : 1.0);
    }
    const std::vector<double> kind_w = {0.22, 0.06, 0.16, 0.45, 0.11};
    const std::vector<Kind> kinds = {Kind::Road, Kind::Flood, Kind::Renewal, Kind::Block,
                                     Kind::School};
    std::vector<double> weight;
    std::vector<double> cap;
    const std::size_t first_extra = specs.size();
    for (std::int64_t k = 0; k < n_extra; ++k) {
        Spec s;
        s.kind = k == 0 ? Kind::Block : kinds[rng.weighted(kind_w)];
        switch (s.kind) {
        case Kind::Road:
            s.setting = rng.chance(0.75) ? Setting::Rural : Setting::Fringe;
            s.width = rng.pick(std::vector<double>{30, 36, 40, 45, 50, 60});
            s.half_band = s.width / 2 + rng.uniform(14, 28);
            s.start_chainage = rng.chance(0.6) ? 0 : round_to(rng.uniform(800, 30000), 10);
            break;
        case Kind::Flood:
            s.setting = Setting::Rural;
            s.width = rng.pick(std::vector<double>{25, 30, 35, 40});
            s.half_band = s.width / 2 + rng.uniform(14, 20);
            break;
        case Kind::Renewal:
            s.setting = Setting::Urban;
            s.near_centre = true;
            break;
        case Kind::Block:
            s.setting = rng.chance(0.7) ? Setting::Rural : Setting::Fringe;
            break;
        case Kind::School:
            s.setting = rng.chance(0.5) ? Setting::Fringe : Setting::Urban;
            s.near_centre = true;
            break;
        }
        s.district = rng.weighted(s.setting == Setting::Urban ? urban_w : area_w);
        weight.push_back(rng.uniform(0.4, 1.6));
        switch (s.kind) {
        case Kind::Road:
        case Kind::Flood:
            cap.push_back(corridor_capacity(s));
            break;
        case Kind::Renewal:
            cap.push_back(2500);
            break;
        case Kind::School:
            cap.push_back(1200);
            break;
        case Kind::Block:
            cap.push_back(1e18);
            break;
        }
        specs.push_back(std::move(s));
    }
    // Share `rest` by weight, capped, the excess going to uncapped block projects.
    std::vector<double> share(weight.size(), 0);
    std::vector<char> fixed(weight.size(), 0);
    double remaining = static_cast<double>(rest);
    for (int round = 0; round < 20; ++round) {
        double wsum = 0;
        for (std::size_t k = 0; k < weight.size(); ++k) {
            if (!fixed[k]) {
                wsum += weight[k];
            }
        }
        bool capped = false;
        for (std::size_t k = 0; k < weight.size(); ++k) {
            if (!fixed[k]) {
                share[k] = remaining * weight[k] / wsum;
                if (share[k] > cap[k]) {
                    share[k] = cap[k];
                    fixed[k] = 1;
                    remaining -= cap[k];
                    capped = true;
                }
            }
        }
        if (!capped) {
            break;
        }
    }
    std::int64_t assigned = 0;
    for (std::size_t k = 0; k < share.size(); ++k) {
        Spec& s = specs[first_extra + k];
        // a corridor is at least 2 km long, with parcels of at most ~1400 m²; in small samples
        // a corridor that would need more than its share becomes a block project
        std::int64_t floor =
            is_corridor(s.kind) ? std::llround(std::ceil(2200.0 * 2 * s.half_band / 1400.0)) : 20;
        if (floor > static_cast<std::int64_t>(share[k]) * 3 / 2 + 1) {
            s.kind = Kind::Block;
            s.setting = Setting::Rural;
            s.near_centre = false;
            floor = 20;
        }
        const auto t = std::max<std::int64_t>(floor, static_cast<std::int64_t>(share[k]));
        specs[first_extra + k].target = t;
        assigned += t;
    }
    // Exact total: adjust the block projects one parcel at a time, round robin.
    std::size_t idle = 0;
    for (std::size_t k = 0; assigned != rest; k = (k + 1) % share.size()) {
        Spec& s = specs[first_extra + k];
        if (s.kind == Kind::Block && assigned < rest) {
            ++s.target;
            ++assigned;
            idle = 0;
        } else if (s.kind == Kind::Block && s.target > 20) {
            --s.target;
            --assigned;
            idle = 0;
        } else if (++idle > share.size()) {
            throw std::runtime_error("--parcels is too small for this many projects");
        }
    }
    return specs;
}

// ---------------------------------------------------------------------------------------------
// Land use
// ---------------------------------------------------------------------------------------------

struct ClassWeight {
    const char* code;
    double weight;
};
struct Character {
    std::vector<ClassWeight> classes;
    double weight;
    bool hamlet;
};

const std::vector<Character>& characters(Setting s) {
    static const std::vector<Character> rural = {
        {{{"0101", 75}, {"1203", 6}, {"1006", 5}, {"1107", 5}, {"1104", 4}, {"0702", 5}},
         38,
         false},
        {{{"0702", 65}, {"0103", 12}, {"0201", 6}, {"1006", 7}, {"0101", 10}}, 16, true},
        {{{"0103", 60}, {"0702", 8}, {"0202", 8}, {"0101", 15}, {"1006", 5}, {"0307", 4}},
         14,
         false},
        {{{"0301", 60}, {"0302", 12}, {"0305", 10}, {"0307", 10}, {"0702", 4}, {"1006", 4}},
         18,
         false},
        {{{"0201", 55}, {"0202", 15}, {"0204", 10}, {"0103", 10}, {"0702", 6}, {"1006", 4}},
         10,
         false}};
    static const std::vector<Character> fringe = {
        {{{"0101", 70}, {"1203", 5}, {"1006", 6}, {"1104", 6}, {"0702", 13}}, 26, false},
        {{{"0702", 70}, {"0103", 10}, {"1006", 8}, {"0101", 6}, {"1201", 6}}, 34, true},
        {{{"0103", 55}, {"0702", 15}, {"0201", 10}, {"1006", 10}, {"1201", 10}}, 16, false},
        {{{"0301", 55}, {"0307", 20}, {"0702", 10}, {"1006", 15}}, 10, false},
        {{{"0601", 40}, {"0604", 20}, {"1201", 25}, {"0702", 15}}, 14, false}};
    static const std::vector<Character> urban = {
        {{{"0701", 75}, {"0702", 8}, {"0501", 7}, {"0503", 4}, {"1201", 6}}, 55, true},
        {{{"0501", 40}, {"0503", 15}, {"0504", 10}, {"0505", 10}, {"0701", 25}}, 15, true},
        {{{"0601", 60}, {"0604", 25}, {"0701", 15}}, 15, false},
        {{{"0801", 20}, {"0803", 30}, {"0805", 20}, {"0809", 20}, {"0810", 10}}, 10, false},
        {{{"0702", 80}, {"0701", 20}}, 5, true}}; // 城中村
    switch (s) {
    case Setting::Rural:
        return rural;
    case Setting::Fringe:
        return fringe;
    default:
        return urban;
    }
}

double building_chance(std::string_view cls) {
    if (cls == "0702") {
        return 0.8;
    }
    if (cls == "0701") {
        return 0.85;
    }
    if (cls.starts_with("05")) {
        return 0.7;
    }
    if (cls.starts_with("06")) {
        return 0.6;
    }
    if (cls.starts_with("08")) {
        return 0.45;
    }
    if (cls == "1201") {
        return 0.1;
    }
    return 0.025; // sheds, pump houses
}

// ---------------------------------------------------------------------------------------------
// Per-project builder
// ---------------------------------------------------------------------------------------------

struct Zone {
    double field = 0;     // spatially coherent progress field
    double rank = 0;      // in (0, 1): order of acquisition within the project
    bool dispute = false; // acquisition blocked
    bool holdout = false; // clearance blocked by households that have not signed
    bool state_farm = false;
    std::size_t character = 0;
    Day acquired = 0;
    int clear_lag = 0;
    Day ready = 0; // all parcels cleared (kNever when not)
};

// Areas taken by the projects placed so far (each with a margin), prepared for fast tests.
struct Footprints {
    std::vector<GeomPtr> geoms;
    std::vector<PreparedPtr> prepared; // declared after geoms: destroyed first
    std::vector<GeosContext::Box> boxes;
};

class ProjectBuilder {
public:
    ProjectBuilder(const Spec& spec, const std::vector<District>& ds, GeosContext& geos,
                   Footprints& footprints, TownRegistry& towns, Rng rng, Day as_of,
                   double cell_scale)
        : m_spec(spec), m_ds(ds), m_geos(geos), m_footprints(footprints), m_towns(towns),
          m_rng(rng), m_as_of(as_of), m_cell_scale(cell_scale) {}

    ProjectData build() {
        m_data.district = m_spec.district;
        m_rules = rules_for(m_spec.setting);
        if (is_corridor(m_spec.kind)) {
            build_corridor();
        } else {
            build_block();
        }
        assign_villages();
        assign_land_use();
        place_buildings();
        assign_dates();
        return std::move(m_data);
    }

private:
    static PartitionRules rules_for(Setting s) {
        PartitionRules r;
        if (s == Setting::Urban) {
            r.min_area = 80;
            r.max_area = 600;
            r.merge_rate = 0.15;
            r.split_rate = 0.08;
            r.mid_rate = 0.3;
        }
        return r;
    }

    // Grid cell area (m²) before merging and splitting; times m_cell_scale, which is exactly 1
    // up to kDenseParcels parcels (so those samples do not change).
    double cell_area_for(Setting s) {
        switch (s) {
        case Setting::Rural:
            return m_rng.uniform(850, 1250) * m_cell_scale;
        case Setting::Fringe:
            return m_rng.uniform(750, 1150) * m_cell_scale;
        default:
            return m_rng.uniform(200, 265) * m_cell_scale;
        }
    }

    // Tries origins and rotations until `test` accepts one. `test(district)` uses m_origin and
    // m_angle and returns the project's footprint, or null when it leaves the district or comes
    // too close to another project.
    template <class Test> void place(Test test, double rough_radius) {
        const District* d = &m_ds[m_data.district];
        for (int attempt = 0;; ++attempt) {
            if (attempt > 0 && attempt % 400 == 0) {
                if (m_spec.named || attempt > 4000) {
                    throw std::runtime_error(
                        fmt::format("cannot place project {} ({} parcels) in {}", m_spec.name,
                                    m_spec.target, d->name));
                }
                std::vector<double> w;
                for (const District& x : m_ds) {
                    w.push_back(x.area);
                }
                m_data.district = m_rng.weighted(w);
                d = &m_ds[m_data.district];
            }
            if (m_spec.near_centre) {
                const double r = 1500 + 40.0 * (attempt % 400) + rough_radius * 0.5;
                m_origin = {d->centre.x + m_rng.uniform(-r, r), d->centre.y + m_rng.uniform(-r, r)};
            } else {
                m_origin = {m_rng.uniform(d->box.xmin, d->box.xmax),
                            m_rng.uniform(d->box.ymin, d->box.ymax)};
            }
            m_angle = m_rng.uniform(0, 2 * kPi);
            m_cos = std::cos(m_angle);
            m_sin = std::sin(m_angle);
            GeomPtr pt = m_geos.point(m_origin);
            if (GEOSPreparedContains_r(m_geos.get(), d->prepared.get(), pt.get()) != 1) {
                continue;
            }
            GeomPtr fp = test(*d);
            if (!fp) {
                continue;
            }
            m_footprints.boxes.push_back(m_geos.bounds(fp.get()));
            m_footprints.prepared.push_back(m_geos.prepare(fp.get()));
            m_footprints.geoms.push_back(std::move(fp));
            return;
        }
    }

    // Other projects whose footprint box meets `box`.
    template <class Fn> bool any_footprint_near(const GeosContext::Box& box, Fn near) const {
        for (std::size_t k = 0; k < m_footprints.geoms.size(); ++k) {
            if (box.intersects(m_footprints.boxes[k]) && near(m_footprints.prepared[k].get())) {
                return true;
            }
        }
        return false;
    }

    // Local frame -> world: rotation by m_angle, then translation to m_origin.
    Vec2 rotate(Vec2 p) const {
        return {m_origin.x + m_cos * p.x - m_sin * p.y, m_origin.y + m_sin * p.x + m_cos * p.y};
    }

    void build_corridor() {
        const double band = 2 * m_spec.half_band;
        const double dv_target =
            m_spec.setting == Setting::Rural ? m_rng.uniform(24, 38) : m_rng.uniform(20, 30);
        m_grid.nv = std::max(2, static_cast<int>(std::lround(band / dv_target)));
        m_grid.dv = band / m_grid.nv;
        double a_cell = cell_area_for(m_spec.setting);
        double du = a_cell / m_grid.dv;
        const double t = static_cast<double>(m_spec.target);
        double extension = 1.5 * du;
        double length = t * a_cell / band - 2 * extension;
        if (length > 15000) {
            length = 15000;
        } else if (length < 2000) {
            // at least 2 km unless the parcels would get too large (very small samples)
            length = std::min(2000.0, t * 1200 / band - 2 * extension);
            length = std::max(length, 300.0);
        }
        const bool river = m_spec.kind == Kind::Flood;
        for (int shrink = 0;; ++shrink) {
            m_grid.nu = std::max(1, static_cast<int>(std::lround(t / m_grid.nv))); // cells ~ target
            du = (length + 2 * extension) / m_grid.nu;
            extension = 1.5 * du;
            du = (length + 2 * extension) / m_grid.nu;
            m_curve = make_curve(m_rng, length + 2 * extension, river);
            const std::vector<Vec2> local = sample_curve(m_curve, 0, length + 2 * extension, 25);
            std::vector<Vec2> local_probes; // centre and both edges of the footprint, every 25 m
            for (int side = 0; side < 3; ++side) {
                const double clearance = m_spec.half_band + 25;
                const double v = side == 0 ? 0 : (side == 1 ? clearance : -clearance);
                for (double s = 0; s <= length + 2 * extension; s += 25) {
                    local_probes.push_back(m_curve.at(s, v));
                }
            }
            try {
                place(
                    [&](const District& d) -> GeomPtr {
                        // Prefilter with probe points (centre and both band edges every 25 m):
                        // all inside the district, none inside another project. Then one exact
                        // test with the buffered centreline.
                        const double clearance = m_spec.half_band + 25;
                        std::vector<Vec2> probes;
                        probes.reserve(local_probes.size());
                        for (const Vec2& p : local_probes) {
                            probes.push_back(rotate(p));
                        }
                        GeosContext::Box box{1e300, 1e300, -1e300, -1e300};
                        for (const Vec2& p : probes) {
                            box = {std::min(box.xmin, p.x), std::min(box.ymin, p.y),
                                   std::max(box.xmax, p.x), std::max(box.ymax, p.y)};
                        }
                        if (!d.box.intersects(box)) {
                            return nullptr;
                        }
                        // Visiting the probes with a stride spreads the first ones over the
                        // whole corridor, so that most candidates fail after a few tests.
                        const std::size_t n = probes.size();
                        const std::size_t stride = 17;
                        auto in_district = [&](std::size_t first, std::size_t last) {
                            std::size_t idx = (first * stride) % n;
                            for (std::size_t k = first; k < last; ++k, idx = (idx + stride) % n) {
                                GeomPtr pt = m_geos.point(probes[idx]);
                                if (GEOSPreparedContains_r(m_geos.get(), d.prepared.get(),
                                                           pt.get()) != 1) {
                                    return false;
                                }
                            }
                            return true;
                        };
                        const std::size_t coarse = std::min<std::size_t>(n, 24);
                        if (!in_district(0, coarse)) {
                            return nullptr;
                        }
                        for (std::size_t f = 0; f < m_footprints.geoms.size(); ++f) {
                            const GeosContext::Box& fb = m_footprints.boxes[f];
                            if (!fb.intersects(box)) {
                                continue;
                            }
                            for (const Vec2& p : probes) {
                                if (p.x < fb.xmin || p.x > fb.xmax || p.y < fb.ymin ||
                                    p.y > fb.ymax) {
                                    continue;
                                }
                                GeomPtr pt = m_geos.point(p);
                                if (GEOSPreparedIntersects_r(m_geos.get(),
                                                             m_footprints.prepared[f].get(),
                                                             pt.get()) == 1) {
                                    return nullptr;
                                }
                            }
                        }
                        if (!in_district(coarse, n)) {
                            return nullptr;
                        }
                        std::vector<Vec2> world;
                        world.reserve(local.size());
                        for (const Vec2& p : local) {
                            world.push_back(rotate(p));
                        }
                        GeomPtr line = m_geos.line(world);
                        GeomPtr fp = m_geos.own(
                            GEOSBufferWithStyle_r(m_geos.get(), line.get(), clearance, 4,
                                                  GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_ROUND, 5),
                            "buffer");
                        if (GEOSPreparedContains_r(m_geos.get(), d.prepared.get(), fp.get()) != 1 ||
                            any_footprint_near(m_geos.bounds(fp.get()),
                                               [&](const GEOSPreparedGeometry* other) {
                                                   return GEOSPreparedIntersects_r(
                                                              m_geos.get(), other, fp.get()) != 0;
                                               })) {
                            return nullptr;
                        }
                        return fp;
                    },
                    length / 2);
                break;
            } catch (const std::runtime_error&) {
                if (shrink >= 4) {
                    throw;
                }
                length *= 0.8; // a shorter corridor fits more easily; parcels get larger
            }
        }
        m_grid.du = du;
        m_grid.u0 = 0;
        m_grid.v0 = -m_spec.half_band;
        m_length = length;

        // Parcels: every cell of the band.
        std::optional<std::vector<Piece>> pieces;
        for (int attempt = 0; !pieces; ++attempt) {
            m_uv = jittered_vertices(m_rng, m_grid, m_rules.jitter);
            std::vector<char> keep(static_cast<std::size_t>(m_grid.nu * m_grid.nv), 1);
            pieces = partition(m_rng, m_grid, m_uv, keep, m_spec.target, m_rules);
            if (attempt > 20) {
                throw std::runtime_error("corridor partition failed for " + m_spec.name);
            }
        }
        m_pieces = std::move(*pieces);
        emit_parcels([&](Vec2 uv) { return rotate(m_curve.at(uv.x, uv.y)); });

        // Centreline from chainage 0 to L, red line = centreline ± width/2.
        Corridor corridor;
        corridor.name = m_spec.corridor_name;
        corridor.width = m_spec.width;
        corridor.start_chainage = m_spec.start_chainage;
        for (const Vec2& p : sample_curve(m_curve, extension, extension + length, 20)) {
            const Vec2 w = rotate(p);
            corridor.line.push_back({round_mm(w.x), round_mm(w.y)});
        }
        GeomPtr line = m_geos.line(corridor.line);
        GeomPtr red = m_geos.own(GEOSBufferWithStyle_r(m_geos.get(), line.get(), m_spec.width / 2,
                                                       8, GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_ROUND, 5),
                                 "buffer");
        m_data.red_line_wkb = m_geos.to_wkb(red.get());
        m_data.corridor = std::move(corridor);

        // Zones: stretches of 150-450 m along the chainage, over the full band width.
        m_zone_of_i.assign(static_cast<std::size_t>(m_grid.nu), 0);
        int zone = 0;
        for (int i = 0; i < m_grid.nu;) {
            const int n = std::max(2, static_cast<int>(std::lround(m_rng.uniform(150, 450) / du)));
            for (int k = 0; k < n && i < m_grid.nu; ++k, ++i) {
                m_zone_of_i[static_cast<std::size_t>(i)] = zone;
            }
            ++zone;
        }
        m_zones.assign(static_cast<std::size_t>(zone), Zone{});
    }

    void build_block() {
        const double a_cell = cell_area_for(m_spec.setting);
        const double cell_aspect = m_rng.uniform(1.0, 1.6);
        m_grid.dv = std::sqrt(a_cell / cell_aspect);
        m_grid.du = a_cell / m_grid.dv;
        const double t = static_cast<double>(m_spec.target);
        const double aspect = m_rng.uniform(0.6, 1.7);
        double area = t * a_cell * 0.85;
        // Red line corners in (u, v) relative to [0,1]^2, convex by construction (hull).
        std::vector<Vec2> unit;
        const Vec2 corners[4] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
        for (int k = 0; k < 4; ++k) {
            const Vec2 c = corners[k];
            if (m_rng.chance(0.35)) {
                const Vec2 prev = corners[(k + 3) % 4];
                const Vec2 next = corners[(k + 1) % 4];
                const double f1 = m_rng.uniform(0.08, 0.3);
                const double f2 = m_rng.uniform(0.08, 0.3);
                unit.push_back({c.x + (prev.x - c.x) * f1, c.y + (prev.y - c.y) * f1});
                unit.push_back({c.x + (next.x - c.x) * f2, c.y + (next.y - c.y) * f2});
            } else {
                unit.push_back(
                    {c.x + m_rng.uniform(-0.05, 0.05), c.y + m_rng.uniform(-0.05, 0.05)});
            }
        }
        std::optional<std::vector<Piece>> pieces;
        std::vector<Vec2> red_uv;
        for (int attempt = 0; !pieces; ++attempt) {
            if (attempt > 30) {
                throw std::runtime_error("block partition failed for " + m_spec.name);
            }
            const double w = std::sqrt(area * aspect);
            const double h = area / w;
            std::vector<Vec2> ring;
            for (const Vec2& p : unit) {
                ring.push_back({p.x * w, p.y * h});
            }
            GeomPtr hull = m_geos.own(GEOSConvexHull_r(m_geos.get(), m_geos.polygon(ring).get()),
                                      "convex hull");
            PreparedPtr prepared = m_geos.prepare(hull.get());
            m_grid.u0 = -0.1 * w - m_grid.du;
            m_grid.v0 = -0.1 * h - m_grid.dv;
            m_grid.nu = static_cast<int>(std::ceil((1.2 * w + 2 * m_grid.du) / m_grid.du));
            m_grid.nv = static_cast<int>(std::ceil((1.2 * h + 2 * m_grid.dv) / m_grid.dv));
            m_uv = jittered_vertices(m_rng, m_grid, m_rules.jitter);
            // Half-planes of the (convex) red line: cells wholly inside are kept and cells wholly
            // outside one edge are dropped without GEOS; GEOS decides the cells on the boundary.
            const std::vector<Vec2> hull_ring = exterior_ring(hull.get());
            const double hull_orient = ring_area(hull_ring.data(), hull_ring.size()) > 0 ? 1 : -1;
            std::vector<char> keep(static_cast<std::size_t>(m_grid.nu * m_grid.nv), 0);
            std::int64_t kept = 0;
            for (int i = 0; i < m_grid.nu; ++i) {
                for (int j = 0; j < m_grid.nv; ++j) {
                    const Vec2 q[4] = {m_uv[m_grid.vid(i, j)], m_uv[m_grid.vid(i + 1, j)],
                                       m_uv[m_grid.vid(i + 1, j + 1)], m_uv[m_grid.vid(i, j + 1)]};
                    bool inside = true;
                    bool outside = false;
                    for (std::size_t e = 0; e < hull_ring.size() && !outside; ++e) {
                        const Vec2& a = hull_ring[e];
                        const Vec2& b = hull_ring[(e + 1) % hull_ring.size()];
                        int in = 0;
                        for (const Vec2& c : q) {
                            const double side = hull_orient * ((b.x - a.x) * (c.y - a.y) -
                                                               (b.y - a.y) * (c.x - a.x));
                            in += side > 0 ? 1 : 0;
                        }
                        inside = inside && in == 4;
                        outside = in == 0;
                    }
                    bool hit = inside;
                    if (!inside && !outside) {
                        GeomPtr cell = m_geos.polygon(q);
                        hit =
                            GEOSPreparedIntersects_r(m_geos.get(), prepared.get(), cell.get()) == 1;
                    }
                    if (hit) {
                        keep[static_cast<std::size_t>(m_grid.cell(i, j))] = 1;
                        ++kept;
                    }
                }
            }
            // A few more cells than parcels (merged within the size limits) rather than fewer
            // (which would need splits below the minimum size); widened slowly if need be.
            const double k = static_cast<double>(kept);
            if (k >= t * (0.97 - 0.005 * attempt) - 1 && k <= t * (1.06 + 0.01 * attempt) + 2) {
                pieces = partition(m_rng, m_grid, m_uv, keep, m_spec.target, m_rules);
            }
            if (!pieces) {
                area *= std::clamp(1.02 * t / std::max(1.0, k), 0.5, 2.0);
                continue;
            }
            // Placement of the rotated frame; the footprint is the kept cells' extent.
            double umin = 1e300, umax = -1e300, vmin = 1e300, vmax = -1e300;
            for (const Piece& p : *pieces) {
                for (std::uint32_t id : p.ring) {
                    umin = std::min(umin, m_uv[id].x);
                    umax = std::max(umax, m_uv[id].x);
                    vmin = std::min(vmin, m_uv[id].y);
                    vmax = std::max(vmax, m_uv[id].y);
                }
            }
            m_centre_uv = {(umin + umax) / 2, (vmin + vmax) / 2};
            const double margin = 25;
            const Vec2 box[4] = {{umin - margin, vmin - margin},
                                 {umax + margin, vmin - margin},
                                 {umax + margin, vmax + margin},
                                 {umin - margin, vmax + margin}};
            place(
                [&](const District& d) -> GeomPtr {
                    std::vector<Vec2> world;
                    for (const Vec2& p : box) {
                        world.push_back(block_to_world(p));
                    }
                    GeomPtr fp = m_geos.polygon(world);
                    if (GEOSPreparedContains_r(m_geos.get(), d.prepared.get(), fp.get()) != 1) {
                        return nullptr;
                    }
                    if (any_footprint_near(
                            m_geos.bounds(fp.get()), [&](const GEOSPreparedGeometry* other) {
                                return GEOSPreparedIntersects_r(m_geos.get(), other, fp.get()) != 0;
                            })) {
                        return nullptr;
                    }
                    return fp;
                },
                std::max(umax - umin, vmax - vmin));
            red_uv = hull_ring;
        }
        m_pieces = std::move(*pieces);
        emit_parcels([&](Vec2 uv) { return block_to_world(uv); });
        std::vector<Vec2> red_world;
        for (const Vec2& p : red_uv) {
            const Vec2 w = block_to_world(p);
            red_world.push_back({round_mm(w.x), round_mm(w.y)});
        }
        GeomPtr red = m_geos.polygon(red_world);
        if (ring_area(red_world.data(), red_world.size()) < 0) {
            red = m_geos.own(GEOSReverse_r(m_geos.get(), red.get()), "reverse");
        }
        m_data.red_line_wkb = m_geos.to_wkb(red.get());

        // Zones: square tiles of cells.
        m_tile = static_cast<int>(m_rng.integer(3, m_spec.setting == Setting::Urban ? 7 : 5));
        m_tiles_v = (m_grid.nv + m_tile - 1) / m_tile;
        const int tiles_u = (m_grid.nu + m_tile - 1) / m_tile;
        m_zones.assign(static_cast<std::size_t>(tiles_u * m_tiles_v), Zone{});
    }

    // Open exterior ring of a polygon.
    std::vector<Vec2> exterior_ring(const GEOSGeometry* polygon) const {
        const GEOSGeometry* shell = GEOSGetExteriorRing_r(m_geos.get(), polygon);
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(m_geos.get(), shell);
        unsigned n = 0;
        GEOSCoordSeq_getSize_r(m_geos.get(), seq, &n);
        std::vector<Vec2> ring;
        for (unsigned k = 0; k + 1 < n; ++k) {
            Vec2 p;
            GEOSCoordSeq_getXY_r(m_geos.get(), seq, k, &p.x, &p.y);
            ring.push_back(p);
        }
        return ring;
    }

    Vec2 block_to_world(Vec2 uv) const {
        return rotate({uv.x - m_centre_uv.x, uv.y - m_centre_uv.y});
    }

    template <class Map> void emit_parcels(Map map) {
        std::vector<Vec2> world(m_uv.size());
        std::vector<char> done(m_uv.size(), 0);
        m_data.parcels.reserve(m_pieces.size());
        for (const Piece& piece : m_pieces) {
            Parcel p;
            p.first = static_cast<std::uint32_t>(m_data.coords.size());
            p.count = static_cast<std::uint32_t>(piece.ring.size());
            for (std::uint32_t id : piece.ring) {
                if (!done[id]) {
                    const Vec2 w = map(m_uv[id]);
                    world[id] = {round_mm(w.x), round_mm(w.y)};
                    done[id] = 1;
                }
                m_data.coords.push_back(world[id]);
            }
            p.area = ring_area(&m_data.coords[p.first], p.count);
            m_data.parcels.push_back(std::move(p));
        }
    }

    std::size_t zone_of(const Piece& p) const {
        if (is_corridor(m_spec.kind)) {
            return static_cast<std::size_t>(m_zone_of_i[static_cast<std::size_t>(p.i)]);
        }
        return static_cast<std::size_t>((p.i / m_tile) * m_tiles_v + p.j / m_tile);
    }

    // Zone centre in parameter space (chainage for corridors).
    Vec2 zone_centre(std::size_t z) const {
        if (is_corridor(m_spec.kind)) {
            int first = -1;
            int last = -1;
            for (int i = 0; i < m_grid.nu; ++i) {
                if (m_zone_of_i[static_cast<std::size_t>(i)] == static_cast<int>(z)) {
                    first = first < 0 ? i : first;
                    last = i;
                }
            }
            return {(first + last + 1) * 0.5 * m_grid.du, 0};
        }
        const int zi = static_cast<int>(z) / m_tiles_v;
        const int zj = static_cast<int>(z) % m_tiles_v;
        return {m_grid.u0 + (zi + 0.5) * m_tile * m_grid.du,
                m_grid.v0 + (zj + 0.5) * m_tile * m_grid.dv};
    }

    void assign_villages() {
        // The project runs through consecutive villages of one town (then the next town).
        const std::vector<Town>& towns = m_towns.by_district[m_data.district];
        const bool urban = m_spec.setting == Setting::Urban;
        std::vector<std::uint32_t> pool;
        std::vector<std::size_t> candidates;
        for (std::size_t k = 0; k < towns.size(); ++k) {
            const bool street = towns[k].code < 100;
            if (urban ? (street || towns[k].communities.size() > 5) : !street) {
                candidates.push_back(k);
            }
        }
        if (candidates.empty()) {
            for (std::size_t k = 0; k < towns.size(); ++k) {
                candidates.push_back(k);
            }
        }
        std::size_t t = candidates[static_cast<std::size_t>(
            m_rng.integer(0, static_cast<std::int64_t>(candidates.size()) - 1))];
        for (std::size_t guard = 0; pool.size() < 8 && guard < towns.size(); ++guard) {
            const Town& town = towns[(t + guard) % towns.size()];
            std::vector<std::uint32_t> list = urban ? town.communities : town.villages;
            if (m_spec.setting == Setting::Fringe) {
                list.insert(list.begin(), town.communities.begin(),
                            town.communities.begin() +
                                static_cast<std::ptrdiff_t>(
                                    std::min<std::size_t>(1, town.communities.size())));
            }
            if (list.empty()) {
                continue;
            }
            const auto start = static_cast<std::size_t>(
                m_rng.integer(0, static_cast<std::int64_t>(list.size()) - 1));
            for (std::size_t k = 0; k < list.size() && pool.size() < 8; ++k) {
                pool.push_back(list[(start + k) % list.size()]);
            }
        }
        if (pool.empty()) {
            throw std::runtime_error("no villages for district " + m_ds[m_data.district].name);
        }
        // Village boundaries along u (chainage for corridors).
        std::vector<int> cut; // first cell index of each village after the first
        if (is_corridor(m_spec.kind)) {
            double s = m_rng.uniform(1200, 4000);
            while (s < m_grid.nu * m_grid.du && cut.size() + 1 < pool.size()) {
                cut.push_back(static_cast<int>(s / m_grid.du));
                s += m_rng.uniform(1200, 4000);
            }
        } else {
            const auto n =
                std::min<std::int64_t>(static_cast<std::int64_t>(pool.size()),
                                       std::clamp<std::int64_t>(m_spec.target / 700 + 1, 1, 4));
            for (std::int64_t k = 1; k < n; ++k) {
                cut.push_back(static_cast<int>(m_rng.integer(1, std::max(1, m_grid.nu - 1))));
            }
            std::sort(cut.begin(), cut.end());
        }
        for (std::size_t k = 0; k < m_pieces.size(); ++k) {
            const auto idx = static_cast<std::size_t>(
                std::upper_bound(cut.begin(), cut.end(), m_pieces[k].i) - cut.begin());
            m_data.parcels[k].village = pool[idx];
        }
    }

    void assign_land_use() {
        const std::vector<Character>& chars = characters(m_spec.setting);
        std::vector<double> w;
        for (const Character& c : chars) {
            w.push_back(c.weight);
        }
        for (Zone& z : m_zones) {
            z.character = m_rng.weighted(w);
            z.state_farm = m_spec.setting != Setting::Urban && m_rng.chance(0.03);
        }
        // Blocked stretches / tiles.
        const std::size_t nz = m_zones.size();
        std::int64_t blocks = 0;
        if (is_corridor(m_spec.kind)) {
            blocks = m_rng.chance(0.8)
                         ? std::max<std::int64_t>(
                               1, std::llround(m_length / 5000 * m_rng.uniform(0.6, 1.4)))
                         : 0;
        } else {
            blocks = m_rng.chance(0.6) ? m_rng.integer(1, 2) : 0;
        }
        for (std::int64_t b = 0; b < blocks && nz > 2; ++b) {
            const auto z0 =
                static_cast<std::size_t>(m_rng.integer(0, static_cast<std::int64_t>(nz) - 1));
            const std::size_t len =
                is_corridor(m_spec.kind) ? static_cast<std::size_t>(m_rng.integer(1, 2)) : 1;
            const bool dispute = m_rng.chance(0.4);
            for (std::size_t z = z0; z < std::min(nz, z0 + len); ++z) {
                (dispute ? m_zones[z].dispute : m_zones[z].holdout) = true;
                if (!dispute && m_spec.setting != Setting::Urban && m_rng.chance(0.7)) {
                    // holdouts are households: make the stretch a hamlet
                    for (std::size_t c = 0; c < chars.size(); ++c) {
                        if (chars[c].hamlet) {
                            m_zones[z].character = c;
                            break;
                        }
                    }
                }
            }
        }
        const bool widening = m_spec.kind == Kind::Road && m_rng.chance(0.3);
        const bool urban = m_spec.setting == Setting::Urban;
        for (std::size_t k = 0; k < m_pieces.size(); ++k) {
            Parcel& p = m_data.parcels[k];
            const Piece& piece = m_pieces[k];
            p.zone = static_cast<std::uint32_t>(zone_of(piece));
            const Zone& z = m_zones[p.zone];
            const Character& ch = chars[z.character];
            std::vector<double> cw;
            for (const ClassWeight& c : ch.classes) {
                cw.push_back(c.weight);
            }
            p.land_class = ch.classes[m_rng.weighted(cw)].code;
            if (widening) {
                const double v = m_grid.v0 + (piece.j + 0.5) * m_grid.dv;
                if (std::abs(v) < 12) {
                    p.land_class = "1003"; // the existing road being widened
                }
            }
            const std::string_view cls = p.land_class;
            if (urban) {
                p.state_owned = cls != "0702";
            } else {
                p.state_owned = cls == "1003" || z.state_farm;
            }
        }
    }

    // Buildings: rectangles inside their parcel, inset from its boundary.
    void place_buildings() {
        const bool urban = m_spec.setting == Setting::Urban;
        for (std::size_t k = 0; k < m_data.parcels.size(); ++k) {
            const Parcel& p = m_data.parcels[k];
            if (!m_rng.chance(building_chance(p.land_class))) {
                continue;
            }
            const Vec2* ring = &m_data.coords[p.first];
            const std::size_t n = p.count;
            // Frame: centroid and direction of the longest edge.
            double cx = 0;
            double cy = 0;
            double a2 = 0;
            double best = -1;
            double angle = 0;
            for (std::size_t e = 0; e < n; ++e) {
                const Vec2& q = ring[e];
                const Vec2& r = ring[(e + 1) % n];
                const double cr = q.x * r.y - r.x * q.y;
                a2 += cr;
                cx += (q.x + r.x) * cr;
                cy += (q.y + r.y) * cr;
                const double len = std::hypot(r.x - q.x, r.y - q.y);
                if (len > best) {
                    best = len;
                    angle = std::atan2(r.y - q.y, r.x - q.x);
                }
            }
            const Vec2 origin{cx / (3 * a2), cy / (3 * a2)};
            const double c = std::cos(angle);
            const double s = std::sin(angle);
            std::vector<Vec2> local(n);
            for (std::size_t e = 0; e < n; ++e) {
                const double dx = ring[e].x - origin.x;
                const double dy = ring[e].y - origin.y;
                local[e] = {c * dx + s * dy, -s * dx + c * dy};
            }
            auto fits = [&](double bx, double by, double hw, double hh, double margin) {
                const Vec2 corners[4] = {
                    {bx - hw, by - hh}, {bx + hw, by - hh}, {bx + hw, by + hh}, {bx - hw, by + hh}};
                for (std::size_t e = 0; e < n; ++e) {
                    const Vec2& q = local[e];
                    const Vec2& r = local[(e + 1) % n];
                    const double ex = r.x - q.x;
                    const double ey = r.y - q.y;
                    const double len = std::hypot(ex, ey);
                    for (const Vec2& x : corners) {
                        if (ex * (x.y - q.y) - ey * (x.x - q.x) < margin * len) {
                            return false;
                        }
                    }
                }
                return true;
            };
            const double margin = urban ? 0.8 : 2.0;
            double w = 0;
            double h = 0;
            if (urban) {
                const double f = p.area * m_rng.uniform(0.3, 0.55);
                const double asp = m_rng.uniform(1.1, 1.9);
                w = std::sqrt(f * asp);
                h = f / w;
            } else {
                w = m_rng.uniform(9, 16);
                h = m_rng.uniform(7, 12);
            }
            const double slack = 0.25 * std::sqrt(p.area);
            bool placed = false;
            double bx = 0;
            double by = 0;
            for (int attempt = 0; attempt < 8 && w * h >= 25; ++attempt) {
                const double f = 1.0 - attempt / 8.0;
                bx = m_rng.uniform(-slack, slack) * f;
                by = m_rng.uniform(-slack, slack) * f * 0.6;
                if (fits(bx, by, w / 2, h / 2, margin)) {
                    placed = true;
                    break;
                }
                w *= 0.85;
                h *= 0.85;
            }
            if (!placed) {
                continue;
            }
            auto emit = [&](double x0, double y0, double hw, double hh, int number) {
                Building b;
                const Vec2 lc[4] = {
                    {x0 - hw, y0 - hh}, {x0 + hw, y0 - hh}, {x0 + hw, y0 + hh}, {x0 - hw, y0 + hh}};
                for (int q = 0; q < 4; ++q) {
                    b.ring[static_cast<std::size_t>(q)] = {
                        round_mm(origin.x + c * lc[q].x - s * lc[q].y),
                        round_mm(origin.y + s * lc[q].x + c * lc[q].y)};
                }
                b.parcel = static_cast<std::uint32_t>(k);
                b.number = number;
                const double footprint = 4 * hw * hh;
                const std::string_view cls = m_data.parcels[k].land_class;
                int floors = 0;
                if (urban && cls == "0701") {
                    floors = static_cast<int>(m_rng.integer(2, 7));
                    const double hw_[] = {20, 25, 25, 15, 15};
                    b.households = 2 + static_cast<int>(m_rng.weighted(hw_));
                } else if (cls == "0702" || cls == "0701") {
                    floors =
                        static_cast<int>(m_rng.weighted(std::vector<double>{10, 45, 40, 5})) + 1;
                    b.households =
                        number > 1
                            ? 1
                            : 1 + static_cast<int>(m_rng.weighted(std::vector<double>{60, 30, 10}));
                } else {
                    floors = static_cast<int>(m_rng.integer(1, 3));
                    b.households =
                        1 + static_cast<int>(m_rng.weighted(std::vector<double>{75, 25}));
                }
                floors = std::max(floors, static_cast<int>(std::ceil(80.0 / footprint)));
                while (floors > 1 && footprint * floors > 900) {
                    --floors;
                }
                b.floor_area = std::clamp(std::round(footprint * floors * 100) / 100, 80.0, 900.0);
                m_data.buildings.push_back(b);
            };
            emit(bx, by, w / 2, h / 2, 1);
            // An annex or a second building.
            const bool second = urban
                                    ? (p.area > 300 && m_rng.chance(0.25))
                                    : std::string_view(p.land_class) == "0702" && m_rng.chance(0.2);
            if (second) {
                const double w2 = urban ? w * m_rng.uniform(0.4, 0.7) : m_rng.uniform(4, 8);
                const double h2 = urban ? h * m_rng.uniform(0.5, 0.9) : m_rng.uniform(3, 6);
                const double gap = m_rng.uniform(1.5, 4);
                const Vec2 options[4] = {{bx + w / 2 + gap + w2 / 2, by},
                                         {bx - w / 2 - gap - w2 / 2, by},
                                         {bx, by + h / 2 + gap + h2 / 2},
                                         {bx, by - h / 2 - gap - h2 / 2}};
                const auto first = static_cast<std::size_t>(m_rng.integer(0, 3));
                for (std::size_t o = 0; o < 4; ++o) {
                    const Vec2 at = options[(first + o) % 4];
                    if (fits(at.x, at.y, w2 / 2, h2 / 2, margin)) {
                        emit(at.x, at.y, w2 / 2, h2 / 2, 2);
                        break;
                    }
                }
            }
        }
    }

    void assign_dates() {
        const Day a = m_as_of;
        const Day e0 = make_day(2024, 1, 10);
        const Day window = a - e0;
        Rng& r = m_rng;
        // Project schedule.
        // The named projects are the city's priority projects (weekly bulletin, biweekly
        // dispatch): long-running campaigns, faster clearance and regular handovers.
        const bool priority = m_spec.named;
        auto span = static_cast<Day>(priority ? r.integer(300, 650) : r.integer(150, 700));
        span = std::min<Day>(span, static_cast<Day>(window * 0.9));
        Day start = 0;
        const bool finished = m_spec.progress >= 1 || (m_spec.progress < 0 && r.chance(0.3));
        const double share = m_spec.progress > 0 ? m_spec.progress : r.uniform(0.3, 0.97);
        if (finished) { // acquisition finished some time ago
            const Day end = a - static_cast<Day>(r.integer(10, 300));
            start = end - span;
            if (start < e0) {
                start = e0;
                span = std::max<Day>(30, end - start);
            }
        } else {
            start = a - static_cast<Day>(std::lround(share * span));
        }
        const auto clear_lag = static_cast<Day>(priority ? r.integer(15, 60) : r.integer(10, 120));
        const Day deliver_start =
            start + static_cast<Day>(priority ? r.integer(30, 90) : r.integer(60, 330));
        const auto every = static_cast<Day>(priority ? r.integer(14, 30) : r.integer(14, 60));
        m_data.start = start;
        const Day planned = start + span + clear_lag + static_cast<Day>(r.integer(30, 240));
        const Day lo = a - 320;
        const Day hi = a + 405;
        m_data.deadline = planned < lo   ? lo + static_cast<Day>(r.integer(0, 150))
                          : planned > hi ? hi - static_cast<Day>(r.integer(0, 150))
                                         : planned;

        // Spatially coherent acquisition order of the zones.
        const std::size_t nz = m_zones.size();
        double extent = 1;
        double dirx = 1;
        double diry = 0;
        double lambda[3] = {0, 0, 0};
        double phase[3] = {0, 0, 0};
        double amp[3] = {0, 0, 0};
        if (is_corridor(m_spec.kind)) {
            extent = m_grid.nu * m_grid.du;
            dirx = r.uniform(-1, 1); // trend from one end
        } else {
            extent = std::max(m_grid.nu * m_grid.du, m_grid.nv * m_grid.dv);
            const double t = r.uniform(0, 2 * kPi);
            dirx = std::cos(t);
            diry = std::sin(t);
        }
        for (int k = 0; k < 3; ++k) {
            lambda[k] = r.uniform(0.25, 1.0) * extent;
            phase[k] = r.uniform(0, 2 * kPi);
            amp[k] = r.uniform(0.2, 0.6);
        }
        for (std::size_t z = 0; z < nz; ++z) {
            const Vec2 c = zone_centre(z);
            // corridors: chainage with a trend of slope dirx; blocks: position along (dirx, diry)
            const bool corridor = is_corridor(m_spec.kind);
            const double along = corridor ? c.x : c.x * dirx + c.y * diry;
            double f = along / extent * (corridor ? dirx : 1);
            for (int k = 0; k < 3; ++k) {
                f += amp[k] * std::sin(2 * kPi * along / lambda[k] + phase[k]);
            }
            m_zones[z].field = f + r.uniform(-0.25, 0.25);
        }
        std::vector<std::size_t> order(nz);
        for (std::size_t z = 0; z < nz; ++z) {
            order[z] = z;
        }
        std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
            return m_zones[x].field < m_zones[y].field;
        });
        for (std::size_t k = 0; k < nz; ++k) {
            Zone& z = m_zones[order[k]];
            z.rank = (static_cast<double>(k) + 0.5) / static_cast<double>(nz);
            z.acquired = start + static_cast<Day>(std::lround(z.rank * span + r.bell(0, 4)));
            if (z.dispute) {
                z.acquired += static_cast<Day>(r.integer(120, 520));
            }
            z.acquired = std::max(z.acquired, start);
            z.clear_lag = static_cast<int>(std::lround(clear_lag * r.uniform(0.5, 1.6)));
            z.ready = 0;
        }

        // Parcels, then their buildings (signing and demolition), then clearance.
        const bool urban = m_spec.setting == Setting::Urban;
        const Day first_day = earliest_day() + 1;
        for (Parcel& p : m_data.parcels) {
            p.acquired = m_zones[p.zone].acquired + static_cast<Day>(r.integer(0, 6));
        }
        std::vector<Day> last_demolished(m_data.parcels.size(), 0);
        for (Building& b : m_data.buildings) {
            const Parcel& p = m_data.parcels[b.parcel];
            const Zone& z = m_zones[p.zone];
            const double holdout = z.holdout ? (urban ? 0.35 : 0.45) : (urban ? 0.04 : 0.015);
            if (r.chance(holdout)) {
                b.signed_on = kNever;
                b.demolished_on = kNever;
            } else {
                b.signed_on =
                    std::max(first_day, p.acquired + static_cast<Day>(r.integer(-60, 40)));
                b.demolished_on = std::max(b.signed_on, p.acquired) +
                                  static_cast<Day>(urban ? r.integer(10, 90) : r.integer(5, 60));
            }
            last_demolished[b.parcel] = std::max(last_demolished[b.parcel], b.demolished_on);
        }
        for (std::size_t k = 0; k < m_data.parcels.size(); ++k) {
            Parcel& p = m_data.parcels[k];
            Zone& z = m_zones[p.zone];
            Day cleared = p.acquired + z.clear_lag + static_cast<Day>(r.integer(0, 10));
            if (last_demolished[k] >= kNever) {
                cleared = kNever;
            } else if (last_demolished[k] > 0) {
                cleared =
                    std::max(cleared, last_demolished[k] + static_cast<Day>(r.integer(2, 14)));
            }
            p.cleared = cleared;
            z.ready = std::max(z.ready, cleared);
        }
        // Delivery: a zone is handed over as a whole on the project's next handover day.
        for (Zone& z : m_zones) {
            if (z.ready >= kNever || z.ready == 0) {
                z.ready = kNever;
                continue;
            }
            const Day t = std::max(deliver_start, z.ready + static_cast<Day>(r.integer(3, 10)));
            const Day k = (t - deliver_start + every - 1) / every;
            z.ready = deliver_start + k * every;
        }
        for (Parcel& p : m_data.parcels) {
            p.delivered = m_zones[p.zone].ready;
        }
    }

    const Spec& m_spec;
    const std::vector<District>& m_ds;
    GeosContext& m_geos;
    Footprints& m_footprints;
    TownRegistry& m_towns;
    Rng m_rng;
    Day m_as_of;
    double m_cell_scale = 1.0;

    ProjectData m_data;
    PartitionRules m_rules;
    Grid m_grid;
    std::vector<Vec2> m_uv;
    std::vector<Piece> m_pieces;
    std::vector<Zone> m_zones;
    Vec2 m_origin;
    double m_angle = 0;
    double m_cos = 1;
    double m_sin = 0;
    // corridors
    Curve m_curve;
    double m_length = 0;
    std::vector<int> m_zone_of_i;
    // blocks
    Vec2 m_centre_uv;
    int m_tile = 4;
    int m_tiles_v = 1;
};

} // namespace

void generate_sample(const GeneratorOptions& options, const std::vector<District>& districts,
                     GeosContext& geos, std::vector<Village>& villages, const ProjectSink& sink) {
    if (districts.empty()) {
        throw std::runtime_error("no districts");
    }
    Rng town_rng = Rng::derive(options.seed, 1);
    TownRegistry towns = build_towns(town_rng, districts, villages);
    Rng plan_rng = Rng::derive(options.seed, 2);
    const std::vector<Spec> specs = plan_projects(plan_rng, options.parcels, districts);

    std::set<std::string> used_names;
    for (const Spec& s : specs) {
        if (s.named) {
            used_names.insert(s.name);
        }
    }
    // Beyond kDenseParcels the projects would no longer fit the five districts side by side
    // (about 810 km² of parcels at 1M in 5,013 km², placed at random with clearances): parcels
    // shrink by kDenseParcels / n instead, so the land taken stays that of 1M parcels.
    const double cell_scale =
        options.parcels > kDenseParcels
            ? static_cast<double>(kDenseParcels) / static_cast<double>(options.parcels)
            : 1.0;
    Footprints footprints;
    std::vector<int> per_year(10000, 0);
    for (std::size_t k = 0; k < specs.size(); ++k) {
        ProjectBuilder builder(specs[k], districts, geos, footprints, towns,
                               Rng::derive(options.seed, 1000 + k), options.as_of, cell_scale);
        ProjectData p = builder.build();
        const District& d = districts[p.district];
        if (specs[k].named) {
            p.name = specs[k].name;
            p.unit = specs[k].unit;
        } else {
            Rng name_rng = Rng::derive(options.seed, 500000 + k);
            ProjectName pn = invent_project_name(name_rng, specs[k].kind, d, used_names);
            p.name = pn.name;
            p.unit = pn.unit;
            if (p.corridor) {
                p.corridor->name = pn.corridor_name.empty() ? pn.name : pn.corridor_name;
            }
        }
        // Codes in project order: XT-<year>-<nnn>, ZDDM sequences per village and ownership.
        const int year = to_ymd(p.start).year;
        p.code = fmt::format("XT-{}-{:03d}", year, ++per_year[static_cast<std::size_t>(year)]);
        if (p.corridor) {
            p.corridor->code = p.code + "-L1";
        }
        for (Parcel& parcel : p.parcels) {
            Village& v = villages[parcel.village];
            const std::size_t kind = parcel.state_owned ? 1 : 0;
            const int seq = v.next_seq[kind]++;
            if (seq > 99999) {
                throw std::runtime_error("parcel sequence overflow in village " + v.name);
            }
            parcel.code =
                fmt::format("{}{:03d}{:03d}{}{:05d}", districts[v.district].code, v.town_code,
                            v.village_code, parcel.state_owned ? "GB" : "JC", seq);
        }
        sink(std::move(p));
    }
}

} // namespace landclear::sample
