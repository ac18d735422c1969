// The PostGIS store: one schema per store in a PostgreSQL database, the same tables, columns and
// rules as the SpatiaLite store (spatialite_store.cpp), so every command gives the same output
// on either. Differences that matter to the office are in docs/POSTGIS.md.
//
// - A read-only open is one REPEATABLE READ, READ ONLY transaction for the store's life: a
//   command sees one snapshot even while an import commits.
// - A write (begin_write .. commit) is one transaction holding an advisory lock keyed from the
//   schema, so two writes into one store run one after the other; a killed or failed write
//   leaves nothing (the server rolls it back), and a new store's schema is created inside it.
// - Rows are written with COPY: insert(), add_finding(), add_change() and replace_derived()
//   buffer COPY text per table, sent before any other statement (and at finish_layer).
// - Ids are assigned as SQLite assigns rowids (max + 1), so rows read back in the same order.
// - Text is ordered with COLLATE "C" (bytes), as SQLite's BINARY orders it.
#include "landclear/store/postgis_store.hpp"

#include "landclear/core/error.hpp"
#include "landclear/store/pg.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

namespace landclear {

namespace {

std::mutex g_wait_mutex;
std::function<void(const std::string&)> g_wait_handler;

std::string geometry_type(const LayerDef& def) {
    return def.geom == GeomKind::polygon ? "MULTIPOLYGON" : "LINESTRING";
}

std::string measure_column(const LayerDef& def) {
    return def.geom == GeomKind::polygon ? "area_m2" : "length_m";
}

// Input layers keep dates as PostgreSQL dates (QGIS and SQL users filter them as such);
// derived layers keep them as text, as the SpatiaLite store does.
std::string sql_type(FieldType t, bool input_layer) {
    switch (t) {
    case FieldType::integer:
        return "bigint";
    case FieldType::real:
        return "double precision";
    case FieldType::date:
        return input_layer ? "date" : "text";
    default:
        return "text";
    }
}

std::string checked_geometry_type(const std::string& t) {
    static const std::set<std::string> known{"POINT",      "LINESTRING",        "POLYGON",
                                             "MULTIPOINT", "MULTILINESTRING",   "MULTIPOLYGON",
                                             "GEOMETRY",   "GEOMETRYCOLLECTION"};
    if (!known.count(t))
        throw_internal(fmt::format("geometry type '{}' for a derived layer", t));
    return t;
}

std::optional<Date> date_of(const pg::Result& r, int row, int col) {
    if (r.is_null(row, col))
        return std::nullopt;
    return parse_date(r.text(row, col));
}

void text_into(const pg::Result& r, int row, int col, std::string& out) {
    auto t = r.text(row, col);
    out.assign(t.data(), t.size());
}

// A value in COPY's text format.
void copy_value(std::string& line, const Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                line += "\\N";
            else if constexpr (std::is_same_v<T, Date>)
                line += x.iso();
            else if constexpr (std::is_same_v<T, std::string>)
                pg::copy_escape(line, x);
            else if constexpr (std::is_same_v<T, double>)
                line += pg::real_text(x);
            else
                line += std::to_string(x);
        },
        v);
}

void copy_text(std::string& line, std::string_view text) {
    pg::copy_escape(line, text);
}

// 'lclr': the first half of every landclear advisory lock key; the second is the schema's.
constexpr std::int32_t lock_class = 0x6c636c72;

std::int32_t lock_key(const std::string& schema) {
    std::uint32_t h = 2166136261u; // FNV-1a: stable across builds, unlike std::hash
    for (unsigned char c : schema)
        h = (h ^ c) * 16777619u;
    return static_cast<std::int32_t>(h);
}

class PostgisStore final : public Store {
public:
    PostgisStore(const std::string& location, StoreMode mode)
        : m_loc(pg::parse_location(location)), m_read_only(mode == StoreMode::read),
          m_db(std::make_unique<pg::Connection>(m_loc)), m_s(pg::quote_ident(m_loc.schema)) {
        if (m_read_only)
            m_db->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        bool exists = has_store_table("landclear_meta");
        if (!exists && m_read_only)
            throw_input(fmt::format("store {} does not exist", m_loc.display),
                        "create it with: landclear import STORE --parcels FILE ...");
        if (!exists && schema_exists() && schema_has_tables())
            throw_input(fmt::format("{} is not a landclear store: the schema {} holds other "
                                    "tables",
                                    m_loc.display, m_loc.schema),
                        "pass another schema=NAME for a new store, or the one landclear made");
        m_new = !exists;
        if (!m_new)
            read_meta();
    }

    ~PostgisStore() override = default; // closing the connection rolls back what is open

    std::string location() const override { return m_loc.display; }
    std::string display_name() const override { return m_loc.schema; }
    bool is_new() const override { return m_new; }
    std::optional<int> working_epsg() const override { return m_epsg; }

