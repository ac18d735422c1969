#pragma once
// The PostGIS store's class, shared by the files that implement it by job: postgis_store.cpp
// (opening, the write transaction and its lock, the schema), postgis_rows.cpp (reads and the
// decoding of result rows), postgis_copy.cpp (the rows buffered and written with COPY).
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
#include "landclear/core/error.hpp"
#include "landclear/store/pg.hpp"
#include "landclear/store/store.hpp"

#include <fmt/format.h>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace landclear::postgis_detail {

std::string geometry_type(const LayerDef& def);
std::string measure_column(const LayerDef& def);
// Input layers keep dates as PostgreSQL dates (QGIS and SQL users filter them as such);
// derived layers keep them as text, as the SpatiaLite store does.
std::string sql_type(FieldType t, bool input_layer);
std::string checked_geometry_type(const std::string& t);
std::optional<Date> date_of(const pg::Result& r, int row, int col);
void text_into(const pg::Result& r, int row, int col, std::string& out);
// A value in COPY's text format.
void copy_value(std::string& line, const Value& v);
void copy_text(std::string& line, std::string_view text);

// How a result's date columns come: PostgreSQL dates (input layers) or text (derived layers).
enum class DateColumns { date, text };

class PostgisStore final : public Store {
public:
    PostgisStore(const std::string& location, StoreMode mode);
    ~PostgisStore() override = default; // closing the connection rolls back what is open

    std::string location() const override { return m_loc.display; }
    std::string display_name() const override { return m_loc.schema; }
    bool is_new() const override { return m_new; }
    std::optional<int> working_epsg() const override { return m_epsg; }

    void begin_write() override;
    void set_working_epsg(int epsg) override;
    void clear_layer(LayerKind kind) override;
    std::optional<std::string> describe_code(LayerKind kind, std::string_view code) override;
    void insert(LayerKind kind, const Record& record) override;
    void encode_geometry(Record& record) const override {
        record.native = copy_geometry(record.wkb);
    }
    void finish_layer(LayerKind) override { flush(); }

    void clear_findings(std::string_view origin, std::string_view layer) override;
    void add_finding(const Finding& f) override;
    std::int64_t record_import(const ImportLogEntry& e) override;
    void update_import(std::int64_t id, const ImportLogEntry& e) override;
    std::int64_t begin_batch(const BatchInfo& b) override;
    void finish_batch(const BatchInfo& b) override;
    void supersede(LayerKind kind, std::string_view code) override;
    void add_change(const ChangeEvent& c) override;
    void commit() override;
    void rollback() override { abandon(); }

    bool writable() const override;
    std::int64_t count(LayerKind kind) override;
    std::vector<ProjectRow> projects() override;
    std::vector<CorridorRow> corridors() override;
    void for_each_parcel(const std::function<void(const ParcelRow&)>& fn) override;
    void for_each_building(const std::function<void(const BuildingRow&)>& fn) override;
    std::vector<Finding> findings(std::string_view origin) override;
    void for_each_feature(LayerKind kind, const FeatureFilter& filter,
                          const std::function<void(const FeatureRow&)>& fn) override;
    void for_each_feature_in_boxes(LayerKind kind, const FeatureFilter& filter,
                                   const std::vector<Envelope>& boxes,
                                   const std::function<void(const FeatureRow&)>& fn) override;
    std::optional<Envelope> extent(LayerKind kind) override;
    std::map<std::string, Envelope> extents_by(LayerKind kind, std::string_view field) override;
    // A server takes the codes as one array parameter: a few large reads rather than SQLite's
    // 500 codes at a time (436 round trips for the corridor's parcel dates at 1 M parcels).
    std::size_t codes_per_read() const override { return 100000; }
    std::vector<BatchInfo> batches() override;
    void for_each_change(const ChangeFilter& filter,
                         const std::function<void(const ChangeEvent&)>& fn) override;
    void set_known_on(std::optional<Date> date) override;
    std::optional<Date> known_on() const override { return m_known_on; }

