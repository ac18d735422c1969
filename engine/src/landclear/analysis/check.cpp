#include "landclear/analysis/check.hpp"

#include "landclear/analysis/detail/parcel_geometries.hpp"
#include "landclear/analysis/ellipsoidal_cache.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/ellipsoidal.hpp"
#include "landclear/geom/redline.hpp"

#define GEOS_USE_ONLY_R_API
#include <algorithm>
#include <fmt/format.h>
#include <geos_c.h>
#include <unordered_map>

namespace landclear {

namespace {

// RAII over a GEOS STRtree whose items are indexes into a vector the caller keeps alive.
class StrTree {
public:
    explicit StrTree(const Geos& geos)
        : m_ctx(geos.handle()), m_tree(GEOSSTRtree_create_r(m_ctx, 10)) {
        if (!m_tree)
            throw_internal("GEOS cannot create an STRtree");
    }
    ~StrTree() { GEOSSTRtree_destroy_r(m_ctx, m_tree); }
    StrTree(const StrTree&) = delete;
    StrTree& operator=(const StrTree&) = delete;

    void insert(const GEOSGeometry* g, size_t index) {
        // Items are pointers to GEOS; index + 1 keeps index 0 from looking like null.
        GEOSSTRtree_insert_r(m_ctx, m_tree, g, reinterpret_cast<void*>(index + 1));
    }
    // Indexes whose envelopes intersect g's, ascending.
    std::vector<size_t> query(const GEOSGeometry* g) const {
        std::vector<size_t> out;
        GEOSSTRtree_query_r(
            m_ctx, m_tree, g,
            [](void* item, void* userdata) {
                static_cast<std::vector<size_t>*>(userdata)->push_back(
                    reinterpret_cast<size_t>(item) - 1);
            },
            &out);
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    GEOSContextHandle_t m_ctx;
    GEOSSTRtree* m_tree;
};

GeomPtr difference(const Geos& geos, const GEOSGeometry* a, const GEOSGeometry* b) {
    return geos.own(GEOSDifference_r(geos.handle(), a, b));
}

// Union of the given geometries (cloned; the originals stay with their owners).
GeomPtr union_of(const Geos& geos, const std::vector<const GEOSGeometry*>& parts) {
    std::vector<GEOSGeometry*> clones;
    clones.reserve(parts.size());
    for (const auto* p : parts)
        clones.push_back(GEOSGeom_clone_r(geos.handle(), p));
    auto collection =
        geos.own(GEOSGeom_createCollection_r(geos.handle(), GEOS_GEOMETRYCOLLECTION, clones.data(),
                                             static_cast<unsigned>(clones.size())));
    return geos.own(GEOSUnaryUnion_r(geos.handle(), collection.get()));
}

// The polygons of g one by one (cloned).
std::vector<GeomPtr> polygons_of(const Geos& geos, const GEOSGeometry* g) {
    std::vector<GeomPtr> out;
    auto multi = geos.polygonal_multi(g);
    int n = GEOSGetNumGeometries_r(geos.handle(), multi.get());
    for (int i = 0; i < n; ++i)
        out.push_back(geos.clone(GEOSGetGeometryN_r(geos.handle(), multi.get(), i)));
    return out;
}

double perimeter(const Geos& geos, const GEOSGeometry* g) {
    return geos.length(g);
}

// The part of g inside the bounding box of box (widened by 1 m).
GeomPtr clip_to_box(const Geos& geos, const GEOSGeometry* g, const GEOSGeometry* box) {
    auto* ctx = geos.handle();
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    if (!GEOSGeom_getXMin_r(ctx, box, &x0) || !GEOSGeom_getYMin_r(ctx, box, &y0) ||
        !GEOSGeom_getXMax_r(ctx, box, &x1) || !GEOSGeom_getYMax_r(ctx, box, &y1))
        return geos.clone(g);
    return geos.own(GEOSClipByRect_r(ctx, g, x0 - 1, y0 - 1, x1 + 1, y1 + 1));
}

GeomPtr multi_of(const Geos& geos, std::vector<GeomPtr> parts) {
    std::vector<GEOSGeometry*> raw;
    for (auto& p : parts)
        raw.push_back(p.release());
    return geos.own(GEOSGeom_createCollection_r(geos.handle(), GEOS_MULTIPOLYGON, raw.data(),
                                                static_cast<unsigned>(raw.size())));
}

std::string mu_text(double m2) {
    return fmt::format("{:.2f} ㎡（{:.4f} 亩）", m2, m2_to_mu(m2));
}

} // namespace

std::string normalise_code(const std::string& code) {
    std::string out;
    for (size_t i = 0; i < code.size();) {
        auto c = static_cast<unsigned char>(code[i]);
        // U+FF01..U+FF5E (EF BC 81 .. EF BD 9E) are full-width ASCII.
        if (c == 0xEF && i + 2 < code.size()) {
            auto c1 = static_cast<unsigned char>(code[i + 1]);
            auto c2 = static_cast<unsigned char>(code[i + 2]);
            unsigned cp = ((c & 0x0Fu) << 12) | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu);
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                char ascii = static_cast<char>(cp - 0xFF01 + 0x21);
                out += static_cast<char>(std::toupper(static_cast<unsigned char>(ascii)));
                i += 3;
                continue;
            }
        }
        if (c == 0xE3 && code.compare(i, 3, "\xE3\x80\x80") == 0) { // full-width space
            i += 3;
            continue;
        }
        if (c == ' ' || c == '\t') {
            ++i;
            continue;
        }
        out += c < 0x80 ? static_cast<char>(std::toupper(c)) : static_cast<char>(c);
        ++i;
    }
    return out;
}