    void begin_write() override {
        if (m_read_only)
            throw_internal("begin_write on a store opened for reading");
        if (m_in_write)
            throw_internal("begin_write inside a write");
        m_db->exec("BEGIN");
        m_in_write = true;
        m_next_ids.clear();
        m_derived_exists.clear();
        m_write_data_version.reset();
        try {
            wait_for_lock();
            if (m_new && has_store_table("landclear_meta")) {
                // Another import created the store while this one waited: write into it.
                m_new = false;
                read_meta();
            }
            if (m_new) {
                ensure_postgis();
                m_db->exec(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", m_s));
            }
        } catch (...) {
            abandon();
            throw;
        }
    }

    void set_working_epsg(int epsg) override {
        if (!m_new)
            throw_internal("the working CRS of an existing store cannot change");
        require_write("set_working_epsg");
        if (!run("SELECT count(*) FROM spatial_ref_sys WHERE srid = $1", {std::to_string(epsg)})
                 .int64(0, 0))
            throw_usage(fmt::format("EPSG:{} is not known to PostGIS (spatial_ref_sys)", epsg));
        m_epsg = epsg;
        create_schema();
    }

    void clear_layer(LayerKind kind) override {
        const auto& def = layer_def(kind);
        run(fmt::format("DELETE FROM {}", t(def.name)));
        m_next_ids.erase(std::string(def.name));
        m_data_changed = true;
    }

    std::optional<std::string> describe_code(LayerKind kind, std::string_view code) override {
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

    void insert(LayerKind kind, const Record& record) override {
        const auto& def = layer_def(kind);
        std::string name(def.name);
        auto& p = pending(name, [&] {
            std::string cols = "id, ";
            for (const auto& f : def.fields)
                cols += fmt::format("{}, ", f.name);
            return cols + measure_column(def) + ", source_fid, import_id, geom";
        });
        auto& line = p.data;
        line += std::to_string(next_id(name));
        for (const auto& v : record.values) {
            line += '\t';
            copy_value(line, v);
        }
        line += '\t';
        line += record.wkb.empty() ? std::string("\\N") : pg::real_text(record.measure);
        line += '\t';
        line += std::to_string(record.source_fid);
        line += '\t';
        line += m_import_id > 0 ? std::to_string(m_import_id) : std::string("\\N");
        line += '\t';
        line += record.wkb.empty() ? std::string("\\N") : pg::ewkb_hex(record.wkb, epsg());
        line += '\n';
        int key = field_index(def, def.key);
        m_pending_codes[kind].insert(value_text(record.values[static_cast<size_t>(key)]));
        m_data_changed = true;
        flush_if_large(p);
    }

    void finish_layer(LayerKind) override { flush(); }

    void clear_findings(std::string_view origin, std::string_view layer) override {
        run(fmt::format("DELETE FROM {} WHERE origin = $1 AND layer = $2", t("findings")),
            {std::string(origin), std::string(layer)});
    }

    void add_finding(const Finding& f) override {
        auto& p = pending("findings", [] {
            return std::string("id, origin, kind, layer, feature_code, source, source_fid, "
                               "message, value, geom");
        });
        auto& line = p.data;
        line += std::to_string(next_id("findings"));
        for (const auto* s : {&f.origin, &f.kind, &f.layer, &f.feature_code, &f.source}) {
            line += '\t';
            copy_text(line, *s);
        }
        line += '\t' + std::to_string(f.source_fid) + '\t';
        copy_text(line, f.message);
        line += '\t';
        line += f.value ? pg::real_text(*f.value) : std::string("\\N");
        line += '\t';
        line += f.wkb.empty() ? std::string("\\N") : pg::ewkb_hex(f.wkb, epsg());
        line += '\n';
        flush_if_large(p);
    }

    std::int64_t record_import(const ImportLogEntry& e) override {
        require_write("record_import");
        auto id = next_id("imports");
        run(fmt::format("INSERT INTO {}(id, layer, source, mode, source_crs, features_read, "
                        "written, repaired, imported_at, batch_id) VALUES ($1, $2, $3, $4, $5, "
                        "$6, $7, $8, to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                        "'YYYY-MM-DD HH24:MI:SS'), $9)",
                        t("imports")),
            {std::to_string(id), e.layer, e.source, e.mode, e.source_crs, std::to_string(e.read),
             std::to_string(e.written), std::to_string(e.repaired),
             m_batch_id > 0 ? pg::Param(std::to_string(m_batch_id)) : std::nullopt});
        m_import_id = id;
        return id;
    }

    void update_import(std::int64_t id, const ImportLogEntry& e) override {
        run(fmt::format("UPDATE {} SET features_read = $1, written = $2, repaired = $3 WHERE "
                        "id = $4",
                        t("imports")),
            {std::to_string(e.read), std::to_string(e.written), std::to_string(e.repaired),
             std::to_string(id)});
    }

    std::int64_t begin_batch(const BatchInfo& b) override {
        require_write("begin_batch");
        if (auto latest =
                m_db->query_text(fmt::format("SELECT max(reported_on) FROM {}", t("batches"))))
            if (auto d = parse_date(*latest); d && b.reported_on < *d)
                throw_usage(fmt::format("the store already holds data reported on {}; an import "
                                        "reported on {} would rewrite what was known then",
                                        d->iso(), b.reported_on.iso()),
                            fmt::format("pass --reported {} or later (the date the data describes)",
                                        d->iso()));
        m_batch_id = next_id("batches");
        run(fmt::format("INSERT INTO {}(id, reported_on, imported_at, mode, added, removed, "
                        "changed) VALUES ($1, $2, to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), $3, 0, 0, 0)",
                        t("batches")),
            {std::to_string(m_batch_id), b.reported_on.iso(), b.mode});
        for (const auto& file : b.files)
            run(fmt::format("INSERT INTO {}(id, batch_id, layer, source, sha256) VALUES ($1, $2, "
                            "$3, $4, $5)",
                            t("batch_files")),
                {std::to_string(next_id("batch_files")), std::to_string(m_batch_id), file.layer,
                 file.source, file.sha256});
        return m_batch_id;
    }

    void finish_batch(const BatchInfo& b) override {
        require_write("finish_batch");
        run(fmt::format("UPDATE {} SET added = $1, removed = $2, changed = $3 WHERE id = $4",
                        t("batches")),
            {std::to_string(b.added), std::to_string(b.removed), std::to_string(b.changed),
             std::to_string(m_batch_id)});
        m_data_changed = true; // a batch is news even when it changed no feature (as SpatiaLite)
    }

    // Buffered like the rows (one statement per layer at the next flush, in call order, before
    // the COPYs): a replace that changes every feature would otherwise cost two round trips
    // per feature.
    void supersede(LayerKind kind, std::string_view code) override {
        require_write("supersede");
        if (m_pending_codes[kind].count(std::string(code)))
            flush(); // its current version is still buffered: write it first
        // Twice with no insert between: the second finds nothing (as in SQLite).
        if (m_superseded[kind].insert(std::string(code)).second)
            m_supersedes[kind].emplace_back(code);
        m_data_changed = true;
    }

