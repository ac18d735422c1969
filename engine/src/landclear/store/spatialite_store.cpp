// The SpatiaLite store: one file that QGIS and the spatialite CLI open as they are.
#include "landclear/core/error.hpp"
#include "landclear/store/detail/store_files.hpp"
#include "landclear/store/postgis_store.hpp"
#include "landclear/store/sqlite.hpp"
#include "landclear/store/store.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <sqlite3.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>

// gaiageo.h needs sqlite3.h first.
#include <spatialite/gaiageo.h>

namespace landclear {

namespace {

namespace fs = std::filesystem;

std::string geometry_type(const LayerDef& def) {
    return def.geom == GeomKind::polygon ? "MULTIPOLYGON" : "LINESTRING";
}

std::string measure_column(const LayerDef& def) {
    return def.geom == GeomKind::polygon ? "area_m2" : "length_m";
}

std::string sql_type(FieldType t) {
    switch (t) {
    case FieldType::integer:
        return "INTEGER";
    case FieldType::real:
        return "REAL";
    default:
        return "TEXT";
    }
}

std::optional<Date> date_column(const sqlite::Statement& st, int col) {
    if (st.is_null(col))
        return std::nullopt;
    // parse_date reads the store's YYYY-MM-DD without its general spellings.
    return parse_date(st.column_text_view(col));
}

// Assigns into the row's existing string, so reading many rows does not allocate per column.
void text_column(const sqlite::Statement& st, int col, std::string& out) {
    auto t = st.column_text_view(col);
    out.assign(t.data(), t.size());
}

std::optional<double> real_column(const sqlite::Statement& st, int col) {
    if (st.is_null(col))
        return std::nullopt;
    return st.column_double(col);
}

class SpatialiteStore final : public Store {
public:
    SpatialiteStore(const std::string& path, StoreMode mode)
        : m_path(path), m_read_only(mode == StoreMode::read) {
        std::error_code exists_ec;
        bool exists = fs::exists(path, exists_ec);
        if (!exists && mode == StoreMode::read)
            throw_input(fmt::format("store {} does not exist", path),
                        "create it with: landclear import STORE --parcels FILE ...");
        m_new = !exists;
        if (mode == StoreMode::write) {
            // What a store creation killed before its commit left is no one's any more.
            store_files::remove_stale_temporaries(path);
            if (m_new)
                store_files::check_can_create(path);
            else
                store_files::check_can_write(path);
        }
        // A new store is built under a temporary name and renamed on commit, so a failed first
        // import leaves nothing behind.
        m_open_path = m_new ? fmt::format("{}.tmp-{}", path, ::getpid()) : path;
        if (m_new) {
            std::error_code ec;
            fs::remove(m_open_path, ec);
        }
        try {
            m_db = std::make_unique<sqlite::Database>(m_open_path, m_new, mode == StoreMode::read);
        } catch (const Error&) {
            if (!m_new)
                throw;
            // Name the store asked for, not the temporary it is built under.
            throw_store(fmt::format("cannot create the store {}: its folder does not take new "
                                    "files",
                                    path),
                        "choose a folder you can write to");
        }
        if (!m_new) {
            check_is_landclear_store();
            if (m_schema_version < store_schema_version && writable())
                migrate();
        }
    }

    ~SpatialiteStore() override {
        m_statements.clear();
        m_finding_insert.reset();
        m_change_insert.reset();
        m_inserts.clear();
        m_supersedes.clear();
        m_tx.reset();
        m_db.reset();
        if (m_new && !m_committed) {
            std::error_code ec;
            fs::remove(m_open_path, ec);
        }
    }

    std::string location() const override { return m_path; }
    std::string display_name() const override { return fs::path(m_path).filename().string(); }
    bool is_new() const override { return m_new; }

    std::optional<int> working_epsg() const override { return m_epsg; }

    void begin_write() override {
        if (m_new) {
            // Journal off for the first build: the file is private until renamed on commit.
            m_db->exec("PRAGMA journal_mode=OFF");
            m_db->exec("SELECT InitSpatialMetadata(1, 'NONE')");
        }
        m_db->exec("PRAGMA synchronous=NORMAL");
        m_db->exec("PRAGMA cache_size=-200000");
        m_tx = std::make_unique<sqlite::Transaction>(*m_db);
    }

    void set_working_epsg(int epsg) override {
        if (!m_new)
            throw_internal("the working CRS of an existing store cannot change");
        m_epsg = epsg;
        auto ins = m_db->prepare("SELECT InsertEpsgSrid(?)");
        ins.bind(1, static_cast<std::int64_t>(epsg));
        ins.step();
        if (!m_db->query_int(
                     fmt::format("SELECT count(*) FROM spatial_ref_sys WHERE srid={}", epsg))
                 .value_or(0))
            throw_usage(fmt::format("EPSG:{} is not known to SpatiaLite", epsg));
        create_schema();
    }

    void clear_layer(LayerKind kind) override {
        const auto& def = layer_def(kind);
        suspend_index(std::string(def.name));
        m_db->exec(fmt::format("DELETE FROM {}", def.name));
        m_data_changed = true;
    }

    std::optional<std::string> describe_code(LayerKind kind, std::string_view code) override {
        const auto& def = layer_def(kind);
        auto st = m_db->prepare(
            fmt::format("SELECT t.source_fid, i.source FROM {} t LEFT JOIN imports i ON "
                        "i.id = t.import_id WHERE t.{} = ?",
                        def.name, def.key));
        st.bind(1, code);
        if (!st.step())
            return std::nullopt;
        return fmt::format("feature {} of {} (already in the store)", st.column_int(0),
                           st.column_text(1));
    }

    void insert(LayerKind kind, const Record& record) override {
        bool native = !record.native.empty() && !record.wkb.empty();
        auto& st = insert_statement(kind, native);
        std::string table(layer_def(kind).name);
        auto suspended = m_suspended.find(table);
        // The record outlives run(): its texts and WKB are bound without SQLite's copy, the
        // dates through m_date_text.
        if (m_date_text.size() < record.values.size())
            m_date_text.resize(record.values.size());
        int i = 1;
        for (size_t f = 0; f < record.values.size(); ++f)
            bind_value_static(st, i++, record.values[f], m_date_text[f]);
        if (record.wkb.empty())
            st.bind_null(i++);
        else
            st.bind(i++, record.measure);
        st.bind(i++, record.source_fid);
        st.bind(i++, m_import_id);
        if (record.wkb.empty()) {
            st.bind_null(i++);
        } else {
            check_type(table, record.wkb);
            st.bind_blob_static(i++, native ? record.native : record.wkb);
        }
        st.run();
        m_data_changed = true;
        if (suspended != m_suspended.end())
            gather_box(suspended->second, record.wkb);
    }

    // SpatiaLite's blob as GeomFromWKB(wkb, srid) makes it, through the same library calls
    // (gaiaFromWkb, the MBR, gaiaToSpatiaLiteBlobWkbEx2 without GeoPackage mode), so that the
    // SQL function's parse and re-serialisation per row leave the writing thread. Points are left
    // to the SQL function (its tiny-point setting lives in the connection); so is a WKB
    // SpatiaLite cannot read, which GeomFromWKB turns into NULL.
    void encode_geometry(Record& record) const override { record.native = native_blob(record.wkb); }

    void encode_derived(FeatureRow& row) const override { row.native = native_blob(row.wkb); }

