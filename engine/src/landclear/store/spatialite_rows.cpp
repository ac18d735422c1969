// The SpatiaLite store's reads and the decoding of their result rows (detail/spatialite_store.hpp).
#include "landclear/store/detail/spatialite_store.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <sqlite3.h>
#include <thread>
#include <utility>
#include <vector>

// gaiageo.h needs sqlite3.h first.
#include <spatialite/gaiageo.h>

namespace landclear::spatialite_detail {

std::optional<std::string> SpatialiteStore::describe_code(LayerKind kind, std::string_view code) {
    const auto& def = layer_def(kind);
    auto st =
        m_db->prepare(fmt::format("SELECT t.source_fid, i.source FROM {} t LEFT JOIN imports i ON "
                                  "i.id = t.import_id WHERE t.{} = ?",
                                  def.name, def.key));
    st.bind(1, code);
    if (!st.step())
        return std::nullopt;
    return fmt::format("feature {} of {} (already in the store)", st.column_int(0),
                       st.column_text(1));
}

std::int64_t SpatialiteStore::count(LayerKind kind) {
    return m_db->query_int(fmt::format("SELECT count(*) FROM {}", table(kind))).value_or(0);
}

std::vector<ProjectRow> SpatialiteStore::projects() {
    std::vector<ProjectRow> out;
    auto st = m_db->prepare(fmt::format("SELECT project_code, name, district, unit, "
                                        "deadline, area_m2 FROM {} ORDER BY project_code",
                                        table(LayerKind::projects)));
    while (st.step())
        out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                       date_column(st, 4), real_column(st, 5)});
    return out;
}

std::vector<CorridorRow> SpatialiteStore::corridors() {
    std::vector<CorridorRow> out;
    auto st = m_db->prepare(
        fmt::format("SELECT corridor_code, project_code, name, width_m, start_chainage_m, "
                    "length_m, left_width_m, right_width_m, {}, {} FROM {} ORDER BY "
                    "corridor_code",
                    column_or_null("corridors", "chainage_breaks"),
                    column_or_null("corridors", "alignment"), table(LayerKind::corridors)));
    while (st.step()) {
        CorridorRow r{st.column_text(0),   st.column_text(1),   st.column_text(2),
                      st.column_double(3), st.column_double(4), st.column_double(5),
                      real_column(st, 6),  real_column(st, 7),  st.column_text(8),
                      st.column_text(9)};
        out.push_back(std::move(r));
    }
    return out;
}

void SpatialiteStore::for_each_parcel(const std::function<void(const ParcelRow&)>& fn) {
    for_each_parcel_fields({}, fn);
}

void SpatialiteStore::for_each_parcel_fields(const std::vector<std::string>& fields,
                                             const std::function<void(const ParcelRow&)>& fn) {
    auto st = m_db->prepare(parcel_select(fields));
    read_parcels(st, fn);
}

