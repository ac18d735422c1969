// The SpatiaLite store's history: batches, the change log, superseded rows kept in the
// <layer>_history tables, and the layers as known on a date (detail/spatialite_store.hpp).
#include "landclear/store/detail/spatialite_store.hpp"

namespace landclear {

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

namespace spatialite_detail {

void SpatialiteStore::create_history_schema() {
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

std::int64_t SpatialiteStore::begin_batch(const BatchInfo& b) {
    require_write("begin_batch");
    if (auto latest = m_db->query_text("SELECT max(reported_on) FROM batches"))
        if (auto d = parse_date(*latest); d && b.reported_on < *d)
            throw_usage(
                fmt::format("the store already holds data reported on {}; an import "
                            "reported on {} would rewrite what was known then",
                            d->iso(), b.reported_on.iso()),
                fmt::format("pass --reported {} or later (the date the data describes)", d->iso()));
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

void SpatialiteStore::finish_batch(const BatchInfo& b) {
    require_write("finish_batch");
    auto st = m_db->prepare("UPDATE batches SET added = ?, removed = ?, changed = ? WHERE "
                            "id = ?");
    st.bind(1, b.added).bind(2, b.removed).bind(3, b.changed).bind(4, m_batch_id);
    st.run();
    // Every import moves the data version, as before history: a batch is news (what is
    // known on its date) even when it changed no feature.
    m_data_changed = true;
}

void SpatialiteStore::supersede(LayerKind kind, std::string_view code) {
    auto it = m_supersedes.find(kind);
    if (it == m_supersedes.end()) {
        const auto& def = layer_def(kind);
        std::string cols;
        for (const auto& f : def.fields)
            cols += fmt::format("{}, ", f.name);
        auto m = measure_column(def);
        Supersede s{m_db->prepare(fmt::format(
                        "INSERT INTO {0}_history({1}{2}, source_fid, import_id, "
                        "ended_import_id, geom) SELECT {1}{2}, source_fid, import_id, ?, geom "
                        "FROM {0} WHERE {3} = ?",
                        def.name, cols, m, def.key)),
                    m_db->prepare(fmt::format("DELETE FROM {} WHERE {} = ?", def.name, def.key))};
        it = m_supersedes.emplace(kind, std::move(s)).first;
    }
    if (auto sus = m_suspended.find(std::string(layer_def(kind).name)); sus != m_suspended.end())
        sus->second.boxes_complete = false; // rows leave the table: read it back
    it->second.copy.bind(1, m_import_id).bind(2, code);
    it->second.copy.run();
    it->second.remove.bind(1, code);
    it->second.remove.run();
    m_data_changed = true;
}

void SpatialiteStore::add_change(const ChangeEvent& c) {
    if (!m_change_insert)
        m_change_insert = std::make_unique<sqlite::Statement>(
            m_db->prepare("INSERT INTO changes(batch_id, layer, code, project_code, kind, field, "
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

std::vector<BatchInfo> SpatialiteStore::batches() {
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
            b.files.push_back({files.column_text(0), files.column_text(1), files.column_text(2)});
        files.reset();
        out.push_back(std::move(b));
    }
    return out;
}

void SpatialiteStore::for_each_change(const ChangeFilter& filter,
                                      const std::function<void(const ChangeEvent&)>& fn) {
    if (!has_table("changes"))
        return;
    std::string sql =
        "SELECT c.batch_id, c.layer, c.code, c.project_code, c.kind, c.field, c.old_value, "
        "c.new_value, c.correction, b.reported_on FROM changes c JOIN batches b ON b.id = "
        "c.batch_id WHERE (?1 IS NULL OR b.reported_on <= ?1)";
    std::vector<std::string> params;
    auto in_list = [&](const std::vector<std::string>& values) {
        return placeholders(values, params);
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

void SpatialiteStore::set_known_on(std::optional<Date> date) {
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

void SpatialiteStore::bind_known(sqlite::Statement& st, int i) {
    if (m_known_on)
        st.bind(i, m_known_on->iso());
    else
        st.bind_null(i);
}

ChangeKind SpatialiteStore::change_kind_from_name(const std::string& name) {
    for (auto k : {ChangeKind::added, ChangeKind::removed, ChangeKind::changed, ChangeKind::loaded})
        if (name == change_kind_name(k))
            return k;
    return ChangeKind::changed;
}

} // namespace spatialite_detail

} // namespace landclear
