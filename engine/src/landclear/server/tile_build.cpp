// The tile index built from the store (tile_index.hpp): the layers read in one pass each, their
// WKB decoded, projected to Web Mercator and indexed on a grid.
#include "landclear/analysis/corridor.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/server/detail/tile_data.hpp"
#include "landclear/server/tile_disk_cache.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <exception>
#include <map>
#include <set>
#include <thread>

namespace landclear::server_detail {

namespace {

// ---- WKB ---------------------------------------------------------------------------------

class WkbReader {
public:
    WkbReader(const unsigned char* p, size_t n) : m_p(p), m_end(p + n) {}

    // Polygons, multipolygons, lines, multilines, points and multipoints (2D; Z and M dropped).
    // False for anything else or a truncated blob.
    bool read(Parts& out) {
        try {
            geometry(out, 0);
            return !out.parts.empty();
        } catch (const Truncated&) {
            return false;
        }
    }

private:
    struct Truncated {};
    void need(size_t n) {
        if (static_cast<size_t>(m_end - m_p) < n)
            throw Truncated{};
    }
    std::uint32_t u32() {
        need(4);
        std::uint32_t v;
        std::memcpy(&v, m_p, 4);
        m_p += 4;
        if (!m_little)
            v = __builtin_bswap32(v);
        return v;
    }
    double f64() {
        need(8);
        std::uint64_t v;
        std::memcpy(&v, m_p, 8);
        m_p += 8;
        if (!m_little)
            v = __builtin_bswap64(v);
        double d;
        std::memcpy(&d, &v, 8);
        return d;
    }
    std::vector<std::array<double, 2>> points(int dims) {
        auto n = u32();
        need(static_cast<size_t>(n) * 8 * dims);
        std::vector<std::array<double, 2>> pts(n);
        for (auto& p : pts) {
            p[0] = f64();
            p[1] = f64();
            for (int d = 2; d < dims; ++d)
                f64();
        }
        return pts;
    }
    void geometry(Parts& out, int depth) {
        if (depth > 2)
            throw Truncated{};
        need(1);
        m_little = *m_p++ == 1;
        auto raw = u32();
        // ISO (1000s: Z, 2000s: M, 3000s: ZM) and EWKB (high flag bits) dimensions.
        int dims = 2;
        if (raw & 0x80000000u)
            ++dims;
        if (raw & 0x40000000u)
            ++dims;
        if (raw & 0x20000000u)
            u32(); // EWKB SRID
        raw &= 0x0fffffffu;
        if (raw >= 3000) {
            dims = 4;
            raw -= 3000;
        } else if (raw >= 1000) {
            dims = 3;
            raw -= raw >= 2000 ? 2000 : 1000;
        }
        switch (raw) {
        case 1: // point
            out.type = mvt::GeomType::point;
            need(8 * dims);
            {
                std::array<double, 2> p{f64(), f64()};
                for (int d = 2; d < dims; ++d)
                    f64();
                if (out.parts.empty())
                    out.parts.emplace_back();
                out.parts.front().push_back(p);
                out.exterior.resize(1, true);
            }
            break;
        case 2: // line string
            out.type = mvt::GeomType::line;
            out.parts.push_back(points(dims));
            out.exterior.push_back(true);
            break;
        case 3: { // polygon
            out.type = mvt::GeomType::polygon;
            auto rings = u32();
            for (std::uint32_t r = 0; r < rings; ++r) {
                out.parts.push_back(points(dims));
                out.exterior.push_back(r == 0);
            }
            break;
        }
        case 4:
        case 5:
        case 6:
        case 7: {
            auto n = u32();
            for (std::uint32_t i = 0; i < n; ++i)
                geometry(out, depth + 1);
            break;
        }
        default:
            throw Truncated{};
        }
    }