void SpatialiteStore::for_each_parcel_parts(
    const std::vector<std::string>& fields, unsigned parts,
    const std::function<void(unsigned part, const ParcelRow&)>& fn) {
    // The parts are ranges of ids, each read on its own read-only connection (the first on
    // this one). Only for a committed store read outside a write and without a knowledge
    // date (its views belong to this connection), and for a layer large enough to repay
    // opening connections.
    if (parts < 2 || m_tx || m_new || m_known_on)
        return for_each_parcel_fields(fields, [&](const ParcelRow& r) { fn(0, r); });
    // This connection's read transaction keeps its shared lock until every part is read:
    // no writer can commit in between, so all parts see the same version of the store.
    m_db->exec("BEGIN");
    struct End {
        sqlite::Database& db;
        ~End() {
            try {
                db.exec("COMMIT");
            } catch (...) {
                // A read transaction has nothing to keep; the connection ends it on close.
            }
        }
    } end{*m_db};
    std::int64_t lo = 0, hi = -1;
    {
        auto st = m_db->prepare("SELECT min(id), max(id) FROM parcels");
        if (st.step() && !st.is_null(0)) {
            lo = st.column_int(0);
            hi = st.column_int(1);
        }
    }
    constexpr std::int64_t min_rows_per_part = 100000;
    std::int64_t span = hi - lo + 1;
    parts = static_cast<unsigned>(
        std::clamp<std::int64_t>(span / min_rows_per_part, 1, static_cast<std::int64_t>(parts)));
    if (parts < 2)
        return for_each_parcel_fields(fields, [&](const ParcelRow& r) { fn(0, r); });
    std::string sql = parcel_select(fields) + " WHERE id BETWEEN ? AND ?";
    auto range = [&](unsigned k) {
        std::int64_t from = lo + span * k / parts, to = lo + span * (k + 1) / parts - 1;
        return std::pair{from, to};
    };
    auto read_part = [&](sqlite::Database& db, unsigned k) {
        auto st = db.prepare(sql);
        auto [from, to] = range(k);
        st.bind(1, from).bind(2, to);
        read_parcels(st, [&](const ParcelRow& r) { fn(k, r); });
    };
    std::vector<std::exception_ptr> errors(parts);
    std::vector<std::thread> threads;
    struct Join {
        std::vector<std::thread>& threads;
        ~Join() {
            for (auto& t : threads)
                t.join();
        }
    } join{threads};
    for (unsigned k = 1; k < parts; ++k)
        threads.emplace_back([&, k] {
            try {
                sqlite::Database db(m_path, false, true);
                read_part(db, k);
            } catch (...) {
                errors[k] = std::current_exception();
            }
        });
    try {
        read_part(*m_db, 0);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& t : threads)
        t.join();
    threads.clear();
    for (auto& e : errors)
        if (e)
            std::rethrow_exception(e);
}

void SpatialiteStore::for_each_building(const std::function<void(const BuildingRow&)>& fn) {
    auto st = m_db->prepare("SELECT building_code, parcel_code, households, floor_area_m2, "
                            "signed_on, demolished_on FROM " +
                            table(LayerKind::buildings));
    BuildingRow r;
    while (st.step()) {
        text_column(st, 0, r.code);
        text_column(st, 1, r.parcel_code);
        r.households = st.column_int(2);
        r.floor_area_m2 = st.column_double(3);
        r.signed_on = date_column(st, 4);
        r.demolished_on = date_column(st, 5);
        fn(r);
    }
}

std::vector<Finding> SpatialiteStore::findings(std::string_view origin) {
    std::vector<Finding> out;
    auto st = m_db->prepare(
        "SELECT origin, kind, layer, feature_code, source, source_fid, message, value, "
        "AsBinary(geom) FROM findings WHERE ?1 = '' OR origin = ?1 ORDER BY id");
    // A default string_view has no data: SQLite would bind NULL and match no finding.
    st.bind(1, origin.empty() ? std::string_view("") : origin);
    while (st.step()) {
        Finding f{st.column_text(0), st.column_text(1),  st.column_text(2),
                  st.column_text(3), st.column_text(4),  st.column_int(5),
                  st.column_text(6), real_column(st, 7), {}};
        auto blob = st.column_blob(8);
        f.wkb.assign(blob.begin(), blob.end());
        out.push_back(std::move(f));
    }
    return out;
}