namespace {

std::optional<Date> date_of(const FeatureRow& row, int index) {
    if (index < 0)
        return std::nullopt;
    if (auto d = std::get_if<Date>(&row.values[static_cast<size_t>(index)]))
        return *d;
    return std::nullopt;
}

std::string text_of(const FeatureRow& row, int index) {
    return index < 0 ? std::string() : value_text(row.values[static_cast<size_t>(index)]);
}

struct Feature {
    std::string code;
    FeatureRow row;
    GeomPtr geom;
};

std::vector<Feature> load(Store& store, LayerKind kind, const Geos& geos) {
    std::vector<Feature> out;
    const auto& def = layer_def(kind);
    int key = field_index(def, def.key);
    store.for_each_feature(kind, FeatureFilter{}, [&](const FeatureRow& r) {
        Feature f;
        f.code = text_of(r, key);
        f.row = r;
        f.row.wkb.clear();
        if (!r.wkb.empty())
            f.geom = geos.from_wkb(r.wkb);
        out.push_back(std::move(f));
    });
    return out;
}

class Checker {
public:
    Checker(Store& store, const CheckOptions& options) : m_store(store), m_o(options) {}

    CheckReport run() {
        auto parcel_rows = load(m_store, LayerKind::parcels, m_geos);
        m_parcels = load_parcel_geometries(m_store, m_geos);
        m_report.parcels = static_cast<std::int64_t>(m_parcels.size());
        for (size_t i = 0; i < m_parcels.size(); ++i)
            m_tree.insert(m_parcels[i].geom.get(), i);

        invalid_geometries(parcel_rows);
        overlaps();
        auto buildings = load(m_store, LayerKind::buildings, m_geos);
        m_report.buildings = static_cast<std::int64_t>(buildings.size());
        invalid_geometries_of(buildings, "buildings");
        red_lines();
        buildings_in_parcels(buildings);
        duplicate_codes(parcel_rows, buildings);
        parcel_dates(parcel_rows);
        building_dates(buildings);
        corridors();
        order();
        return std::move(m_report);
    }

private:
    void add(const char* kind, const char* layer, std::string code, std::string message,
             std::optional<double> value, const GEOSGeometry* where) {
        Finding f;
        f.origin = "check";
        f.kind = kind;
        f.layer = layer;
        f.feature_code = std::move(code);
        f.message = std::move(message);
        f.value = value;
        if (where && !m_geos.is_empty(where))
            f.wkb = m_geos.to_wkb(where);
        m_report.findings.push_back(std::move(f));
    }

    void invalid_geometries(const std::vector<Feature>& parcels) {
        // What import repaired (with the reason and the area kept), then anything stored
        // invalid since (e.g. written by another tool).
        for (const auto& f : m_store.findings("import")) {
            if (f.kind.rfind("invalid_geometry", 0) != 0)
                continue;
            Finding c = f;
            c.origin = "check";
            c.kind = "invalid_geometry";
            c.message = fmt::format("导入时无效并已修复（{}）: {}", f.source, f.message);
            m_report.findings.push_back(std::move(c));
        }
        invalid_geometries_of(parcels, "parcels");
    }