    std::vector<unsigned char> native_blob(std::span<const unsigned char> wkb) const {
        if (!m_epsg || wkb.size() < 5)
            return {};
        std::unique_ptr<gaiaGeomColl, decltype(&gaiaFreeGeomColl)> geo(
            gaiaFromWkb(wkb.data(), static_cast<unsigned int>(wkb.size())), gaiaFreeGeomColl);
        if (!geo)
            return {};
        bool point = geo->FirstPoint && !geo->FirstLinestring && !geo->FirstPolygon;
        if (point)
            return {};
        geo->Srid = *m_epsg;
        gaiaMbrGeometry(geo.get());
        unsigned char* blob = nullptr;
        int size = 0;
        gaiaToSpatiaLiteBlobWkbEx2(geo.get(), &blob, &size, 0, 0);
        std::unique_ptr<unsigned char, decltype(&std::free)> owned(blob, std::free);
        if (!blob || size <= 0)
            return {};
        return {blob, blob + size};
    }

    void finish_layer(LayerKind kind) override { rebuild_index(std::string(layer_def(kind).name)); }

    void clear_findings(std::string_view origin, std::string_view layer) override {
        auto st = m_db->prepare("DELETE FROM findings WHERE origin = ? AND layer = ?");
        st.bind(1, origin).bind(2, layer);
        st.run();
    }

    void add_finding(const Finding& f) override {
        if (!m_finding_insert)
            m_finding_insert = std::make_unique<sqlite::Statement>(m_db->prepare(fmt::format(
                "INSERT INTO findings(origin, kind, layer, feature_code, source, source_fid, "
                "message, value, created_at, geom) VALUES (?,?,?,?,?,?,?,?,datetime('now'),"
                "GeomFromWKB(?, {}))",
                *m_epsg)));
        auto& st = *m_finding_insert;
        st.bind(1, f.origin).bind(2, f.kind).bind(3, f.layer).bind(4, f.feature_code);
        st.bind(5, f.source).bind(6, f.source_fid).bind(7, f.message);
        if (f.value)
            st.bind(8, *f.value);
        else
            st.bind_null(8);
        if (f.wkb.empty())
            st.bind_null(9);
        else
            st.bind_blob(9, f.wkb);
        st.run();
    }

    std::int64_t record_import(const ImportLogEntry& e) override {
        auto st = m_db->prepare(
            "INSERT INTO imports(layer, source, mode, source_crs, features_read, written, "
            "repaired, imported_at, batch_id) VALUES (?,?,?,?,?,?,?,datetime('now'),?)");
        st.bind(1, e.layer).bind(2, e.source).bind(3, e.mode).bind(4, e.source_crs);
        st.bind(5, e.read).bind(6, e.written).bind(7, e.repaired);
        if (m_batch_id > 0)
            st.bind(8, m_batch_id);
        else
            st.bind_null(8);
        st.run();
        m_import_id = m_db->last_insert_rowid();
        return m_import_id;
    }

    void update_import(std::int64_t id, const ImportLogEntry& e) override {
        auto st = m_db->prepare(
            "UPDATE imports SET features_read = ?, written = ?, repaired = ? WHERE id = ?");
        st.bind(1, e.read).bind(2, e.written).bind(3, e.repaired).bind(4, id);
        st.run();
    }

    std::int64_t begin_batch(const BatchInfo& b) override {
        require_write("begin_batch");
        if (auto latest = m_db->query_text("SELECT max(reported_on) FROM batches"))
            if (auto d = parse_date(*latest); d && b.reported_on < *d)
                throw_usage(fmt::format("the store already holds data reported on {}; an import "
                                        "reported on {} would rewrite what was known then",
                                        d->iso(), b.reported_on.iso()),
                            fmt::format("pass --reported {} or later (the date the data describes)",
                                        d->iso()));
        auto st = m_db->prepare("INSERT INTO batches(reported_on, imported_at, mode, added, "
                                "removed, changed) VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', "
                                "'now'), ?, 0, 0, 0)");
        st.bind(1, b.reported_on.iso()).bind(2, std::string_view(b.mode));
        st.run();
        m_batch_id = m_db->last_insert_rowid();
        auto f = m_db->prepare(
            "INSERT INTO batch_files(batch_id, layer, source, sha256) VALUES (?, ?, ?, ?)");
        for (const auto& file : b.files) {
            f.bind(1, m_batch_id).bind(2, std::string_view(file.layer));
            f.bind(3, std::string_view(file.source)).bind(4, std::string_view(file.sha256));
            f.run();
        }
        return m_batch_id;
    }

    void finish_batch(const BatchInfo& b) override {
        require_write("finish_batch");
        auto st = m_db->prepare("UPDATE batches SET added = ?, removed = ?, changed = ? WHERE "
                                "id = ?");
        st.bind(1, b.added).bind(2, b.removed).bind(3, b.changed).bind(4, m_batch_id);
        st.run();
        // Every import moves the data version, as before history: a batch is news (what is
        // known on its date) even when it changed no feature.
        m_data_changed = true;
    }

    void supersede(LayerKind kind, std::string_view code) override {
        auto it = m_supersedes.find(kind);
        if (it == m_supersedes.end()) {
            const auto& def = layer_def(kind);
            std::string cols;
            for (const auto& f : def.fields)
                cols += fmt::format("{}, ", f.name);
            auto m = measure_column(def);
            Supersede s{
                m_db->prepare(fmt::format(
                    "INSERT INTO {0}_history({1}{2}, source_fid, import_id, "
                    "ended_import_id, geom) SELECT {1}{2}, source_fid, import_id, ?, geom "
                    "FROM {0} WHERE {3} = ?",
                    def.name, cols, m, def.key)),
                m_db->prepare(fmt::format("DELETE FROM {} WHERE {} = ?", def.name, def.key))};
            it = m_supersedes.emplace(kind, std::move(s)).first;
        }
        if (auto sus = m_suspended.find(std::string(layer_def(kind).name));
            sus != m_suspended.end())
            sus->second.boxes_complete = false; // rows leave the table: read it back
        it->second.copy.bind(1, m_import_id).bind(2, code);
        it->second.copy.run();
        it->second.remove.bind(1, code);
        it->second.remove.run();
        m_data_changed = true;
    }

    void add_change(const ChangeEvent& c) override {
        if (!m_change_insert)
            m_change_insert = std::make_unique<sqlite::Statement>(m_db->prepare(
                "INSERT INTO changes(batch_id, layer, code, project_code, kind, field, "
                "old_value, new_value, correction) VALUES (?,?,?,?,?,?,?,?,?)"));
        auto& st = *m_change_insert;
        st.bind(1, c.batch_id ? c.batch_id : m_batch_id).bind(2, layer_def(c.layer).name);
        st.bind(3, std::string_view(c.code)).bind(4, std::string_view(c.project_code));
        st.bind(5, std::string_view(change_kind_name(c.kind)));
        st.bind(6, std::string_view(c.field)).bind(7, std::string_view(c.old_value));
        st.bind(8, std::string_view(c.new_value));
        st.bind(9, static_cast<std::int64_t>(c.correction ? 1 : 0));
        st.run();
    }

