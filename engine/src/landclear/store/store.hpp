#pragma once
// The store: the one narrow interface every command talks to. SpatiaLite is the embedded
// default; a PostGIS backend implements the same class later. Callers never see SQL.
#include "landclear/core/date.hpp"
#include "landclear/core/model.hpp"
#include "landclear/core/schema.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace landclear {

// 2: every input layer has its spatial index from creation on (an empty layer too), and derived
// results are stamped in their own table (derived_stamps). Version 1 stores are migrated when
// opened for writing and read as they are otherwise.
// 3: history. Every import is a batch (batches, batch_files) with the date its data describes;
// a feature's superseded versions move to <layer>_history with the import that ended them, and
// every change is an event (changes). Older stores gain the (empty) history tables on migration;
// their rows belong to no batch and count as known on every date. Corridors gain
// chainage_breaks (断链) and alignment (ZK, YK).
inline constexpr int store_schema_version = 3;

struct ImportLogEntry {
    std::string layer, source, mode, source_crs;
    std::int64_t read = 0, written = 0, repaired = 0;
};

enum class StoreMode { read, write };

// One `landclear import`: when it ran, the date its data describes (--reported), its files.
struct BatchFile {
    std::string layer, source, sha256;
};
struct BatchInfo {
    std::int64_t id = 0;
    Date reported_on = Date::today();
    std::string imported_at; // UTC, set by the store
    std::string mode;        // replace, update, append
    std::vector<BatchFile> files;
    std::int64_t added = 0, removed = 0, changed = 0; // features
};

enum class ChangeKind { added, removed, changed, loaded };
const char* change_kind_name(ChangeKind kind);

// What one import changed in one feature (one event per changed field), compared by code with
// what the store held. "loaded" is the first load of an empty layer: one event, no code, the
// number of features as new_value (the features themselves are the batch's rows).
struct ChangeEvent {
    std::int64_t batch_id = 0;
    LayerKind layer = LayerKind::parcels;
    std::string code;
    std::string project_code; // of the feature (buildings: through their parcel), for filters
    ChangeKind kind = ChangeKind::changed;
    std::string field; // changed: the field, or "geometry" (values: area in m²)
    std::string old_value, new_value;
    // A figure the store already held was revised: a date moved or emptied, a feature removed,
    // a value or geometry replaced. Filling an empty field (progress) is not a correction.
    bool correction = false;
    Date reported_on = Date::today(); // of the batch; filled when read
};

struct ChangeFilter {
    std::optional<LayerKind> layer;
    std::vector<std::string> codes;         // of that layer's features; empty: all
    std::vector<std::string> project_codes; // empty: all
    std::optional<Date> since, until;       // batch reported dates, inclusive
};

struct FeatureFilter {
    std::optional<Envelope> bbox;           // working CRS; by the spatial index
    std::vector<std::string> project_codes; // empty: all (buildings: through their parcel)
    std::vector<std::string> codes;         // the layer's own key; empty: all
    bool with_geometry = true;
    std::vector<std::string> fields; // read only these fields (the others stay empty); empty: all
};

// A stored feature: values in the layer's field order (schema.hpp for input layers, the
// DerivedLayerDef for derived ones), its area (m²) or length (m), its WKB in the working CRS.
// What a derived result was computed from: the data version of the store then, and whatever else
// it depends on (options, algorithm version), written and compared by its owner.
struct DerivedStamp {
    std::int64_t data_version = 0;
    std::string params;
};

struct FeatureRow {
    std::vector<Value> values;
    double measure = 0;
    std::vector<unsigned char> wkb;
    // For replace_derived: the store's own encoding of wkb made ahead (Store::encode_derived),
    // or empty, and the store encodes while writing. Reads leave it empty.
    std::vector<unsigned char> native{};
};

// A layer computed by a command and kept for exports, maps and the viewer (corridor-parcels,
// corridor-segments, ...). Geometry type as SpatiaLite names it, "" for a plain table.
struct DerivedLayerDef {
    std::string name;
    std::vector<std::pair<std::string, FieldType>> fields;
    std::string geometry_type;
};

class Store {
public:
    virtual ~Store() = default;

