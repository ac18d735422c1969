#include "landclear/server/tile_index.hpp"

#include "landclear/analysis/corridor.hpp"
#include "landclear/core/error.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/server/tile_disk_cache.hpp"
#include "landclear/server/tile_mvt.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <libdeflate.h>
#include <list>
#include <map>
#include <mutex>
#include <ogr_spatialref.h>
#include <set>
#include <thread>
#include <unordered_map>

namespace landclear {

namespace {

constexpr std::array<TileLayerInfo, 7> layer_table{{
    // Zooms of the tiles, which the map draws 512 pixels wide: a tile of zoom z shows at map
    // zoom z + 1. Parcels from tile zoom 12 (map zoom 13, a pixel is 19 m there; below it most
    // parcels are specks and the page shows the project outlines with their figures instead).
    {TileLayer::parcels, "parcels", 12, 15, "宗地"},
    {TileLayer::buildings, "buildings", 14, 15, "房屋"},
    {TileLayer::redlines, "redlines", 9, 15, "项目红线"},
    {TileLayer::corridors, "corridors", 0, 15, "线路中线"},
    {TileLayer::segments, "segments", 11, 15, "线路分段"},
    {TileLayer::projects, "projects", 0, 13, "项目范围"},
    {TileLayer::findings, "findings", 11, 15, "检查问题"},
}};

constexpr double earth_radius = 6378137.0;
constexpr double half_world = M_PI * earth_radius; // Web Mercator spans ±half_world

// ---- WKB ---------------------------------------------------------------------------------

struct Parts {
    mvt::GeomType type = mvt::GeomType::polygon;
    std::vector<std::vector<std::array<double, 2>>> parts;
    std::vector<bool> exterior;
};

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

struct LayerSchema {
    std::vector<const char*> strings; // property names of the text attributes
    std::vector<const char*> ints;    // of the integer ones (dates as YYYYMMDD); 0 = absent
};

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

struct Box {
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    bool intersects(const Box& o) const {
        return min_x <= o.max_x && o.min_x <= max_x && min_y <= o.max_y && o.min_y <= max_y;
    }
};

struct LayerData {
    LayerSchema schema;
    // Mercator coordinates, flat; ring r spans points [ring_start[r], ring_start[r+1]); feature
    // f spans rings [feature_ring[f], feature_ring[f+1]).
    std::vector<double> xy;
    std::vector<std::uint32_t> ring_start{0};
    std::vector<std::uint8_t> ring_outer;
    std::vector<std::uint32_t> feature_ring{0};
    std::vector<std::uint8_t> type;
    std::vector<Box> box;
    std::vector<std::string> strings; // schema.strings.size() per feature
    std::vector<std::int64_t> ints;   // schema.ints.size() per feature
    // Grid index: cell c holds features cell_items[cell_start[c] .. cell_start[c+1]).
    Box extent;
    int cols = 0, rows = 0;
    double cell_w = 1, cell_h = 1;
    std::vector<std::uint32_t> cell_start, cell_items;

    size_t size() const { return type.size(); }

    void add(const Parts& g, std::vector<std::string> s, std::vector<std::int64_t> i) {
        for (size_t r = 0; r < g.parts.size(); ++r) {
            for (const auto& p : g.parts[r]) {
                xy.push_back(p[0]);
                xy.push_back(p[1]);
            }
            ring_start.push_back(static_cast<std::uint32_t>(xy.size() / 2));
            ring_outer.push_back(g.exterior[r] ? 1 : 0);
        }
        feature_ring.push_back(static_cast<std::uint32_t>(ring_outer.size()));
        type.push_back(static_cast<std::uint8_t>(g.type));
        s.resize(schema.strings.size());
        i.resize(schema.ints.size());
        for (auto& v : s)
            strings.push_back(std::move(v));
        ints.insert(ints.end(), i.begin(), i.end());
    }

