#pragma once
// Vector tiles for the web map: `GET /tiles/{layer}/{z}/{x}/{y}.mvt`. The geometries of a store
// are read once per data version (one pass over each layer), projected to Web Mercator — for
// drawing only, nothing is measured there — and kept in memory with a grid index; a tile is then
// clipped (with a buffer), snapped to its grid and encoded as a Mapbox Vector Tile
// (tile_mvt.hpp). Encoded tiles are kept in a least-recently-used cache. The store is only read.
//
// Each feature carries its code and the dates its stage is computed from (as YYYYMMDD integers),
// so the page colours any as-of date from the tiles it has (core/stage.hpp's rule), never
// fetching them again. Layers and the zooms they are served at: tile_layers().
#include "landclear/store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace landclear {

enum class TileLayer { parcels, buildings, redlines, corridors, segments, projects, findings };

struct TileLayerInfo {
    TileLayer layer;
    const char* name; // in the URL and as the MVT layer name
    int min_zoom;     // below it the layer's tiles are empty (parcels are specks there)
    int max_zoom;     // above it the page over-zooms the tiles of this zoom
    // (tile zooms: drawn 512 pixels wide, a tile of zoom z shows at map zoom z + 1)
    const char* zh;
};
std::span<const TileLayerInfo> tile_layers();
const TileLayerInfo& tile_layer_info(TileLayer layer);
std::optional<TileLayer> tile_layer_from_name(std::string_view name);

inline constexpr int tile_max_zoom = 22; // the deepest zoom a request may name
inline constexpr std::uint32_t tile_extent = 4096;
inline constexpr std::uint32_t tile_buffer = 64; // tile units around the tile, against seams
inline constexpr int tile_pixels = 512;          // how wide the map draws a tile

// The box around a WKB geometry's points (2D; Z and M ignored), read without building the
// geometry; none for an empty, unknown or truncated blob.
std::optional<Envelope> wkb_envelope(const std::vector<unsigned char>& wkb);

// A date as the tiles carry it: 2026-11-20 -> 20261120 (so the page compares integers).
std::int64_t tile_date(const Date& d);

struct TileStats {
    std::int64_t data_version = -1;
    std::size_t features = 0;     // indexed, all layers
    double build_ms = 0;          // reading and projecting them
    std::size_t cached_tiles = 0; // in the LRU cache now
    std::size_t cached_bytes = 0; //
    std::uint64_t hits = 0, misses = 0;
    bool segments_current = false; // the stored corridor segments match the data
    // The disk cache (tile_disk_cache.hpp): "" when off; tiles read from it and written to it.
    std::string disk_folder;
    std::uint64_t disk_hits = 0, disk_writes = 0, disk_bytes = 0;
    bool disk_writable = false;
};

class TileDiskCache;

// Each project's parcel box (Store::extents_by(parcels, "project_code")) for the store's data
// version, from a cache the server shares with the project figures, which need the same boxes:
// read once per data version, not once for each (0.2 s at a million parcels).
using ParcelBoxes =
    std::function<std::shared_ptr<const std::map<std::string, Envelope>>(Store& store)>;

// Shared by the connections of one server (ViewerCache holds one); thread-safe.
class TileService {
public:
    // With a disk cache, a tile not in memory is looked for there before it is encoded, and
    // written there once encoded (tile_disk_cache.hpp); the store is never written.
    // Without parcel_boxes the index reads them itself.
    explicit TileService(std::size_t cache_bytes = 256u << 20,
                         std::shared_ptr<TileDiskCache> disk = nullptr,
                         ParcelBoxes parcel_boxes = nullptr);
    ~TileService();
    TileService(const TileService&) = delete;
    TileService& operator=(const TileService&) = delete;

    // The encoded tile ("" when no feature falls in it, a valid empty tile). z, x, y must be a
    // tile of the XYZ scheme (0 <= x, y < 2^z, z <= tile_max_zoom): Error(usage) otherwise.
    // The first call for a data version reads the store (others wait for it).
    std::string tile(Store& store, TileLayer layer, int z, int x, int y);
    // The same with its gzip-compressed bytes (empty when too small to be worth it), both kept
    // in the cache, so a cached tile costs no compression.
    struct Encoded {
        std::string data, gzip;
    };
    std::shared_ptr<const Encoded> encoded(Store& store, TileLayer layer, int z, int x, int y);
    // Reads the store now, so the first page view does not wait: warm_outlines the layers of
    // the city-wide view only (project outlines, red lines, corridors), warm everything.
    void warm_outlines(Store& store);
    void warm(Store& store);
    TileStats stats();

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace landclear