    void add_change(const ChangeEvent& c) override {
        auto& p = pending("changes", [] {
            return std::string("id, batch_id, layer, code, project_code, kind, field, old_value, "
                               "new_value, correction");
        });
        auto& line = p.data;
        line += std::to_string(next_id("changes"));
        line += '\t' + std::to_string(c.batch_id ? c.batch_id : m_batch_id) + '\t';
        copy_text(line, layer_def(c.layer).name);
        for (const auto* s : {&c.code, &c.project_code}) {
            line += '\t';
            copy_text(line, *s);
        }
        line += '\t';
        copy_text(line, change_kind_name(c.kind));
        for (const auto* s : {&c.field, &c.old_value, &c.new_value}) {
            line += '\t';
            copy_text(line, *s);
        }
        line += c.correction ? "\t1\n" : "\t0\n";
        flush_if_large(p);
    }

    void commit() override {
        if (!m_in_write)
            throw_internal("commit without begin_write");
        flush();
        make_deferred();
        if (m_data_changed)
            set_meta("data_version", std::to_string(data_version() + 1));
        m_db->exec("COMMIT");
        m_in_write = false;
        m_derived_exists.clear();
        m_write_data_version.reset();
        m_data_changed = false;
        m_batch_id = 0;
        m_next_ids.clear();
        if (m_new)
            m_may_write = true;
        m_new = false;
    }

    void rollback() override { abandon(); }

    bool writable() const override {
        if (m_read_only || m_known_on)
            return false;
        return m_new || m_may_write;
    }

    std::int64_t count(LayerKind kind) override {
        sync(kind);
        return read(fmt::format("SELECT count(*) FROM {} t", table(kind))).int64(0, 0);
    }

    std::vector<ProjectRow> projects() override {
        std::vector<ProjectRow> out;
        auto r = run(fmt::format("SELECT project_code, name, district, unit, deadline, area_m2 "
                                 "FROM {} t ORDER BY project_code COLLATE \"C\"",
                                 table(LayerKind::projects)));
        for (int i = 0; i < r.rows(); ++i)
            out.push_back({r.str(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3), date_of(r, i, 4),
                           r.opt_real(i, 5)});
        return out;
    }

    std::vector<CorridorRow> corridors() override {
        std::vector<CorridorRow> out;
        auto r = run(fmt::format("SELECT corridor_code, project_code, name, width_m, "
                                 "start_chainage_m, length_m, left_width_m, right_width_m, "
                                 "chainage_breaks, alignment FROM {} t ORDER BY corridor_code "
                                 "COLLATE \"C\"",
                                 table(LayerKind::corridors)));
        for (int i = 0; i < r.rows(); ++i)
            out.push_back({r.str(i, 0), r.str(i, 1), r.str(i, 2), r.real(i, 3), r.real(i, 4),
                           r.real(i, 5), r.opt_real(i, 6), r.opt_real(i, 7), r.str(i, 8),
                           r.str(i, 9)});
        return out;
    }