    void invalid_geometries_of(const std::vector<Feature>& features, const char* layer) {
        for (const auto& f : features)
            if (f.geom && !m_geos.is_valid(f.geom.get()))
                add("invalid_geometry", layer, f.code,
                    fmt::format("{} 图形无效: {}", f.code, m_geos.invalid_reason(f.geom.get())),
                    std::nullopt, f.geom.get());
    }

    void overlaps() {
        for (auto& o : find_parcel_overlaps(m_geos, m_parcels, m_o)) {
            const auto& a = m_parcels[o.a];
            const auto& b = m_parcels[o.b];
            if (o.duplicate)
                add("duplicate_geometry", "parcels", a.code,
                    fmt::format(
                        "宗地 {} 与 {} 几乎完全重合（重叠 {}，占两者面积均在 {:.0f}% 以上）："
                        "同一地块可能录入了两次",
                        a.code, b.code, mu_text(o.area_m2), m_o.duplicate_share * 100),
                    o.area_m2, o.geom.get());
            else
                add("overlap", "parcels", a.code,
                    fmt::format("宗地 {} 与 {} 重叠 {}，合计面积中被重复计算", a.code, b.code,
                                mu_text(o.area_m2)),
                    o.area_m2, o.geom.get());
        }
    }

    void red_lines() {
        std::unordered_map<std::string, std::vector<size_t>> by_project;
        for (size_t i = 0; i < m_parcels.size(); ++i)
            by_project[m_parcels[i].project].push_back(i);
        auto projects = load(m_store, LayerKind::projects, m_geos);
        m_report.projects = static_cast<std::int64_t>(projects.size());
        for (const auto& p : projects) {
            if (!p.geom || m_geos.is_empty(p.geom.get()))
                continue;
            auto it = by_project.find(p.code);
            if (it == by_project.end())
                continue; // no parcels yet: nothing to compare the red line with
            auto red = m_geos.polygonal_multi(p.geom.get());
            auto prepared = m_geos.prepare(red.get());
            std::vector<const GEOSGeometry*> parts;
            for (size_t i : it->second) {
                const auto& parcel = m_parcels[i];
                parts.push_back(parcel.geom.get());
                if (GEOSPreparedCovers_r(m_geos.handle(), prepared.get(), parcel.geom.get()) == 1)
                    continue;
                // Against the red line clipped to the parcel's box: a long corridor's red line
                // has thousands of vertices, and the overlay cost follows them.
                auto local = clip_to_box(m_geos, red.get(), parcel.geom.get());
                auto outside = difference(m_geos, parcel.geom.get(), local.get());
                double area = m_geos.area(outside.get());
                if (area > m_o.min_area_m2)
                    add("outside_red_line", "parcels", parcel.code,
                        fmt::format("宗地 {} 有 {} 在项目 {} 红线之外", parcel.code, mu_text(area),
                                    p.code),
                        area, m_geos.polygonal_multi(outside.get()).get());
            }
            auto covered = union_of(m_geos, parts);
            auto gaps = difference(m_geos, red.get(), covered.get());
            for (auto& piece : polygons_of(m_geos, gaps.get())) {
                double area = m_geos.area(piece.get());
                if (area <= m_o.min_area_m2)
                    continue;
                double width = 2 * area / perimeter(m_geos, piece.get());
                bool sliver = width < m_o.sliver_width_m;
                add(sliver ? "sliver" : "gap", "projects", p.code,
                    sliver ? fmt::format(
                                 "项目 {} 红线内有狭长空隙 {}（平均宽 {:.3f} m），多为勾绘接缝",
                                 p.code, mu_text(area), width)
                           : fmt::format("项目 {} 红线内有 {} 未被任何宗地覆盖", p.code,
                                         mu_text(area)),
                    area, piece.get());
            }
        }
    }

