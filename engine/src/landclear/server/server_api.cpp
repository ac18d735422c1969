#include "landclear/server/server_api.hpp"

#include "landclear/io/crs.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/server/detail/viewer_api.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace landclear {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using server_detail::box_json;
using server_detail::corridor_data;
using server_detail::expand;

} // namespace

ApiError::ApiError(int status, std::string message, std::string hint)
    : Error(status == 404 ? ErrorKind::input : ErrorKind::usage, std::move(message),
            std::move(hint)),
      m_status(status) {}

Date parse_api_date(std::string_view text, std::string_view param) {
    auto bad = [&] {
        return ApiError(400, fmt::format("{} '{}' is not a date", param, text),
                        "write dates as YYYY-MM-DD, e.g. 2026-11-20");
    };
    if (text.size() != 10 || text[4] != '-' || text[7] != '-')
        throw bad();
    auto number = [&](size_t pos, size_t len) {
        int v = 0;
        auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, v);
        if (ec != std::errc() || ptr != text.data() + pos + len)
            throw bad();
        return v;
    };
    int y = number(0, 4), m = number(5, 2), d = number(8, 2);
    try {
        return Date(y, m, d);
    } catch (const Error&) {
        throw bad();
    }
}

LonLatBox parse_api_bbox(std::string_view text, const ApiLimits& limits) {
    const std::string hint = "write bbox=west,south,east,north in WGS84 degrees, e.g. "
                             "bbox=112.85,27.80,112.99,27.90";
    if (text.size() > 200)
        throw ApiError(400, "bbox is too long", hint);
    double v[4];
    size_t pos = 0;
    for (int i = 0; i < 4; ++i) {
        size_t end = text.find(',', pos);
        if ((i < 3) != (end != std::string_view::npos))
            throw ApiError(400, fmt::format("bbox '{}' does not have four numbers", text), hint);
        auto part = text.substr(pos, i < 3 ? end - pos : std::string_view::npos);
        auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v[i]);
        if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() ||
            !std::isfinite(v[i]))
            throw ApiError(400, fmt::format("bbox '{}': '{}' is not a number", text, part), hint);
        pos = end + 1;
    }
    LonLatBox b{v[0], v[1], v[2], v[3]};
    if (b.west < -180 || b.east > 180 || b.south < -90 || b.north > 90)
        throw ApiError(400, fmt::format("bbox '{}' is outside longitude ±180 / latitude ±90", text),
                       hint);
    if (!(b.west < b.east) || !(b.south < b.north))
        throw ApiError(400,
                       fmt::format("bbox '{}': west must be less than east and south "
                                   "less than north",
                                   text),
                       hint);
    if (b.east - b.west > limits.max_bbox_degrees || b.north - b.south > limits.max_bbox_degrees)
        throw ApiError(
            400,
            fmt::format("bbox '{}' is larger than {}° on a side", text, limits.max_bbox_degrees),
            "zoom in, or ask for one project with project=CODE");
    return b;
}

LayerKind parse_api_layer(std::string_view text) {
    if (auto k = layer_from_name(text))
        return *k;
    throw ApiError(404, fmt::format("no layer '{}'", text),
                   "layers are parcels, buildings, corridors and projects");
}

json stages_json() {
    auto style_json = [](const StageStyle& st) {
        return ordered_json{{"key", st.key}, {"zh", st.zh}, {"en", st.en}, {"fill", st.fill.hex()}};
    };
    ordered_json j;
    j["rule"] = "each date counts on its own; a feature's stage is the furthest whose date is "
                "on or before as_of";
    j["parcel"] = ordered_json::array();
    for (auto s : all_parcel_stages)
        j["parcel"].push_back(style_json(stage_style(s)));
    j["building"] = ordered_json::array();
    for (auto s : all_building_stages)
        j["building"].push_back(style_json(stage_style(s)));
    j["attention"] = attention_colour.hex();
    return j;
}

ViewerApi::ViewerApi(const std::string& store_path, ApiLimits limits,
                     std::shared_ptr<ViewerCache> cache)
    : m(std::make_unique<Impl>()) {
    ensure_gdal_registered();
    m_store = open_store(store_path, StoreMode::read);
    if (limits.known_on)
        m_store->set_known_on(*limits.known_on);
    m->limits = limits;
    m->cache = cache ? std::move(cache) : std::make_shared<ViewerCache>();
    m->store_name = m_store->display_name();
    auto epsg = m_store->working_epsg();
    if (!epsg)
        throw_input(
            fmt::format("store {} has no working CRS: it holds no geometry yet", store_path),
            "import parcels first: landclear import STORE --parcels FILE");
    m->epsg = *epsg;
    m->work_srs = srs_from_epsg(m->epsg);
    m->wgs84 = srs_from_epsg(4326);
    m->to_wgs = make_transform(*m->work_srs, *m->wgs84);
    m->from_wgs = make_transform(*m->wgs84, *m->work_srs);
}

ViewerApi::~ViewerApi() = default;

