// The PostGIS store: one schema per store in a PostgreSQL database, the same tables, columns and
// rules as the SpatiaLite store (spatialite_store.cpp), so every command gives the same output
// on either. This file: opening, the write transaction and its lock, the schema, the meta;
// detail/postgis_store.hpp says how the other files share the class. Differences that matter
// to the office are in docs/POSTGIS.md.
#include "landclear/store/postgis_store.hpp"

#include "landclear/store/detail/postgis_store.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

namespace landclear {

namespace {

std::mutex g_wait_mutex;
std::function<void(const std::string&)> g_wait_handler;

// 'lclr': the first half of every landclear advisory lock key; the second is the schema's.
constexpr std::int32_t lock_class = 0x6c636c72;

std::int32_t lock_key(const std::string& schema) {
    std::uint32_t h = 2166136261u; // FNV-1a: stable across builds, unlike std::hash
    for (unsigned char c : schema)
        h = (h ^ c) * 16777619u;
    return static_cast<std::int32_t>(h);
}

} // namespace

namespace postgis_detail {

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

PostgisStore::PostgisStore(const std::string& location, StoreMode mode)
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

void PostgisStore::begin_write() {
    if (m_read_only)
        throw_internal("begin_write on a store opened for reading");
    if (m_in_write)
        throw_internal("begin_write inside a write");
    m_db->exec("BEGIN");
    m_in_write = true;
    m_next_ids.clear();
    m_derived_exists.clear();
    m_write_data_version.reset();
    m_reader_failed = false;
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

void PostgisStore::set_working_epsg(int epsg) {
    if (!m_new)
        throw_internal("the working CRS of an existing store cannot change");
    require_write("set_working_epsg");
    if (!run("SELECT count(*) FROM spatial_ref_sys WHERE srid = $1", {std::to_string(epsg)})
             .int64(0, 0))
        throw_usage(fmt::format("EPSG:{} is not known to PostGIS (spatial_ref_sys)", epsg));
    m_epsg = epsg;
    create_schema();
}

void PostgisStore::clear_layer(LayerKind kind) {
    const auto& def = layer_def(kind);
    run(fmt::format("DELETE FROM {}", t(def.name)));
    m_next_ids.erase(std::string(def.name));
    m_data_changed = true;
}

void PostgisStore::clear_findings(std::string_view origin, std::string_view layer) {
    run(fmt::format("DELETE FROM {} WHERE origin = $1 AND layer = $2", t("findings")),
        {std::string(origin), std::string(layer)});
}

std::int64_t PostgisStore::record_import(const ImportLogEntry& e) {
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

void PostgisStore::update_import(std::int64_t id, const ImportLogEntry& e) {
    run(fmt::format("UPDATE {} SET features_read = $1, written = $2, repaired = $3 WHERE "
                    "id = $4",
                    t("imports")),
        {std::to_string(e.read), std::to_string(e.written), std::to_string(e.repaired),
         std::to_string(id)});
}

std::int64_t PostgisStore::begin_batch(const BatchInfo& b) {
    require_write("begin_batch");
    if (auto latest =
            m_db->query_text(fmt::format("SELECT max(reported_on) FROM {}", t("batches"))))
        if (auto d = parse_date(*latest); d && b.reported_on < *d)
            throw_usage(
                fmt::format("the store already holds data reported on {}; an import "
                            "reported on {} would rewrite what was known then",
                            d->iso(), b.reported_on.iso()),
                fmt::format("pass --reported {} or later (the date the data describes)", d->iso()));
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

void PostgisStore::finish_batch(const BatchInfo& b) {
    require_write("finish_batch");
    run(fmt::format("UPDATE {} SET added = $1, removed = $2, changed = $3 WHERE id = $4",
                    t("batches")),
        {std::to_string(b.added), std::to_string(b.removed), std::to_string(b.changed),
         std::to_string(m_batch_id)});
    m_data_changed = true; // a batch is news even when it changed no feature (as SpatiaLite)
}

void PostgisStore::commit() {
    if (!m_in_write)
        throw_internal("commit without begin_write");
    flush();
    m_reader.reset(); // its snapshot ends with the write
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

bool PostgisStore::writable() const {
    if (m_read_only || m_known_on)
        return false;
    return m_new || m_may_write;
}

// The layers as known on a date: the current rows whose import was known then and the
// superseded rows that were current then, as SpatiaLite's temporary views; here a subquery
// reading the date from a session setting (a read-only transaction may not create views).
void PostgisStore::set_known_on(std::optional<Date> date) {
    flush();
    run("SELECT set_config('landclear.known_on', $1, false)", {date ? date->iso() : std::string()});
    m_known_on = date;
}

// Asked three times per corridor saved (408 catalogue queries at 1 M parcels): kept while
// the answer cannot change under us, in a write (which holds the store's lock; its own
// CREATE TABLE adds the name) or in a read-only snapshot.
bool PostgisStore::has_derived(const std::string& name) {
    bool stable = m_in_write || m_read_only;
    if (stable)
        if (auto it = m_derived_exists.find(name); it != m_derived_exists.end())
            return it->second;
    bool exists = has_store_table(name);
    if (stable)
        m_derived_exists[name] = exists;
    return exists;
}

std::optional<DerivedStamp> PostgisStore::derived_stamp(const std::string& name) {
    if (m_known_on)
        return std::nullopt; // results of the whole store, not of what was known then
    auto r =
        run(fmt::format("SELECT data_version, params FROM {} WHERE name = $1", t("derived_stamps")),
            {name});
    if (r.rows() == 0)
        return std::nullopt;
    return DerivedStamp{r.int64(0, 0), r.str(0, 1)};
}

// Within a write (which holds the store's lock) the version changes only at its commit:
// read once.
std::int64_t PostgisStore::data_version() {
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

int PostgisStore::epsg() const {
    if (!m_epsg)
        throw_internal("a geometry written before the store's working CRS was set");
    return *m_epsg;
}

// What reads of a layer select from: the table, or the layer as known on m_known_on.
std::string PostgisStore::table(LayerKind kind) const {
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

pg::Param PostgisStore::known_param() const {
    return m_known_on ? pg::Param(m_known_on->iso()) : std::nullopt;
}

pg::Result PostgisStore::run(const std::string& sql, const pg::Params& params) {
    flush();
    return m_db->query(sql, params);
}

// Without flushing: for reads that made sure (sync) that nothing they see is buffered.
pg::Result PostgisStore::read(const std::string& sql, const pg::Params& params) {
    return m_db->query(sql, params);
}

// Tables made in this write (no other transaction sees them before its commit): their keys
// and indexes are made at commit, after the rows, and the tables are then analysed. Built
// once over the rows (a sorted GiST build), they cost a fraction of keeping them up to date
// while COPY fills the table: 1 M parcels took 23 s to COPY with them, 3 s without and 4 s
// to index (docs/POSTGIS.md). Nothing else changes: the same keys, names and indexes.
void PostgisStore::created_here(const std::string& table) {
    m_created.emplace(table, std::set<std::string>{});
}

void PostgisStore::defer(std::string ddl) {
    if (std::find(m_deferred.begin(), m_deferred.end(), ddl) == m_deferred.end())
        m_deferred.push_back(std::move(ddl));
}

void PostgisStore::make_deferred() {
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

void PostgisStore::require_write(const char* what) const {
    if (!m_in_write)
        throw_internal(fmt::format("{} outside begin_write()/commit()", what));
}

void PostgisStore::abandon() {
    m_reader.reset();
    m_reader_failed = false;
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
void PostgisStore::wait_for_lock() {
    pg::Params key{std::to_string(lock_class), std::to_string(lock_key(m_loc.schema))};
    auto try_lock = [&] {
        return m_db->query_text("SELECT pg_try_advisory_xact_lock($1::int, $2::int)", key) == "t";
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

std::string PostgisStore::lock_holder() {
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
                       r.text(0, 2).empty() ? std::string() : fmt::format(", {}", r.text(0, 2)));
}

bool PostgisStore::schema_exists() {
    return m_db->query_int("SELECT count(*) FROM pg_namespace WHERE nspname = $1", {m_loc.schema})
               .value_or(0) > 0;
}

bool PostgisStore::schema_has_tables() {
    return m_db->query_int("SELECT count(*) FROM pg_tables WHERE schemaname = $1", {m_loc.schema})
               .value_or(0) > 0;
}

bool PostgisStore::has_store_table(const std::string& name) {
    return run("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2",
               {m_loc.schema, name})
               .int64(0, 0) > 0;
}

void PostgisStore::ensure_postgis() {
    if (m_db->query_int("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'").value_or(0) >
        0)
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

void PostgisStore::read_meta() {
    auto version = meta("schema_version");
    if (!version)
        throw_store(
            fmt::format("{} is damaged: its landclear_meta has no schema_version", m_loc.display),
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

std::optional<std::string> PostgisStore::meta(const std::string& key) {
    // landclear_meta is never buffered: no flush needed.
    auto r = read(fmt::format("SELECT value FROM {} WHERE key = $1", t("landclear_meta")), {key});
    if (r.rows() == 0)
        return std::nullopt;
    return r.str(0, 0);
}

void PostgisStore::set_meta(const std::string& key, const std::string& value) {
    run(fmt::format("INSERT INTO {}(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE "
                    "SET value = excluded.value",
                    t("landclear_meta")),
        {key, value});
}

std::string PostgisStore::geom_column(const std::string& type) const {
    return fmt::format("geometry({}, {})", type, epsg());
}

void PostgisStore::create_schema() {
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
        defer(fmt::format("CREATE INDEX {}_geom ON {} USING gist(geom)", def.name, t(def.name)));
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

void PostgisStore::create_history_schema() {
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

void PostgisStore::create_derived(const DerivedLayerDef& def) {
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

} // namespace postgis_detail

using postgis_detail::PostgisStore;

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
