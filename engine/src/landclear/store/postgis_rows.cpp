// The PostGIS store's reads (detail/postgis_store.hpp): features, the layers' own rows,
// history, derived layers; and the decoding of their result rows.
#include "landclear/store/detail/postgis_store.hpp"

#include <algorithm>
#include <cctype>

namespace landclear::postgis_detail {

std::optional<Date> date_of(const pg::Result& r, int row, int col) {
    if (r.is_null(row, col))
        return std::nullopt;
    return parse_date(r.text(row, col));
}

void text_into(const pg::Result& r, int row, int col, std::string& out) {
    auto t = r.text(row, col);
    out.assign(t.data(), t.size());
}

std::optional<std::string> PostgisStore::describe_code(LayerKind kind, std::string_view code) {
    const auto& def = layer_def(kind);
    auto& pending = m_pending_codes[kind];
    if (pending.count(std::string(code)) || m_superseded[kind].count(std::string(code)))
        flush();
    auto r = read(fmt::format("SELECT t.source_fid, coalesce(i.source, '') FROM {} t LEFT "
                              "JOIN {} i ON i.id = t.import_id WHERE t.{} = $1",
                              t(def.name), t("imports"), def.key),
                  {std::string(code)});
    if (r.rows() == 0)
        return std::nullopt;
    return fmt::format("feature {} of {} (already in the store)", r.int64(0, 0), r.text(0, 1));
}

std::int64_t PostgisStore::count(LayerKind kind) {
    sync(kind);
    return read(fmt::format("SELECT count(*) FROM {} t", table(kind))).int64(0, 0);
}

std::vector<ProjectRow> PostgisStore::projects() {
    std::vector<ProjectRow> out;
    auto r = run(fmt::format("SELECT project_code, name, district, unit, deadline, area_m2 "
                             "FROM {} t ORDER BY project_code COLLATE \"C\"",
                             table(LayerKind::projects)));
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({r.str(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3), date_of(r, i, 4),
                       r.opt_real(i, 5)});
    return out;
}

std::vector<CorridorRow> PostgisStore::corridors() {
    std::vector<CorridorRow> out;
    auto r = run(fmt::format("SELECT corridor_code, project_code, name, width_m, "
                             "start_chainage_m, length_m, left_width_m, right_width_m, "
                             "chainage_breaks, alignment FROM {} t ORDER BY corridor_code "
                             "COLLATE \"C\"",
                             table(LayerKind::corridors)));
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({r.str(i, 0), r.str(i, 1), r.str(i, 2), r.real(i, 3), r.real(i, 4),
                       r.real(i, 5), r.opt_real(i, 6), r.opt_real(i, 7), r.str(i, 8), r.str(i, 9)});
    return out;
}

void PostgisStore::for_each_parcel(const std::function<void(const ParcelRow&)>& fn) {
    auto r = run(fmt::format("SELECT parcel_code, project_code, district, village, "
                             "owner_type, land_class, acquired_on, cleared_on, delivered_on, "
                             "area_m2 FROM {} t ORDER BY {}",
                             table(LayerKind::parcels), scan_order()));
    ParcelRow p;
    for (int i = 0; i < r.rows(); ++i) {
        text_into(r, i, 0, p.code);
        text_into(r, i, 1, p.project_code);
        text_into(r, i, 2, p.district);
        text_into(r, i, 3, p.village);
        text_into(r, i, 4, p.owner_type);
        text_into(r, i, 5, p.land_class);
        p.acquired_on = date_of(r, i, 6);
        p.cleared_on = date_of(r, i, 7);
        p.delivered_on = date_of(r, i, 8);
        p.area_m2 = r.real(i, 9);
        fn(p);
    }
}

void PostgisStore::for_each_building(const std::function<void(const BuildingRow&)>& fn) {
    auto r = run(fmt::format("SELECT building_code, parcel_code, households, floor_area_m2, "
                             "signed_on, demolished_on FROM {} t ORDER BY {}",
                             table(LayerKind::buildings), scan_order()));
    BuildingRow b;
    for (int i = 0; i < r.rows(); ++i) {
        text_into(r, i, 0, b.code);
        text_into(r, i, 1, b.parcel_code);
        b.households = r.int64(i, 2);
        b.floor_area_m2 = r.real(i, 3);
        b.signed_on = date_of(r, i, 4);
        b.demolished_on = date_of(r, i, 5);
        fn(b);
    }
}

std::vector<Finding> PostgisStore::findings(std::string_view origin) {
    std::vector<Finding> out;
    auto r = run(fmt::format("SELECT coalesce(origin, ''), coalesce(kind, ''), "
                             "coalesce(layer, ''), coalesce(feature_code, ''), "
                             "coalesce(source, ''), source_fid, message, value, "
                             "ST_AsBinary(geom) FROM {} WHERE $1 = '' OR origin = $1 ORDER "
                             "BY id",
                             t("findings")),
                 {std::string(origin)});
    for (int i = 0; i < r.rows(); ++i) {
        Finding f{r.str(i, 0),   r.str(i, 1), r.str(i, 2),      r.str(i, 3), r.str(i, 4),
                  r.int64(i, 5), r.str(i, 6), r.opt_real(i, 7), {}};
        r.bytea(i, 8, f.wkb);
        out.push_back(std::move(f));
    }
    return out;
}

void PostgisStore::for_each_feature(LayerKind kind, const FeatureFilter& filter,
                                    const std::function<void(const FeatureRow&)>& fn) {
    const auto& def = layer_def(kind);
    pg::Params params;
    auto where = feature_conditions(kind, filter, params);
    if (filter.bbox) {
        auto n = params.size();
        for (double v :
             {filter.bbox->min_x, filter.bbox->min_y, filter.bbox->max_x, filter.bbox->max_y})
            params.push_back(pg::real_text(v));
        where += fmt::format(" AND t.geom && ST_MakeEnvelope(${}, ${}, ${}, ${}, {})", n + 1, n + 2,
                             n + 3, n + 4, m_epsg.value_or(0));
    }
    auto sql = fmt::format("SELECT {} FROM {} t WHERE true{} ORDER BY t.id",
                           feature_columns(def, filter), table(kind), where);
    sync_for(kind, filter);
    read_rows(input_reader().query_binary(sql, params), layer_fields(def), 0, DateColumns::date,
              fn);
}

// One query for all the boxes: the boxes as four arrays joined to the layer by its GiST
// index, each feature once (DISTINCT ON its id, at the first box it meets), ordered as
// the box-by-box reads would give them.
void PostgisStore::for_each_feature_in_boxes(LayerKind kind, const FeatureFilter& filter,
                                             const std::vector<Envelope>& boxes,
                                             const std::function<void(const FeatureRow&)>& fn) {
    if (boxes.empty())
        return;
    const auto& def = layer_def(kind);
    pg::Params params;
    auto where = feature_conditions(kind, filter, params);
    std::string arrays[4];
    for (const auto& b : boxes) {
        const double v[4] = {b.min_x, b.min_y, b.max_x, b.max_y};
        for (int k = 0; k < 4; ++k)
            arrays[k] += (arrays[k].empty() ? "{" : ",") + pg::real_text(v[k]);
    }
    auto n = params.size();
    for (auto& a : arrays)
        params.push_back(a + "}");
    auto sql = fmt::format(
        "SELECT * FROM (SELECT DISTINCT ON (t.id) b.n AS box_n, t.id AS box_id, {} FROM {} t "
        "JOIN unnest(${}::float8[], ${}::float8[], ${}::float8[], ${}::float8[]) WITH "
        "ORDINALITY AS b(x0, y0, x1, y1, n) ON t.geom && ST_MakeEnvelope(b.x0, b.y0, b.x1, "
        "b.y1, {}) WHERE true{} ORDER BY t.id, b.n) s ORDER BY s.box_n, s.box_id",
        feature_columns(def, filter), table(kind), n + 1, n + 2, n + 3, n + 4, m_epsg.value_or(0),
        where);
    sync_for(kind, filter);
    read_rows(input_reader().query_binary(sql, params), layer_fields(def), 2, DateColumns::date,
              fn);
}

std::optional<Envelope> PostgisStore::extent(LayerKind kind) {
    auto r = run(fmt::format("SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), "
                             "max(ST_XMax(geom)), max(ST_YMax(geom)) FROM {} t",
                             table(kind)));
    if (r.rows() == 0 || r.is_null(0, 0))
        return std::nullopt;
    return Envelope{r.real(0, 0), r.real(0, 1), r.real(0, 2), r.real(0, 3)};
}

std::map<std::string, Envelope> PostgisStore::extents_by(LayerKind kind, std::string_view field) {
    const auto& def = layer_def(kind);
    const int index = field_index(def, field);
    if (index < 0 || def.fields[static_cast<size_t>(index)].type != FieldType::text)
        throw_internal(fmt::format("extents_by: {} has no text field {}", def.name, field));
    // ST_XMin and the others of the geometry itself (its box3d), not of the index's
    // single-precision box: the same exact figures as the SpatiaLite store's.
    auto r = run(fmt::format("SELECT coalesce(t.{0}, ''), min(ST_XMin(t.geom)), "
                             "min(ST_YMin(t.geom)), max(ST_XMax(t.geom)), max(ST_YMax(t.geom)) "
                             "FROM {1} t WHERE t.geom IS NOT NULL GROUP BY 1",
                             pg::quote_ident(field, "field"), table(kind)));
    std::map<std::string, Envelope> out;
    for (int i = 0; i < r.rows(); ++i)
        out[r.str(i, 0)] = Envelope{r.real(i, 1), r.real(i, 2), r.real(i, 3), r.real(i, 4)};
    return out;
}

std::vector<BatchInfo> PostgisStore::batches() {
    std::vector<BatchInfo> out;
    auto r = run(fmt::format("SELECT id, reported_on, imported_at, mode, added, removed, "
                             "changed FROM {} WHERE $1::text IS NULL OR reported_on <= $1 "
                             "ORDER BY id",
                             t("batches")),
                 {known_param()});
    auto files = run(fmt::format("SELECT batch_id, layer, source, sha256 FROM {} ORDER BY "
                                 "id",
                                 t("batch_files")));
    std::map<std::int64_t, std::vector<BatchFile>> by_batch;
    for (int i = 0; i < files.rows(); ++i)
        by_batch[files.int64(i, 0)].push_back({files.str(i, 1), files.str(i, 2), files.str(i, 3)});
    for (int i = 0; i < r.rows(); ++i) {
        BatchInfo b;
        b.id = r.int64(i, 0);
        b.reported_on = date_of(r, i, 1).value_or(Date(1900, 1, 1));
        b.imported_at = r.str(i, 2);
        b.mode = r.str(i, 3);
        b.added = r.int64(i, 4);
        b.removed = r.int64(i, 5);
        b.changed = r.int64(i, 6);
        b.files = std::move(by_batch[b.id]);
        out.push_back(std::move(b));
    }
    return out;
}

void PostgisStore::for_each_change(const ChangeFilter& filter,
                                   const std::function<void(const ChangeEvent&)>& fn) {
    std::string sql = fmt::format(
        "SELECT c.batch_id, c.layer, c.code, c.project_code, c.kind, c.field, c.old_value, "
        "c.new_value, c.correction, b.reported_on FROM {} c JOIN {} b ON b.id = c.batch_id "
        "WHERE ($1::text IS NULL OR b.reported_on <= $1)",
        t("changes"), t("batches"));
    pg::Params params{known_param()};
    auto in_list = [&](const std::vector<std::string>& values) {
        std::string q;
        for (const auto& v : values) {
            params.push_back(v);
            q += fmt::format("{}${}", q.empty() ? "" : ",", params.size());
        }
        return q;
    };
    if (filter.layer) {
        params.emplace_back(std::string(layer_def(*filter.layer).name));
        sql += fmt::format(" AND c.layer = ${}", params.size());
    }
    if (!filter.codes.empty())
        sql += fmt::format(" AND c.code IN ({})", in_list(filter.codes));
    if (!filter.project_codes.empty())
        sql += fmt::format(" AND c.project_code IN ({})", in_list(filter.project_codes));
    if (filter.since) {
        params.push_back(filter.since->iso());
        sql += fmt::format(" AND b.reported_on >= ${}", params.size());
    }
    if (filter.until) {
        params.push_back(filter.until->iso());
        sql += fmt::format(" AND b.reported_on <= ${}", params.size());
    }
    sql += " ORDER BY b.reported_on DESC, c.batch_id DESC, c.id";
    auto r = run(sql, params);
    ChangeEvent c;
    for (int i = 0; i < r.rows(); ++i) {
        c.batch_id = r.int64(i, 0);
        c.layer = layer_from_name(r.text(i, 1)).value_or(LayerKind::parcels);
        text_into(r, i, 2, c.code);
        text_into(r, i, 3, c.project_code);
        c.kind = change_kind_from_name(r.str(i, 4));
        text_into(r, i, 5, c.field);
        text_into(r, i, 6, c.old_value);
        text_into(r, i, 7, c.new_value);
        c.correction = r.int64(i, 8) != 0;
        c.reported_on = date_of(r, i, 9).value_or(Date(1900, 1, 1));
        fn(c);
    }
}

void PostgisStore::for_each_derived(const DerivedLayerDef& def, const std::string& scope_field,
                                    const std::string& scope_value,
                                    const std::function<void(const FeatureRow&)>& fn) {
    if (!has_derived(def.name))
        return;
    std::string cols;
    for (const auto& [name, type] : def.fields)
        cols += pg::quote_ident(name, "field") + ", ";
    std::string sql = fmt::format("SELECT {}measure, {} FROM {}.{}", cols,
                                  def.geometry_type.empty() ? "NULL" : "ST_AsBinary(geom)", m_s,
                                  pg::quote_ident(def.name, "derived layer"));
    pg::Params params;
    if (!scope_field.empty()) {
        sql += fmt::format(" WHERE {} = $1", pg::quote_ident(scope_field, "field"));
        params.push_back(scope_value);
    }
    sql += " ORDER BY id";
    flush();
    read_rows(read_binary(sql, params), def.fields, 0, DateColumns::text, fn);
}

std::vector<std::pair<std::string, FieldType>> PostgisStore::layer_fields(const LayerDef& def) {
    std::vector<std::pair<std::string, FieldType>> fields;
    for (const auto& f : def.fields)
        fields.emplace_back(std::string(f.name), f.type);
    return fields;
}

// What a feature read selects: the fields asked for (NULL for the others, aliased so that
// a subquery may hold them), the measure, the WKB (or NULL).
std::string PostgisStore::feature_columns(const LayerDef& def, const FeatureFilter& filter) {
    std::string cols;
    int k = 0;
    for (const auto& f : def.fields) {
        bool wanted = filter.fields.empty() || std::find(filter.fields.begin(), filter.fields.end(),
                                                         f.name) != filter.fields.end();
        cols += wanted ? fmt::format("t.{} AS f{}, ", f.name, k) : fmt::format("NULL AS f{}, ", k);
        ++k;
    }
    return cols + fmt::format("t.{} AS f_measure, {} AS f_wkb", measure_column(def),
                              filter.with_geometry ? "ST_AsBinary(t.geom)" : "NULL::bytea");
}

// The filter's codes and projects as conditions (" AND ..."), their values into params:
// arrays, one parameter each, so that one prepared statement serves any number of codes.
std::string PostgisStore::feature_conditions(LayerKind kind, const FeatureFilter& filter,
                                             pg::Params& params) const {
    const auto& def = layer_def(kind);
    std::string where;
    if (!filter.codes.empty()) {
        params.push_back(text_array(filter.codes));
        where += fmt::format(" AND t.{} = ANY(${}::text[])", def.key, params.size());
    }
    if (!filter.project_codes.empty()) {
        params.push_back(text_array(filter.project_codes));
        if (kind == LayerKind::buildings)
            where += fmt::format(" AND t.parcel_code IN (SELECT parcel_code FROM {} p WHERE "
                                 "project_code = ANY(${}::text[]))",
                                 table(LayerKind::parcels), params.size());
        else
            where += fmt::format(" AND t.project_code = ANY(${}::text[])", params.size());
    }
    return where;
}

// An import looks features up one by one while it writes (import_history.cpp): only
// buffered rows this read could see are sent first, not every buffer every time.
void PostgisStore::sync_for(LayerKind kind, const FeatureFilter& filter) {
    bool by_parcel = kind == LayerKind::buildings && !filter.project_codes.empty();
    bool clean = !filter.codes.empty() && !(by_parcel && layer_pending(LayerKind::parcels));
    for (const auto& c : filter.codes)
        clean = clean && !m_pending_codes[kind].count(c) && !m_superseded[kind].count(c);
    if (!clean) {
        sync(kind);
        if (by_parcel)
            sync(LayerKind::parcels);
    }
}

pg::Result PostgisStore::read_binary(const std::string& sql, const pg::Params& params) {
    return m_db->query_binary(sql, params);
}

ChangeKind PostgisStore::change_kind_from_name(const std::string& name) {
    for (auto k : {ChangeKind::added, ChangeKind::removed, ChangeKind::changed, ChangeKind::loaded})
        if (name == change_kind_name(k))
            return k;
    return ChangeKind::changed;
}

// In a write that has changed no input layer (a corridor or check saving its results), the
// input layers are read on a second connection in the write's own snapshot (exported after the
// store's lock was taken, so no import commits in between): a read on the write's connection
// ends the COPY streamed so far and waits for the server to write it, so at 1 M parcels the
// corridor waited after every corridor for the pieces it had just sent; on the second
// connection the server writes them while it answers the next corridor's reads. Anything else
// (an import, a knowledge date, a new store) reads on the write's connection, which sees its
// own rows; so does a write whose second connection could not be opened.
pg::Connection& PostgisStore::input_reader() {
    if (!m_in_write || m_new || m_data_changed || m_batch_id > 0 || m_known_on || m_reader_failed)
        return *m_db;
    if (m_reader)
        return *m_reader;
    auto snapshot = m_db->query_text("SELECT pg_export_snapshot()").value_or("");
    // The server's own id (hex digits and dashes), checked before it goes into SQL:
    // SET TRANSACTION SNAPSHOT takes no parameter.
    bool plain = !snapshot.empty() && std::all_of(snapshot.begin(), snapshot.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
    });
    if (!plain)
        throw_internal("pg_export_snapshot gave an id that is not hex digits and dashes");
    try {
        auto reader = std::make_unique<pg::Connection>(m_loc);
        reader->exec(fmt::format("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET "
                                 "TRANSACTION SNAPSHOT '{}'",
                                 snapshot));
        m_reader = std::move(reader);
    } catch (const Error&) {
        m_reader_failed = true; // too many connections, say: read on the write's connection
        return *m_db;
    }
    return *m_reader;
}