    void buildings_in_parcels(const std::vector<Feature>& buildings) {
        const auto& def = layer_def(LayerKind::buildings);
        int parcel_field = field_index(def, "parcel_code");
        for (const auto& b : buildings) {
            if (!b.geom)
                continue;
            double area = m_geos.area(b.geom.get());
            if (area <= 0)
                continue;
            auto prepared = m_geos.prepare(b.geom.get());
            std::vector<std::pair<double, size_t>> shares;
            double inside = 0;
            for (size_t i : m_tree.query(b.geom.get())) {
                const auto* pg = m_parcels[i].geom.get();
                if (GEOSPreparedIntersects_r(m_geos.handle(), prepared.get(), pg) != 1)
                    continue;
                double a = m_geos.area(m_geos.intersection(b.geom.get(), pg).get());
                if (a > m_o.min_area_m2) {
                    shares.emplace_back(a, i);
                    inside += a;
                }
            }
            std::sort(shares.rbegin(), shares.rend());
            double outside = area - inside;
            if (shares.empty()) {
                add("building_outside", "buildings", b.code,
                    fmt::format("房屋 {} 不在任何宗地内", b.code), area, b.geom.get());
                continue;
            }
            if (outside > m_o.min_area_m2 && outside > 0.01 * area) {
                auto part = difference(m_geos, b.geom.get(),
                                       union_of(m_geos,
                                                [&] {
                                                    std::vector<const GEOSGeometry*> v;
                                                    for (auto& s : shares)
                                                        v.push_back(m_parcels[s.second].geom.get());
                                                    return v;
                                                }())
                                           .get());
                add("building_outside", "buildings", b.code,
                    fmt::format("房屋 {} 有 {:.1f}%（{:.2f} ㎡）在宗地之外", b.code,
                                100 * outside / area, outside),
                    outside, m_geos.polygonal_multi(part.get()).get());
            }
            // Straddling: no single parcel holds the building (a building inside a parcel drawn
            // twice is not straddling; the duplicate is reported on its own).
            if (shares.size() >= 2 && shares[1].first > 0.01 * area &&
                shares[0].first < 0.99 * area) {
                std::string parts;
                for (const auto& [a, i] : shares)
                    parts += fmt::format("{}{}（{:.1f}%）", parts.empty() ? "" : "、",
                                         m_parcels[i].code, 100 * a / area);
                add("building_straddles", "buildings", b.code,
                    fmt::format("房屋 {} 跨越 {} 宗宗地: {}", b.code, shares.size(), parts),
                    shares[1].first, b.geom.get());
            }
            auto registered = text_of(b.row, parcel_field);
            const auto& main = m_parcels[shares.front().second];
            bool in_registered = std::any_of(shares.begin(), shares.end(), [&](const auto& s) {
                return m_parcels[s.second].code == registered && s.first > 0.5 * area;
            });
            if (!registered.empty() && !in_registered && shares.front().first > 0.5 * area)
                add("building_parcel_mismatch", "buildings", b.code,
                    fmt::format("房屋 {} 登记在宗地 {}，图上却位于宗地 {} 内", b.code, registered,
                                main.code),
                    std::nullopt, b.geom.get());
        }
    }

    void duplicate_codes(const std::vector<Feature>& parcels,
                         const std::vector<Feature>& buildings) {
        auto scan = [&](const std::vector<std::pair<std::string, const GEOSGeometry*>>& codes,
                        const char* layer, const char* zh) {
            std::unordered_map<std::string, std::vector<size_t>> groups;
            for (size_t i = 0; i < codes.size(); ++i)
                groups[normalise_code(codes[i].first)].push_back(i);
            std::vector<std::vector<size_t>> dups;
            for (auto& [key, idx] : groups)
                if (idx.size() > 1)
                    dups.push_back(idx);
            std::sort(dups.begin(), dups.end());
            for (const auto& idx : dups) {
                std::string names;
                for (size_t i : idx)
                    names += fmt::format("{}'{}'", names.empty() ? "" : "、", codes[i].first);
                for (size_t i : idx)
                    add("duplicate_code", layer, codes[i].first,
                        fmt::format("{}编号 {} 只差大小写、全角或空格，实为同一编号", zh, names),
                        std::nullopt, codes[i].second);
            }
        };
        auto codes_of = [](const std::vector<Feature>& fs) {
            std::vector<std::pair<std::string, const GEOSGeometry*>> v;
            for (const auto& f : fs)
                v.emplace_back(f.code, f.geom.get());
            return v;
        };
        scan(codes_of(parcels), "parcels", "宗地");
        scan(codes_of(buildings), "buildings", "房屋");
        std::vector<std::pair<std::string, const GEOSGeometry*>> projects, corridors;
        for (const auto& p : m_store.projects())
            projects.emplace_back(p.code, nullptr);
        for (const auto& c : m_store.corridors())
            corridors.emplace_back(c.code, nullptr);
        scan(projects, "projects", "项目");
        scan(corridors, "corridors", "线路");
    }