    void replace_derived(const DerivedLayerDef& def, const std::string& scope_field,
                         const std::string& scope_value,
                         const std::vector<FeatureRow>& rows) override;
    void encode_derived(FeatureRow& row) const override { row.native = copy_geometry(row.wkb); }
    bool has_derived(const std::string& name) override;
    void for_each_derived(const DerivedLayerDef& def, const std::string& scope_field,
                          const std::string& scope_value,
                          const std::function<void(const FeatureRow&)>& fn) override;
    std::optional<DerivedStamp> derived_stamp(const std::string& name) override;
    void set_derived_stamp(const std::string& name, const std::string& params) override;
    void clear_derived_stamp(const std::string& name) override;
    std::int64_t data_version() override;

private:
    static std::vector<std::pair<std::string, FieldType>> layer_fields(const LayerDef& def);
    static std::string feature_columns(const LayerDef& def, const FeatureFilter& filter);
    std::string feature_conditions(LayerKind kind, const FeatureFilter& filter,
                                   pg::Params& params) const;
    void sync_for(LayerKind kind, const FeatureFilter& filter);

    // The one decoder of feature rows: a result in binary form (Connection::query_binary),
    // from column `first` on the fields, then the measure, then the WKB (or NULL).
    static void read_rows(const pg::Result& r,
                          const std::vector<std::pair<std::string, FieldType>>& fields, int first,
                          DateColumns dates, const std::function<void(const FeatureRow&)>& fn);
    pg::Result read_binary(const std::string& sql, const pg::Params& params);
    // The connection reads of the input layers go to (postgis_rows.cpp says when it is not m_db).
    pg::Connection& input_reader();
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
    int epsg() const;
    // A geometry's COPY text (hex EWKB with the working SRID) as bytes, made ahead by
    // encode_geometry/encode_derived on the import's and the corridor's worker threads, so that
    // the one writing thread only appends it; empty before the working CRS is known (the
    // writer then encodes) or for no geometry.
    std::vector<unsigned char> copy_geometry(std::span<const unsigned char> wkb) const;
    void append_geometry(std::string& line, std::span<const unsigned char> wkb,
                         const std::vector<unsigned char>& native) const;

    // Schema-qualified name of a store table.
    std::string t(std::string_view name) const { return fmt::format("{}.{}", m_s, name); }

    std::string table(LayerKind kind) const;

    // The order SQLite scans a table (or the known-on view: current rows, then history) in.
    std::string scan_order() const { return m_known_on ? "t.part, abs(t.id)" : "t.id"; }

    pg::Param known_param() const;
    pg::Result run(const std::string& sql, const pg::Params& params = {});
    pg::Result read(const std::string& sql, const pg::Params& params = {});
    bool layer_pending(LayerKind kind) const;
    void sync(LayerKind kind);
    template <class Columns> Pending& pending(const std::string& table, Columns&& columns) {
        require_write("writing rows");
        auto key = table.find('.') == std::string::npos ? t(table) : table;
        auto it = m_pending.find(key);
        if (it == m_pending.end())
            it = m_pending.emplace(key, Pending{key, columns(), {}}).first;
        return it->second;
    }

    void flush_if_large(Pending& p);
    void flush();
    void write_stamps(const std::vector<PendingStamp>& stamps);
    void write_supersedes(LayerKind kind, const std::vector<std::string>& codes);
    static std::string text_array(const std::vector<std::string>& values);
    std::int64_t next_id(const std::string& table);
    void created_here(const std::string& table);
    void defer(std::string ddl);
    void make_deferred();
    void require_write(const char* what) const;
    void abandon();
    void wait_for_lock();
    std::string lock_holder();
    bool schema_exists();
    bool schema_has_tables();
    bool has_store_table(const std::string& name);
    void ensure_postgis();
    void read_meta();
    std::optional<std::string> meta(const std::string& key);
    void set_meta(const std::string& key, const std::string& value);
    std::string geom_column(const std::string& type) const;
    void create_schema();
    void create_history_schema();
    void create_derived(const DerivedLayerDef& def);
    static ChangeKind change_kind_from_name(const std::string& name);
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
    std::unique_ptr<pg::Connection> m_reader;         // input_reader()'s, within one write
    bool m_reader_failed = false;                     // it could not be opened: m_db then
    // Tables made in this write (qualified) -> derived scopes written into them ("": all).
    std::map<std::string, std::set<std::string>> m_created;
};

} // namespace landclear::postgis_detail
