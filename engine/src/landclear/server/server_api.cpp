#include "landclear/server/server_api.hpp"

#include "landclear/analysis/issue_list.hpp"
#include "landclear/analysis/status.hpp"
#include "landclear/core/units.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/io/gdal_write.hpp"
#include "landclear/report/corridor_tables.hpp"
#include "landclear/report/status_table.hpp"
#include "landclear/report/table.hpp"

#include <atomic>
#include <charconv>
#include <cmath>
#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace landclear {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::optional<Date> date_value(const Value& v) {
    if (auto d = std::get_if<Date>(&v))
        return *d;
    return std::nullopt;
}

std::string text_value(const Value& v) {
    if (auto s = std::get_if<std::string>(&v))
        return *s;
    return value_text(v);
}

json value_json(const Value& v) {
    struct Visitor {
        json operator()(std::monostate) const { return nullptr; }
        json operator()(const std::string& s) const { return s; }
        json operator()(std::int64_t i) const { return i; }
        json operator()(double d) const { return d; }
        json operator()(const Date& d) const { return d.iso(); }
    };
    return std::visit(Visitor{}, v);
}

json cell_json(const Cell& c) {
    if (std::holds_alternative<std::monostate>(c))
        return nullptr;
    if (auto s = std::get_if<std::string>(&c))
        return *s;
    if (auto i = std::get_if<std::int64_t>(&c))
        return *i;
    return std::get<double>(c);
}

// The working-CRS fields of a parcel feature as the status code sees them.
ParcelRow parcel_row(const FeatureRow& f) {
    const auto& def = layer_def(LayerKind::parcels);
    auto at = [&](std::string_view name) -> const Value& {
        return f.values.at(static_cast<size_t>(field_index(def, name)));
    };
    ParcelRow p;
    p.code = text_value(at("parcel_code"));
    p.project_code = text_value(at("project_code"));
    p.district = text_value(at("district"));
    p.village = text_value(at("village"));
    p.owner_type = text_value(at("owner_type"));
    p.land_class = text_value(at("land_class"));
    p.acquired_on = date_value(at("acquired_on"));
    p.cleared_on = date_value(at("cleared_on"));
    p.delivered_on = date_value(at("delivered_on"));
    p.area_m2 = f.measure;
    return p;
}

BuildingDates building_dates(const FeatureRow& f) {
    const auto& def = layer_def(LayerKind::buildings);
    auto at = [&](std::string_view name) -> const Value& {
        return f.values.at(static_cast<size_t>(field_index(def, name)));
    };
    return {date_value(at("signed_on")), date_value(at("demolished_on"))};
}

OGRGeometryUniquePtr geometry_from_wkb(const std::vector<unsigned char>& wkb) {
    OGRGeometry* g = nullptr;
    if (wkb.empty() ||
        OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &g, wkb.size()) != OGRERR_NONE)
        return nullptr;
    return OGRGeometryUniquePtr(g);
}

void expand(std::optional<Envelope>& env, const OGREnvelope& e) {
    if (!env) {
        env = Envelope{e.MinX, e.MinY, e.MaxX, e.MaxY};
        return;
    }
    env->min_x = std::min(env->min_x, e.MinX);
    env->min_y = std::min(env->min_y, e.MinY);
    env->max_x = std::max(env->max_x, e.MaxX);
    env->max_y = std::max(env->max_y, e.MaxY);
}

json box_json(const std::optional<LonLatBox>& b) {
    if (!b)
        return nullptr;
    return json::array({b->west, b->south, b->east, b->north});
}

std::atomic<std::uint64_t> g_vsimem_counter{0};