    // Dates that contradict the order of the stages (core/stage.hpp), one finding per
    // contradiction naming the parcel or building; the figures still count each date on its own.
    void parcel_dates(const std::vector<Feature>& parcels) {
        const auto& def = layer_def(LayerKind::parcels);
        int acq = field_index(def, "acquired_on"), clr = field_index(def, "cleared_on"),
            del = field_index(def, "delivered_on");
        for (const auto& p : parcels) {
            ParcelDates d{date_of(p.row, acq), date_of(p.row, clr), date_of(p.row, del)};
            for (auto c : date_contradictions(d))
                add(contradiction_info(c).kind, "parcels", p.code,
                    fmt::format("宗地 {} {}", p.code, describe(c, d)), std::nullopt, p.geom.get());
        }
    }

    void building_dates(const std::vector<Feature>& buildings) {
        const auto& def = layer_def(LayerKind::buildings);
        int sig = field_index(def, "signed_on"), dem = field_index(def, "demolished_on");
        for (const auto& b : buildings) {
            BuildingDates d{date_of(b.row, sig), date_of(b.row, dem)};
            for (auto c : date_contradictions(d))
                add(contradiction_info(c).kind, "buildings", b.code,
                    fmt::format("房屋 {} {}", b.code, describe(c, d)), std::nullopt, b.geom.get());
        }
    }

    void corridors() {
        auto corridors = load(m_store, LayerKind::corridors, m_geos);
        m_report.corridors = static_cast<std::int64_t>(corridors.size());
        std::map<std::string, CorridorRow> rows;
        for (auto& c : m_store.corridors())
            rows.emplace(c.code, c);
        for (const auto& c : corridors) {
            auto row = rows.find(c.code);
            if (!c.geom || row == rows.end())
                continue;
            // The red line as the corridor command draws it (redline.hpp).
            auto red = buffer_centreline(m_geos, c.geom.get(), corridor_widths(row->second));
            auto prepared = m_geos.prepare(red.get());
            std::vector<const GEOSGeometry*> parts;
            for (size_t i : m_tree.query(red.get()))
                if (GEOSPreparedIntersects_r(m_geos.handle(), prepared.get(),
                                             m_parcels[i].geom.get()) == 1)
                    parts.push_back(m_parcels[i].geom.get());
            GeomPtr uncovered = parts.empty()
                                    ? m_geos.clone(red.get())
                                    : difference(m_geos, red.get(), union_of(m_geos, parts).get());
            std::vector<GeomPtr> kept;
            double total = 0;
            for (auto& piece : polygons_of(m_geos, uncovered.get())) {
                double area = m_geos.area(piece.get());
                if (area < m_o.corridor_min_area_m2 ||
                    2 * area / perimeter(m_geos, piece.get()) < m_o.sliver_width_m)
                    continue;
                total += area;
                kept.push_back(std::move(piece));
            }
            if (kept.empty())
                continue;
            size_t pieces = kept.size();
            auto where = multi_of(m_geos, std::move(kept));
            add("corridor_uncovered", "corridors", c.code,
                parts.empty()
                    ? fmt::format("线路 {} 红线内没有任何宗地，征拆状态无从统计（{}）", c.code,
                                  mu_text(total))
                    : fmt::format("线路 {} 红线内有 {} 处共 {} 没有宗地，征拆状态无从统计", c.code,
                                  pieces, mu_text(total)),
                total, where.get());
        }
    }

    void order() {
        std::map<std::string, size_t> rank;
        auto kinds = check_finding_kinds();
        for (size_t i = 0; i < kinds.size(); ++i)
            rank[kinds[i].kind] = i;
        std::stable_sort(
            m_report.findings.begin(), m_report.findings.end(),
            [&](const Finding& a, const Finding& b) { return rank[a.kind] < rank[b.kind]; });
    }

    Store& m_store;
    const CheckOptions& m_o;
    Geos m_geos;
    std::vector<ParcelGeometry> m_parcels;
    StrTree m_tree{m_geos};
    CheckReport m_report;
};

} // namespace

