// The SpatiaLite store's inserts into the input layers (the import's one writing thread) and the
// R*Tree indexes: a bulk write suspends a table's index and triggers and rebuilds it in one pass
// on commit (detail/spatialite_store.hpp).
#include "landclear/store/detail/spatialite_store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sqlite3.h>
#include <type_traits>
#include <variant>

// gaiageo.h needs sqlite3.h first.
#include <spatialite/gaiageo.h>

namespace landclear::spatialite_detail {

sqlite::Statement& SpatialiteStore::insert_statement(LayerKind kind, bool native) {
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
    auto sql = fmt::format("INSERT INTO {}({}{}, source_fid, import_id, geom) VALUES "
                           "({}?, ?, ?, {})",
                           def.name, cols, measure_column(def), params,
                           native ? std::string("?") : fmt::format("GeomFromWKB(?, {})", *m_epsg));
    return m_inserts.emplace(std::pair{kind, native}, m_db->prepare(sql)).first->second;
}

void SpatialiteStore::insert(LayerKind kind, const Record& record) {
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

void SpatialiteStore::encode_geometry(Record& record) const {
    record.native = native_blob(record.wkb);
}

void SpatialiteStore::encode_derived(FeatureRow& row) const {
    row.native = native_blob(row.wkb);
}

std::vector<unsigned char> SpatialiteStore::native_blob(std::span<const unsigned char> wkb) const {
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

void SpatialiteStore::bind_value_static(sqlite::Statement& st, int i, const Value& v,
                                        std::array<char, 10>& buffer) {
    if (const auto* s = std::get_if<std::string>(&v)) {
        st.bind_static(i, *s);
    } else if (const auto* d = std::get_if<Date>(&v); d && d->year() >= 0 && d->year() <= 9999 &&
                                                      d->month() >= 1 && d->month() <= 12 &&
                                                      d->day() >= 1 && d->day() <= 31) {
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

void SpatialiteStore::bind_value(sqlite::Statement& st, int i, const Value& v) {
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

void SpatialiteStore::create_index(const std::string& table) {
    if (!index_enabled(table))
        m_db->exec(fmt::format("SELECT CreateSpatialIndex('{}', 'geom')", table));
}

bool SpatialiteStore::index_enabled(const std::string& table) {
    auto st = m_db->prepare("SELECT spatial_index_enabled FROM geometry_columns WHERE "
                            "f_table_name = ? AND f_geometry_column = 'geom'");
    st.bind(1, std::string_view(table));
    return st.step() && st.column_int(0) != 0;
}

void SpatialiteStore::suspend_index(const std::string& table) {
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

void SpatialiteStore::rebuild_index(std::string table) {
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

void SpatialiteStore::gather_box(Suspended& s, std::span<const unsigned char> wkb) {
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

std::optional<sqlite::RtreeBox> SpatialiteStore::wkb_box(std::span<const unsigned char> wkb) {
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

void SpatialiteStore::check_type(const std::string& table, std::span<const unsigned char> wkb) {
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
}

} // namespace landclear::spatialite_detail