namespace {

// The layers' counts and extent as the disk cache keeps them (figures/layers.json).
json summary_json(const ViewerCache::LayerSummary& s) {
    json j = {{"counts", json::array()}, {"extent", nullptr}};
    for (const auto& [layer, n] : s.counts)
        j["counts"].push_back({layer, n});
    if (s.all)
        j["extent"] = {s.all->min_x, s.all->min_y, s.all->max_x, s.all->max_y};
    return j;
}

// nullopt for an entry this server cannot read (then the summary is computed again).
std::optional<ViewerCache::LayerSummary> summary_from_json(const std::string& text,
                                                           std::int64_t version) {
    auto j = json::parse(text, nullptr, false);
    try {
        ViewerCache::LayerSummary s;
        s.data_version = version;
        for (const auto& c : j.at("counts"))
            s.counts.emplace_back(c.at(0).get<std::string>(), c.at(1).get<std::int64_t>());
        if (const auto& e = j.at("extent"); !e.is_null())
            s.all = Envelope{e.at(0).get<double>(), e.at(1).get<double>(), e.at(2).get<double>(),
                             e.at(3).get<double>()};
        return s;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

} // namespace

json ViewerApi::info() {
    auto version = m_store->data_version();
    auto summary = m->cache->layer_summary(version, [&] {
        // A restarted server takes them from the disk cache, as it does the project figures:
        // the extent is a scan of every geometry (1.2 s at a million parcels), and the page
        // waits for it before it draws the map.
        auto& disk = m->cache->disk;
        auto disk_version = disk ? tile_cache_version(*m_store) : std::string();
        const std::string name = "figures/layers.json";
        if (!disk_version.empty())
            if (auto text = disk->get(disk_version, name))
                if (auto s = summary_from_json(*text, version))
                    return *s;
        ViewerCache::LayerSummary out;
        out.data_version = version;
        for (const auto& def : all_layers()) {
            out.counts.emplace_back(std::string(def.name), m_store->count(def.kind));
            if (auto e = m_store->extent(def.kind)) {
                OGREnvelope oe;
                oe.MinX = e->min_x, oe.MinY = e->min_y, oe.MaxX = e->max_x, oe.MaxY = e->max_y;
                expand(out.all, oe);
            }
        }
        if (!disk_version.empty())
            disk->put(disk_version, name, summary_json(out).dump());
        return out;
    });
    json counts = json::object();
    for (const auto& [name, n] : summary->counts)
        counts[name] = n;
    const auto& all = summary->all;
    json j;
    j["api"] = 1;
    j["store"] = m->store_name;
    j["working_crs"] = fmt::format("EPSG:{}", m->epsg);
    j["data_version"] = version;
    j["counts"] = counts;
    j["extent"] = all ? box_json(m->to_lonlat(*all)) : json(nullptr);
    j["limits"] = {{"max_features", m->limits.max_features},
                   {"max_bbox_degrees", m->limits.max_bbox_degrees}};
    j["today"] = Date::today().iso();
    j["corridor_analysis"] = true;
    // The vector tile layers the page draws, with the zooms they are served at.
    json tiles = json::array();
    for (const auto& t : tile_layers())
        tiles.push_back({{"name", t.name},
                         {"zh", t.zh},
                         {"min_zoom", t.min_zoom},
                         {"max_zoom", t.max_zoom},
                         {"tile_size", tile_pixels},
                         {"url", fmt::format("tiles/{}/{{z}}/{{x}}/{{y}}.mvt", t.name)}});
    j["tiles"] = tiles;
    // The tile index and cache as they are now (built on the first tile request or at start).
    auto st = m->cache->tiles->stats();
    j["tile_cache"] = {{"data_version", st.data_version},
                       {"features", st.features},
                       {"build_ms", st.build_ms},
                       {"tiles", st.cached_tiles},
                       {"bytes", st.cached_bytes},
                       {"hits", st.hits},
                       {"misses", st.misses},
                       {"segments_current", st.segments_current},
                       {"disk_folder", st.disk_folder},
                       {"disk_hits", st.disk_hits},
                       {"disk_writes", st.disk_writes},
                       {"disk_bytes", st.disk_bytes},
                       {"disk_writable", st.disk_writable}};
    return j;
}

std::shared_ptr<const TileService::Encoded> ViewerApi::tile(TileLayer layer, int z, int x, int y) {
    return m->cache->tiles->encoded(*m_store, layer, z, x, y);
}

void ViewerApi::warm_first_view(const Date& as_of) {
    try {
        info();
        m->cache->tiles->warm_outlines(*m_store);
    } catch (const std::exception&) {
        // Reported by the tile requests.
    }
    try {
        projects(as_of, std::nullopt);
    } catch (const std::exception&) {
        // The same error reaches the page through /api/projects.
    }
}

void ViewerApi::warm_rest(const Date& as_of) {
    // The parcels' and buildings' index (seconds on both cores at a million parcels, needed
    // once the map is zoomed in), then the corridor analysis. The index keeps the server's
    // priority: lowered, it made no first view faster, and a request that needs it meanwhile
    // cannot raise it again.
    try {
        m->cache->tiles->warm(*m_store);
    } catch (const std::exception&) {
        // Reported by the tile requests.
    }
    // The corridor analysis (15 s at a million parcels) runs at a lower priority: on a
    // two-core machine it otherwise doubled the time of the tiles asked for meanwhile. Only
    // this warm-up thread is lowered (Linux priorities are per thread).
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
    try {
        corridor_data(*m_store, *m->cache, as_of);
    } catch (const std::exception&) {
        // The same error reaches the page through the request that needs the result.
    }
}

} // namespace landclear
