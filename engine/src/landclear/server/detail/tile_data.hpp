#pragma once
// Private to server/: the tile index (tile_index.hpp) as the files that make it share it. The
// in-memory layers (Mercator coordinates, attributes, a grid index) and the index of a data
// version; built from the store in tile_build.cpp, cut into one tile and encoded in
// tile_clip.cpp; TileService (tile_index.cpp) keeps the index and the encoded tiles.
#include "landclear/server/tile_index.hpp"
#include "landclear/server/tile_mvt.hpp"
#include "landclear/store/store.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <ogr_spatialref.h>
#include <string>
#include <vector>

namespace landclear::server_detail {

inline constexpr std::array<TileLayerInfo, 7> layer_table{{
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

inline constexpr double earth_radius = 6378137.0;
inline constexpr double half_world = M_PI * earth_radius; // Web Mercator spans ±half_world

struct Parts {
    mvt::GeomType type = mvt::GeomType::polygon;
    std::vector<std::vector<std::array<double, 2>>> parts;
    std::vector<bool> exterior;
};

struct LayerSchema {
    std::vector<const char*> strings; // property names of the text attributes
    std::vector<const char*> ints;    // of the integer ones (dates as YYYYMMDD); 0 = absent
};

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

// The index is built in two parts, so that the city-wide view (project outlines, red lines,
// corridors) does not wait for a million parcels: `light` holds every layer but parcels and
// buildings, and the project outlines when every project with parcels has a red line (known from
// one pass over the parcels' project codes, without geometry); `heavy` holds the parcels, the
// buildings and, when some project is outlined by its parcels' box, the project outlines.
enum class IndexPart { light, heavy };

inline bool is_heavy(TileLayer layer) {
    return layer == TileLayer::parcels || layer == TileLayer::buildings;
}

// The part of the index for the store's data version now: one pass over its layers, the
// geometries projected to Web Mercator (tile_build.cpp).
std::shared_ptr<const Index> build_index(Store& store, IndexPart part,
                                         const ParcelBoxes& parcel_boxes);

// Tile z/x/y of a layer, clipped, snapped and encoded as a Mapbox Vector Tile ("" when no
// feature falls in it) (tile_clip.cpp).
std::string encode(const LayerData& L, const TileLayerInfo& info, int z, int x, int y);
// Its gzip-compressed bytes ("" when they could not be made).
std::string gzip_bytes(const std::string& in);

} // namespace landclear::server_detail