    const unsigned char* m_p;
    const unsigned char* m_end;
    bool m_little = true;
};

// ---- the in-memory layers ------------------------------------------------------------------

LayerSchema schema_of(TileLayer layer) {
    switch (layer) {
    case TileLayer::parcels:
        return {{"code", "project"}, {"acquired", "cleared", "delivered"}};
    case TileLayer::buildings:
        return {{"code", "parcel"}, {"signed", "demolished"}};
    case TileLayer::redlines:
        return {{"code", "name"}, {}};
    case TileLayer::corridors:
        return {{"code", "name", "project"}, {}};
    case TileLayer::segments:
        return {{"corridor", "label"}, {"segment"}};
    case TileLayer::projects:
        return {{"code", "name"}, {}};
    case TileLayer::findings:
        return {{"kind", "layer", "code", "origin", "message"}, {}};
    }
    return {};
}

std::string text_of(const Value& v) {
    if (auto s = std::get_if<std::string>(&v))
        return *s;
    if (std::holds_alternative<std::monostate>(v))
        return {};
    return value_text(v);
}

std::int64_t date_of(const Value& v) {
    if (auto d = std::get_if<Date>(&v))
        return tile_date(*d);
    return 0;
}

Parts rectangle(const Envelope& e) {
    Parts p;
    p.type = mvt::GeomType::polygon;
    p.parts.push_back({{e.min_x, e.min_y},
                       {e.max_x, e.min_y},
                       {e.max_x, e.max_y},
                       {e.min_x, e.max_y},
                       {e.min_x, e.min_y}});
    p.exterior.push_back(true);
    return p;
}

} // namespace

std::shared_ptr<const Index> build_index(Store& store, IndexPart part,
                                         const ParcelBoxes& parcel_boxes) {
    auto started = std::chrono::steady_clock::now();
    auto idx = std::make_shared<Index>();
    idx->data_version = store.data_version();
    idx->disk_version = tile_cache_version(store);
    for (const auto& info : layer_table)
        idx->layers[info.layer].schema = schema_of(info.layer);
    auto epsg = store.working_epsg();
    if (!epsg)
        return idx; // nothing to draw yet

    // Only the fields a tile carries are read (the others stay empty in the row).
    auto read = [&](LayerKind kind, std::vector<std::string> fields, auto fn) {
        FeatureFilter filter;
        filter.fields = std::move(fields);
        store.for_each_feature(kind, filter, [&](const FeatureRow& row) {
            Parts g;
            if (row.wkb.empty() || !WkbReader(row.wkb.data(), row.wkb.size()).read(g))
                return;
            fn(row, g);
        });
    };
    auto field = [](LayerKind kind, std::string_view name) {
        return static_cast<size_t>(field_index(layer_def(kind), name));
    };

    // Which projects have a red line, and which have parcels.
    std::set<std::string> with_red_line, with_parcels;
    {
        FeatureFilter codes;
        codes.fields = {"project_code"};
        auto code = field(LayerKind::projects, "project_code");
        store.for_each_feature(LayerKind::projects, codes, [&](const FeatureRow& row) {
            if (!row.wkb.empty())
                with_red_line.insert(text_of(row.values[code]));
        });
        // The parcels' projects from the stored boxes (Store::extents_by, shared with the
        // project figures): a pass over every parcel's row took most of this part's build at a
        // million parcels (0.5 s), which the first view waits for.
        if (part == IndexPart::light) {
            auto boxes = parcel_boxes ? parcel_boxes(store)
                                      : std::make_shared<const std::map<std::string, Envelope>>(
                                            store.extents_by(LayerKind::parcels, "project_code"));
            for (const auto& entry : *boxes)
                with_parcels.insert(entry.first);
        }
    }
    bool outlines_need_parcels = false;
    for (const auto& c : with_parcels)
        outlines_need_parcels = outlines_need_parcels || !with_red_line.count(c);
    const bool heavy = part == IndexPart::heavy;
    idx->has_projects = heavy || !outlines_need_parcels;

    // Parcels, and each project's parcel envelope for projects without a red line.
    std::map<std::string, Envelope> parcel_extent;
    if (heavy) {
        auto& L = idx->layers[TileLayer::parcels];
        auto code = field(LayerKind::parcels, "parcel_code");
        auto project = field(LayerKind::parcels, "project_code");
        auto acq = field(LayerKind::parcels, "acquired_on");
        auto clr = field(LayerKind::parcels, "cleared_on");
        auto dlv = field(LayerKind::parcels, "delivered_on");
        read(LayerKind::parcels,
             {"parcel_code", "project_code", "acquired_on", "cleared_on", "delivered_on"},
             [&](const FeatureRow& row, const Parts& g) {
                 auto pc = text_of(row.values[project]);
                 auto [it, fresh] = parcel_extent.try_emplace(pc);
                 for (const auto& part : g.parts)
                     for (const auto& p : part) {
                         auto& e = it->second;
                         if (fresh) {
                             e = {p[0], p[1], p[0], p[1]};
                             fresh = false;
                         }
                         e.min_x = std::min(e.min_x, p[0]);
                         e.min_y = std::min(e.min_y, p[1]);
                         e.max_x = std::max(e.max_x, p[0]);
                         e.max_y = std::max(e.max_y, p[1]);
                     }
                 L.add(g, {text_of(row.values[code]), pc},
                       {date_of(row.values[acq]), date_of(row.values[clr]),
                        date_of(row.values[dlv])});
             });
    }
    if (heavy) {
        auto& L = idx->layers[TileLayer::buildings];
        auto code = field(LayerKind::buildings, "building_code");
        auto parcel = field(LayerKind::buildings, "parcel_code");
        auto sig = field(LayerKind::buildings, "signed_on");
        auto dem = field(LayerKind::buildings, "demolished_on");
        read(LayerKind::buildings, {"building_code", "parcel_code", "signed_on", "demolished_on"},
             [&](const FeatureRow& row, const Parts& g) {
                 L.add(g, {text_of(row.values[code]), text_of(row.values[parcel])},
                       {date_of(row.values[sig]), date_of(row.values[dem])});
             });
    }
    if (idx->has_projects || !heavy) {
        auto& red = idx->layers[TileLayer::redlines];
        auto& outline = idx->layers[TileLayer::projects];
        auto code = field(LayerKind::projects, "project_code");
        auto name = field(LayerKind::projects, "name");
        std::map<std::string, std::string> names;
        std::set<std::string> drawn;
        read(LayerKind::projects, {"project_code", "name"},
             [&](const FeatureRow& row, const Parts& g) {
                 auto c = text_of(row.values[code]);
                 if (!heavy)
                     red.add(g, {c, text_of(row.values[name])}, {});
                 if (idx->has_projects)
                     outline.add(g, {c, text_of(row.values[name])}, {});
                 drawn.insert(c);
             });
        for (const auto& p : store.projects())
            names[p.code] = p.name;
        // A project without a red line is outlined by the box around its parcels.
        for (const auto& [c, env] : parcel_extent)
            if (!drawn.count(c))
                outline.add(rectangle(env), {c, names.count(c) ? names[c] : std::string()}, {});
    }
    if (!heavy) {
        auto& L = idx->layers[TileLayer::corridors];
        auto code = field(LayerKind::corridors, "corridor_code");
        auto name = field(LayerKind::corridors, "name");
        auto project = field(LayerKind::corridors, "project_code");
        read(LayerKind::corridors, {"corridor_code", "name", "project_code"},
             [&](const FeatureRow& row, const Parts& g) {
                 L.add(g,
                       {text_of(row.values[code]), text_of(row.values[name]),
                        text_of(row.values[project])},
                       {});
             });
    }
    // The chainage segments a `landclear corridor` run saved, when they match today's data (the
    // server, read-only, cannot save them itself).
    if (!heavy && store.has_derived(corridor_segments_layer().name)) {
        auto& L = idx->layers[TileLayer::segments];
        bool all_current = true;
        for (const auto& c : store.corridors()) {
            if (stored_corridor(store, c.code) != StoredCorridor::current) {
                all_current = false;
                continue;
            }
            store.for_each_derived(
                corridor_segments_layer(), "corridor_code", c.code, [&](const FeatureRow& row) {
                    Parts g;
                    if (row.wkb.empty() || !WkbReader(row.wkb.data(), row.wkb.size()).read(g))
                        return;
                    auto seg = std::get_if<std::int64_t>(&row.values.at(1));
                    L.add(g, {text_of(row.values.at(0)), text_of(row.values.at(4))},
                          {seg ? *seg + 1 : 0});
                });
        }
        idx->segments_current = all_current;
    }
    if (!heavy) {
        auto& L = idx->layers[TileLayer::findings];
        for (const auto& f : store.findings()) {
            Parts g;
            if (f.wkb.empty() || !WkbReader(f.wkb.data(), f.wkb.size()).read(g))
                continue;
            L.add(g, {f.kind, f.layer, f.feature_code, f.origin, f.message}, {});
        }
    }

    // Projected on two threads (the machine has two cores; PROJ is most of the build), each
    // with its own spatial references and transform, as GDAL objects are not shared between
    // threads. A point's projection does not depend on which thread does it.
    size_t points = 0;
    for (auto& [k, L] : idx->layers)
        points += L.xy.size() / 2;
    auto project_share = [&](int share, int shares) {
        auto work = srs_from_epsg(*epsg);
        auto wgs = srs_from_epsg(4326);
        auto to_wgs = make_transform(*work, *wgs);
        for (auto& [k, L] : idx->layers) {
            size_t n = L.xy.size() / 2;
            L.project(*to_wgs, n * share / shares, n * (share + 1) / shares);
        }
    };
    if (points >= 100000) {
        std::exception_ptr failed;
        std::thread other([&] {
            try {
                project_share(1, 2);
            } catch (...) {
                failed = std::current_exception();
            }
        });
        try {
            project_share(0, 2);
        } catch (...) {
            other.join();
            throw;
        }
        other.join();
        if (failed)
            std::rethrow_exception(failed);
    } else {
        project_share(0, 1);
    }
    for (auto& [k, L] : idx->layers) {
        L.make_boxes();
        L.build_grid();
    }
    idx->build_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    return idx;
}

} // namespace landclear::server_detail

namespace landclear {

std::optional<Envelope> wkb_envelope(const std::vector<unsigned char>& wkb) {
    server_detail::Parts g;
    if (wkb.empty() || !server_detail::WkbReader(wkb.data(), wkb.size()).read(g))
        return std::nullopt;
    std::optional<Envelope> e;
    for (const auto& part : g.parts)
        for (const auto& p : part) {
            if (!e)
                e = Envelope{p[0], p[1], p[0], p[1]};
            e->min_x = std::min(e->min_x, p[0]);
            e->min_y = std::min(e->min_y, p[1]);
            e->max_x = std::max(e->max_x, p[0]);
            e->max_y = std::max(e->max_y, p[1]);
        }
    return e;
}

} // namespace landclear