std::shared_ptr<const ViewerCache::Corridors> corridor_data(Store& store, ViewerCache& cache,
                                                            const Date& as_of) {
    return cache.corridors(store.data_version(), as_of, [&] {
        ViewerCache::Corridors c;
        if (store.count(LayerKind::corridors) == 0)
            return c;
        CorridorOptions o;
        o.as_of = as_of;
        o.save = false; // the server's store is read-only
        c.reports = analyse_corridors(store, o);
        for (const auto& r : c.reports)
            for (const auto& b : r.blocking)
                c.blocking_parcels.insert(b.parcels.begin(), b.parcels.end());
        return c;
    });
}

ordered_json table_row_json(const Table& t, const Row& row) {
    ordered_json o = ordered_json::object();
    for (size_t c = 0; c < t.columns.size() && c < row.size(); ++c)
        o[t.columns[c].key] = cell_json(row[c]);
    return o;
}

const Table& table_named(const std::vector<Table>& tables, const std::string& name) {
    for (const auto& t : tables)
        if (t.name == name)
            return t;
    throw_internal(fmt::format("corridor report has no '{}' table", name));
}

std::string cell_text(const Cell& c) {
    if (auto s = std::get_if<std::string>(&c))
        return *s;
    return {};
}

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

struct ViewerApi::Impl {
    ApiLimits limits;
    std::shared_ptr<ViewerCache> cache;
    std::string store_name;
    int epsg = 0;
    std::unique_ptr<OGRSpatialReference> work_srs, wgs84;
    TransformPtr to_wgs, from_wgs;

    // The box around a box's edges, each densified to 21 points, after transformation. (GDAL's
    // TransformBounds took ~0.1 s for lon/lat to Gauss-Krüger here; this takes microseconds.)
    static std::optional<Envelope> transform_box(OGRCoordinateTransformation& ct, double x0,
                                                 double y0, double x1, double y1) {
        constexpr int n = 21;
        std::vector<double> xs, ys;
        for (int i = 0; i < n; ++i) {
            double t = static_cast<double>(i) / (n - 1);
            double x = x0 + (x1 - x0) * t, y = y0 + (y1 - y0) * t;
            xs.insert(xs.end(), {x, x, x0, x1});
            ys.insert(ys.end(), {y0, y1, y, y});
        }
        std::vector<int> ok(xs.size(), 0);
        if (!ct.Transform(xs.size(), xs.data(), ys.data(), nullptr, ok.data()))
            return std::nullopt;
        std::optional<Envelope> out;
        for (size_t i = 0; i < xs.size(); ++i) {
            if (!ok[i] || !std::isfinite(xs[i]) || !std::isfinite(ys[i]))
                return std::nullopt;
            OGREnvelope e;
            e.MinX = e.MaxX = xs[i];
            e.MinY = e.MaxY = ys[i];
            expand(out, e);
        }
        return out;
    }

    std::optional<LonLatBox> to_lonlat(const Envelope& e) const {
        auto b = transform_box(*to_wgs, e.min_x, e.min_y, e.max_x, e.max_y);
        if (!b)
            return std::nullopt;
        return LonLatBox{b->min_x, b->min_y, b->max_x, b->max_y};
    }

    Envelope to_working(const LonLatBox& b) const {
        auto e = transform_box(*from_wgs, b.west, b.south, b.east, b.north);
        if (!e)
            throw ApiError(400, "bbox cannot be transformed into the store's working CRS",
                           "ask for a box near the data (see /api/info extent)");
        return *e;
    }
};

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