    virtual std::string location() const = 0;
    virtual bool is_new() const = 0;
    virtual std::optional<int> working_epsg() const = 0;

    // Writing. Everything between begin_write() and commit() is one transaction: destroying the
    // store without commit() undoes it, and a store that did not exist before is not left behind.
    virtual void begin_write() = 0;
    virtual void set_working_epsg(int epsg) = 0; // once, on a new store
    virtual void clear_layer(LayerKind kind) = 0;
    // Describes the stored feature with this code ("feature 12 of a.shp"), if there is one.
    virtual std::optional<std::string> describe_code(LayerKind kind, std::string_view code) = 0;
    virtual void insert(LayerKind kind, const Record& record) = 0;
    // Fills record.native with the store's encoding of record.wkb, for insert() to write as it
    // is, or leaves it empty (the default: the store encodes while writing). Safe to call from
    // any thread while the store is in a write, after set_working_epsg(): it touches no
    // connection, so the import's conversion workers take that work off the writing thread.
    virtual void encode_geometry(Record& record) const { record.native.clear(); }
    virtual void finish_layer(LayerKind kind) = 0;
    virtual void clear_findings(std::string_view origin, std::string_view layer) = 0;
    virtual void add_finding(const Finding& finding) = 0;
    // Returns the import's id, which the features inserted after it refer to.
    virtual std::int64_t record_import(const ImportLogEntry& entry) = 0;
    virtual void update_import(std::int64_t id, const ImportLogEntry& entry) = 0;
    // History. begin_batch opens the batch the following record_import()s belong to (returns
    // its id); a batch's reported date may not be earlier than one already stored.
    virtual std::int64_t begin_batch(const BatchInfo& batch) = 0;
    virtual void finish_batch(const BatchInfo& batch) = 0; // its counts
    // Ends the current version of the feature with this code: kept in the layer's history as
    // ended by the current import, gone from the current layer (insert() writes the next one).
    virtual void supersede(LayerKind kind, std::string_view code) = 0;
    virtual void add_change(const ChangeEvent& change) = 0;
    virtual void commit() = 0;
    // Undoes the write begun by begin_write() (as destroying the store without commit() does)
    // and leaves the store open for reading.
    virtual void rollback() = 0;
    // False when writing cannot work: opened with StoreMode::read, or a file (or its folder, for
    // the journal) this process may not write. Derived results are then kept in memory only.
    virtual bool writable() const = 0;

    // Reading.
    virtual std::int64_t count(LayerKind kind) = 0;
    virtual std::vector<ProjectRow> projects() = 0;
    virtual std::vector<CorridorRow> corridors() = 0;
    virtual void for_each_parcel(const std::function<void(const ParcelRow&)>& fn) = 0;
    // As for_each_parcel, for scans of every parcel that need a few of its fields (status):
    // only the fields named (the parcels layer's field names, "area_m2" for the area) need be
    // filled, the others may stay empty. The default reads them all.
    virtual void for_each_parcel_fields(const std::vector<std::string>& fields,
                                        const std::function<void(const ParcelRow&)>& fn) {
        (void)fields;
        for_each_parcel(fn);
    }
    // As for_each_parcel_fields, with the scan split into at most `parts` parts read on as many
    // threads at once: fn(part, row) is called on part's own thread, so fn keeps its state per
    // part; within a part rows come in for_each_parcel's order, and every row of part k comes
    // before those of part k + 1 in it. A backend may use fewer parts (a small layer, a
    // knowledge date); the default reads everything as part 0 on the calling thread.
    virtual void
    for_each_parcel_parts(const std::vector<std::string>& fields, unsigned parts,
                          const std::function<void(unsigned part, const ParcelRow&)>& fn) {
        (void)parts;
        for_each_parcel_fields(fields, [&](const ParcelRow& r) { fn(0, r); });
    }
    virtual void for_each_building(const std::function<void(const BuildingRow&)>& fn) = 0;
    virtual std::vector<Finding> findings(std::string_view origin = {}) = 0;
    virtual void for_each_feature(LayerKind kind, const FeatureFilter& filter,
                                  const std::function<void(const FeatureRow&)>& fn) = 0;
    // As for_each_feature with filter.bbox set to each of the boxes in turn, each feature given
    // once: at the first box it meets, in for_each_feature's order within that box (the
    // corridor reads everything near a red line by its pieces' boxes). filter.bbox is ignored.
    // The default asks box by box; a backend across a network answers all boxes in one query
    // (PostGIS: 19,000 round trips at 1 M parcels were most of the corridor's reading time).
    virtual void for_each_feature_in_boxes(LayerKind kind, const FeatureFilter& filter,
                                           const std::vector<Envelope>& boxes,
                                           const std::function<void(const FeatureRow&)>& fn);
    virtual std::optional<Envelope> extent(LayerKind kind) = 0;
    // The exact extent of the features of each value of one of the layer's fields (a NULL
    // value under ""; features without geometry left out), from each geometry's stored box
    // rather than its coordinates: the web map's project extents, which took a second at a
    // million parcels through every parcel's WKB.
    virtual std::map<std::string, Envelope> extents_by(LayerKind kind, std::string_view field) = 0;
    // How many codes a caller reading many features by code (FeatureFilter::codes) puts in one
    // read: SQLite binds every code as a parameter (500 keeps each statement small); a server
    // store takes them as one array, so fewer, larger reads save round trips.
    virtual std::size_t codes_per_read() const { return 500; }