    void for_each_parcel(const std::function<void(const ParcelRow&)>& fn) override {
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

    void for_each_building(const std::function<void(const BuildingRow&)>& fn) override {
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

    std::vector<Finding> findings(std::string_view origin) override {
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

    void for_each_feature(LayerKind kind, const FeatureFilter& filter,
                          const std::function<void(const FeatureRow&)>& fn) override {
        const auto& def = layer_def(kind);
        pg::Params params;
        auto where = feature_conditions(kind, filter, params);
        if (filter.bbox) {
            auto n = params.size();
            for (double v :
                 {filter.bbox->min_x, filter.bbox->min_y, filter.bbox->max_x, filter.bbox->max_y})
                params.push_back(pg::real_text(v));
            where += fmt::format(" AND t.geom && ST_MakeEnvelope(${}, ${}, ${}, ${}, {})", n + 1,
                                 n + 2, n + 3, n + 4, m_epsg.value_or(0));
        }
        auto sql = fmt::format("SELECT {} FROM {} t WHERE true{} ORDER BY t.id",
                               feature_columns(def, filter), table(kind), where);
        sync_for(kind, filter);
        read_rows_binary(read_binary(sql, params), layer_fields(def), 0, fn);
    }

    // One query for all the boxes: the boxes as four arrays joined to the layer by its GiST
    // index, each feature once (DISTINCT ON its id, at the first box it meets), ordered as
    // the box-by-box reads would give them.
    void for_each_feature_in_boxes(LayerKind kind, const FeatureFilter& filter,
                                   const std::vector<Envelope>& boxes,
                                   const std::function<void(const FeatureRow&)>& fn) override {
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
            feature_columns(def, filter), table(kind), n + 1, n + 2, n + 3, n + 4,
            m_epsg.value_or(0), where);
        sync_for(kind, filter);
        read_rows_binary(read_binary(sql, params), layer_fields(def), 2, fn);
    }

    std::optional<Envelope> extent(LayerKind kind) override {
        auto r = run(fmt::format("SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), "
                                 "max(ST_XMax(geom)), max(ST_YMax(geom)) FROM {} t",
                                 table(kind)));
        if (r.rows() == 0 || r.is_null(0, 0))
            return std::nullopt;
        return Envelope{r.real(0, 0), r.real(0, 1), r.real(0, 2), r.real(0, 3)};
    }

    std::vector<BatchInfo> batches() override {
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
            by_batch[files.int64(i, 0)].push_back(
                {files.str(i, 1), files.str(i, 2), files.str(i, 3)});
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

    void for_each_change(const ChangeFilter& filter,
                         const std::function<void(const ChangeEvent&)>& fn) override {
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

    // The layers as known on a date: the current rows whose import was known then and the
    // superseded rows that were current then, as SpatiaLite's temporary views; here a subquery
    // reading the date from a session setting (a read-only transaction may not create views).
    void set_known_on(std::optional<Date> date) override {
        flush();
        run("SELECT set_config('landclear.known_on', $1, false)",
            {date ? date->iso() : std::string()});
        m_known_on = date;
    }

    std::optional<Date> known_on() const override { return m_known_on; }

    void replace_derived(const DerivedLayerDef& def, const std::string& scope_field,
                         const std::string& scope_value,
                         const std::vector<FeatureRow>& rows) override {
        require_write("replace_derived");
        auto name = pg::quote_ident(def.name, "derived layer");
        if (!has_derived(def.name))
            create_derived(def);
        bool geometry = !def.geometry_type.empty();
        auto table = fmt::format("{}.{}", m_s, name);
        // A table made in this write holds only what this write put in: the DELETE (a scan,
        // its indexes come at commit) only when this scope was written before.
        auto made = m_created.find(table);
        bool fresh = made != m_created.end() && !made->second.count(scope_value) &&
                     !made->second.count(std::string());
        if (scope_field.empty()) {
            if (!fresh)
                run(fmt::format("DELETE FROM {}", table));
        } else {
            auto field = pg::quote_ident(scope_field, "field");
            auto index =
                pg::quote_ident(fmt::format("{}_{}", def.name, scope_field).substr(0, 63), "index");
            auto make_index =
                fmt::format("CREATE INDEX IF NOT EXISTS {} ON {}({})", index, table, field);
            if (made != m_created.end())
                defer(make_index);
            else
                run(make_index);
            if (!fresh)
                run(fmt::format("DELETE FROM {} WHERE {} = $1", table, field), {scope_value});
        }
        if (made != m_created.end()) {
            if (scope_field.empty())
                made->second.clear();
            made->second.insert(scope_field.empty() ? std::string() : scope_value);
        }
        if (!fresh)
            m_next_ids.erase(def.name); // SQLite gives the next after the largest left
        auto& p = pending(fmt::format("{}.{}", m_s, name), [&] {
            std::string cols = "id, ";
            for (const auto& [field, type] : def.fields)
                cols += pg::quote_ident(field, "field") + ", ";
            return cols + "measure" + (geometry ? ", geom" : "");
        });
        for (const auto& r : rows) {
            auto& line = p.data;
            line += std::to_string(next_id(def.name));
            for (const auto& v : r.values) {
                line += '\t';
                copy_value(line, v);
            }
            line += '\t' + pg::real_text(r.measure);
            if (geometry) {
                line += '\t';
                line += r.wkb.empty() ? std::string("\\N") : pg::ewkb_hex(r.wkb, epsg());
            }
            line += '\n';
        }
        flush_if_large(p);
    }

    // Asked three times per corridor saved (408 catalogue queries at 1 M parcels): kept while
    // the answer cannot change under us, in a write (which holds the store's lock; its own
    // CREATE TABLE adds the name) or in a read-only snapshot.
    bool has_derived(const std::string& name) override {
        bool stable = m_in_write || m_read_only;
        if (stable)
            if (auto it = m_derived_exists.find(name); it != m_derived_exists.end())
                return it->second;
        bool exists = has_store_table(name);
        if (stable)
            m_derived_exists[name] = exists;
        return exists;
    }

    void for_each_derived(const DerivedLayerDef& def, const std::string& scope_field,
                          const std::string& scope_value,
                          const std::function<void(const FeatureRow&)>& fn) override {
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
        read_rows(run(sql, params), def.fields, fn);
    }

    std::optional<DerivedStamp> derived_stamp(const std::string& name) override {
        if (m_known_on)
            return std::nullopt; // results of the whole store, not of what was known then
        auto r = run(
            fmt::format("SELECT data_version, params FROM {} WHERE name = $1", t("derived_stamps")),
            {name});
        if (r.rows() == 0)
            return std::nullopt;
        return DerivedStamp{r.int64(0, 0), r.str(0, 1)};
    }

    // Stamps are buffered like the rows and written, in call order, at the next flush (every
    // read of a stamp flushes first): written at once, each one ended the COPYs of the rows
    // before it, so the corridor waited for the server after every corridor it saved.
    void set_derived_stamp(const std::string& name, const std::string& params) override {
        require_write("set_derived_stamp");
        m_pending_stamps.push_back({name, std::to_string(data_version()), params});
    }

    void clear_derived_stamp(const std::string& name) override {
        require_write("clear_derived_stamp");
        m_pending_stamps.push_back({name, std::nullopt, {}});
    }

    // Within a write (which holds the store's lock) the version changes only at its commit:
    // read once.
    std::int64_t data_version() override {
        if (m_new && !m_schema_made)
            return 0;
        if (m_in_write && m_write_data_version)
            return *m_write_data_version;
        auto v = meta("data_version");
        auto version = v ? std::stoll(*v) : 0;
        if (m_in_write)
            m_write_data_version = version;
        return version;
    }

private:
    static std::vector<std::pair<std::string, FieldType>> layer_fields(const LayerDef& def) {
        std::vector<std::pair<std::string, FieldType>> fields;
        for (const auto& f : def.fields)
            fields.emplace_back(std::string(f.name), f.type);
        return fields;
    }

    // What a feature read selects: the fields asked for (NULL for the others, aliased so that
    // a subquery may hold them), the measure, the WKB (or NULL).
    static std::string feature_columns(const LayerDef& def, const FeatureFilter& filter) {
        std::string cols;
        int k = 0;
        for (const auto& f : def.fields) {
            bool wanted = filter.fields.empty() ||
                          std::find(filter.fields.begin(), filter.fields.end(), f.name) !=
                              filter.fields.end();
            cols +=
                wanted ? fmt::format("t.{} AS f{}, ", f.name, k) : fmt::format("NULL AS f{}, ", k);
            ++k;
        }
        return cols + fmt::format("t.{} AS f_measure, {} AS f_wkb", measure_column(def),
                                  filter.with_geometry ? "ST_AsBinary(t.geom)" : "NULL::bytea");
    }

    // The filter's codes and projects as conditions (" AND ..."), their values into params:
    // arrays, one parameter each, so that one prepared statement serves any number of codes.
    std::string feature_conditions(LayerKind kind, const FeatureFilter& filter,
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
    void sync_for(LayerKind kind, const FeatureFilter& filter) {
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

    // Columns from `first` on: the fields, then measure, then WKB (or NULL), in binary form.
    static void read_rows_binary(const pg::Result& r,
                                 const std::vector<std::pair<std::string, FieldType>>& fields,
                                 int first, const std::function<void(const FeatureRow&)>& fn) {
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
                    if (auto d = r.bin_date_days(i, col))
                        row.values[c] = Date::from_days(*d);
                    break;
                }
            }
            row.measure = r.bin_real(i, first + n);
            auto wkb = r.is_null(i, first + n + 1) ? std::string_view() : r.text(i, first + n + 1);
            row.wkb.assign(wkb.begin(), wkb.end());
            fn(row);
        }
    }

    pg::Result read_binary(const std::string& sql, const pg::Params& params) {
        return m_db->query_binary(sql, params);
    }

    struct PendingStamp {
        std::string name;
        pg::Param data_version; // nullopt: the stamp is cleared
        std::string params;
    };

    struct Pending {
        std::string table, columns, data; // table: qualified
        std::string copy_sql() const {
            return fmt::format("COPY {}({}) FROM STDIN", table, columns);
        }
    };

    int epsg() const {
        if (!m_epsg)
            throw_internal("a geometry written before the store's working CRS was set");
        return *m_epsg;
    }

    // Schema-qualified name of a store table.
    std::string t(std::string_view name) const { return fmt::format("{}.{}", m_s, name); }

    // What reads of a layer select from: the table, or the layer as known on m_known_on.
    std::string table(LayerKind kind) const {
        const auto& def = layer_def(kind);
        if (!m_known_on)
            return t(def.name);
        std::string cols;
        for (const auto& f : def.fields)
            cols += fmt::format("{}, ", f.name);
        auto m = measure_column(def);
        auto unknown = fmt::format("(SELECT i.id FROM {} i JOIN {} b ON b.id = i.batch_id WHERE "
                                   "b.reported_on > current_setting('landclear.known_on'))",
                                   t("imports"), t("batches"));
        auto known = fmt::format("(import_id IS NULL OR import_id NOT IN {})", unknown);
        return fmt::format("(SELECT id, 0 AS part, {1}{2}, source_fid, import_id, geom FROM {0} "
                           "WHERE {3} UNION ALL SELECT -id, 1, {1}{2}, source_fid, import_id, "
                           "geom FROM {0}_history WHERE {3} AND ended_import_id IN {4})",
                           t(def.name), cols, m, known, unknown);
    }

    // The order SQLite scans a table (or the known-on view: current rows, then history) in.
    std::string scan_order() const { return m_known_on ? "t.part, abs(t.id)" : "t.id"; }

    pg::Param known_param() const {
        return m_known_on ? pg::Param(m_known_on->iso()) : std::nullopt;
    }

    pg::Result run(const std::string& sql, const pg::Params& params = {}) {
        flush();
        return m_db->query(sql, params);
    }

    // Without flushing: for reads that made sure (sync) that nothing they see is buffered.
    pg::Result read(const std::string& sql, const pg::Params& params = {}) {
        return m_db->query(sql, params);
    }

    bool layer_pending(LayerKind kind) const {
        auto p = m_pending.find(t(layer_def(kind).name));
        auto s = m_supersedes.find(kind);
        return (p != m_pending.end() && !p->second.data.empty()) ||
               (s != m_supersedes.end() && !s->second.empty());
    }

    // Sends the buffers if this layer has buffered rows (or the known-on view, which reads the
    // history and imports too, is in use).
    void sync(LayerKind kind) {
        if (m_known_on || layer_pending(kind))
            flush();
    }

    template <class Columns> Pending& pending(const std::string& table, Columns&& columns) {
        require_write("writing rows");
        auto key = table.find('.') == std::string::npos ? t(table) : table;
        auto it = m_pending.find(key);
        if (it == m_pending.end())
            it = m_pending.emplace(key, Pending{key, columns(), {}}).first;
        return it->second;
    }

    // After whole lines: a buffer of 1 MiB goes into its table's open COPY (streamed: the server
    // writes it while the rows after it are made; an import of 1 M parcels spent 40 % of its
    // time waiting for COPYs sent whole). Not while a supersede is buffered: it must reach the
    // table before any row written after it. Else every buffer is sent when they pass 32 MiB.
    void flush_if_large(Pending& p) {
        if (p.data.size() >= (1u << 20) && m_supersedes.empty()) {
            m_db->copy_stream(p.copy_sql(), p.data);
            p.data.clear();
            return;
        }
        std::size_t total = 0;
        for (const auto& [table, p] : m_pending)
            total += p.data.size();
        if (total > (32u << 20))
            flush();
    }

    // Sends every buffered row (COPY per table): before any other statement, so every read
    // and write sees them.
    void flush() {
        if (m_pending.empty() && m_supersedes.empty() && m_pending_stamps.empty())
            return;
        auto pending = std::move(m_pending);
        auto supersedes = std::move(m_supersedes);
        m_pending.clear();
        m_supersedes.clear();
        m_superseded.clear();
        m_pending_codes.clear();
        for (auto& [kind, codes] : supersedes)
            write_supersedes(kind, codes);
        for (auto& [table, p] : pending)
            if (!p.data.empty())
                m_db->copy_in(p.copy_sql(), p.data);
        auto stamps = std::move(m_pending_stamps);
        m_pending_stamps.clear();
        for (const auto& st : stamps) {
            if (st.data_version)
                m_db->query(fmt::format("INSERT INTO {}(name, data_version, params) VALUES ($1, "
                                        "$2, $3) ON CONFLICT(name) DO UPDATE SET data_version = "
                                        "excluded.data_version, params = excluded.params",
                                        t("derived_stamps")),
                            {st.name, st.data_version, st.params});
            else
                m_db->query(fmt::format("DELETE FROM {} WHERE name = $1", t("derived_stamps")),
                            {st.name});
        }
    }

    // The current versions of these features into <layer>_history, ended by the current
    // import, history ids in call order (as SQLite gives them one by one); then gone.
    void write_supersedes(LayerKind kind, const std::vector<std::string>& codes) {
        const auto& def = layer_def(kind);
        std::string cols, t_cols;
        for (const auto& f : def.fields) {
            cols += fmt::format("{}, ", f.name);
            t_cols += fmt::format("t.{}, ", f.name);
        }
        auto m = measure_column(def);
        auto hist = t(fmt::format("{}_history", def.name));
        auto array = text_array(codes);
        m_db->query(fmt::format("INSERT INTO {0}(id, {1}{2}, source_fid, import_id, "
                                "ended_import_id, geom) SELECT (SELECT coalesce(max(id), 0) FROM "
                                "{0}) + row_number() OVER (ORDER BY u.n), {3}t.{2}, t.source_fid, "
                                "t.import_id, $1, t.geom FROM {4} t JOIN unnest($2::text[]) WITH "
                                "ORDINALITY AS u(code, n) ON t.{5} = u.code",
                                hist, cols, m, t_cols, t(def.name), def.key),
                    {std::to_string(m_import_id), array});
        m_db->query(fmt::format("DELETE FROM {} WHERE {} = ANY($1::text[])", t(def.name), def.key),
                    {array});
    }

    // A text[] literal: every element double-quoted, backslash and quote escaped.
    static std::string text_array(const std::vector<std::string>& values) {
        std::string out = "{";
        for (const auto& v : values) {
            if (out.size() > 1)
                out += ',';
            out += '"';
            for (char c : v) {
                if (c == '"' || c == '\\')
                    out += '\\';
                out += c;
            }
            out += '"';
        }
        return out + "}";
    }

    std::int64_t next_id(const std::string& table) {
        auto it = m_next_ids.find(table);
        if (it == m_next_ids.end()) {
            auto name =
                table.find('.') == std::string::npos ? t(pg::quote_ident(table, "table")) : table;
            // No flush needed (nor allowed: callers hold a Pending&): a table with buffered
            // rows has its counter already, every buffered id came from it.
            auto max = m_db->query_int(fmt::format("SELECT max(id) FROM {}", name));
            it = m_next_ids.emplace(table, max.value_or(0) + 1).first;
        }
        return it->second++;
    }

    // Tables made in this write (no other transaction sees them before its commit): their keys
    // and indexes are made at commit, after the rows, and the tables are then analysed. Built
    // once over the rows (a sorted GiST build), they cost a fraction of keeping them up to date
    // while COPY fills the table: 1 M parcels took 23 s to COPY with them, 3 s without and 4 s
    // to index (docs/POSTGIS.md). Nothing else changes: the same keys, names and indexes.
    void created_here(const std::string& table) {
        m_created.emplace(table, std::set<std::string>{});
    }

    void defer(std::string ddl) {
        if (std::find(m_deferred.begin(), m_deferred.end(), ddl) == m_deferred.end())
            m_deferred.push_back(std::move(ddl));
    }

    void make_deferred() {
        auto ddl = std::move(m_deferred);
        auto tables = std::move(m_created);
        m_deferred.clear();
        m_created.clear();
        for (const auto& d : ddl)
            m_db->exec(d);
        std::string layers, derived;
        for (const auto& [table, scopes] : tables) {
            bool input = std::any_of(all_layers().begin(), all_layers().end(),
                                     [&](const LayerDef& d) { return t(d.name) == table; });
            auto& list = input ? layers : derived;
            list += (list.empty() ? "" : ", ") + table;
        }
        if (!layers.empty())
            m_db->exec("ANALYZE " + layers);
        // Derived layers are read whole or by corridor code, whose plans need only coarse
        // statistics: a tenth of the sample (3,000 rows). The full ANALYZE of a corridor's
        // three tables took 0.4 s at 1 M parcels, a tenth of the corridor's write.
        if (!derived.empty())
            m_db->exec("SET LOCAL default_statistics_target TO 10; ANALYZE " + derived +
                       "; SET LOCAL default_statistics_target TO DEFAULT");
    }

    void require_write(const char* what) const {
        if (!m_in_write)
            throw_internal(fmt::format("{} outside begin_write()/commit()", what));
    }

    void abandon() {
        m_derived_exists.clear(); // a table made in the write is gone with it
        m_write_data_version.reset();
        m_pending_stamps.clear();
        m_deferred.clear();
        m_created.clear();
        m_pending.clear();
        m_supersedes.clear();
        m_superseded.clear();
        m_pending_codes.clear();
        m_next_ids.clear();
        m_batch_id = 0;
        m_data_changed = false;
        if (m_in_write) {
            m_in_write = false;
            m_db->copy_abort();
            m_db->exec("ROLLBACK");
        }
        if (m_new)
            m_schema_made = false;
    }

    // Takes the store's write lock (for this transaction), waiting up to lock_wait seconds
    // while another write holds it, and saying so once.
    void wait_for_lock() {
        pg::Params key{std::to_string(lock_class), std::to_string(lock_key(m_loc.schema))};
        auto try_lock = [&] {
            return m_db->query_text("SELECT pg_try_advisory_xact_lock($1::int, $2::int)", key) ==
                   "t";
        };
        if (try_lock())
            return;
        auto holder = lock_holder();
        {
            std::lock_guard lock(g_wait_mutex);
            if (g_wait_handler)
                g_wait_handler(fmt::format("waiting for another import into {} ({}); giving up "
                                           "after {} s",
                                           m_loc.display, holder, m_loc.lock_wait_s));
        }
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(m_loc.lock_wait_s);
        while (std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            if (try_lock())
                return;
        }
        throw_store(fmt::format("another import into {} is still running ({}); gave up after "
                                "waiting {} s",
                                m_loc.display, lock_holder(), m_loc.lock_wait_s),
                    "run the command again when it has finished, or wait longer with "
                    "lock_wait=SECONDS in the store location");
    }

    std::string lock_holder() {
        auto objid = static_cast<std::uint32_t>(lock_key(m_loc.schema));
        auto r = m_db->query(
            "SELECT to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), a.pid, "
            "coalesce(a.application_name, '') FROM pg_locks l JOIN pg_stat_activity a ON "
            "a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = "
            "$1::bigint AND l.objid = $2::bigint AND l.database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())",
            {std::to_string(lock_class), std::to_string(objid)});
        if (r.rows() == 0 || r.is_null(0, 0))
            return "since a moment ago";
        return fmt::format("since {} UTC, server process {}{}", r.text(0, 0), r.text(0, 1),
                           r.text(0, 2).empty() ? std::string()
                                                : fmt::format(", {}", r.text(0, 2)));
    }

    bool schema_exists() {
        return m_db->query_int("SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                               {m_loc.schema})
                   .value_or(0) > 0;
    }

    bool schema_has_tables() {
        return m_db->query_int("SELECT count(*) FROM pg_tables WHERE schemaname = $1",
                               {m_loc.schema})
                   .value_or(0) > 0;
    }

    bool has_store_table(const std::string& name) {
        return run("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2",
                   {m_loc.schema, name})
                   .int64(0, 0) > 0;
    }

    void ensure_postgis() {
        if (m_db->query_int("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")
                .value_or(0) > 0)
            return;
        try {
            m_db->exec("SAVEPOINT make_postgis; CREATE EXTENSION postgis; RELEASE make_postgis");
        } catch (const Error&) {
            throw_store(fmt::format("the database of {} has no PostGIS, and this role may not "
                                    "add it",
                                    m_loc.display),
                        "ask the database owner to run CREATE EXTENSION postgis in it "
                        "(docs/POSTGIS.md)");
        }
    }

    void read_meta() {
        auto version = meta("schema_version");
        if (!version)
            throw_store(fmt::format("{} is damaged: its landclear_meta has no schema_version",
                                    m_loc.display),
                        "restore the schema from a backup, or import the sources again into a "
                        "new store");
        int v = 0;
        try {
            v = std::stoi(*version);
        } catch (const std::exception&) {
        }
        if (v != store_schema_version)
            throw_input(fmt::format("{} has store schema version {}, this landclear reads {}",
                                    m_loc.display, *version, store_schema_version),
                        "use the landclear version that wrote the store");
        if (auto srid = meta("working_srid"))
            m_epsg = std::stoi(*srid);
        m_schema_made = true;
        m_may_write = !m_read_only && m_db->query_text("SELECT has_table_privilege($1, 'UPDATE')",
                                                       {t("landclear_meta")}) == "t";
    }

    std::optional<std::string> meta(const std::string& key) {
        // landclear_meta is never buffered: no flush needed.
        auto r =
            read(fmt::format("SELECT value FROM {} WHERE key = $1", t("landclear_meta")), {key});
        if (r.rows() == 0)
            return std::nullopt;
        return r.str(0, 0);
    }

    void set_meta(const std::string& key, const std::string& value) {
        run(fmt::format("INSERT INTO {}(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE "
                        "SET value = excluded.value",
                        t("landclear_meta")),
            {key, value});
    }

    std::string geom_column(const std::string& type) const {
        return fmt::format("geometry({}, {})", type, epsg());
    }

    void create_schema() {
        auto& db = *m_db;
        db.exec(fmt::format("CREATE TABLE {}(key text PRIMARY KEY, value text NOT NULL)",
                            t("landclear_meta")));
        set_meta("schema_version", std::to_string(store_schema_version));
        set_meta("working_srid", std::to_string(*m_epsg));
        db.exec(fmt::format("CREATE TABLE {}(id bigint PRIMARY KEY, layer text NOT NULL, source "
                            "text NOT NULL, mode text NOT NULL, source_crs text, features_read "
                            "bigint, written bigint, repaired bigint, imported_at text NOT NULL, "
                            "batch_id bigint)",
                            t("imports")));
        for (const auto& def : all_layers()) {
            std::string cols;
            for (const auto& f : def.fields)
                cols += fmt::format("{} {}{}, ", f.name, sql_type(f.type, true),
                                    f.name == def.key ? " NOT NULL" : "");
            // The keys, the reference to imports and the indexes once the rows are in (at
            // commit), with the names PostgreSQL gives inline ones: parcels_pkey,
            // parcels_parcel_code_key, parcels_import_id_fkey.
            db.exec(fmt::format("CREATE TABLE {}(id bigint NOT NULL, {}{} double precision, "
                                "source_fid bigint, import_id bigint, geom {})",
                                t(def.name), cols, measure_column(def),
                                geom_column(geometry_type(def))));
            created_here(t(def.name));
            defer(fmt::format("ALTER TABLE {} ADD PRIMARY KEY (id), ADD UNIQUE ({}), ADD FOREIGN "
                              "KEY (import_id) REFERENCES {}(id)",
                              t(def.name), def.key, t("imports")));
            defer(
                fmt::format("CREATE INDEX {}_geom ON {} USING gist(geom)", def.name, t(def.name)));
        }
        db.exec(fmt::format("CREATE TABLE {}(name text PRIMARY KEY, data_version bigint NOT "
                            "NULL, params text NOT NULL)",
                            t("derived_stamps")));
        create_history_schema();
        defer(fmt::format("CREATE INDEX parcels_project ON {}(project_code)", t("parcels")));
        defer(fmt::format("CREATE INDEX buildings_parcel ON {}(parcel_code)", t("buildings")));
        db.exec(fmt::format("CREATE TABLE {}(id bigint PRIMARY KEY, origin text NOT NULL, kind "
                            "text NOT NULL, layer text, feature_code text, source text, "
                            "source_fid bigint, message text NOT NULL, value double precision, "
                            "created_at text DEFAULT to_char(clock_timestamp() AT TIME ZONE "
                            "'UTC', 'YYYY-MM-DD HH24:MI:SS'), geom {})",
                            t("findings"), geom_column("GEOMETRY")));
        db.exec(fmt::format("CREATE INDEX findings_geom ON {} USING gist(geom)", t("findings")));
        m_schema_made = true;
    }

    void create_history_schema() {
        auto& db = *m_db;
        db.exec(fmt::format("CREATE TABLE {}(id bigint PRIMARY KEY, reported_on text NOT NULL, "
                            "imported_at text NOT NULL, mode text NOT NULL, added bigint, removed "
                            "bigint, changed bigint)",
                            t("batches")));
        db.exec(fmt::format("CREATE TABLE {}(id bigint PRIMARY KEY, batch_id bigint NOT NULL "
                            "REFERENCES {}(id), layer text NOT NULL, source text NOT NULL, "
                            "sha256 text NOT NULL)",
                            t("batch_files"), t("batches")));
        db.exec(fmt::format("CREATE TABLE {}(id bigint PRIMARY KEY, batch_id bigint NOT NULL "
                            "REFERENCES {}(id), layer text NOT NULL, code text NOT NULL, "
                            "project_code text NOT NULL, kind text NOT NULL, field text NOT "
                            "NULL, old_value text NOT NULL, new_value text NOT NULL, correction "
                            "integer NOT NULL)",
                            t("changes"), t("batches")));
        db.exec(fmt::format("CREATE INDEX changes_code ON {}(layer, code)", t("changes")));
        db.exec(fmt::format("CREATE INDEX changes_batch ON {}(batch_id)", t("changes")));
        for (const auto& def : all_layers()) {
            std::string cols;
            for (const auto& f : def.fields)
                cols += fmt::format("{} {}, ", f.name, sql_type(f.type, true));
            db.exec(fmt::format("CREATE TABLE {}_history(id bigint PRIMARY KEY, {}{} double "
                                "precision, source_fid bigint, import_id bigint, ended_import_id "
                                "bigint NOT NULL, geom {})",
                                t(def.name), cols, measure_column(def),
                                geom_column(geometry_type(def))));
            db.exec(fmt::format("CREATE INDEX {0}_history_key ON {1}_history({2})", def.name,
                                t(def.name), def.key));
            db.exec(fmt::format("CREATE INDEX {0}_history_ended ON {1}_history(ended_import_id)",
                                def.name, t(def.name)));
        }
    }

    void create_derived(const DerivedLayerDef& def) {
        std::string cols;
        for (const auto& [name, type] : def.fields)
            cols += fmt::format("{} {}, ", pg::quote_ident(name, "field"), sql_type(type, false));
        auto name = pg::quote_ident(def.name, "derived layer");
        std::string geom;
        if (!def.geometry_type.empty())
            geom = ", geom " + geom_column(checked_geometry_type(def.geometry_type));
        auto table = fmt::format("{}.{}", m_s, name);
        run(fmt::format("CREATE TABLE {}(id bigint NOT NULL, {}measure double precision{})", table,
                        cols, geom));
        created_here(table);
        if (m_in_write)
            m_derived_exists[def.name] = true;
        defer(fmt::format("ALTER TABLE {} ADD PRIMARY KEY (id)", table));
        if (!def.geometry_type.empty())
            defer(fmt::format("CREATE INDEX ON {} USING gist(geom)", table));
    }

    static ChangeKind change_kind_from_name(const std::string& name) {
        for (auto k :
             {ChangeKind::added, ChangeKind::removed, ChangeKind::changed, ChangeKind::loaded})
            if (name == change_kind_name(k))
                return k;
        return ChangeKind::changed;
    }

    // Columns: the fields, then measure, then WKB (or NULL).
    static void read_rows(const pg::Result& r,
                          const std::vector<std::pair<std::string, FieldType>>& fields,
                          const std::function<void(const FeatureRow&)>& fn) {
        FeatureRow row;
        int n = static_cast<int>(fields.size());
        for (int i = 0; i < r.rows(); ++i) {
            row.values.assign(fields.size(), std::monostate{});
            for (int c = 0; c < n; ++c) {
                if (r.is_null(i, c))
                    continue;
                switch (fields[static_cast<size_t>(c)].second) {
                case FieldType::text:
                    row.values[c] = r.str(i, c);
                    break;
                case FieldType::integer:
                    row.values[c] = r.int64(i, c);
                    break;
                case FieldType::real:
                    row.values[c] = r.real(i, c);
                    break;
                case FieldType::date:
                    if (auto d = parse_date(r.text(i, c)))
                        row.values[c] = *d;
                    break;
                }
            }
            row.measure = r.real(i, n);
            r.bytea(i, n + 1, row.wkb);
            fn(row);
        }
    }

    pg::Location m_loc;
    bool m_read_only = false;
    std::unique_ptr<pg::Connection> m_db;
    std::string m_s; // the schema, quoted
    bool m_new = false;
    bool m_schema_made = false; // the store's tables exist (committed or in this write)
    bool m_may_write = false;
    bool m_in_write = false;
    bool m_data_changed = false;
    std::optional<int> m_epsg;
    std::int64_t m_import_id = 0;
    std::int64_t m_batch_id = 0;
    std::optional<Date> m_known_on;
    std::map<std::string, Pending> m_pending; // by qualified table name
    std::map<LayerKind, std::unordered_set<std::string>> m_pending_codes;
    std::map<LayerKind, std::vector<std::string>> m_supersedes;        // in call order
    std::map<LayerKind, std::unordered_set<std::string>> m_superseded; // the same, as a set
    std::map<std::string, std::int64_t> m_next_ids;   // by table name as given to next_id
    std::vector<std::string> m_deferred;              // DDL for commit, in order
    std::map<std::string, bool> m_derived_exists;     // has_derived's answers (see there)
    std::vector<PendingStamp> m_pending_stamps;       // in call order
    std::optional<std::int64_t> m_write_data_version; // data_version() in this write
    // Tables made in this write (qualified) -> derived scopes written into them ("": all).
    std::map<std::string, std::set<std::string>> m_created;
};

} // namespace

bool is_postgis_location(const std::string& location) {
    return pg::is_location(location);
}

std::unique_ptr<Store> open_postgis_store(const std::string& location, StoreMode mode) {
    return std::make_unique<PostgisStore>(location, mode);
}

bool postgis_store_exists(const std::string& location) {
    auto loc = pg::parse_location(location);
    pg::Connection db(loc);
    return db.query_int("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = "
                        "'landclear_meta'",
                        {loc.schema})
               .value_or(0) > 0;
}

void set_store_wait_handler(std::function<void(const std::string&)> handler) {
    std::lock_guard lock(g_wait_mutex);
    g_wait_handler = std::move(handler);
}

} // namespace landclear