    void commit() override {
        if (!m_tx)
            throw_internal("commit without begin_write");
        m_inserts.clear();
        m_supersedes.clear();
        m_finding_insert.reset();
        m_change_insert.reset();
        m_batch_id = 0;
        // An index suspended for a bulk load comes back even if the caller forgot
        // finish_layer(): every layer has its spatial index whenever the store is not in a write.
        while (!m_suspended.empty())
            rebuild_index(m_suspended.begin()->first);
        for (const auto& def : all_layers())
            create_index(std::string(def.name));
        if (m_data_changed)
            set_meta("data_version", std::to_string(data_version() + 1));
        m_statements.clear();
        m_tx->commit();
        m_data_changed = false;
        m_derived_written.clear();
        m_tx.reset();
        if (m_new) {
            m_db->exec("PRAGMA journal_mode=DELETE");
            m_db.reset();
            fs::rename(m_open_path, m_path);
            m_committed = true;
            m_db = std::make_unique<sqlite::Database>(m_path, false);
            m_new = false;
        }
        m_committed = true;
    }

    void rollback() override {
        m_statements.clear();
        m_inserts.clear();
        m_supersedes.clear();
        m_finding_insert.reset();
        m_change_insert.reset();
        m_batch_id = 0;
        m_suspended.clear(); // the rollback brings the index and its triggers back
        m_derived_written.clear();
        m_tx.reset(); // the Transaction rolls back when destroyed uncommitted
        m_data_changed = false;
    }

    bool writable() const override {
        if (m_read_only || m_known_on)
            return false;
        if (m_new)
            return true;
        auto folder = fs::absolute(m_path).parent_path();
        return ::access(m_path.c_str(), W_OK) == 0 && ::access(folder.c_str(), W_OK) == 0;
    }

    std::int64_t count(LayerKind kind) override {
        return m_db->query_int(fmt::format("SELECT count(*) FROM {}", table(kind))).value_or(0);
    }

    std::vector<ProjectRow> projects() override {
        std::vector<ProjectRow> out;
        auto st = m_db->prepare(fmt::format("SELECT project_code, name, district, unit, "
                                            "deadline, area_m2 FROM {} ORDER BY project_code",
                                            table(LayerKind::projects)));
        while (st.step())
            out.push_back({st.column_text(0), st.column_text(1), st.column_text(2),
                           st.column_text(3), date_column(st, 4), real_column(st, 5)});
        return out;
    }