void PostgisStore::read_rows(const pg::Result& r,
                             const std::vector<std::pair<std::string, FieldType>>& fields,
                             int first, DateColumns dates,
                             const std::function<void(const FeatureRow&)>& fn) {
    FeatureRow row;
    int n = static_cast<int>(fields.size());
    for (int i = 0; i < r.rows(); ++i) {
        row.values.assign(fields.size(), std::monostate{});
        for (int c = 0; c < n; ++c) {
            int col = first + c;
            if (r.is_null(i, col))
                continue;
            switch (fields[static_cast<size_t>(c)].second) {
            case FieldType::text:
                row.values[c] = r.str(i, col);
                break;
            case FieldType::integer:
                row.values[c] = r.bin_int64(i, col);
                break;
            case FieldType::real:
                row.values[c] = r.bin_real(i, col);
                break;
            case FieldType::date:
                if (dates == DateColumns::text) {
                    if (auto d = parse_date(r.text(i, col)))
                        row.values[c] = *d;
                } else if (auto d = r.bin_date_days(i, col)) {
                    row.values[c] = Date::from_days(*d);
                }
                break;
            }
        }
        row.measure = r.bin_real(i, first + n);
        auto wkb = r.is_null(i, first + n + 1) ? std::string_view() : r.text(i, first + n + 1);
        row.wkb.assign(wkb.begin(), wkb.end());
        fn(row);
    }
}

} // namespace landclear::postgis_detail
