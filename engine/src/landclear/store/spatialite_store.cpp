// The SpatiaLite store: one file that QGIS and the spatialite CLI open as they are. The class is
// declared in detail/spatialite_store.hpp; here its opening, the write's transaction and commit,
// the schema and its migration, meta, findings and the import log.
#include "landclear/store/detail/spatialite_store.hpp"

#include "landclear/core/error.hpp"
#include "landclear/store/detail/store_files.hpp"
#include "landclear/store/postgis_store.hpp"
#include "landclear/store/sqlite.hpp"
#include "landclear/store/store.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <string>
#include <unistd.h>
#include <unordered_set>

namespace landclear {

namespace spatialite_detail {

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

SpatialiteStore::SpatialiteStore(const std::string& path, StoreMode mode)
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

SpatialiteStore::~SpatialiteStore() {
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

void SpatialiteStore::begin_write() {
    if (m_new) {
        // Journal off for the first build: the file is private until renamed on commit.
        m_db->exec("PRAGMA journal_mode=OFF");
        m_db->exec("SELECT InitSpatialMetadata(1, 'NONE')");
    }
    m_db->exec("PRAGMA synchronous=NORMAL");
    m_db->exec("PRAGMA cache_size=-200000");
    m_tx = std::make_unique<sqlite::Transaction>(*m_db);
}

void SpatialiteStore::set_working_epsg(int epsg) {
    if (!m_new)
        throw_internal("the working CRS of an existing store cannot change");
    m_epsg = epsg;
    auto ins = m_db->prepare("SELECT InsertEpsgSrid(?)");
    ins.bind(1, static_cast<std::int64_t>(epsg));
    ins.step();
    if (!m_db->query_int(fmt::format("SELECT count(*) FROM spatial_ref_sys WHERE srid={}", epsg))
             .value_or(0))
        throw_usage(fmt::format("EPSG:{} is not known to SpatiaLite", epsg));
    create_schema();
}

void SpatialiteStore::clear_layer(LayerKind kind) {
    const auto& def = layer_def(kind);
    suspend_index(std::string(def.name));
    m_db->exec(fmt::format("DELETE FROM {}", def.name));
    m_data_changed = true;
}

void SpatialiteStore::clear_findings(std::string_view origin, std::string_view layer) {
    auto st = m_db->prepare("DELETE FROM findings WHERE origin = ? AND layer = ?");
    st.bind(1, origin).bind(2, layer);
    st.run();
}

void SpatialiteStore::add_finding(const Finding& f) {
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

std::int64_t SpatialiteStore::record_import(const ImportLogEntry& e) {
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

void SpatialiteStore::update_import(std::int64_t id, const ImportLogEntry& e) {
    auto st = m_db->prepare(
        "UPDATE imports SET features_read = ?, written = ?, repaired = ? WHERE id = ?");
    st.bind(1, e.read).bind(2, e.written).bind(3, e.repaired).bind(4, id);
    st.run();
}

void SpatialiteStore::commit() {
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

void SpatialiteStore::rollback() {
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

bool SpatialiteStore::writable() const {
    if (m_read_only || m_known_on)
        return false;
    if (m_new)
        return true;
    auto folder = fs::absolute(m_path).parent_path();
    return ::access(m_path.c_str(), W_OK) == 0 && ::access(folder.c_str(), W_OK) == 0;
}

std::optional<std::string> SpatialiteStore::meta(const std::string& key) {
    auto st = m_db->prepare("SELECT value FROM landclear_meta WHERE key = ?");
    st.bind(1, std::string_view(key));
    if (st.step())
        return st.column_text(0);
    return std::nullopt;
}

void SpatialiteStore::set_meta(const std::string& key, const std::string& value) {
    auto st = m_db->prepare("INSERT INTO landclear_meta(key, value) VALUES (?, ?) ON "
                            "CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.bind(1, std::string_view(key)).bind(2, std::string_view(value));
    st.run();
}

std::int64_t SpatialiteStore::data_version() {
    auto v = meta("data_version");
    return v ? std::stoll(*v) : 0;
}

void SpatialiteStore::require_write(const char* what) const {
    if (!m_tx)
        throw_internal(fmt::format("{} outside begin_write()/commit()", what));
}

bool SpatialiteStore::has_table(std::string_view name) {
    auto st = m_db->prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                            "name = ?");
    st.bind(1, name);
    return st.step() && st.column_int(0) > 0;
}

std::string SpatialiteStore::column_or_null(std::string_view table, std::string_view column,
                                            std::string_view prefix) {
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

void SpatialiteStore::migrate() {
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

void SpatialiteStore::check_is_landclear_store() {
    bool has_meta = m_db->query_int("SELECT count(*) FROM sqlite_master WHERE type='table' "
                                    "AND name='landclear_meta'")
                        .value_or(0) > 0;
    if (!has_meta)
        throw_input(fmt::format("{} is not a landclear store", m_path),
                    "pass a new file name to create a store, or the store landclear made");
    auto version = m_db->query_text("SELECT value FROM landclear_meta WHERE key='schema_version'");
    if (!version)
        throw_store(fmt::format("{} is damaged: its landclear_meta has no schema_version", m_path),
                    "restore the store from a backup, or import the sources again into a new "
                    "store");
    m_schema_version =
        version ? store_files::parse_meta_number(m_path, "schema_version", *version) : 0;
    if (!version || m_schema_version > store_schema_version)
        throw_input(fmt::format("{} has store schema version {}, this landclear reads {}", m_path,
                                version.value_or("?"), store_schema_version),
                    "use the landclear version that wrote the store");
    if (auto srid = m_db->query_text("SELECT value FROM landclear_meta WHERE "
                                     "key='working_srid'"))
        m_epsg = store_files::parse_meta_number(m_path, "working_srid", *srid);
}

void SpatialiteStore::create_schema() {
    m_db->exec("CREATE TABLE landclear_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    auto meta = m_db->prepare("INSERT INTO landclear_meta(key, value) VALUES (?, ?)");
    meta.bind(1, std::string_view("schema_version")).bind(2, std::to_string(store_schema_version));
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
        m_db->exec(fmt::format("SELECT AddGeometryColumn('{}', 'geom', {}, '{}', 'XY')", def.name,
                               *m_epsg, geometry_type(def)));
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
    m_db->exec(
        fmt::format("SELECT AddGeometryColumn('findings', 'geom', {}, 'GEOMETRY', 'XY')", *m_epsg));
    m_db->exec("SELECT CreateSpatialIndex('findings', 'geom')");
}

} // namespace spatialite_detail

namespace fs = std::filesystem;
using spatialite_detail::SpatialiteStore;

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
