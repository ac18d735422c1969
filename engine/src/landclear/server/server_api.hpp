#pragma once
// The web viewer's read-only JSON API, without HTTP: the server (server.hpp) parses a request's
// parameters, calls one of these and sends the JSON. Kept apart from HTTP so the figures can be
// compared with the CLI's in tests. Figures come from the same library calls the commands use
// (compute_status for `status`), so the page and the printed tables cannot disagree.
//
// One ViewerApi holds one read-only store connection and is used by one thread at a time; the
// server keeps a pool of them. Results that need a pass over all geometries (project extents)
// are shared between connections through ViewerCache, keyed by the store's data version.
#include "landclear/analysis/corridor.hpp"
#include "landclear/core/date.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/schema.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/server/tile_disk_cache.hpp"
#include "landclear/server/tile_index.hpp"
#include "landclear/store/store.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace landclear {

// An Error that carries the HTTP status the server answers with (400 bad parameter, 404 unknown
// code, 413 too many features). Its message and hint become the JSON error body.
class ApiError : public Error {
public:
    ApiError(int status, std::string message, std::string hint = {});
    int status() const noexcept { return m_status; }

private:
    int m_status;
};

struct ApiLimits {
    std::size_t max_features = 50000; // per features request; past it a 413 asks to zoom in
    double max_bbox_degrees = 2.0;    // longest side of a requested bbox (a city is < 1°)
    std::optional<Date> known_on;     // serve the store as known on this day (--known-on)
    // Where tiles and figures are kept on disk (tile_disk_cache.hpp): "" the folder beside the
    // store (STORE.tiles), "off" none; at most tile_cache_bytes there.
    std::string tile_cache;
    std::uint64_t tile_cache_bytes = std::uint64_t{1} << 30;
};

// A WGS84 longitude/latitude box: west, south, east, north.
struct LonLatBox {
    double west = 0, south = 0, east = 0, north = 0;
};

// Request parameters as text, parsed strictly: ApiError(400) naming the parameter.
Date parse_api_date(std::string_view text, std::string_view param);
LonLatBox parse_api_bbox(std::string_view text, const ApiLimits& limits);
LayerKind parse_api_layer(std::string_view text);

// GET /api/stages: the stages of parcels and buildings with their keys (as in the features'
// "stage" property), zh/en labels and fill colours, and the attention colour for overdue and
// blocking parcels: core/stage.hpp's palette, so the web map draws what the printed maps draw.
nlohmann::json stages_json();

// Shared between the connections of one server.
class ViewerCache {
public:
    struct Extents {
        std::int64_t data_version = -1;
        std::map<std::string, LonLatBox> projects; // parcels and red line of each project
        std::optional<LonLatBox> all;
    };
    // The cached extents if computed for this data version, else computes them with `compute`.
    template <class F> std::shared_ptr<const Extents> extents(std::int64_t version, F compute) {
        std::lock_guard lock(m_mutex);
        if (!m_extents || m_extents->data_version != version)
            m_extents = std::make_shared<const Extents>(compute());
        return m_extents;
    }

    // The layers' feature counts and extent (working CRS) for /api/info: a count and a pass
    // over every geometry's box, asked by every page when it opens.
    struct LayerSummary {
        std::int64_t data_version = -1;
        std::vector<std::pair<std::string, std::int64_t>> counts;
        std::optional<Envelope> all;
    };
    template <class F>
    std::shared_ptr<const LayerSummary> layer_summary(std::int64_t version, F compute) {
        std::lock_guard lock(m_summary_mutex);
        if (!m_summary || m_summary->data_version != version)
            m_summary = std::make_shared<const LayerSummary>(compute());
        return m_summary;
    }

    // Corridor reports of every corridor as of a date (analyse_corridors recomputes the red-line
    // geometry when the store holds none, which a read-only server cannot save): kept for a few
    // dates per data version. One computation at a time; others wait for its result.
    struct Corridors {
        std::vector<CorridorReport> reports;
        std::set<std::string> blocking_parcels; // in a blocking stretch of some corridor
    };
    template <class F>
    std::shared_ptr<const Corridors> corridors(std::int64_t version, const Date& as_of, F compute) {
        std::lock_guard lock(m_corridor_mutex);
        if (m_corridor_version != version) {
            m_corridors.clear();
            m_corridor_version = version;
        }
        auto key = as_of.iso();
        if (auto it = m_corridors.find(key); it != m_corridors.end())
            return it->second;
        if (m_corridors.size() >= 16)
            m_corridors.erase(m_corridors.begin());
        auto result = std::make_shared<const Corridors>(compute());
        m_corridors[key] = result;
        return result;
    }

    // The project figures (`status --by project` as JSON) for a few (as-of, since) pairs per data
    // version: every page opens with them and they cost a status computation over every parcel
    // (a second at a million parcels), which would otherwise hold a store connection per request.
    template <class F>
    std::shared_ptr<const nlohmann::json> projects(std::int64_t version, const std::string& key,
                                                   F compute) {
        std::lock_guard lock(m_projects_mutex);
        if (m_projects_version != version) {
            m_projects.clear();
            m_projects_version = version;
        }
        if (auto it = m_projects.find(key); it != m_projects.end())
            return it->second;
        if (m_projects.size() >= 16)
            m_projects.erase(m_projects.begin());
        auto result = std::make_shared<const nlohmann::json>(compute());
        m_projects[key] = result;
        return result;
    }

