// The viewer's JSON figures (server_api.hpp): the project figures (`status --by project`), the
// corridors and one corridor (`corridor`'s tables), the blocking parcels and one parcel, each as
// the CLI computes them.
#include "landclear/analysis/status.hpp"
#include "landclear/core/units.hpp"
#include "landclear/report/corridor_tables.hpp"
#include "landclear/report/status_table.hpp"
#include "landclear/report/table.hpp"
#include "landclear/server/detail/viewer_api.hpp"

#include <fmt/format.h>
#include <map>
#include <ogr_geometry.h>

namespace landclear {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using server_detail::box_json;
using server_detail::building_dates;
using server_detail::corridor_data;
using server_detail::expand;
using server_detail::geometry_from_wkb;
using server_detail::parcel_row;
using server_detail::text_value;

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

namespace server_detail {

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

} // namespace server_detail

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
        // The parcels' and the project outlines' boxes, each project's joined: the stored
        // boxes, read without the geometries (a second at a million parcels through the WKB).
        std::map<std::string, std::optional<Envelope>> boxes;
        auto add = [&](const std::map<std::string, Envelope>& by_project) {
            for (const auto& [code, e] : by_project) {
                OGREnvelope oe;
                oe.MinX = e.min_x, oe.MinY = e.min_y, oe.MaxX = e.max_x, oe.MaxY = e.max_y;
                expand(boxes[code], oe);
            }
        };
        add(*m->cache->parcel_boxes(*m_store)); // shared with the tiles' city-wide index
        add(m_store->extents_by(LayerKind::projects, "project_code"));
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

} // namespace landclear
