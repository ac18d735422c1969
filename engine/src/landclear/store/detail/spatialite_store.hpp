#pragma once
// The SpatiaLite store's class, shared by the files that implement it by job:
// spatialite_store.cpp (opening, the write's transaction and commit, the schema and its
// migration, meta, findings, the import log), spatialite_insert.cpp (the inserts into the input
// layers, the R*Tree indexes suspended and rebuilt), spatialite_rows.cpp (reads and the decoding
// of result rows), spatialite_history.cpp (batches, the change log, superseded rows, the layers
// as known on a date), spatialite_derived.cpp (derived layers and their stamps).
#include "landclear/core/error.hpp"
#include "landclear/store/sqlite.hpp"
#include "landclear/store/store.hpp"

#include <array>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace landclear::spatialite_detail {

namespace fs = std::filesystem;

// "?,?,?": one parameter per value, the values appended to params in the same order.
inline std::string placeholders(const std::vector<std::string>& values,
                                std::vector<std::string>& params) {
    std::string q;
    for (const auto& v : values) {
        q += q.empty() ? "?" : ",?";
        params.push_back(v);
    }
    return q;
}

std::string geometry_type(const LayerDef& def);
std::string measure_column(const LayerDef& def);
std::string sql_type(FieldType t);

// Inline: called for every column of every row read.
inline std::optional<Date> date_column(const sqlite::Statement& st, int col) {
    if (st.is_null(col))
        return std::nullopt;
    // parse_date reads the store's YYYY-MM-DD without its general spellings.
    return parse_date(st.column_text_view(col));
}

// Assigns into the row's existing string, so reading many rows does not allocate per column.
inline void text_column(const sqlite::Statement& st, int col, std::string& out) {
    auto t = st.column_text_view(col);
    out.assign(t.data(), t.size());
}

inline std::optional<double> real_column(const sqlite::Statement& st, int col) {
    if (st.is_null(col))
        return std::nullopt;
    return st.column_double(col);
}

class SpatialiteStore final : public Store {
public:
    SpatialiteStore(const std::string& path, StoreMode mode);

    ~SpatialiteStore() override;

    std::string location() const override { return m_path; }
    std::string display_name() const override { return fs::path(m_path).filename().string(); }
    bool is_new() const override { return m_new; }

    std::optional<int> working_epsg() const override { return m_epsg; }

    void begin_write() override;

    void set_working_epsg(int epsg) override;

    void clear_layer(LayerKind kind) override;

    std::optional<std::string> describe_code(LayerKind kind, std::string_view code) override;

    void insert(LayerKind kind, const Record& record) override;

    // SpatiaLite's blob as GeomFromWKB(wkb, srid) makes it, through the same library calls
    // (gaiaFromWkb, the MBR, gaiaToSpatiaLiteBlobWkbEx2 without GeoPackage mode), so that the
    // SQL function's parse and re-serialisation per row leave the writing thread. Points are left
    // to the SQL function (its tiny-point setting lives in the connection); so is a WKB
    // SpatiaLite cannot read, which GeomFromWKB turns into NULL.
    void encode_geometry(Record& record) const override;

    void encode_derived(FeatureRow& row) const override;

    std::vector<unsigned char> native_blob(std::span<const unsigned char> wkb) const;

    void finish_layer(LayerKind kind) override { rebuild_index(std::string(layer_def(kind).name)); }

    void clear_findings(std::string_view origin, std::string_view layer) override;

    void add_finding(const Finding& f) override;

    std::int64_t record_import(const ImportLogEntry& e) override;

    void update_import(std::int64_t id, const ImportLogEntry& e) override;

    std::int64_t begin_batch(const BatchInfo& b) override;

    void finish_batch(const BatchInfo& b) override;

    void supersede(LayerKind kind, std::string_view code) override;

    void add_change(const ChangeEvent& c) override;

    void commit() override;

    void rollback() override;

    bool writable() const override;

    std::int64_t count(LayerKind kind) override;

    std::vector<ProjectRow> projects() override;

    std::vector<CorridorRow> corridors() override;

    void for_each_parcel(const std::function<void(const ParcelRow&)>& fn) override;

    void for_each_parcel_fields(const std::vector<std::string>& fields,
                                const std::function<void(const ParcelRow&)>& fn) override;

    void
    for_each_parcel_parts(const std::vector<std::string>& fields, unsigned parts,
                          const std::function<void(unsigned part, const ParcelRow&)>& fn) override;

    void for_each_building(const std::function<void(const BuildingRow&)>& fn) override;

    std::vector<Finding> findings(std::string_view origin) override;

    void for_each_feature(LayerKind kind, const FeatureFilter& filter,
                          const std::function<void(const FeatureRow&)>& fn) override;

    std::optional<Envelope> extent(LayerKind kind) override;
    std::map<std::string, Envelope> extents_by(LayerKind kind, std::string_view field) override;

    void replace_derived(const DerivedLayerDef& def, const std::string& scope_field,
                         const std::string& scope_value,
                         const std::vector<FeatureRow>& rows) override;

    bool has_derived(const std::string& name) override;