    // With a disk cache (tile_disk_cache.hpp), the tiles and the project figures are also kept
    // there, so a restarted server (or a second one on the store) answers from it.
    // Each project's parcel box (Store::extents_by) for the store's data version: for the
    // project extents above and the tiles' city-wide index, read once for both.
    std::shared_ptr<const std::map<std::string, Envelope>> parcel_boxes(Store& store) {
        auto version = store.data_version();
        std::lock_guard lock(m_boxes_mutex);
        if (!m_boxes || m_boxes_version != version) {
            m_boxes = std::make_shared<const std::map<std::string, Envelope>>(
                store.extents_by(LayerKind::parcels, "project_code"));
            m_boxes_version = version;
        }
        return m_boxes;
    }

    explicit ViewerCache(std::shared_ptr<TileDiskCache> disk_cache = nullptr)
        : disk(std::move(disk_cache)),
          tiles(std::make_shared<TileService>(256u << 20, disk,
                                              [this](Store& s) { return parcel_boxes(s); })) {}

    const std::shared_ptr<TileDiskCache> disk;
    // Vector tiles of the store (tile_index.hpp): its own index and tile cache.
    const std::shared_ptr<TileService> tiles;

private:
    std::mutex m_mutex;
    std::shared_ptr<const Extents> m_extents;
    std::mutex m_summary_mutex;
    std::shared_ptr<const LayerSummary> m_summary;
    std::mutex m_corridor_mutex;
    std::int64_t m_corridor_version = -1;
    std::map<std::string, std::shared_ptr<const Corridors>> m_corridors;
    std::mutex m_boxes_mutex;
    std::int64_t m_boxes_version = -1;
    std::shared_ptr<const std::map<std::string, Envelope>> m_boxes;
    std::mutex m_projects_mutex;
    std::int64_t m_projects_version = -1;
    std::map<std::string, std::shared_ptr<const nlohmann::json>> m_projects;
};

struct FeatureQuery {
    LayerKind layer = LayerKind::parcels;
    std::optional<LonLatBox> bbox;
    Date as_of = Date::today();
    std::string project; // "" = all
    // Only the properties the map draws with (code, project, name, stage, signed/demolished):
    // a third of the full answer for parcels.
    bool map_view = false;
};

class ViewerApi {
public:
    ViewerApi(const std::string& store_path, ApiLimits limits, std::shared_ptr<ViewerCache> cache);
    ~ViewerApi();
    ViewerApi(const ViewerApi&) = delete;
    ViewerApi& operator=(const ViewerApi&) = delete;

    // Store name, working CRS, data version, feature counts, WGS84 extent, limits, today.
    nlohmann::json info();
    // The `status --by project` table as JSON rows (the CLI's column keys and unrounded values)
    // with each project's name, district, unit, deadline and WGS84 bbox; since adds the
    // increase columns as `status --since` does.
    nlohmann::json projects(const Date& as_of, const std::optional<Date>& since);
    // Every corridor: its row of `corridor --format json`'s "corridors" table (the same keys
    // and unrounded values) with its WGS84 bbox and start chainage.
    nlohmann::json corridors(const Date& as_of);
    // One corridor: its summary row, its chainage segments and its blocking stretches (rows of
    // the "segments" and "blocking" tables, the latter with parcel codes as a list).
    // ApiError(404) for an unknown code.
    nlohmann::json corridor(const std::string& code, const Date& as_of);
    // The parcels in a blocking stretch of some corridor as of the date (sorted codes); kept
    // apart from the features so the map never waits for the corridor analysis. When the
    // analysis fails: no parcels and analysis_error.
    nlohmann::json blocking(const Date& as_of);
    // One parcel: its fields, area, stage as of the date, project, and its buildings with their
    // households. ApiError(404) for an unknown code.
    nlohmann::json parcel(const std::string& code, const Date& as_of);
    // A GeoJSON FeatureCollection (RFC 7946: WGS84 lon/lat, 7 decimals) written by OGR's GeoJSON
    // driver; parcels carry their stage as of the date, buildings whether signed / demolished.
    // ApiError(413) past limits.max_features.
    std::string features(const FeatureQuery& query);
    // GET /api/issues: the issue list (问题清单) as of the date as a GeoJSON FeatureCollection
    // (WGS84, OGR's GeoJSON driver): id, target, target_code, label, project_code, unit, text,
    // raised_on, deadline, status (open, overdue, closed), overdue, days_overdue, closed_on,
    // area_m2; issues raised after the date are left out, closed ones too unless all is set.
    std::string issues(const Date& as_of, bool all);

    // GET /tiles/{layer}/{z}/{x}/{y}.mvt: a Mapbox Vector Tile (tile_index.hpp), "" when empty.
    std::shared_ptr<const TileService::Encoded> tile(TileLayer layer, int z, int x, int y);

    // Fill the shared caches so the first page view does not wait for them; errors are left
    // for the requests to report. warm_first_view: what the first view asks for (the layers'
    // counts and extent, the city-wide tile index, the project figures of the date); warm_rest:
    // the parcels' and buildings' tile index and the corridor analysis of the date, which the
    // server starts once no request has come for a moment (server.cpp). (The figures on a
    // thread and connection of their own, beside the rest of the first part, made no first
    // view faster at a million parcels: 2.07-2.89 s against 2.08-2.90 s in five runs each.)
    void warm_first_view(const Date& as_of);
    void warm_rest(const Date& as_of);

    Store& store() { return *m_store; }

private:
    nlohmann::json compute_projects(const Date& as_of, const std::optional<Date>& since);

    struct Impl;
    std::unique_ptr<Impl> m;
    std::unique_ptr<Store> m_store;
};

} // namespace landclear