void SpatialiteStore::for_each_feature(LayerKind kind, const FeatureFilter& filter,
                                       const std::function<void(const FeatureRow&)>& fn) {
    const auto& def = layer_def(kind);
    std::string cols;
    for (const auto& f : def.fields) {
        bool wanted = filter.fields.empty() || std::find(filter.fields.begin(), filter.fields.end(),
                                                         f.name) != filter.fields.end();
        cols += wanted ? fmt::format("{}, ", column_or_null(def.name, f.name, "t."))
                       : std::string("NULL, ");
    }
    std::string sql = fmt::format("SELECT {}t.{}, {} FROM {} t WHERE 1", cols, measure_column(def),
                                  filter.with_geometry ? "AsBinary(t.geom)" : "NULL", table(kind));
    std::vector<std::string> params;
    auto in_list = [&](const std::vector<std::string>& values) {
        return placeholders(values, params);
    };
    if (!filter.codes.empty())
        sql += fmt::format(" AND t.{} IN ({})", def.key, in_list(filter.codes));
    if (!filter.project_codes.empty()) {
        if (kind == LayerKind::buildings)
            sql += fmt::format(" AND t.parcel_code IN (SELECT parcel_code FROM {} WHERE "
                               "project_code IN ({}))",
                               table(LayerKind::parcels), in_list(filter.project_codes));
        else
            sql += fmt::format(" AND t.project_code IN ({})", in_list(filter.project_codes));
    }
    if (filter.bbox && !m_known_on && index_enabled(std::string(def.name)) &&
        !m_suspended.count(std::string(def.name)))
        sql += fmt::format(" AND t.id IN (SELECT pkid FROM idx_{}_geom WHERE xmax >= ? AND "
                           "xmin <= ? AND ymax >= ? AND ymin <= ?)",
                           def.name);
    else if (filter.bbox) // a version 1 store opened read-only: a layer never imported
        sql += " AND MbrMaxX(t.geom) >= ? AND MbrMinX(t.geom) <= ? AND MbrMaxY(t.geom) >= ? "
               "AND MbrMinY(t.geom) <= ?";
    sql += " ORDER BY t.id";
    CachedStatement cached(*this, std::move(sql));
    auto& st = *cached;
    int i = 1;
    for (const auto& p : params)
        st.bind(i++, std::string_view(p));
    if (filter.bbox) {
        st.bind(i, filter.bbox->min_x).bind(i + 1, filter.bbox->max_x);
        st.bind(i + 2, filter.bbox->min_y).bind(i + 3, filter.bbox->max_y);
    }
    std::vector<std::pair<std::string, FieldType>> fields;
    for (const auto& f : def.fields)
        fields.emplace_back(std::string(f.name), f.type);
    read_rows(st, fields, fn);
}

std::optional<Envelope> SpatialiteStore::extent(LayerKind kind) {
    const std::string name(layer_def(kind).name);
    // Through the layer's R*Tree when it is there (not under --known-on, whose views hold fewer
    // rows than the index): a scan of every geometry was 1.2 s at a million parcels, and the
    // web map waits for the extent before it draws. The R*Tree keeps each box in single
    // precision rounded outwards, so its extent is a bound, not the answer: on each side only
    // the features whose indexed box reaches within a few single-precision steps of that bound
    // can hold the exact extreme, and their exact boxes are read.
    auto rtree = fmt::format("idx_{}_geom", name);
    if (!m_known_on && has_table(rtree)) {
        auto bound = m_db->prepare(
            fmt::format("SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM \"{}\"", rtree));
        if (!bound.step() || bound.is_null(0))
            return std::nullopt;
        double b[4];
        for (int i = 0; i < 4; ++i)
            b[i] = bound.column_double(i);
        bound.reset();
        auto exact = [&](const char* fn, const char* agg, const char* column, const char* op,
                         double near) {
            auto st = m_db->prepare(fmt::format(
                "SELECT {agg}({fn}(geom)) FROM \"{t}\" WHERE ROWID IN (SELECT pkid FROM "
                "\"{r}\" WHERE {c} {op} ?)",
                fmt::arg("agg", agg), fmt::arg("fn", fn), fmt::arg("t", name), fmt::arg("r", rtree),
                fmt::arg("c", column), fmt::arg("op", op)));
            st.bind(1, near);
            if (!st.step() || st.is_null(0))
                throw_internal(
                    fmt::format("the spatial index of {} names no feature near {}", name, near));
            return st.column_double(0);
        };
        // Four steps of a float at the bound's magnitude (a step is 2^-23 of it at most).
        auto slack = [](double v) { return std::ldexp(std::max(std::abs(v), 1.0), -21); };
        return Envelope{exact("MbrMinX", "min", "xmin", "<=", b[0] + slack(b[0])),
                        exact("MbrMinY", "min", "ymin", "<=", b[1] + slack(b[1])),
                        exact("MbrMaxX", "max", "xmax", ">=", b[2] - slack(b[2])),
                        exact("MbrMaxY", "max", "ymax", ">=", b[3] - slack(b[3]))};
    }
    auto st = m_db->prepare(
        fmt::format("SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), "
                    "max(MbrMaxY(geom)) FROM {}",
                    table(kind)));
    if (!st.step() || st.is_null(0))
        return std::nullopt;
    return Envelope{st.column_double(0), st.column_double(1), st.column_double(2),
                    st.column_double(3)};
}