    void for_each_derived(const DerivedLayerDef& def, const std::string& scope_field,
                          const std::string& scope_value,
                          const std::function<void(const FeatureRow&)>& fn) override;

    std::optional<DerivedStamp> derived_stamp(const std::string& name) override;

    void set_derived_stamp(const std::string& name, const std::string& params) override;

    void clear_derived_stamp(const std::string& name) override;

    std::int64_t data_version() override;

    std::vector<BatchInfo> batches() override;

    void for_each_change(const ChangeFilter& filter,
                         const std::function<void(const ChangeEvent&)>& fn) override;

    // The layers as known on a date are temporary views (the connection's own, so a read-only
    // store takes them too): the current rows whose import was known then, and the superseded
    // rows that were current then (known, and ended by an import not yet known). Batches are
    // reported in order (begin_batch), so those two sets are exactly the state on that day.
    void set_known_on(std::optional<Date> date) override;

    std::optional<Date> known_on() const override { return m_known_on; }

private:
    // The parcels' ten fields in ParcelRow's order; a field not asked for (fields names them,
    // empty: all) is selected as NULL: SQLite then neither decodes nor copies it, and
    // read_parcels stays one loop (a NULL reads as empty).
    std::string parcel_select(const std::vector<std::string>& fields) const;

    static void read_parcels(sqlite::Statement& st,
                             const std::function<void(const ParcelRow&)>& fn);

    std::string table(LayerKind kind) const;

    void bind_known(sqlite::Statement& st, int i);

    static ChangeKind change_kind_from_name(const std::string& name);

    void create_history_schema();

    std::optional<std::string> meta(const std::string& key);

    void set_meta(const std::string& key, const std::string& value);

    void require_write(const char* what) const;

    bool has_table(std::string_view name);

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

    std::optional<DerivedStamp> legacy_stamp(const std::string& name);

    void create_stamp_table();

    // `prefix + column`, or NULL where an older store opened read-only lacks the column (the
    // fields version 3 added to the corridors layer).
    std::string column_or_null(std::string_view table, std::string_view column,
                               std::string_view prefix = "");

    // Brings an older store to store_schema_version in one transaction (nothing changes if it
    // fails). 1 -> 2: the spatial index of every input layer, the stamps into derived_stamps.
    void migrate();

    // bind_value for a row bound until run(): texts without a copy, a date written into
    // `buffer` (YYYY-MM-DD, what Date::iso() writes for the years 0-9999) instead of a string
    // formatted per value.
    static void bind_value_static(sqlite::Statement& st, int i, const Value& v,
                                  std::array<char, 10>& buffer);

    static void bind_value(sqlite::Statement& st, int i, const Value& v);

    // Columns: the fields, then measure, then WKB (or NULL).
    static void read_rows(sqlite::Statement& st,
                          const std::vector<std::pair<std::string, FieldType>>& fields,
                          const std::function<void(const FeatureRow&)>& fn);

    void create_derived(const DerivedLayerDef& def);

    void check_is_landclear_store();

    void create_schema();

    void create_index(const std::string& table);

    bool index_enabled(const std::string& table);

    // A bulk write (loading an empty layer, replacing most of a derived layer) suspends the
    // table's per-row triggers that keep the R*Tree and SpatiaLite's last-change times up to
    // date, and drops the R*Tree: one trigger per row costs far more than one sorted build at the
    // end (rebuild_index). The geometry-type checks (ggi_/ggu_) are suspended too and made by
    // check_type() from the WKB's header instead of parsing each geometry a second time. All of
    // it happens inside the write's transaction, so a failed or killed write brings the index
    // and the triggers back as they were.
    void suspend_index(const std::string& table);

    // Builds the R*Tree of a suspended table in one pass (rtree_bulk_load) and restores the
    // triggers exactly as SpatiaLite wrote them.
    void rebuild_index(std::string table); // by value: the caller may pass a key of m_suspended

    // native: the geometry is bound as the blob encode_geometry() made, not through GeomFromWKB.
    sqlite::Statement& insert_statement(LayerKind kind, bool native);

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
    std::map<std::string, Suspended> m_suspended;  // tables whose R*Tree is rebuilt on commit
    std::vector<std::array<char, 10>> m_date_text; // insert()'s date values, bound static

    void gather_box(Suspended& s, std::span<const unsigned char> wkb);

    // The MBR SpatiaLite keeps in a blob made by GeomFromWKB(): over the points of each line
    // and the exterior ring of each polygon (gaiaMbrGeometry). For 2-D (Multi)Polygons and
    // (Multi)LineStrings, the only geometries the layers hold; nullopt for anything else or a
    // WKB that does not parse to its last byte, which makes the caller read the table back.
    static std::optional<sqlite::RtreeBox> wkb_box(std::span<const unsigned char> wkb);

    // What SpatiaLite's ggi_ trigger checks, while it is suspended: the geometry type and
    // dimension that geometry_columns declares (0 = any XY geometry). The SRID is the working
    // one by construction (GeomFromWKB(?, srid)). A WKB GeomFromWKB cannot read becomes NULL, as
    // with the trigger.
    void check_type(const std::string& table, std::span<const unsigned char> wkb);
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

} // namespace landclear::spatialite_detail