    // Working CRS -> WGS84 -> Web Mercator, in place, points [from, to), in large batches.
    void project(OGRCoordinateTransformation& to_wgs, size_t from, size_t to) {
        const size_t batch = 1 << 16;
        std::vector<double> xs, ys;
        std::vector<int> ok;
        for (size_t start = from; start < to; start += batch) {
            size_t m = std::min(batch, to - start);
            xs.resize(m);
            ys.resize(m);
            ok.assign(m, 0);
            for (size_t k = 0; k < m; ++k) {
                xs[k] = xy[2 * (start + k)];
                ys[k] = xy[2 * (start + k) + 1];
            }
            to_wgs.Transform(m, xs.data(), ys.data(), nullptr, ok.data());
            for (size_t k = 0; k < m; ++k) {
                double lon = xs[k], lat = std::clamp(ys[k], -85.05112878, 85.05112878);
                if (!ok[k] || !std::isfinite(lon) || !std::isfinite(lat))
                    lon = lat = 0; // never for a store's own CRS; keeps the index finite
                xy[2 * (start + k)] = earth_radius * lon * M_PI / 180.0;
                xy[2 * (start + k) + 1] =
                    earth_radius * std::log(std::tan(M_PI / 4 + lat * M_PI / 360.0));
            }
        }
    }

    // The feature boxes, once projected.
    void make_boxes() {
        box.resize(size());
        for (size_t f = 0; f < size(); ++f) {
            Box b{INFINITY, INFINITY, -INFINITY, -INFINITY};
            for (auto p = ring_start[feature_ring[f]]; p < ring_start[feature_ring[f + 1]]; ++p) {
                b.min_x = std::min(b.min_x, xy[2 * p]);
                b.max_x = std::max(b.max_x, xy[2 * p]);
                b.min_y = std::min(b.min_y, xy[2 * p + 1]);
                b.max_y = std::max(b.max_y, xy[2 * p + 1]);
            }
            box[f] = b;
        }
    }

    void build_grid() {
        if (size() == 0)
            return;
        extent = box[0];
        for (const auto& b : box) {
            extent.min_x = std::min(extent.min_x, b.min_x);
            extent.min_y = std::min(extent.min_y, b.min_y);
            extent.max_x = std::max(extent.max_x, b.max_x);
            extent.max_y = std::max(extent.max_y, b.max_y);
        }
        // About four features a cell.
        int side =
            std::clamp(static_cast<int>(std::sqrt(static_cast<double>(size()) / 4)), 1, 2048);
        cols = rows = side;
        cell_w = std::max((extent.max_x - extent.min_x) / cols, 1e-6);
        cell_h = std::max((extent.max_y - extent.min_y) / rows, 1e-6);
        std::vector<std::uint32_t> count(static_cast<size_t>(cols) * rows + 1, 0);
        auto span = [&](const Box& b, auto fn) {
            auto [c0, c1, r0, r1] = cells(b);
            for (int r = r0; r <= r1; ++r)
                for (int c = c0; c <= c1; ++c)
                    fn(static_cast<size_t>(r) * cols + c);
        };
        for (const auto& b : box)
            span(b, [&](size_t c) { ++count[c + 1]; });
        for (size_t c = 1; c < count.size(); ++c)
            count[c] += count[c - 1];
        cell_start = count;
        cell_items.resize(count.back());
        for (size_t f = 0; f < size(); ++f)
            span(box[f], [&](size_t c) { cell_items[count[c]++] = static_cast<std::uint32_t>(f); });
    }

    std::array<int, 4> cells(const Box& b) const {
        auto col = [&](double x) {
            return std::clamp(static_cast<int>((x - extent.min_x) / cell_w), 0, cols - 1);
        };
        auto row = [&](double y) {
            return std::clamp(static_cast<int>((y - extent.min_y) / cell_h), 0, rows - 1);
        };
        return {col(b.min_x), col(b.max_x), row(b.min_y), row(b.max_y)};
    }