std::map<std::string, Envelope> SpatialiteStore::extents_by(LayerKind kind,
                                                            std::string_view field) {
    const auto& def = layer_def(kind);
    const int index = field_index(def, field);
    if (index < 0 || def.fields[static_cast<size_t>(index)].type != FieldType::text)
        throw_internal(fmt::format("extents_by: {} has no text field {}", def.name, field));
    // The box in the head of each SpatiaLite geometry blob, read by SpatiaLite's own
    // gaiaGetMbr*: no geometry is parsed, and no WKB made (AsBinary) for the one box wanted.
    auto st = m_db->prepare(fmt::format("SELECT {}, geom FROM {} WHERE geom IS NOT NULL",
                                        column_or_null(def.name, field), table(kind)));
    std::map<std::string, Envelope> out;
    std::string key;
    while (st.step()) {
        auto blob = st.column_blob(1);
        const auto size = static_cast<unsigned int>(blob.size());
        double b[4];
        if (!gaiaGetMbrMinX(blob.data(), size, &b[0]) ||
            !gaiaGetMbrMinY(blob.data(), size, &b[1]) ||
            !gaiaGetMbrMaxX(blob.data(), size, &b[2]) || !gaiaGetMbrMaxY(blob.data(), size, &b[3]))
            throw_input(fmt::format("a geometry of {} in {} is not a SpatiaLite geometry", def.name,
                                    m_path),
                        "import the layer again into a new store");
        key.assign(st.is_null(0) ? std::string_view() : st.column_text_view(0));
        auto [it, fresh] = out.try_emplace(key, Envelope{b[0], b[1], b[2], b[3]});
        if (!fresh) {
            auto& e = it->second;
            e.min_x = std::min(e.min_x, b[0]), e.min_y = std::min(e.min_y, b[1]);
            e.max_x = std::max(e.max_x, b[2]), e.max_y = std::max(e.max_y, b[3]);
        }
    }
    return out;
}

std::string SpatialiteStore::parcel_select(const std::vector<std::string>& fields) const {
    static const char* const columns[] = {
        "parcel_code", "project_code", "district",   "village",      "owner_type",
        "land_class",  "acquired_on",  "cleared_on", "delivered_on", "area_m2"};
    std::string select;
    for (const char* c : columns) {
        bool wanted = fields.empty() || std::find(fields.begin(), fields.end(), c) != fields.end();
        select += select.empty() ? "" : ", ";
        select += wanted ? c : "NULL";
    }
    return "SELECT " + select + " FROM " + table(LayerKind::parcels);
}

void SpatialiteStore::read_parcels(sqlite::Statement& st,
                                   const std::function<void(const ParcelRow&)>& fn) {
    ParcelRow r;
    while (st.step()) {
        text_column(st, 0, r.code);
        text_column(st, 1, r.project_code);
        text_column(st, 2, r.district);
        text_column(st, 3, r.village);
        text_column(st, 4, r.owner_type);
        text_column(st, 5, r.land_class);
        r.acquired_on = date_column(st, 6);
        r.cleared_on = date_column(st, 7);
        r.delivered_on = date_column(st, 8);
        r.area_m2 = st.column_double(9);
        fn(r);
    }
}

std::string SpatialiteStore::table(LayerKind kind) const {
    const auto& def = layer_def(kind);
    return m_known_on ? fmt::format("known_{}", def.name) : std::string(def.name);
}

void SpatialiteStore::read_rows(sqlite::Statement& st,
                                const std::vector<std::pair<std::string, FieldType>>& fields,
                                const std::function<void(const FeatureRow&)>& fn) {
    FeatureRow row;
    int n = static_cast<int>(fields.size());
    while (st.step()) {
        row.values.assign(fields.size(), std::monostate{});
        for (int c = 0; c < n; ++c) {
            if (st.is_null(c))
                continue;
            switch (fields[static_cast<size_t>(c)].second) {
            case FieldType::text:
                row.values[c] = st.column_text(c);
                break;
            case FieldType::integer:
                row.values[c] = st.column_int(c);
                break;
            case FieldType::real:
                row.values[c] = st.column_double(c);
                break;
            case FieldType::date:
                if (auto d = parse_date(st.column_text_view(c)))
                    row.values[c] = *d;
                break;
            }
        }
        row.measure = st.is_null(n) ? 0 : st.column_double(n);
        auto blob = st.column_blob(n + 1);
        row.wkb.assign(blob.begin(), blob.end());
        fn(row);
    }
}

} // namespace landclear::spatialite_detail