    std::vector<CorridorRow> corridors() override {
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

    void for_each_parcel(const std::function<void(const ParcelRow&)>& fn) override {
        for_each_parcel_fields({}, fn);
    }

    void for_each_parcel_fields(const std::vector<std::string>& fields,
                                const std::function<void(const ParcelRow&)>& fn) override {
        auto st = m_db->prepare(parcel_select(fields));
        read_parcels(st, fn);
    }

    void
    for_each_parcel_parts(const std::vector<std::string>& fields, unsigned parts,
                          const std::function<void(unsigned part, const ParcelRow&)>& fn) override {
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
        parts = static_cast<unsigned>(std::clamp<std::int64_t>(span / min_rows_per_part, 1,
                                                               static_cast<std::int64_t>(parts)));
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

    void for_each_building(const std::function<void(const BuildingRow&)>& fn) override {
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

    std::vector<Finding> findings(std::string_view origin) override {
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

    void for_each_feature(LayerKind kind, const FeatureFilter& filter,
                          const std::function<void(const FeatureRow&)>& fn) override {
        const auto& def = layer_def(kind);
        std::string cols;
        for (const auto& f : def.fields) {
            bool wanted = filter.fields.empty() ||
                          std::find(filter.fields.begin(), filter.fields.end(), f.name) !=
                              filter.fields.end();
            cols += wanted ? fmt::format("{}, ", column_or_null(def.name, f.name, "t."))
                           : std::string("NULL, ");
        }
        std::string sql =
            fmt::format("SELECT {}t.{}, {} FROM {} t WHERE 1", cols, measure_column(def),
                        filter.with_geometry ? "AsBinary(t.geom)" : "NULL", table(kind));
        std::vector<std::string> params;
        auto in_list = [&](const std::vector<std::string>& values) {
            std::string q;
            for (const auto& v : values) {
                q += q.empty() ? "?" : ",?";
                params.push_back(v);
            }
            return q;
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

    std::optional<Envelope> extent(LayerKind kind) override {
        auto st = m_db->prepare(
            fmt::format("SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), "
                        "max(MbrMaxY(geom)) FROM {}",
                        table(kind)));
        if (!st.step() || st.is_null(0))
            return std::nullopt;
        return Envelope{st.column_double(0), st.column_double(1), st.column_double(2),
                        st.column_double(3)};
    }

    void replace_derived(const DerivedLayerDef& def, const std::string& scope_field,
                         const std::string& scope_value,
                         const std::vector<FeatureRow>& rows) override {
        if (!has_derived(def.name))
            create_derived(def);
        // Replacing one scope after another must not scan the whole table each time.
        if (!scope_field.empty())
            m_db->exec(fmt::format("CREATE INDEX IF NOT EXISTS \"{0}_{1}\" ON \"{0}\"(\"{1}\")",
                                   def.name, scope_field));
        bool geometry = !def.geometry_type.empty();
        if (geometry && !m_suspended.count(def.name)) {
            // Rewriting much of the layer (a first save, every corridor again): the R*Tree is
            // built once on commit. A few rows into a large layer keep the per-row triggers.
            auto [it, first] = m_derived_written.try_emplace(def.name, 0);
            if (first)
                it->second = -m_db->query_int(fmt::format("SELECT count(*) FROM \"{}\"", def.name))
                                  .value_or(0) /
                             50;
            it->second += static_cast<std::int64_t>(rows.size());
            if (it->second > 1000)
                suspend_index(def.name);
        }
        if (scope_field.empty()) {
            m_db->exec(fmt::format("DELETE FROM \"{}\"", def.name));
        } else {
            auto del = m_db->prepare(
                fmt::format("DELETE FROM \"{}\" WHERE \"{}\" = ?", def.name, scope_field));
            del.bind(1, std::string_view(scope_value));
            del.run();
        }
        std::string cols, params;
        for (const auto& [name, type] : def.fields) {
            cols += fmt::format("\"{}\", ", name);
            params += "?, ";
        }
        // Two statements: a row's geometry bound as the blob encode_derived() made, or passed
        // through GeomFromWKB (points, rows not encoded ahead).
        std::optional<sqlite::Statement> ins_wkb, ins_native;
        auto statement = [&](bool native) -> sqlite::Statement& {
            auto& st = native ? ins_native : ins_wkb;
            if (!st)
                st.emplace(m_db->prepare(
                    fmt::format("INSERT INTO \"{}\"({}measure{}) VALUES ({}?{})", def.name, cols,
                                geometry ? ", geom" : "", params,
                                !geometry ? std::string()
                                : native  ? std::string(", ?")
                                          : fmt::format(", GeomFromWKB(?, {})", *m_epsg))));
            return *st;
        };
        for (const auto& r : rows) {
            bool native = geometry && !r.native.empty();
            auto& ins = statement(native);
            int i = 1;
            for (const auto& v : r.values)
                bind_value(ins, i++, v);
            ins.bind(i++, r.measure);
            if (geometry) {
                if (r.wkb.empty()) {
                    ins.bind_null(i++);
                } else {
                    check_type(def.name, r.wkb);
                    ins.bind_blob_static(i++, native ? r.native : r.wkb);
                }
            }
            ins.run();
        }
    }

    bool has_derived(const std::string& name) override {
        auto st = m_db->prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                                "name = ?");
        st.bind(1, std::string_view(name));
        return st.step() && st.column_int(0) > 0;
    }

    void for_each_derived(const DerivedLayerDef& def, const std::string& scope_field,
                          const std::string& scope_value,
                          const std::function<void(const FeatureRow&)>& fn) override {
        if (!has_derived(def.name))
            return;
        std::string cols;
        for (const auto& [name, type] : def.fields)
            cols += fmt::format("\"{}\", ", name);
        std::string sql =
            fmt::format("SELECT {}measure, {} FROM \"{}\"", cols,
                        def.geometry_type.empty() ? "NULL" : "AsBinary(geom)", def.name);
        if (!scope_field.empty())
            sql += fmt::format(" WHERE \"{}\" = ?", scope_field);
        sql += " ORDER BY id";
        auto st = m_db->prepare(sql);
        if (!scope_field.empty())
            st.bind(1, std::string_view(scope_value));
        read_rows(st, def.fields, fn);
    }

    std::optional<DerivedStamp> derived_stamp(const std::string& name) override {
        if (m_known_on)
            return std::nullopt; // results of the whole store, not of what was known then
        if (!has_table("derived_stamps"))
            return legacy_stamp(name);
        auto st = m_db->prepare("SELECT data_version, params FROM derived_stamps WHERE name = ?");
        st.bind(1, std::string_view(name));
        if (!st.step())
            return std::nullopt;
        return DerivedStamp{st.column_int(0), st.column_text(1)};
    }

    void set_derived_stamp(const std::string& name, const std::string& params) override {
        require_write("set_derived_stamp");
        auto st = m_db->prepare("INSERT INTO derived_stamps(name, data_version, params) VALUES "
                                "(?, ?, ?) ON CONFLICT(name) DO UPDATE SET data_version = "
                                "excluded.data_version, params = excluded.params");
        st.bind(1, std::string_view(name))
            .bind(2, data_version())
            .bind(3, std::string_view(params));
        st.run();
    }

    void clear_derived_stamp(const std::string& name) override {
        require_write("clear_derived_stamp");
        auto st = m_db->prepare("DELETE FROM derived_stamps WHERE name = ?");
        st.bind(1, std::string_view(name));
        st.run();
    }

    std::int64_t data_version() override {
        auto v = meta("data_version");
        return v ? std::stoll(*v) : 0;
    }

    std::vector<BatchInfo> batches() override {
        std::vector<BatchInfo> out;
        if (!has_table("batches"))
            return out;
        auto st = m_db->prepare("SELECT id, reported_on, imported_at, mode, added, removed, "
                                "changed FROM batches WHERE ?1 IS NULL OR reported_on <= ?1 "
                                "ORDER BY id");
        bind_known(st, 1);
        auto files = m_db->prepare(
            "SELECT layer, source, sha256 FROM batch_files WHERE batch_id = ? ORDER BY rowid");
        while (st.step()) {
            BatchInfo b;
            b.id = st.column_int(0);
            b.reported_on = date_column(st, 1).value_or(Date(1900, 1, 1));
            b.imported_at = st.column_text(2);
            b.mode = st.column_text(3);
            b.added = st.column_int(4);
            b.removed = st.column_int(5);
            b.changed = st.column_int(6);
            files.bind(1, b.id);
            while (files.step())
                b.files.push_back(
                    {files.column_text(0), files.column_text(1), files.column_text(2)});
            files.reset();
            out.push_back(std::move(b));
        }
        return out;
    }

    void for_each_change(const ChangeFilter& filter,
                         const std::function<void(const ChangeEvent&)>& fn) override {
        if (!has_table("changes"))
            return;
        std::string sql =
            "SELECT c.batch_id, c.layer, c.code, c.project_code, c.kind, c.field, c.old_value, "
            "c.new_value, c.correction, b.reported_on FROM changes c JOIN batches b ON b.id = "
            "c.batch_id WHERE (?1 IS NULL OR b.reported_on <= ?1)";
        std::vector<std::string> params;
        auto in_list = [&](const std::vector<std::string>& values) {
            std::string q;
            for (const auto& v : values) {
                q += q.empty() ? "?" : ",?";
                params.push_back(v);
            }
            return q;
        };
        if (filter.layer) {
            sql += " AND c.layer = ?";
            params.emplace_back(layer_def(*filter.layer).name);
        }
        if (!filter.codes.empty())
            sql += fmt::format(" AND c.code IN ({})", in_list(filter.codes));
        if (!filter.project_codes.empty())
            sql += fmt::format(" AND c.project_code IN ({})", in_list(filter.project_codes));
        if (filter.since) {
            sql += " AND b.reported_on >= ?";
            params.push_back(filter.since->iso());
        }
        if (filter.until) {
            sql += " AND b.reported_on <= ?";
            params.push_back(filter.until->iso());
        }
        sql += " ORDER BY b.reported_on DESC, c.batch_id DESC, c.id";
        auto st = m_db->prepare(sql);
        bind_known(st, 1);
        int i = 2;
        for (const auto& p : params)
            st.bind(i++, std::string_view(p));
        ChangeEvent c;
        while (st.step()) {
            c.batch_id = st.column_int(0);
            c.layer = layer_from_name(st.column_text_view(1)).value_or(LayerKind::parcels);
            text_column(st, 2, c.code);
            text_column(st, 3, c.project_code);
            c.kind = change_kind_from_name(st.column_text(4));
            text_column(st, 5, c.field);
            text_column(st, 6, c.old_value);
            text_column(st, 7, c.new_value);
            c.correction = st.column_int(8) != 0;
            c.reported_on = date_column(st, 9).value_or(Date(1900, 1, 1));
            fn(c);
        }
    }

    // The layers as known on a date are temporary views (the connection's own, so a read-only
    // store takes them too): the current rows whose import was known then, and the superseded
    // rows that were current then (known, and ended by an import not yet known). Batches are
    // reported in order (begin_batch), so those two sets are exactly the state on that day.
    void set_known_on(std::optional<Date> date) override {
        m_statements.clear();
        for (const auto& def : all_layers())
            m_db->exec(fmt::format("DROP VIEW IF EXISTS temp.known_{}", def.name));
        m_known_on.reset();
        if (!date || !has_table("batches"))
            return; // a store with no history: everything it holds was always known
        m_db->exec("CREATE TEMP TABLE IF NOT EXISTS unknown_imports(id INTEGER PRIMARY KEY)");
        m_db->exec("DELETE FROM temp.unknown_imports");
        auto st = m_db->prepare("INSERT INTO temp.unknown_imports SELECT i.id FROM imports i "
                                "JOIN batches b ON b.id = i.batch_id WHERE b.reported_on > ?");
        st.bind(1, date->iso());
        st.run();
        for (const auto& def : all_layers()) {
            std::string cols;
            for (const auto& f : def.fields)
                cols += fmt::format("{}, ", f.name);
            auto m = measure_column(def);
            constexpr const char* known =
                "(import_id IS NULL OR import_id NOT IN (SELECT id FROM temp.unknown_imports))";
            m_db->exec(fmt::format(
                "CREATE TEMP VIEW known_{0} AS SELECT id, {1}{2}, source_fid, import_id, geom "
                "FROM main.{0} WHERE {3} UNION ALL SELECT -id, {1}{2}, source_fid, import_id, "
                "geom FROM main.{0}_history WHERE {3} AND ended_import_id IN (SELECT id FROM "
                "temp.unknown_imports)",
                def.name, cols, m, known));
        }
        m_known_on = date;
    }

    std::optional<Date> known_on() const override { return m_known_on; }

private:
    // The parcels' ten fields in ParcelRow's order; a field not asked for (fields names them,
    // empty: all) is selected as NULL: SQLite then neither decodes nor copies it, and
    // read_parcels stays one loop (a NULL reads as empty).
    std::string parcel_select(const std::vector<std::string>& fields) const {
        static const char* const columns[] = {
            "parcel_code", "project_code", "district",   "village",      "owner_type",
            "land_class",  "acquired_on",  "cleared_on", "delivered_on", "area_m2"};
        std::string select;
        for (const char* c : columns) {
            bool wanted =
                fields.empty() || std::find(fields.begin(), fields.end(), c) != fields.end();
            select += select.empty() ? "" : ", ";
            select += wanted ? c : "NULL";
        }
        return "SELECT " + select + " FROM " + table(LayerKind::parcels);
    }

    static void read_parcels(sqlite::Statement& st,
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

    std::string table(LayerKind kind) const {
        const auto& def = layer_def(kind);
        return m_known_on ? fmt::format("known_{}", def.name) : std::string(def.name);
    }

    void bind_known(sqlite::Statement& st, int i) {
        if (m_known_on)
            st.bind(i, m_known_on->iso());
        else
            st.bind_null(i);
    }

    static ChangeKind change_kind_from_name(const std::string& name) {
        for (auto k :
             {ChangeKind::added, ChangeKind::removed, ChangeKind::changed, ChangeKind::loaded})
            if (name == change_kind_name(k))
                return k;
        return ChangeKind::changed;
    }

    void create_history_schema() {
        m_db->exec("CREATE TABLE batches(id INTEGER PRIMARY KEY, reported_on TEXT NOT NULL, "
                   "imported_at TEXT NOT NULL, mode TEXT NOT NULL, added INTEGER, removed "
                   "INTEGER, changed INTEGER)");
        m_db->exec("CREATE TABLE batch_files(batch_id INTEGER NOT NULL REFERENCES batches(id), "
                   "layer TEXT NOT NULL, source TEXT NOT NULL, sha256 TEXT NOT NULL)");
        m_db->exec("CREATE TABLE changes(id INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL "
                   "REFERENCES batches(id), layer TEXT NOT NULL, code TEXT NOT NULL, "
                   "project_code TEXT NOT NULL, kind TEXT NOT NULL, field TEXT NOT NULL, "
                   "old_value TEXT NOT NULL, new_value TEXT NOT NULL, correction INTEGER NOT "
                   "NULL)");
        m_db->exec("CREATE INDEX changes_code ON changes(layer, code)");
        m_db->exec("CREATE INDEX changes_batch ON changes(batch_id)");
        for (const auto& def : all_layers()) {
            std::string cols;
            for (const auto& f : def.fields)
                cols += fmt::format("{} {}, ", f.name, sql_type(f.type));
            m_db->exec(fmt::format("CREATE TABLE {}_history(id INTEGER PRIMARY KEY, {}{} REAL, "
                                   "source_fid INTEGER, import_id INTEGER, ended_import_id "
                                   "INTEGER NOT NULL)",
                                   def.name, cols, measure_column(def)));
            m_db->exec(fmt::format("SELECT AddGeometryColumn('{}_history', 'geom', {}, '{}', "
                                   "'XY')",
                                   def.name, *m_epsg, geometry_type(def)));
            m_db->exec(
                fmt::format("CREATE INDEX {0}_history_key ON {0}_history({1})", def.name, def.key));
            m_db->exec(fmt::format("CREATE INDEX {0}_history_ended ON {0}_history("
                                   "ended_import_id)",
                                   def.name));
        }
    }

    std::optional<std::string> meta(const std::string& key) {
        auto st = m_db->prepare("SELECT value FROM landclear_meta WHERE key = ?");
        st.bind(1, std::string_view(key));
        if (st.step())
            return st.column_text(0);
        return std::nullopt;
    }

    void set_meta(const std::string& key, const std::string& value) {
        auto st = m_db->prepare("INSERT INTO landclear_meta(key, value) VALUES (?, ?) ON "
                                "CONFLICT(key) DO UPDATE SET value = excluded.value");
        st.bind(1, std::string_view(key)).bind(2, std::string_view(value));
        st.run();
    }

    void require_write(const char* what) const {
        if (!m_tx)
            throw_internal(fmt::format("{} outside begin_write()/commit()", what));
    }

    bool has_table(std::string_view name) {
        auto st = m_db->prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                                "name = ?");
        st.bind(1, name);
        return st.step() && st.column_int(0) > 0;
    }

    // Version 1 kept stamps as meta keys: "corridor:CODE" holding a JSON object with a
    // data_version member (the rest being its parameters), and "NAME.data_version" holding the
    // bare version. Read here when a version 1 store is opened read-only; migrate() moves them.
    static constexpr const char* legacy_stamp_sql =
        "SELECT key, CAST(json_extract(value, '$.data_version') AS INTEGER), "
        "json_remove(value, '$.data_version') FROM landclear_meta WHERE key NOT IN "
        "('schema_version', 'working_srid', 'data_version') AND json_valid(value) AND "
        "json_type(value) = 'object' AND json_type(value, '$.data_version') = 'integer' "
        "UNION ALL SELECT substr(key, 1, length(key) - 13), CAST(value AS INTEGER), '' FROM "
        "landclear_meta WHERE key LIKE '%_.data_version' AND value GLOB '[0-9]*'";

    std::optional<DerivedStamp> legacy_stamp(const std::string& name) {
        auto st = m_db->prepare(fmt::format("SELECT * FROM ({}) WHERE key = ?", legacy_stamp_sql));
        st.bind(1, std::string_view(name));
        if (!st.step())
            return std::nullopt;
        return DerivedStamp{st.column_int(1), st.column_text(2)};
    }

    void create_stamp_table() {
        m_db->exec("CREATE TABLE derived_stamps(name TEXT PRIMARY KEY, data_version INTEGER NOT "
                   "NULL, params TEXT NOT NULL)");
    }

    // `prefix + column`, or NULL where an older store opened read-only lacks the column (the
    // fields version 3 added to the corridors layer).
    std::string column_or_null(std::string_view table, std::string_view column,
                               std::string_view prefix = "") {
        std::string key = fmt::format("{}.{}", table, column);
        auto it = m_has_column.find(key);
        if (it == m_has_column.end()) {
            auto st = m_db->prepare(
                fmt::format("SELECT count(*) FROM pragma_table_info('{}') WHERE name = ?", table));
            st.bind(1, column);
            it = m_has_column.emplace(key, st.step() && st.column_int(0) > 0).first;
        }
        return it->second ? fmt::format("{}{}", prefix, column) : std::string("NULL");
    }

    // Brings an older store to store_schema_version in one transaction (nothing changes if it
    // fails). 1 -> 2: the spatial index of every input layer, the stamps into derived_stamps.
    void migrate() {
        sqlite::Transaction tx(*m_db);
        if (m_schema_version < 2) {
            for (const auto& def : all_layers())
                create_index(std::string(def.name));
            create_stamp_table();
            m_db->exec(fmt::format("INSERT INTO derived_stamps(name, data_version, params) "
                                   "SELECT * FROM ({})",
                                   legacy_stamp_sql));
            m_db->exec("DELETE FROM landclear_meta WHERE key IN (SELECT name FROM "
                       "derived_stamps) OR key IN (SELECT name || '.data_version' FROM "
                       "derived_stamps) OR (key LIKE 'corridor:%' AND value = '')");
        }
        if (m_schema_version < 3) {
            // 2 -> 3: chainage breaks (断链) and the alignment prefix of corridors, before the
            // history tables, which copy the layers' columns; then history. The rows already
            // held belong to no batch: known on every date.
            for (const char* column : {"chainage_breaks", "alignment"})
                if (column_or_null("corridors", column) == "NULL")
                    m_db->exec(fmt::format("ALTER TABLE corridors ADD COLUMN {} TEXT", column));
            m_has_column.clear();
            m_db->exec("ALTER TABLE imports ADD COLUMN batch_id INTEGER");
            create_history_schema();
        }
        set_meta("schema_version", std::to_string(store_schema_version));
        tx.commit();
        m_schema_version = store_schema_version;
    }

    // bind_value for a row bound until run(): texts without a copy, a date written into
    // `buffer` (YYYY-MM-DD, what Date::iso() writes for the years 0-9999) instead of a string
    // formatted per value.
    static void bind_value_static(sqlite::Statement& st, int i, const Value& v,
                                  std::array<char, 10>& buffer) {
        if (const auto* s = std::get_if<std::string>(&v)) {
            st.bind_static(i, *s);
        } else if (const auto* d = std::get_if<Date>(&v);
                   d && d->year() >= 0 && d->year() <= 9999 && d->month() >= 1 &&
                   d->month() <= 12 && d->day() >= 1 && d->day() <= 31) {
            auto put = [&](int at, int value, int digits) {
                for (int k = digits - 1; k >= 0; --k, value /= 10)
                    buffer[static_cast<size_t>(at + k)] = static_cast<char>('0' + value % 10);
            };
            put(0, d->year(), 4);
            buffer[4] = '-';
            put(5, d->month(), 2);
            buffer[7] = '-';
            put(8, d->day(), 2);
            st.bind_static(i, std::string_view(buffer.data(), buffer.size()));
        } else {
            bind_value(st, i, v);
        }
    }

    static void bind_value(sqlite::Statement& st, int i, const Value& v) {
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::monostate>)
                    st.bind_null(i);
                else if constexpr (std::is_same_v<T, Date>)
                    st.bind(i, x.iso());
                else if constexpr (std::is_same_v<T, std::string>)
                    st.bind(i, std::string_view(x));
                else
                    st.bind(i, x);
            },
            v);
    }

    // Columns: the fields, then measure, then WKB (or NULL).
    static void read_rows(sqlite::Statement& st,
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

    void create_derived(const DerivedLayerDef& def) {
        std::string cols;
        for (const auto& [name, type] : def.fields)
            cols += fmt::format("\"{}\" {}, ", name, sql_type(type));
        m_db->exec(fmt::format("CREATE TABLE \"{}\"(id INTEGER PRIMARY KEY, {}measure REAL)",
                               def.name, cols));
        if (!def.geometry_type.empty()) {
            auto add = m_db->prepare("SELECT AddGeometryColumn(?, 'geom', ?, ?, 'XY')");
            add.bind(1, std::string_view(def.name))
                .bind(2, static_cast<std::int64_t>(*m_epsg))
                .bind(3, std::string_view(def.geometry_type));
            if (!add.step() || add.column_int(0) != 1)
                throw_store(fmt::format("cannot add a geometry column to {}", def.name));
            auto idx = m_db->prepare("SELECT CreateSpatialIndex(?, 'geom')");
            idx.bind(1, std::string_view(def.name));
            idx.step();
        }
    }

    void check_is_landclear_store() {
        bool has_meta = m_db->query_int("SELECT count(*) FROM sqlite_master WHERE type='table' "
                                        "AND name='landclear_meta'")
                            .value_or(0) > 0;
        if (!has_meta)
            throw_input(fmt::format("{} is not a landclear store", m_path),
                        "pass a new file name to create a store, or the store landclear made");
        auto version =
            m_db->query_text("SELECT value FROM landclear_meta WHERE key='schema_version'");
        if (!version)
            throw_store(
                fmt::format("{} is damaged: its landclear_meta has no schema_version", m_path),
                "restore the store from a backup, or import the sources again into a new "
                "store");
        m_schema_version =
            version ? store_files::parse_meta_number(m_path, "schema_version", *version) : 0;
        if (!version || m_schema_version > store_schema_version)
            throw_input(fmt::format("{} has store schema version {}, this landclear reads {}",
                                    m_path, version.value_or("?"), store_schema_version),
                        "use the landclear version that wrote the store");
        if (auto srid = m_db->query_text("SELECT value FROM landclear_meta WHERE "
                                         "key='working_srid'"))
            m_epsg = store_files::parse_meta_number(m_path, "working_srid", *srid);
    }

    void create_schema() {
        m_db->exec("CREATE TABLE landclear_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        auto meta = m_db->prepare("INSERT INTO landclear_meta(key, value) VALUES (?, ?)");
        meta.bind(1, std::string_view("schema_version"))
            .bind(2, std::to_string(store_schema_version));
        meta.run();
        meta.bind(1, std::string_view("working_srid")).bind(2, std::to_string(*m_epsg));
        meta.run();
        m_db->exec("CREATE TABLE imports(id INTEGER PRIMARY KEY, layer TEXT NOT NULL, source "
                   "TEXT NOT NULL, mode TEXT NOT NULL, source_crs TEXT, features_read INTEGER, "
                   "written INTEGER, repaired INTEGER, imported_at TEXT NOT NULL, batch_id "
                   "INTEGER)");
        for (const auto& def : all_layers()) {
            std::string cols;
            for (const auto& f : def.fields) {
                cols += fmt::format("{} {}{}, ", f.name, sql_type(f.type),
                                    f.name == def.key ? " NOT NULL UNIQUE" : "");
            }
            m_db->exec(fmt::format("CREATE TABLE {}(id INTEGER PRIMARY KEY, {}{} REAL, "
                                   "source_fid INTEGER, import_id INTEGER REFERENCES imports(id))",
                                   def.name, cols, measure_column(def)));
            m_db->exec(fmt::format("SELECT AddGeometryColumn('{}', 'geom', {}, '{}', 'XY')",
                                   def.name, *m_epsg, geometry_type(def)));
            // From the start: a layer nobody imported is an empty layer, not a missing index.
            create_index(std::string(def.name));
        }
        create_stamp_table();
        create_history_schema();
        m_db->exec("CREATE INDEX parcels_project ON parcels(project_code)");
        m_db->exec("CREATE INDEX buildings_parcel ON buildings(parcel_code)");
        m_db->exec("CREATE TABLE findings(id INTEGER PRIMARY KEY, origin TEXT NOT NULL, kind "
                   "TEXT NOT NULL, layer TEXT, feature_code TEXT, source TEXT, source_fid "
                   "INTEGER, message TEXT NOT NULL, value REAL, created_at TEXT)");
        m_db->exec(fmt::format("SELECT AddGeometryColumn('findings', 'geom', {}, 'GEOMETRY', 'XY')",
                               *m_epsg));
        m_db->exec("SELECT CreateSpatialIndex('findings', 'geom')");
    }

    void create_index(const std::string& table) {
        if (!index_enabled(table))
            m_db->exec(fmt::format("SELECT CreateSpatialIndex('{}', 'geom')", table));
    }

    bool index_enabled(const std::string& table) {
        auto st = m_db->prepare("SELECT spatial_index_enabled FROM geometry_columns WHERE "
                                "f_table_name = ? AND f_geometry_column = 'geom'");
        st.bind(1, std::string_view(table));
        return st.step() && st.column_int(0) != 0;
    }

    // A bulk write (loading an empty layer, replacing most of a derived layer) suspends the
    // table's per-row triggers that keep the R*Tree and SpatiaLite's last-change times up to
    // date, and drops the R*Tree: one trigger per row costs far more than one sorted build at the
    // end (rebuild_index). The geometry-type checks (ggi_/ggu_) are suspended too and made by
    // check_type() from the WKB's header instead of parsing each geometry a second time. All of
    // it happens inside the write's transaction, so a failed or killed write brings the index
    // and the triggers back as they were.
    void suspend_index(const std::string& table) {
        if (m_suspended.count(table) || !index_enabled(table))
            return;
        Suspended saved;
        auto rtree_sql = m_db->prepare("SELECT sql FROM sqlite_master WHERE name = ?");
        rtree_sql.bind(1, std::string_view(fmt::format("idx_{}_geom", table)));
        if (!rtree_sql.step())
            return; // enabled without its table: leave it to SpatiaLite (create_index)
        saved.rtree_sql = rtree_sql.column_text(0);
        rtree_sql.reset(); // no statement may read the schema while a table is dropped
        auto trig = m_db->prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                  "AND tbl_name = ? AND name IN (?, ?, ?, ?, ?, ?, ?, ?)");
        trig.bind(1, std::string_view(table));
        int i = 2;
        for (const char* prefix : {"gii", "giu", "gid", "tmi", "tmu", "tmd", "ggi", "ggu"})
            trig.bind(i++, std::string_view(fmt::format("{}_{}_geom", prefix, table)));
        std::vector<std::string> names;
        while (trig.step()) {
            names.push_back(trig.column_text(0));
            saved.trigger_sql.push_back(trig.column_text(1));
        }
        for (const auto& n : names)
            m_db->exec(fmt::format("DROP TRIGGER \"{}\"", n));
        m_db->exec(fmt::format("DROP TABLE \"idx_{}_geom\"", table));
        auto type = m_db->prepare("SELECT geometry_type FROM geometry_columns WHERE "
                                  "f_table_name = ? AND f_geometry_column = 'geom'");
        type.bind(1, std::string_view(table));
        saved.geometry_type = type.step() ? type.column_int(0) : 0;
        type.reset();
        saved.boxes_complete =
            m_db->query_int(fmt::format("SELECT count(*) FROM \"{}\"", table)).value_or(-1) == 0;
        m_suspended.emplace(table, std::move(saved));
    }

    // Builds the R*Tree of a suspended table in one pass (rtree_bulk_load) and restores the
    // triggers exactly as SpatiaLite wrote them.
    void rebuild_index(std::string table) { // by value: the caller may pass a key of m_suspended
        auto it = m_suspended.find(table);
        if (it == m_suspended.end()) {
            create_index(table);
            return;
        }
        Suspended saved = std::move(it->second);
        m_suspended.erase(it);
        m_db->exec(saved.rtree_sql);
        // The boxes gathered by insert() stand for the table only when every row of it came
        // through insert() while suspended (nothing deleted, nothing written another way);
        // otherwise the table is read back.
        bool gathered =
            saved.boxes_complete &&
            m_db->query_int(fmt::format("SELECT count(*) FROM \"{}\"", table)).value_or(-1) ==
                saved.rows_inserted;
        if (gathered)
            sqlite::rtree_bulk_load(*m_db, fmt::format("idx_{}_geom", table), saved.boxes);
        else
            sqlite::rtree_bulk_load(*m_db, fmt::format("idx_{}_geom", table),
                                    fmt::format("SELECT id, MbrMinX(geom), MbrMaxX(geom), "
                                                "MbrMinY(geom), MbrMaxY(geom) FROM \"{}\" WHERE "
                                                "geom IS NOT NULL",
                                                table));
        for (const auto& sql : saved.trigger_sql)
            m_db->exec(sql);
        auto touch = m_db->prepare(
            "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', "
            "'now') WHERE f_table_name = ? AND f_geometry_column = 'geom'");
        touch.bind(1, std::string_view(table));
        touch.run();
    }

    // native: the geometry is bound as the blob encode_geometry() made, not through GeomFromWKB.
    sqlite::Statement& insert_statement(LayerKind kind, bool native) {
        auto it = m_inserts.find({kind, native});
        if (it != m_inserts.end())
            return it->second;
        const auto& def = layer_def(kind);
        // Loading into an empty layer: build the R*Tree once at the end, not by trigger per row.
        if (count(kind) == 0)
            suspend_index(std::string(def.name));
        std::string cols, params;
        for (const auto& f : def.fields) {
            cols += fmt::format("{}, ", f.name);
            params += "?, ";
        }
        auto sql =
            fmt::format("INSERT INTO {}({}{}, source_fid, import_id, geom) VALUES "
                        "({}?, ?, ?, {})",
                        def.name, cols, measure_column(def), params,
                        native ? std::string("?") : fmt::format("GeomFromWKB(?, {})", *m_epsg));
        return m_inserts.emplace(std::pair{kind, native}, m_db->prepare(sql)).first->second;
    }

    std::string m_path;
    bool m_read_only = false;
    std::string m_open_path;
    bool m_new = false;
    bool m_committed = false;
    bool m_data_changed = false;
    int m_schema_version = store_schema_version;
    std::map<std::string, bool> m_has_column; // column_or_null's answers
    std::optional<int> m_epsg;
    std::int64_t m_import_id = 0;
    std::unique_ptr<sqlite::Database> m_db;
    std::unique_ptr<sqlite::Transaction> m_tx;
    std::map<std::pair<LayerKind, bool>, sqlite::Statement> m_inserts; // by kind and native
    struct Supersede {
        sqlite::Statement copy, remove;
    };
    std::map<LayerKind, Supersede> m_supersedes;
    std::unique_ptr<sqlite::Statement> m_change_insert;
    std::int64_t m_batch_id = 0;
    std::optional<Date> m_known_on;
    struct Suspended {
        std::string rtree_sql;
        std::vector<std::string> trigger_sql;
        std::int64_t geometry_type = 0; // geometry_columns.geometry_type
        // What insert() wrote while suspended: the rows, and the box of each geometry as
        // MbrMinX() etc. would read it from the stored blob, for the R*Tree (rebuild_index).
        std::int64_t rows_inserted = 0;
        bool boxes_complete = false; // set when suspended into an empty table
        std::vector<sqlite::RtreeBox> boxes;
    };
    std::map<std::string, Suspended> m_suspended;
    std::vector<std::array<char, 10>> m_date_text; // insert()'s date values, bound static

    void gather_box(Suspended& s, std::span<const unsigned char> wkb) {
        ++s.rows_inserted;
        if (!s.boxes_complete || wkb.empty())
            return;
        auto box = wkb_box(wkb);
        if (!box) {
            s.boxes_complete = false; // the table is read back instead
            s.boxes.clear();
            return;
        }
        box->id = m_db->last_insert_rowid();
        s.boxes.push_back(*box);
    }

    // The MBR SpatiaLite keeps in a blob made by GeomFromWKB(): over the points of each line
    // and the exterior ring of each polygon (gaiaMbrGeometry). For 2-D (Multi)Polygons and
    // (Multi)LineStrings, the only geometries the layers hold; nullopt for anything else or a
    // WKB that does not parse to its last byte, which makes the caller read the table back.
    static std::optional<sqlite::RtreeBox> wkb_box(std::span<const unsigned char> wkb) {
        size_t at = 0;
        sqlite::RtreeBox box{0, HUGE_VAL, -HUGE_VAL, HUGE_VAL, -HUGE_VAL};
        bool little = true;
        auto u32 = [&](std::uint32_t& v) {
            if (wkb.size() - at < 4)
                return false;
            v = 0;
            for (int k = 0; k < 4; ++k)
                v |= static_cast<std::uint32_t>(wkb[at + (little ? k : 3 - k)]) << (8 * k);
            at += 4;
            return true;
        };
        auto f64 = [&](double& v) {
            if (wkb.size() - at < 8)
                return false;
            std::uint64_t bits = 0;
            for (int k = 0; k < 8; ++k)
                bits |= static_cast<std::uint64_t>(wkb[at + (little ? k : 7 - k)]) << (8 * k);
            std::memcpy(&v, &bits, 8);
            at += 8;
            return true;
        };
        auto header = [&](std::uint32_t& type) {
            if (at >= wkb.size() || wkb[at] > 1)
                return false;
            little = wkb[at++] == 1;
            return u32(type);
        };
        auto points = [&](bool counted) {
            std::uint32_t n = 0;
            if (!u32(n) || n == 0 || (wkb.size() - at) / 16 < n)
                return false;
            for (std::uint32_t p = 0; p < n; ++p) {
                double x = 0, y = 0;
                f64(x);
                f64(y);
                if (counted) {
                    box.min_x = std::min(box.min_x, x);
                    box.max_x = std::max(box.max_x, x);
                    box.min_y = std::min(box.min_y, y);
                    box.max_y = std::max(box.max_y, y);
                }
            }
            return true;
        };
        auto single = [&](std::uint32_t type) {
            if (type == 2)
                return points(true);
            std::uint32_t rings = 0;
            if (type != 3 || !u32(rings) || rings == 0)
                return false;
            for (std::uint32_t r = 0; r < rings; ++r)
                if (!points(r == 0))
                    return false;
            return true;
        };
        std::uint32_t type = 0;
        if (!header(type))
            return std::nullopt;
        if (type == 2 || type == 3) {
            if (!single(type))
                return std::nullopt;
        } else if (type == 5 || type == 6) {
            std::uint32_t parts = 0;
            if (!u32(parts) || parts == 0)
                return std::nullopt;
            for (std::uint32_t p = 0; p < parts; ++p) {
                std::uint32_t part = 0;
                if (!header(part) || part != type - 3 || !single(part))
                    return std::nullopt;
            }
        } else {
            return std::nullopt;
        }
        if (at != wkb.size())
            return std::nullopt;
        return box;
    }

    // What SpatiaLite's ggi_ trigger checks, while it is suspended: the geometry type and
    // dimension that geometry_columns declares (0 = any XY geometry). The SRID is the working
    // one by construction (GeomFromWKB(?, srid)). A WKB GeomFromWKB cannot read becomes NULL, as
    // with the trigger.
    void check_type(const std::string& table, std::span<const unsigned char> wkb) {
        auto it = m_suspended.find(table);
        if (it == m_suspended.end() || wkb.size() < 5 || it->second.geometry_type == 0)
            return;
        std::uint32_t type = 0;
        for (int k = 0; k < 4; ++k)
            type |= static_cast<std::uint32_t>(wkb[wkb[0] == 1 ? 1 + k : 4 - k]) << (8 * k);
        if (type != static_cast<std::uint32_t>(it->second.geometry_type))
            throw_store(fmt::format("write failed: {}.geom violates Geometry constraint "
                                    "[geom-type or SRID not allowed]",
                                    table));
    } // tables whose R*Tree is rebuilt on commit
    // Per derived layer touched in this write: rows written minus a fiftieth of the rows it held.
    std::map<std::string, std::int64_t> m_derived_written;
    std::unique_ptr<sqlite::Statement> m_finding_insert;

    // Read statements kept by their SQL for the next call: the corridor's queries by box and by
    // code, the export's by code, repeat one text thousands of times, and preparing them anew
    // was a tenth of `corridor` at a million parcels. A statement is taken out while in use (a
    // callback running the same query again gets a fresh one) and reset when handed back, so
    // none holds a read transaction open. Emptied whenever the connection or its schema may
    // change under it (commit, rollback, set_known_on, close).
    std::map<std::string, std::unique_ptr<sqlite::Statement>, std::less<>> m_statements;
    static constexpr size_t max_cached_statements = 64;

    class CachedStatement {
    public:
        CachedStatement(SpatialiteStore& store, std::string sql)
            : m_store(store), m_sql(std::move(sql)) {
            auto it = store.m_statements.find(m_sql);
            if (it != store.m_statements.end()) {
                m_st = std::move(it->second);
                store.m_statements.erase(it);
            } else {
                m_st = std::make_unique<sqlite::Statement>(store.m_db->prepare(m_sql));
            }
        }
        ~CachedStatement() {
            m_st->reset();
            try {
                auto& cache = m_store.m_statements;
                if (cache.size() >= max_cached_statements)
                    cache.clear();
                cache.try_emplace(std::move(m_sql), std::move(m_st));
            } catch (...) {
                // Not kept: the next call prepares it again.
            }
        }
        CachedStatement(const CachedStatement&) = delete;
        CachedStatement& operator=(const CachedStatement&) = delete;
        sqlite::Statement& operator*() { return *m_st; }

    private:
        SpatialiteStore& m_store;
        std::string m_sql;
        std::unique_ptr<sqlite::Statement> m_st;
    };
};

} // namespace

const char* change_kind_name(ChangeKind kind) {
    switch (kind) {
    case ChangeKind::added:
        return "added";
    case ChangeKind::removed:
        return "removed";
    case ChangeKind::changed:
        return "changed";
    case ChangeKind::loaded:
        return "loaded";
    }
    return "changed";
}

void Store::for_each_feature_in_boxes(LayerKind kind, const FeatureFilter& filter,
                                      const std::vector<Envelope>& boxes,
                                      const std::function<void(const FeatureRow&)>& fn) {
    // Each feature once, known by its key (unique in a layer): read it even if not asked for.
    const auto& def = layer_def(kind);
    auto key = static_cast<size_t>(field_index(def, def.key));
    FeatureFilter f = filter;
    if (!f.fields.empty() && std::find(f.fields.begin(), f.fields.end(), def.key) == f.fields.end())
        f.fields.emplace_back(def.key);
    std::unordered_set<std::string> seen;
    for (const auto& box : boxes) {
        f.bbox = box;
        for_each_feature(kind, f, [&](const FeatureRow& row) {
            if (seen.insert(value_text(row.values[key])).second)
                fn(row);
        });
    }
}

std::unique_ptr<Store> open_store(const std::string& location, StoreMode mode) {
    if (is_postgis_location(location))
        return open_postgis_store(location, mode);
    return std::make_unique<SpatialiteStore>(location, mode);
}

bool store_exists(const std::string& location) {
    if (is_postgis_location(location))
        return postgis_store_exists(location);
    std::error_code ec;
    return fs::exists(location, ec);
}

} // namespace landclear