    std::vector<std::uint32_t> query(const Box& q) const {
        std::vector<std::uint32_t> out;
        if (size() == 0 || !q.intersects(extent))
            return out;
        auto [c0, c1, r0, r1] = cells(q);
        for (int r = r0; r <= r1; ++r)
            for (int c = c0; c <= c1; ++c) {
                size_t cell = static_cast<size_t>(r) * cols + c;
                for (auto i = cell_start[cell]; i < cell_start[cell + 1]; ++i)
                    if (box[cell_items[i]].intersects(q))
                        out.push_back(cell_items[i]);
            }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }
};

struct Index {
    std::int64_t data_version = -1;
    bool has_projects = false; // the projects layer is complete in this part
    std::map<TileLayer, LayerData> layers;
    double build_ms = 0;
    bool segments_current = false;
    std::string disk_version; // the disk cache's folder for this data ("" when none)
    size_t features() const {
        size_t n = 0;
        for (const auto& [k, l] : layers)
            n += l.size();
        return n;
    }
};

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

// The index is built in two parts, so that the city-wide view (project outlines, red lines,
// corridors) does not wait for a million parcels: `light` holds every layer but parcels and
// buildings, and the project outlines when every project with parcels has a red line (known from
// one pass over the parcels' project codes, without geometry); `heavy` holds the parcels, the
// buildings and, when some project is outlined by its parcels' box, the project outlines.
enum class IndexPart { light, heavy };

bool is_heavy(TileLayer layer) {
    return layer == TileLayer::parcels || layer == TileLayer::buildings;
}

std::shared_ptr<const Index> build_index(Store& store, IndexPart part) {
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

    // Which projects have a red line, and which have parcels (codes only, no geometry).
    std::set<std::string> with_red_line, with_parcels;
    {
        FeatureFilter codes;
        codes.fields = {"project_code"};
        auto code = field(LayerKind::projects, "project_code");
        store.for_each_feature(LayerKind::projects, codes, [&](const FeatureRow& row) {
            if (!row.wkb.empty())
                with_red_line.insert(text_of(row.values[code]));
        });
        if (part == IndexPart::light) {
            codes.with_geometry = false;
            auto pc = field(LayerKind::parcels, "project_code");
            store.for_each_feature(LayerKind::parcels, codes, [&](const FeatureRow& row) {
                with_parcels.insert(text_of(row.values[pc]));
            });
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

// ---- one tile -------------------------------------------------------------------------------

using DPoint = std::array<double, 2>;

// Sutherland–Hodgman against the (convex) buffered tile square.
std::vector<DPoint> clip_ring(std::vector<DPoint> ring, double lo, double hi) {
    for (int edge = 0; edge < 4 && !ring.empty(); ++edge) {
        int axis = edge / 2;
        bool keep_above = edge % 2 == 0; // edges 0, 2: v >= lo; 1, 3: v <= hi
        double limit = keep_above ? lo : hi;
        auto inside = [&](const DPoint& p) {
            return keep_above ? p[axis] >= limit : p[axis] <= limit;
        };
        std::vector<DPoint> out;
        out.reserve(ring.size() + 4);
        for (size_t i = 0, n = ring.size(); i < n; ++i) {
            const auto& a = ring[i];
            const auto& b = ring[(i + 1) % n];
            bool ia = inside(a), ib = inside(b);
            if (ia)
                out.push_back(a);
            if (ia != ib) {
                double t = (limit - a[axis]) / (b[axis] - a[axis]);
                DPoint p{a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])};
                p[axis] = limit;
                out.push_back(p);
            }
        }
        ring = std::move(out);
    }
    return ring;
}

// Liang–Barsky for each segment; consecutive inside pieces are joined into one line.
std::vector<std::vector<DPoint>> clip_line(const std::vector<DPoint>& line, double lo, double hi) {
    std::vector<std::vector<DPoint>> out;
    std::vector<DPoint> cur;
    for (size_t i = 0; i + 1 < line.size(); ++i) {
        auto a = line[i], b = line[i + 1];
        double t0 = 0, t1 = 1, dx = b[0] - a[0], dy = b[1] - a[1];
        bool visible = true;
        auto test = [&](double p, double q) {
            if (p == 0)
                return q >= 0;
            double r = q / p;
            if (p < 0) {
                if (r > t1)
                    return false;
                t0 = std::max(t0, r);
            } else {
                if (r < t0)
                    return false;
                t1 = std::min(t1, r);
            }
            return true;
        };
        visible = test(-dx, a[0] - lo) && test(dx, hi - a[0]) && test(-dy, a[1] - lo) &&
                  test(dy, hi - a[1]);
        if (!visible) {
            if (cur.size() >= 2)
                out.push_back(std::move(cur));
            cur.clear();
            continue;
        }
        DPoint p{a[0] + t0 * dx, a[1] + t0 * dy}, q{a[0] + t1 * dx, a[1] + t1 * dy};
        if (cur.empty() || t0 > 0) {
            if (cur.size() >= 2)
                out.push_back(std::move(cur));
            cur = {p};
        }
        cur.push_back(q);
        if (t1 < 1) {
            out.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (cur.size() >= 2)
        out.push_back(std::move(cur));
    return out;
}

std::string encode(const LayerData& L, const TileLayerInfo& info, int z, int x, int y) {
    const double size = 2 * half_world / std::ldexp(1.0, z);
    const double min_x = -half_world + x * size, max_y = half_world - y * size;
    const double scale = tile_extent / size;
    const double lo = -static_cast<double>(tile_buffer), hi = tile_extent + tile_buffer;
    const Box query{min_x + lo / scale, max_y - hi / scale, min_x + hi / scale, max_y - lo / scale};
    // The map draws a tile 512 pixels wide: a pixel is 8 tile units. Below tile zoom 14 (map
    // zoom 15) the vertices snap to a grid of a quarter pixel (neighbours share their vertices,
    // so they stay seamless), and parcels and buildings smaller than a pixel either way are left
    // out (the few project outlines and corridors never are: a small project still shows where
    // it is).
    const double pixel = tile_extent / static_cast<double>(tile_pixels);
    const double snap = z < 14 ? pixel / 4 : 1;
    const bool drop_specks =
        z < 14 && (info.layer == TileLayer::parcels || info.layer == TileLayer::buildings);

    mvt::LayerBuilder out(info.name, tile_extent);
    // Buffers kept from feature to feature: a tile of ten thousand parcels would otherwise
    // allocate a few vectors and strings for each.
    std::vector<DPoint> pts;
    std::vector<mvt::Point> tp, kept;
    mvt::GeometryEncoder geometry;
    std::vector<std::uint32_t> tags;
    const auto& s = L.schema;
    std::vector<std::uint32_t> string_keys, int_keys; // key indices, taken when first used
    string_keys.assign(s.strings.size(), ~0u);
    int_keys.assign(s.ints.size(), ~0u);
    auto snapped = [&](const DPoint& p) {
        return mvt::Point{static_cast<std::int32_t>(std::lround(std::round(p[0] / snap) * snap)),
                          static_cast<std::int32_t>(std::lround(std::round(p[1] / snap) * snap))};
    };
    auto snap_all = [&](const std::vector<DPoint>& part) {
        tp.clear();
        for (const auto& p : part)
            tp.push_back(snapped(p));
    };
    auto features = L.query(query);
    out.reserve_values(features.size() * (s.strings.size() + s.ints.size()));
    for (auto f : features) {
        const auto& b = L.box[f];
        auto type = static_cast<mvt::GeomType>(L.type[f]);
        if (drop_specks && type != mvt::GeomType::point && (b.max_x - b.min_x) * scale < pixel &&
            (b.max_y - b.min_y) * scale < pixel)
            continue;
        bool inside = b.min_x >= query.min_x && b.max_x <= query.max_x && b.min_y >= query.min_y &&
                      b.max_y <= query.max_y;
        geometry.clear();
        kept.clear();
        for (auto r = L.feature_ring[f]; r < L.feature_ring[f + 1]; ++r) {
            pts.clear();
            for (auto p = L.ring_start[r]; p < L.ring_start[r + 1]; ++p)
                pts.push_back({(L.xy[2 * p] - min_x) * scale, (max_y - L.xy[2 * p + 1]) * scale});
            bool outer = L.ring_outer[r] != 0;
            if (type == mvt::GeomType::polygon) {
                if (!inside)
                    pts = clip_ring(std::move(pts), lo, hi);
                if (pts.size() >= 3) {
                    snap_all(pts);
                    geometry.ring(tp, outer);
                } else if (outer) {
                    tp.clear(); // collapsed: keeps its holes from being taken as another's
                    geometry.ring(tp, true);
                }
            } else if (type == mvt::GeomType::line) {
                if (inside) {
                    snap_all(pts);
                    geometry.line(tp);
                } else {
                    for (const auto& piece : clip_line(pts, lo, hi)) {
                        snap_all(piece);
                        geometry.line(tp);
                    }
                }
            } else {
                for (const auto& p : pts)
                    if (p[0] >= 0 && p[0] < tile_extent && p[1] >= 0 && p[1] < tile_extent)
                        kept.push_back(snapped(p)); // a point belongs to one tile only
            }
        }
        if (type == mvt::GeomType::point)
            geometry.points(kept);
        if (geometry.empty())
            continue;
        // Keys and values are numbered in the order the added features first use them.
        tags.clear();
        for (size_t k = 0; k < s.strings.size(); ++k) {
            const auto& v = L.strings[f * s.strings.size() + k];
            if (v.empty())
                continue;
            if (string_keys[k] == ~0u)
                string_keys[k] = out.key_index(s.strings[k]);
            tags.push_back(string_keys[k]);
            tags.push_back(out.string_value_index(v));
        }
        for (size_t k = 0; k < s.ints.size(); ++k) {
            auto v = L.ints[f * s.ints.size() + k];
            if (v == 0)
                continue;
            if (int_keys[k] == ~0u)
                int_keys[k] = out.key_index(s.ints[k]);
            tags.push_back(int_keys[k]);
            tags.push_back(out.int_value_index(v));
        }
        out.add(std::uint64_t{f} + 1, type, geometry, tags);
    }
    std::vector<mvt::LayerBuilder> layers;
    layers.push_back(std::move(out));
    return mvt::encode_tile(layers);
}

// gzip at the fastest level: a tile is compressed once, when encoded. libdeflate, not zlib:
// compressing was 40 % of a cold tile's time with zlib at its fastest level, and libdeflate's
// fastest is about twice as fast and compresses better. One compressor per thread (it holds
// its tables).
std::string gzip_bytes(const std::string& in) {
    struct Compressor {
        libdeflate_compressor* c = libdeflate_alloc_compressor(1);
        ~Compressor() { libdeflate_free_compressor(c); }
    };
    thread_local Compressor z;
    if (!z.c)
        return {};
    std::string out;
    out.resize(libdeflate_gzip_compress_bound(z.c, in.size()));
    auto n = libdeflate_gzip_compress(z.c, in.data(), in.size(), out.data(), out.size());
    out.resize(n); // 0: did not fit, never with the bound; sent uncompressed then
    return out;
}

} // namespace

std::span<const TileLayerInfo> tile_layers() {
    return layer_table;
}

const TileLayerInfo& tile_layer_info(TileLayer layer) {
    for (const auto& i : layer_table)
        if (i.layer == layer)
            return i;
    throw_internal("unknown tile layer");
}

std::optional<TileLayer> tile_layer_from_name(std::string_view name) {
    for (const auto& i : layer_table)
        if (name == i.name)
            return i.layer;
    return std::nullopt;
}

std::optional<Envelope> wkb_envelope(const std::vector<unsigned char>& wkb) {
    Parts g;
    if (wkb.empty() || !WkbReader(wkb.data(), wkb.size()).read(g))
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

std::int64_t tile_date(const Date& d) {
    return static_cast<std::int64_t>(d.year()) * 10000 + d.month() * 100 + d.day();
}

struct TileService::Impl {
    std::size_t cache_bytes;
    std::shared_ptr<TileDiskCache> disk;
    std::uint64_t disk_hits = 0, disk_writes = 0;
    // One mutex per part: the light part is never kept waiting behind the parcels.
    std::mutex light_mutex, heavy_mutex;
    std::shared_ptr<const Index> light, heavy;

    // LRU: most recent first.
    std::mutex cache_mutex;
    std::list<std::string> order;
    struct Entry {
        std::list<std::string>::iterator pos;
        std::shared_ptr<const Encoded> tile;
    };
    std::unordered_map<std::string, Entry> cache;
    std::size_t bytes = 0;
    std::uint64_t hits = 0, misses = 0;

    std::mutex slots_mutex; // guards light and heavy themselves, never held while building

    std::shared_ptr<const Index> slot(IndexPart which) {
        std::lock_guard lock(slots_mutex);
        return which == IndexPart::light ? light : heavy;
    }

    std::shared_ptr<const Index> part(Store& store, IndexPart which, std::int64_t version) {
        // One build of a part at a time; a request for the same part waits for it.
        std::lock_guard build(which == IndexPart::light ? light_mutex : heavy_mutex);
        if (auto have = slot(which); have && have->data_version == version)
            return have;
        auto built = build_index(store, which);
        std::lock_guard lock(slots_mutex);
        (which == IndexPart::light ? light : heavy) = built;
        return built;
    }

    // The part that holds the layer for the store's data version now.
    std::shared_ptr<const Index> current(Store& store, TileLayer layer) {
        auto version = store.data_version();
        if (!is_heavy(layer)) {
            auto l = part(store, IndexPart::light, version);
            if (layer != TileLayer::projects || l->has_projects)
                return l;
        }
        return part(store, IndexPart::heavy, version);
    }
};

TileService::TileService(std::size_t cache_bytes, std::shared_ptr<TileDiskCache> disk)
    : m(std::make_unique<Impl>()) {
    m->cache_bytes = cache_bytes;
    m->disk = std::move(disk);
}

namespace {

// A tile on disk: the length of its bytes (8, little-endian), the bytes, then their gzip.
std::string disk_entry(const TileService::Encoded& e) {
    std::string out(8, '\0');
    std::uint64_t n = e.data.size();
    std::memcpy(out.data(), &n, 8);
    out += e.data;
    out += e.gzip;
    return out;
}

std::optional<TileService::Encoded> from_disk_entry(const std::string& s) {
    std::uint64_t n;
    if (s.size() < 8)
        return std::nullopt;
    std::memcpy(&n, s.data(), 8);
    if (n > s.size() - 8)
        return std::nullopt;
    TileService::Encoded e;
    e.data = s.substr(8, n);
    e.gzip = s.substr(8 + n);
    return e;
}

} // namespace

TileService::~TileService() = default;

std::string TileService::tile(Store& store, TileLayer layer, int z, int x, int y) {
    return encoded(store, layer, z, x, y)->data;
}

std::shared_ptr<const TileService::Encoded> TileService::encoded(Store& store, TileLayer layer,
                                                                 int z, int x, int y) {
    if (z < 0 || z > tile_max_zoom)
        throw_usage(fmt::format("zoom {} is outside 0–{}", z, tile_max_zoom),
                    "ask for /tiles/LAYER/Z/X/Y.mvt with a zoom the map uses");
    const std::int64_t n = std::int64_t{1} << z;
    if (x < 0 || y < 0 || x >= n || y >= n)
        throw_usage(fmt::format("tile {}/{}/{} does not exist (x and y are 0–{} at zoom {})", z, x,
                                y, n - 1, z),
                    "tiles are numbered as in the XYZ (Google/OSM) scheme");
    const auto& info = tile_layer_info(layer);
    auto idx = m->current(store, layer);
    if (z < info.min_zoom)
        return std::make_shared<const Encoded>();
    auto key = fmt::format("{}/{}/{}/{}/{}", idx->data_version, info.name, z, x, y);
    {
        std::lock_guard lock(m->cache_mutex);
        if (auto it = m->cache.find(key); it != m->cache.end()) {
            m->order.splice(m->order.begin(), m->order, it->second.pos);
            ++m->hits;
            return it->second.tile;
        }
        ++m->misses;
    }
    std::shared_ptr<Encoded> made;
    const bool use_disk = m->disk && !idx->disk_version.empty();
    auto disk_name = fmt::format("{}/{}/{}/{}.mvt", info.name, z, x, y);
    if (use_disk)
        if (auto got = m->disk->get(idx->disk_version, disk_name))
            if (auto e = from_disk_entry(*got)) {
                made = std::make_shared<Encoded>(std::move(*e));
                std::lock_guard lock(m->cache_mutex);
                ++m->disk_hits;
            }
    if (!made) {
        made = std::make_shared<Encoded>();
        made->data = encode(idx->layers.at(layer), info, z, x, y);
        if (made->data.size() >= 1024)
            made->gzip = gzip_bytes(made->data);
        if (use_disk && m->disk->put(idx->disk_version, disk_name, disk_entry(*made))) {
            std::lock_guard lock(m->cache_mutex);
            ++m->disk_writes;
        }
    }
    std::shared_ptr<const Encoded> body = made;
    std::lock_guard lock(m->cache_mutex);
    if (m->cache.count(key))
        return body;
    m->order.push_front(key);
    m->cache.emplace(key, Impl::Entry{m->order.begin(), body});
    m->bytes += body->data.size() + body->gzip.size() + key.size();
    while (m->bytes > m->cache_bytes && !m->order.empty()) {
        auto last = m->cache.find(m->order.back());
        m->bytes -=
            last->second.tile->data.size() + last->second.tile->gzip.size() + last->first.size();
        m->cache.erase(last);
        m->order.pop_back();
    }
    return body;
}

void TileService::warm_outlines(Store& store) {
    m->part(store, IndexPart::light, store.data_version());
}

void TileService::warm(Store& store) {
    auto version = store.data_version();
    m->part(store, IndexPart::light, version);
    m->part(store, IndexPart::heavy, version);
}

TileStats TileService::stats() {
    TileStats s;
    for (auto which : {IndexPart::light, IndexPart::heavy}) {
        auto idx = m->slot(which);
        if (!idx)
            continue;
        s.data_version = idx->data_version;
        s.features += idx->features();
        s.build_ms += idx->build_ms;
        s.segments_current = s.segments_current || idx->segments_current;
    }
    std::lock_guard lock(m->cache_mutex);
    s.cached_tiles = m->cache.size();
    s.cached_bytes = m->bytes;
    s.hits = m->hits;
    s.misses = m->misses;
    s.disk_hits = m->disk_hits;
    s.disk_writes = m->disk_writes;
    if (m->disk) {
        s.disk_folder = m->disk->folder().string();
        s.disk_bytes = m->disk->bytes();
        s.disk_writable = m->disk->writable();
    }
    return s;
}

} // namespace landclear