    // History reading. Batches oldest first; changes newest first (by batch, then as recorded).
    virtual std::vector<BatchInfo> batches() = 0;
    virtual void for_each_change(const ChangeFilter& filter,
                                 const std::function<void(const ChangeEvent&)>& fn) = 0;
    // From now on every read above (count, projects ... extent) sees the layers as the store
    // knew them on that date: only batches reported on or before it. nullopt: everything known
    // (the default, and the fast path). A store with a knowledge date set keeps no derived
    // results (writable() is false, derived_stamp() finds none): they would be of another day.
    virtual void set_known_on(std::optional<Date> date) = 0;
    virtual std::optional<Date> known_on() const = 0;

    // Derived layers. replace_derived replaces the rows whose scope_field equals scope_value
    // (all rows when scope_field is empty) and creates the layer on first use; it must run
    // between begin_write() and commit().
    virtual void replace_derived(const DerivedLayerDef& def, const std::string& scope_field,
                                 const std::string& scope_value,
                                 const std::vector<FeatureRow>& rows) = 0;
    // Fills row.native with the store's encoding of row.wkb, for replace_derived to write as it
    // is, or leaves it empty (the default). Like encode_geometry: touches no connection, so the
    // corridor's clipping workers take that work off the writing thread.
    virtual void encode_derived(FeatureRow& row) const { row.native.clear(); }
    virtual bool has_derived(const std::string& name) = 0;
    virtual void for_each_derived(const DerivedLayerDef& def, const std::string& scope_field,
                                  const std::string& scope_value,
                                  const std::function<void(const FeatureRow&)>& fn) = 0;

    // Derived-result stamps, one per name ("corridor:C1", "parcel_ellipsoidal_area"): the data
    // version a result was computed from and its parameters. set_derived_stamp stamps with the
    // current data_version(); it and clear_derived_stamp must run in a write.
    virtual std::optional<DerivedStamp> derived_stamp(const std::string& name) = 0;
    virtual void set_derived_stamp(const std::string& name, const std::string& params) = 0;
    virtual void clear_derived_stamp(const std::string& name) = 0;
    // Increases by one with every commit that changed an input layer (clear_layer or insert);
    // a rolled back write leaves it as it was. 0 for a store with no committed import.
    virtual std::int64_t data_version() = 0;
    // A short name for people (titles, the viewer's header): never to be opened as a file.
    virtual std::string display_name() const = 0;
};

// Opens a store by location: a file path is a SpatiaLite store. In write mode a missing store is
// created (on commit); in read mode it must exist and be a landclear store.
std::unique_ptr<Store> open_store(const std::string& location, StoreMode mode);

// Whether a store exists at this location (the backend decides what a location is).
bool store_exists(const std::string& location);

} // namespace landclear
