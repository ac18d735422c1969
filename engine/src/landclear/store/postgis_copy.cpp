// The PostGIS store's writing of rows (detail/postgis_store.hpp): features, findings, changes,
// derived layers and stamps buffered per table and sent with COPY before any other statement.
#include "landclear/store/detail/postgis_store.hpp"

namespace landclear::postgis_detail {

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

std::vector<unsigned char> PostgisStore::copy_geometry(std::span<const unsigned char> wkb) const {
    if (!m_epsg || wkb.size() < 5)
        return {};
    auto hex = pg::ewkb_hex(wkb, *m_epsg);
    return {hex.begin(), hex.end()};
}

void PostgisStore::append_geometry(std::string& line, std::span<const unsigned char> wkb,
                                   const std::vector<unsigned char>& native) const {
    if (wkb.empty())
        line += "\\N";
    else if (!native.empty())
        line.append(reinterpret_cast<const char*>(native.data()), native.size());
    else
        line += pg::ewkb_hex(wkb, epsg());
}

void PostgisStore::insert(LayerKind kind, const Record& record) {
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
    append_geometry(line, record.wkb, record.native);
    line += '\n';
    int key = field_index(def, def.key);
    m_pending_codes[kind].insert(value_text(record.values[static_cast<size_t>(key)]));
    m_data_changed = true;
    flush_if_large(p);
}

void PostgisStore::add_finding(const Finding& f) {
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

// Buffered like the rows (one statement per layer at the next flush, in call order, before
// the COPYs): a replace that changes every feature would otherwise cost two round trips
// per feature.
void PostgisStore::supersede(LayerKind kind, std::string_view code) {
    require_write("supersede");
    if (m_pending_codes[kind].count(std::string(code)))
        flush(); // its current version is still buffered: write it first
    // Twice with no insert between: the second finds nothing (as in SQLite).
    if (m_superseded[kind].insert(std::string(code)).second)
        m_supersedes[kind].emplace_back(code);
    m_data_changed = true;
}

void PostgisStore::add_change(const ChangeEvent& c) {
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

void PostgisStore::replace_derived(const DerivedLayerDef& def, const std::string& scope_field,
                                   const std::string& scope_value,
                                   const std::vector<FeatureRow>& rows) {
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
            append_geometry(line, r.wkb, r.native);
        }
        line += '\n';
    }
    flush_if_large(p);
}

// Stamps are buffered like the rows and written, in call order, at the next flush (every
// read of a stamp flushes first): written at once, each one ended the COPYs of the rows
// before it, so the corridor waited for the server after every corridor it saved.
void PostgisStore::set_derived_stamp(const std::string& name, const std::string& params) {
    require_write("set_derived_stamp");
    m_pending_stamps.push_back({name, std::to_string(data_version()), params});
}

void PostgisStore::clear_derived_stamp(const std::string& name) {
    require_write("clear_derived_stamp");
    m_pending_stamps.push_back({name, std::nullopt, {}});
}

bool PostgisStore::layer_pending(LayerKind kind) const {
    auto p = m_pending.find(t(layer_def(kind).name));
    auto s = m_supersedes.find(kind);
    return (p != m_pending.end() && !p->second.data.empty()) ||
           (s != m_supersedes.end() && !s->second.empty());
}

// Sends the buffers if this layer has buffered rows (or the known-on view, which reads the
// history and imports too, is in use).
void PostgisStore::sync(LayerKind kind) {
    if (m_known_on || layer_pending(kind))
        flush();
}

// After whole lines: a buffer of 1 MiB goes into its table's open COPY (streamed: the server
// writes it while the rows after it are made; an import of 1 M parcels spent 40 % of its
// time waiting for COPYs sent whole). Not while a supersede is buffered: it must reach the
// table before any row written after it. Else every buffer is sent when they pass 32 MiB.
void PostgisStore::flush_if_large(Pending& p) {
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
void PostgisStore::flush() {
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
    write_stamps(stamps);
}

// In two statements whatever their number (a corridor run stamps every corridor it saves: 135
// round trips at 1 M parcels): the last word on each name is what the calls in order leave.
void PostgisStore::write_stamps(const std::vector<PendingStamp>& stamps) {
    if (stamps.empty())
        return;
    std::map<std::string, const PendingStamp*> last;
    for (const auto& st : stamps)
        last[st.name] = &st;
    std::vector<std::string> cleared, names, versions, params;
    for (const auto& [name, st] : last) {
        if (!st->data_version) {
            cleared.push_back(name);
            continue;
        }
        names.push_back(name);
        versions.push_back(*st->data_version);
        params.push_back(st->params);
    }
    if (!cleared.empty())
        m_db->query(fmt::format("DELETE FROM {} WHERE name = ANY($1::text[])", t("derived_stamps")),
                    {text_array(cleared)});
    if (!names.empty())
        m_db->query(fmt::format("INSERT INTO {}(name, data_version, params) SELECT * FROM "
                                "unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT(name) "
                                "DO UPDATE SET data_version = excluded.data_version, params = "
                                "excluded.params",
                                t("derived_stamps")),
                    {text_array(names), text_array(versions), text_array(params)});
}

// The current versions of these features into <layer>_history, ended by the current
// import, history ids in call order (as SQLite gives them one by one); then gone.
void PostgisStore::write_supersedes(LayerKind kind, const std::vector<std::string>& codes) {
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
std::string PostgisStore::text_array(const std::vector<std::string>& values) {
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

std::int64_t PostgisStore::next_id(const std::string& table) {
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

} // namespace landclear::postgis_detail