json ViewerApi::info() {
    auto version = m_store->data_version();
    auto summary = m->cache->layer_summary(version, [&] {
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

void ViewerApi::warm(const Date& as_of) {
    // The tiles first (the city-wide layers, then the parcels: about 8 s at a million parcels),
    // then the project figures and the corridor analysis. Putting the figures before the
    // parcels' tiles did not make the first view at a million parcels faster (10.5 s against
    // 8.8 s, under more load) and made the first zoom in wait for the parcels (12.5 s).
    try {
        info(); // the layers' counts and extent: the first thing a page asks (1 s at 1M)
        m->cache->tiles->warm_outlines(*m_store);
        m->cache->tiles->warm(*m_store);
    } catch (const std::exception&) {
        // Reported by the tile requests.
    }
    try {
        projects(as_of, std::nullopt);
        // The corridor analysis (15 s at a million parcels) runs at a lower priority: on a
        // two-core machine it otherwise doubled the time of the tiles asked for meanwhile. Only
        // this warm-up thread is lowered (Linux priorities are per thread).
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
        corridor_data(*m_store, *m->cache, as_of);
    } catch (const std::exception&) {
        // The same error reaches the page through the request that needs the result.
    }
}

json ViewerApi::projects(const Date& as_of, const std::optional<Date>& since) {
    if (since && *since >= as_of)
        throw ApiError(400,
                       fmt::format("since {} is not before as_of {}", since->iso(), as_of.iso()),
                       "choose a since date before the as_of date");
    auto key = as_of.iso() + "/" + (since ? since->iso() : std::string());
    return *m->cache->projects(m_store->data_version(), key, [&] {
        // A restarted server takes them from the disk cache (they are a function of the data
        // and the dates only), else computes and keeps them there.
        auto& disk = m->cache->disk;
        auto version = disk ? tile_cache_version(*m_store) : std::string();
        auto name = fmt::format("figures/projects-{}-{}.json", as_of.iso(),
                                since ? since->iso() : std::string("none"));
        if (!version.empty())
            if (auto text = disk->get(version, name)) {
                auto j = json::parse(*text, nullptr, false);
                if (!j.is_discarded())
                    return j;
            }
        auto j = compute_projects(as_of, since);
        if (!version.empty())
            disk->put(version, name, j.dump());
        return j;
    });
}

json ViewerApi::compute_projects(const Date& as_of, const std::optional<Date>& since) {
    StatusOptions o;
    o.as_of = as_of;
    o.since = since;
    o.by = GroupBy::project;
    auto table = status_table(compute_status(*m_store, o));

    auto extents = m->cache->extents(m_store->data_version(), [&] {
        ViewerCache::Extents out;
        out.data_version = m_store->data_version();
        std::map<std::string, std::optional<Envelope>> boxes;
        auto collect = [&](LayerKind kind) {
            int code_field = field_index(layer_def(kind), "project_code");
            // Only the code and the geometry, whose box is read from the WKB directly: at a
            // million parcels, building each geometry took seconds.
            FeatureFilter f;
            f.fields = {"project_code"};
            m_store->for_each_feature(kind, f, [&](const FeatureRow& row) {
                auto env = wkb_envelope(row.wkb);
                if (!env)
                    return;
                OGREnvelope e;
                e.MinX = env->min_x;
                e.MinY = env->min_y;
                e.MaxX = env->max_x;
                e.MaxY = env->max_y;
                expand(boxes[text_value(row.values.at(static_cast<size_t>(code_field)))], e);
            });
        };
        collect(LayerKind::parcels);
        collect(LayerKind::projects);
        for (const auto& [code, env] : boxes)
            if (env)
                if (auto b = m->to_lonlat(*env))
                    out.projects[code] = *b;
        return out;
    });

    std::map<std::string, ProjectRow> rows_by_code;
    for (auto& p : m_store->projects())
        rows_by_code[p.code] = p;

    ordered_json j;
    j["as_of"] = as_of.iso();
    j["since"] = since ? json(since->iso()) : json(nullptr);
    j["title"] = table.title_zh;
    ordered_json cols = ordered_json::array();
    for (const auto& c : table.columns)
        cols.push_back({{"key", c.key}, {"label", c.zh}});
    j["columns"] = cols;
    auto row_json = [&](const Row& row) {
        ordered_json o = ordered_json::object();
        for (size_t c = 0; c < table.columns.size() && c < row.size(); ++c)
            o[table.columns[c].key] = cell_json(row[c]);
        return o;
    };
    j["projects"] = ordered_json::array();
    for (const auto& row : table.rows) {
        auto o = row_json(row);
        std::string code = o["group"].get<std::string>();
        auto p = rows_by_code.find(code);
        o["registered"] = p != rows_by_code.end();
        o["district"] = p != rows_by_code.end() ? p->second.district : std::string();
        o["unit"] = p != rows_by_code.end() ? p->second.unit : std::string();
        o["deadline"] = p != rows_by_code.end() && p->second.deadline
                            ? json(p->second.deadline->iso())
                            : json(nullptr);
        auto e = extents->projects.find(code);
        o["bbox"] = e != extents->projects.end() ? box_json(e->second) : json(nullptr);
        j["projects"].push_back(std::move(o));
    }
    j["totals"] = table.totals ? row_json(labelled_totals(table, Lang::zh)) : ordered_json();
    return j;
}

json ViewerApi::corridors(const Date& as_of) {
    ordered_json j;
    j["as_of"] = as_of.iso();
    j["corridors"] = ordered_json::array();
    std::map<std::string, std::optional<Envelope>> boxes;
    m_store->for_each_feature(LayerKind::corridors, FeatureFilter{}, [&](const FeatureRow& row) {
        auto g = geometry_from_wkb(row.wkb);
        if (!g)
            return;
        OGREnvelope e;
        g->getEnvelope(&e);
        expand(boxes[text_value(row.values.at(0))], e);
    });
    auto box_of = [&](const std::string& code) {
        auto b = boxes.find(code);
        return b != boxes.end() && b->second ? box_json(m->to_lonlat(*b->second)) : json(nullptr);
    };
    std::shared_ptr<const ViewerCache::Corridors> data;
    try {
        data = corridor_data(*m_store, *m->cache, as_of);
    } catch (const Error& e) {
        // The list still shows the corridors; the page says why there are no figures.
        j["analysis_error"] = e.full_message();
        for (const auto& c : m_store->corridors()) {
            ordered_json o;
            o["corridor"] = c.code;
            o["name"] = c.name;
            o["project"] = c.project_code;
            o["length_m"] = c.length_m;
            o["start_chainage_m"] = c.start_chainage_m;
            o["bbox"] = box_of(c.code);
            j["corridors"].push_back(std::move(o));
        }
        return j;
    }
    CorridorOptions o;
    o.as_of = as_of;
    auto tables = corridor_tables(data->reports, o);
    const auto& summary = table_named(tables, "corridors");
    j["columns"] = ordered_json::array();
    for (const auto& c : summary.columns)
        j["columns"].push_back({{"key", c.key}, {"label", c.zh}});
    // The table's rows: each corridor, then (several alignments) a row per alignment.
    std::vector<const CorridorReport*> row_reports;
    for (const auto& r : data->reports) {
        row_reports.push_back(&r);
        for (const auto& a : r.alignments)
            row_reports.push_back(&a);
    }
    for (size_t i = 0; i < summary.rows.size() && i < row_reports.size(); ++i) {
        auto row = table_row_json(summary, summary.rows[i]);
        const auto& r = *row_reports[i];
        row["start_chainage_m"] =
            r.segments.empty() ? r.start_chainage_m : r.segments.front().from_m;
        // A corridor of several alignments has no row of its own: framed on its first one.
        row["bbox"] = box_of(r.alignments.empty() ? r.row_code : r.alignments.front().row_code);
        j["corridors"].push_back(std::move(row));
    }
    if (summary.totals)
        j["totals"] = table_row_json(summary, labelled_totals(summary, Lang::zh));
    return j;
}

json ViewerApi::corridor(const std::string& code, const Date& as_of) {
    if (code.empty() || code.size() > 200)
        throw ApiError(400, "a corridor code has 1 to 200 characters");
    auto data = corridor_data(*m_store, *m->cache, as_of);
    const CorridorReport* report = nullptr;
    for (const auto& r : data->reports)
        if (r.code == code)
            report = &r;
    if (!report)
        throw ApiError(404, fmt::format("no corridor with code '{}'", code),
                       "the corridors are listed by /api/corridors");
    CorridorOptions o;
    o.as_of = as_of;
    std::vector<CorridorReport> one{*report};
    auto tables = corridor_tables(one, o);
    const auto& summary = table_named(tables, "corridors");
    const auto& segments = table_named(tables, "segments");
    const auto& blocking = table_named(tables, "blocking");

    ordered_json j;
    j["as_of"] = as_of.iso();
    j["code"] = report->code;
    j["name"] = report->name;
    j["project_code"] = report->project_code;
    j["start_chainage_m"] =
        report->segments.empty() ? report->start_chainage_m : report->segments.front().from_m;
    j["length_m"] = report->length_m;
    j["summary"] = summary.rows.empty() ? ordered_json() : table_row_json(summary, summary.rows[0]);
    j["segments"] = ordered_json::array();
    for (const auto& row : segments.rows)
        j["segments"].push_back(table_row_json(segments, row));
    j["blocking"] = ordered_json::array();
    int chainage_col = -1;
    for (size_t c = 0; c < blocking.columns.size(); ++c)
        if (blocking.columns[c].key == "chainage")
            chainage_col = static_cast<int>(c);
    for (const auto& row : blocking.rows) {
        auto o = table_row_json(blocking, row);
        std::string label =
            chainage_col >= 0 ? cell_text(row[static_cast<size_t>(chainage_col)]) : std::string();
        for (const auto& b : report->blocking)
            if (b.label == label) {
                o["from_m"] = b.from_m;
                o["to_m"] = b.to_m;
                o["first_segment"] = b.first_segment + 1; // as the segments table counts
                o["last_segment"] = b.last_segment + 1;
                o["parcel_list"] = b.parcels;
                o["building_list"] = b.buildings;
            }
        j["blocking"].push_back(std::move(o));
    }
    return j;
}

json ViewerApi::blocking(const Date& as_of) {
    ordered_json j;
    j["as_of"] = as_of.iso();
    j["parcels"] = ordered_json::array();
    try {
        auto data = corridor_data(*m_store, *m->cache, as_of);
        for (const auto& code : data->blocking_parcels)
            j["parcels"].push_back(code);
    } catch (const Error& e) {
        j["analysis_error"] = e.full_message();
    }
    return j;
}

json ViewerApi::parcel(const std::string& code, const Date& as_of) {
    if (code.empty() || code.size() > 200)
        throw ApiError(400, "a parcel code has 1 to 200 characters");
    std::optional<FeatureRow> found;
    FeatureFilter f;
    f.codes = {code};
    m_store->for_each_feature(LayerKind::parcels, f, [&](const FeatureRow& row) {
        if (!found)
            found = row;
    });
    if (!found)
        throw ApiError(404, fmt::format("no parcel with code '{}'", code),
                       "codes are the parcel_code values as imported; click a parcel on the map");
    const auto& def = layer_def(LayerKind::parcels);
    auto p = parcel_row(*found);
    auto stage = parcel_stage(p, as_of);

    ordered_json j;
    j["as_of"] = as_of.iso();
    for (size_t i = 0; i < def.fields.size(); ++i)
        j[std::string(def.fields[i].name)] = value_json(found->values.at(i));
    j["area_m2"] = p.area_m2;
    j["area_mu"] = m2_to_mu(p.area_m2);
    j["stage"] = stage_style(stage).key;
    j["status"] = stage_style(stage).zh;
    j["project_name"] = nullptr;
    for (const auto& pr : m_store->projects())
        if (pr.code == p.project_code)
            j["project_name"] = pr.name;
    if (auto g = geometry_from_wkb(found->wkb)) {
        OGREnvelope e;
        g->getEnvelope(&e);
        j["bbox"] = box_json(m->to_lonlat(Envelope{e.MinX, e.MinY, e.MaxX, e.MaxY}));
    } else {
        j["bbox"] = nullptr;
    }

    const auto& bdef = layer_def(LayerKind::buildings);
    auto bi = [&](std::string_view name) { return static_cast<size_t>(field_index(bdef, name)); };
    FeatureFilter bf;
    bf.with_geometry = false;
    if (!p.project_code.empty())
        bf.project_codes = {p.project_code};
    ordered_json buildings = ordered_json::array();
    std::int64_t households = 0, signed_h = 0, demolished_h = 0;
    double floor = 0;
    m_store->for_each_feature(LayerKind::buildings, bf, [&](const FeatureRow& row) {
        if (text_value(row.values.at(bi("parcel_code"))) != code)
            return;
        ordered_json b;
        for (size_t i = 0; i < bdef.fields.size(); ++i)
            b[std::string(bdef.fields[i].name)] = value_json(row.values.at(i));
        auto h = std::get_if<std::int64_t>(&row.values.at(bi("households")));
        auto fl = std::get_if<double>(&row.values.at(bi("floor_area_m2")));
        auto dates = building_dates(row);
        HouseholdCounts counted;
        counted.add(dates, h ? *h : 0, fl ? *fl : 0, as_of);
        b["footprint_m2"] = row.measure;
        b["signed"] = reached(dates.signed_on, as_of);
        b["demolished"] = reached(dates.demolished_on, as_of);
        b["stage"] = stage_style(building_stage(dates, as_of)).key;
        households += h ? *h : 0;
        floor += fl ? *fl : 0;
        signed_h += counted.signed_households;
        demolished_h += counted.demolished_households;
        buildings.push_back(std::move(b));
    });
    j["building_count"] = buildings.size();
    j["households"] = households;
    j["signed_households"] = signed_h;
    j["demolished_households"] = demolished_h;
    j["floor_area_m2"] = floor;
    j["buildings"] = std::move(buildings);
    return j;
}

namespace {

// The fields of a features response: where each schema field went (-1: not in this view) and
// the computed fields after them.
struct ResponseFields {
    std::vector<int> index;
    int next_index = 0;
    bool polygons = false;
    bool measures = false;
};

ResponseFields add_response_fields(gdal::Layer& layer, const LayerDef& def, const FeatureQuery& q) {
    auto add_field = [&](const std::string& name, OGRFieldType type,
                         OGRFieldSubType sub = OFSTNone) {
        OGRFieldDefn fd(name.c_str(), type);
        fd.SetSubType(sub);
        layer.add_field(fd);
    };
    // The map view carries only what the page needs to draw and to find a feature again (its
    // code, project, stage); a click asks /api/parcel for the rest. Full otherwise (downloads).
    auto in_map_view = [&](std::string_view name) {
        return name == def.key || name == "project_code" || name == "parcel_code" ||
               (name == "name" && q.layer != LayerKind::parcels);
    };
    ResponseFields fields;
    fields.index.assign(def.fields.size(), -1);
    for (size_t i = 0; i < def.fields.size(); ++i) {
        const auto& f = def.fields[i];
        if (q.map_view && !in_map_view(f.name))
            continue;
        fields.index[i] = fields.next_index++;
        switch (f.type) {
        case FieldType::integer:
            add_field(std::string(f.name), OFTInteger64);
            break;
        case FieldType::real:
            add_field(std::string(f.name), OFTReal);
            break;
        default:
            add_field(std::string(f.name), OFTString);
            break; // dates as YYYY-MM-DD
        }
    }
    fields.polygons = def.geom == GeomKind::polygon;
    fields.measures = !q.map_view || q.layer == LayerKind::corridors;
    if (fields.measures) {
        add_field(fields.polygons ? "area_m2" : "length_m", OFTReal);
        if (fields.polygons)
            add_field("area_mu", OFTReal);
    }
    if (q.layer == LayerKind::parcels) {
        add_field("stage", OFTString);
        if (!q.map_view)
            add_field("status", OFTString);
    }
    if (q.layer == LayerKind::buildings) {
        add_field("stage", OFTString);
        add_field("signed", OFTInteger, OFSTBoolean);
        add_field("demolished", OFTInteger, OFSTBoolean);
    }
    return fields;
}

void add_response_feature(gdal::Layer& layer, const LayerDef& def, const FeatureQuery& q,
                          const ResponseFields& fields, const FeatureRow& row,
                          OGRCoordinateTransformation* to_wgs) {
    gdal::Feature out(layer);
    OGRFeature& feature = out.get();
    for (size_t i = 0; i < def.fields.size(); ++i) {
        int idx = fields.index[i];
        if (idx < 0)
            continue;
        const auto& v = row.values.at(i);
        if (auto s = std::get_if<std::string>(&v))
            feature.SetField(idx, s->c_str());
        else if (auto n = std::get_if<std::int64_t>(&v))
            feature.SetField(idx, static_cast<GIntBig>(*n));
        else if (auto d = std::get_if<double>(&v))
            feature.SetField(idx, *d);
        else if (auto dt = std::get_if<Date>(&v))
            feature.SetField(idx, dt->iso().c_str());
        else
            feature.SetFieldNull(idx);
    }
    int next = fields.next_index;
    if (fields.measures) {
        feature.SetField(next++, row.measure);
        if (fields.polygons)
            feature.SetField(next++, m2_to_mu(row.measure));
    }
    if (q.layer == LayerKind::parcels) {
        const auto& style = stage_style(parcel_stage(parcel_row(row), q.as_of));
        feature.SetField(next++, style.key);
        if (!q.map_view)
            feature.SetField(next++, style.zh);
    }
    if (q.layer == LayerKind::buildings) {
        auto dates = building_dates(row);
        feature.SetField(next++, stage_style(building_stage(dates, q.as_of)).key);
        feature.SetField(next++, reached(dates.signed_on, q.as_of) ? 1 : 0);
        feature.SetField(next++, reached(dates.demolished_on, q.as_of) ? 1 : 0);
    }
    if (auto g = geometry_from_wkb(row.wkb)) {
        if (g->transform(to_wgs) != OGRERR_NONE)
            throw_internal(fmt::format("cannot transform {} feature to WGS84", def.name));
        out.set_geometry(std::move(g));
    }
    out.add_to_layer(fmt::format("{} {}", def.name, text_value(row.values.at(0))));
}

} // namespace

std::string ViewerApi::features(const FeatureQuery& q) {
    const auto& def = layer_def(q.layer);
    FeatureFilter filter;
    if (q.bbox)
        filter.bbox = m->to_working(*q.bbox);
    if (!q.project.empty()) {
        if (q.project.size() > 200)
            throw ApiError(400, "a project code has 1 to 200 characters");
        filter.project_codes = {q.project};
    }

    // Collected first, so a request past the limit is refused before anything is written.
    struct TooMany {};
    std::vector<FeatureRow> rows;
    try {
        m_store->for_each_feature(q.layer, filter, [&](const FeatureRow& row) {
            if (rows.size() >= m->limits.max_features)
                throw TooMany{};
            rows.push_back(row);
        });
    } catch (const TooMany&) {
        throw ApiError(
            413, fmt::format("more than {} {} in this view", m->limits.max_features, def.name),
            "zoom in, or ask for one project with project=CODE");
    }

    std::string path = fmt::format("/vsimem/landclear-serve-{}.geojson", ++g_vsimem_counter);
    // A failure writing to memory is ours, not the request's: internal (500).
    GdalErrorCapture errors;
    gdal::Dataset ds("GeoJSON", path, "the GeoJSON response", nullptr, ErrorKind::internal);
    // The geometries are transformed to WGS84 here (m->to_wgs, made once per connection); the
    // layer gets no SRS so the driver does not build a transformation of its own per request.
    // RFC7946=YES still gives 7 decimals and counter-clockwise outer rings.
    const char* lco[] = {"RFC7946=YES", nullptr};
    auto layer = ds.create_layer(std::string(def.name), nullptr, wkbUnknown, lco);
    ResponseFields fields = add_response_fields(layer, def, q);
    for (const auto& row : rows)
        add_response_feature(layer, def, q, fields, row, m->to_wgs.get());
    ds.close(); // flushes the file
    if (auto why = errors.errors(); !why.empty())
        throw_internal(fmt::format("cannot write the GeoJSON response: {}", why));

    vsi_l_offset length = 0;
    GByte* data = VSIGetMemFileBuffer(path.c_str(), &length, TRUE);
    if (!data)
        throw_internal("the in-memory GeoJSON vanished");
    std::string out(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
    CPLFree(data);
    return out;
}

std::string ViewerApi::issues(const Date& as_of, bool all) {
    IssueListOptions o;
    o.as_of = as_of;
    o.open_only = !all;
    auto list = list_issues(*m_store, o);
    std::string path = fmt::format("/vsimem/landclear-serve-{}.geojson", ++g_vsimem_counter);
    GdalErrorCapture errors;
    gdal::Dataset ds("GeoJSON", path, "the GeoJSON response", nullptr, ErrorKind::internal);
    const char* lco[] = {"RFC7946=YES", nullptr};
    auto layer = ds.create_layer("issues", nullptr, wkbUnknown, lco);
    const std::vector<std::pair<const char*, OGRFieldType>> fields{
        {"id", OFTString},        {"target", OFTString},       {"target_code", OFTString},
        {"label", OFTString},     {"project_code", OFTString}, {"unit", OFTString},
        {"text", OFTString},      {"raised_on", OFTString},    {"deadline", OFTString},
        {"status", OFTString},    {"overdue", OFTInteger},     {"days_overdue", OFTInteger},
        {"closed_on", OFTString}, {"area_m2", OFTReal}};
    for (const auto& [name, type] : fields) {
        OGRFieldDefn fd(name, type);
        if (std::string_view(name) == "overdue")
            fd.SetSubType(OFSTBoolean);
        layer.add_field(fd);
    }
    for (const auto& r : list.rows) {
        const auto& i = r.issue;
        gdal::Feature out(layer);
        OGRFeature& f = out.get();
        f.SetField("id", i.id.c_str());
        f.SetField("target", issue_target_name(i.target));
        f.SetField("target_code", i.target_code.c_str());
        f.SetField("label", i.target_label().c_str());
        f.SetField("project_code", i.project_code.c_str());
        f.SetField("unit", i.unit.c_str());
        f.SetField("text", i.text.c_str());
        f.SetField("raised_on", i.raised_on.iso().c_str());
        f.SetField("deadline", r.state.deadline.iso().c_str());
        f.SetField("status", !r.state.open ? "closed" : r.state.overdue ? "overdue" : "open");
        f.SetField("overdue", r.state.overdue ? 1 : 0);
        f.SetField("days_overdue", static_cast<int>(r.state.days_overdue));
        if (r.state.closed_on)
            f.SetField("closed_on", r.state.closed_on->iso().c_str());
        f.SetField("area_m2", i.area_m2);
        if (auto g = geometry_from_wkb(i.wkb)) {
            if (g->transform(m->to_wgs.get()) != OGRERR_NONE)
                throw_internal(fmt::format("cannot transform issue {} to WGS84", i.id));
            out.set_geometry(std::move(g));
        }
        out.add_to_layer("issue " + i.id);
    }
    ds.close();
    if (auto why = errors.errors(); !why.empty())
        throw_internal(fmt::format("cannot write the GeoJSON response: {}", why));
    vsi_l_offset length = 0;
    GByte* data = VSIGetMemFileBuffer(path.c_str(), &length, TRUE);
    if (!data)
        throw_internal("the in-memory GeoJSON vanished");
    std::string text(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
    CPLFree(data);
    return text;
}

} // namespace landclear
