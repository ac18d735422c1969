#include "landclear/server/tile_index.hpp"

#include "landclear/core/error.hpp"
#include "landclear/server/detail/tile_data.hpp"
#include "landclear/server/tile_disk_cache.hpp"

#include <cstring>
#include <fmt/format.h>
#include <list>
#include <mutex>
#include <unordered_map>

namespace landclear {

namespace {

// The index is built in tile_build.cpp and its tiles cut in tile_clip.cpp.
using server_detail::build_index;
using server_detail::encode;
using server_detail::gzip_bytes;
using server_detail::Index;
using server_detail::IndexPart;
using server_detail::is_heavy;
using server_detail::layer_table;

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

std::int64_t tile_date(const Date& d) {
    return static_cast<std::int64_t>(d.year()) * 10000 + d.month() * 100 + d.day();
}

struct TileService::Impl {
    std::size_t cache_bytes;
    std::shared_ptr<TileDiskCache> disk;
    ParcelBoxes parcel_boxes;
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
        auto built = build_index(store, which, parcel_boxes);
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

TileService::TileService(std::size_t cache_bytes, std::shared_ptr<TileDiskCache> disk,
                         ParcelBoxes parcel_boxes)
    : m(std::make_unique<Impl>()) {
    m->cache_bytes = cache_bytes;
    m->disk = std::move(disk);
    m->parcel_boxes = std::move(parcel_boxes);
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