std::vector<FindingKindInfo> check_finding_kinds() {
    std::vector<FindingKindInfo> kinds{
        {"invalid_geometry", "图形无效", "invalid geometry"},
        {"overlap", "宗地重叠", "overlapping parcels"},
        {"duplicate_geometry", "重复宗地", "parcel drawn twice"},
        {"duplicate_code", "编号重复", "duplicate code"},
        {"gap", "红线内空隙", "gap inside red line"},
        {"sliver", "红线内狭长空隙", "sliver inside red line"},
        {"outside_red_line", "超出红线", "parcel outside red line"},
        {"building_outside", "房屋在宗地外", "building outside parcels"},
        {"building_straddles", "房屋跨宗地", "building straddles parcels"},
        {"building_parcel_mismatch", "房屋所属宗地不符", "building in another parcel"},
    };
    for (auto c : all_date_contradictions()) {
        const auto& info = contradiction_info(c);
        kinds.push_back({info.kind, info.zh, info.en});
    }
    kinds.push_back({"corridor_uncovered", "线路红线内无宗地", "corridor without parcels"});
    return kinds;
}

std::vector<ParcelGeometry> load_parcel_geometries(Store& store, const Geos& geos) {
    std::vector<ParcelGeometry> out;
    const auto& def = layer_def(LayerKind::parcels);
    int code = field_index(def, "parcel_code"), project = field_index(def, "project_code");
    store.for_each_feature(LayerKind::parcels, FeatureFilter{}, [&](const FeatureRow& r) {
        if (r.wkb.empty())
            return;
        ParcelGeometry p{text_of(r, code), text_of(r, project), geos.from_wkb(r.wkb), 0};
        p.area_m2 = geos.area(p.geom.get());
        out.push_back(std::move(p));
    });
    return out;
}

std::vector<ParcelOverlap> find_parcel_overlaps(const Geos& geos,
                                                const std::vector<ParcelGeometry>& parcels,
                                                const CheckOptions& options) {
    StrTree tree(geos);
    for (size_t i = 0; i < parcels.size(); ++i)
        tree.insert(parcels[i].geom.get(), i);
    std::vector<ParcelOverlap> out;
    for (size_t i = 0; i < parcels.size(); ++i) {
        const auto& a = parcels[i];
        PreparedPtr prepared;
        GeomPtr shrunk;
        bool thin = false;
        for (size_t j : tree.query(a.geom.get())) {
            if (j <= i)
                continue;
            // Neighbours share edges: only an interior intersection is an overlap. Testing
            // against the parcel shrunk by 1 mm (prepared) is much cheaper than a full relate
            // per neighbour; an overlap nowhere deeper than 1 mm is left out.
            if (!prepared) {
                shrunk = geos.own(GEOSBufferWithStyle_r(geos.handle(), a.geom.get(), -0.001, 1,
                                                        GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_MITRE, 5));
                thin = geos.is_empty(shrunk.get());
                prepared = geos.prepare(thin ? a.geom.get() : shrunk.get());
            }
            const auto* bg = parcels[j].geom.get();
            if (GEOSPreparedIntersects_r(geos.handle(), prepared.get(), bg) != 1 ||
                (thin && GEOSPreparedTouches_r(geos.handle(), prepared.get(), bg) == 1))
                continue;
            auto inter = geos.polygonal_multi(geos.intersection(a.geom.get(), bg).get());
            double area = geos.area(inter.get());
            if (area <= options.min_area_m2)
                continue;
            ParcelOverlap o;
            o.a = i;
            o.b = j;
            o.area_m2 = area;
            o.duplicate = area >= options.duplicate_share * a.area_m2 &&
                          area >= options.duplicate_share * parcels[j].area_m2;
            o.geom = std::move(inter);
            out.push_back(std::move(o));
        }
    }
    return out;
}

CheckReport run_check(Store& store, const CheckOptions& options, bool write) {
    auto report = Checker(store, options).run();
    if (write) {
        store.begin_write();
        for (const auto& def : all_layers())
            store.clear_findings("check", def.name);
        for (const auto& f : report.findings)
            store.add_finding(f);
        refresh_parcel_ellipsoidal_areas(store);
        store.commit();
    }
    return report;
}

} // namespace landclear
