// One tile of the index (tile_index.hpp): its features clipped to the buffered tile, snapped to
// its grid and encoded as a Mapbox Vector Tile (tile_mvt.hpp), and the tile's gzip.
#include "landclear/server/detail/tile_data.hpp"
#include "landclear/server/tile_mvt.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <libdeflate.h>
#include <string>
#include <vector>

namespace landclear::server_detail {

namespace {

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

} // namespace

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

} // namespace landclear::server_detail
