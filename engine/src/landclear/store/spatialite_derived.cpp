// The SpatiaLite store's derived layers (the corridor's pieces and the like) and their stamps
// (detail/spatialite_store.hpp).
#include "landclear/store/detail/spatialite_store.hpp"

namespace landclear::spatialite_detail {

void SpatialiteStore::replace_derived(const DerivedLayerDef& def, const std::string& scope_field,
                                      const std::string& scope_value,
                                      const std::vector<FeatureRow>& rows) {
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
            it->second =
                -m_db->query_int(fmt::format("SELECT count(*) FROM \"{}\"", def.name)).value_or(0) /
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

bool SpatialiteStore::has_derived(const std::string& name) {
    auto st = m_db->prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                            "name = ?");
    st.bind(1, std::string_view(name));
    return st.step() && st.column_int(0) > 0;
}

void SpatialiteStore::for_each_derived(const DerivedLayerDef& def, const std::string& scope_field,
                                       const std::string& scope_value,
                                       const std::function<void(const FeatureRow&)>& fn) {
    if (!has_derived(def.name))
        return;
    std::string cols;
    for (const auto& [name, type] : def.fields)
        cols += fmt::format("\"{}\", ", name);
    std::string sql = fmt::format("SELECT {}measure, {} FROM \"{}\"", cols,
                                  def.geometry_type.empty() ? "NULL" : "AsBinary(geom)", def.name);
    if (!scope_field.empty())
        sql += fmt::format(" WHERE \"{}\" = ?", scope_field);
    sql += " ORDER BY id";
    auto st = m_db->prepare(sql);
    if (!scope_field.empty())
        st.bind(1, std::string_view(scope_value));
    read_rows(st, def.fields, fn);
}

void SpatialiteStore::create_derived(const DerivedLayerDef& def) {
    std::string cols;
    for (const auto& [name, type] : def.fields)
        cols += fmt::format("\"{}\" {}, ", name, sql_type(type));
    m_db->exec(
        fmt::format("CREATE TABLE \"{}\"(id INTEGER PRIMARY KEY, {}measure REAL)", def.name, cols));
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

std::optional<DerivedStamp> SpatialiteStore::derived_stamp(const std::string& name) {
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

void SpatialiteStore::set_derived_stamp(const std::string& name, const std::string& params) {
    require_write("set_derived_stamp");
    auto st = m_db->prepare("INSERT INTO derived_stamps(name, data_version, params) VALUES "
                            "(?, ?, ?) ON CONFLICT(name) DO UPDATE SET data_version = "
                            "excluded.data_version, params = excluded.params");
    st.bind(1, std::string_view(name)).bind(2, data_version()).bind(3, std::string_view(params));
    st.run();
}

void SpatialiteStore::clear_derived_stamp(const std::string& name) {
    require_write("clear_derived_stamp");
    auto st = m_db->prepare("DELETE FROM derived_stamps WHERE name = ?");
    st.bind(1, std::string_view(name));
    st.run();
}

std::optional<DerivedStamp> SpatialiteStore::legacy_stamp(const std::string& name) {
    auto st = m_db->prepare(fmt::format("SELECT * FROM ({}) WHERE key = ?", legacy_stamp_sql));
    st.bind(1, std::string_view(name));
    if (!st.step())
        return std::nullopt;
    return DerivedStamp{st.column_int(1), st.column_text(2)};
}

void SpatialiteStore::create_stamp_table() {
    m_db->exec("CREATE TABLE derived_stamps(name TEXT PRIMARY KEY, data_version INTEGER NOT "
               "NULL, params TEXT NOT NULL)");
}

} // namespace landclear::spatialite_detail
