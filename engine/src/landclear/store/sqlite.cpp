#include "landclear/store/sqlite.hpp"

#include "landclear/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <sqlite3.h>
#include <vector>
// spatialite.h needs sqlite3.h first.
#include <spatialite.h>

namespace landclear::sqlite {

namespace {

std::string db_file(sqlite3* db) {
    const char* name = db ? sqlite3_db_filename(db, "main") : nullptr;
    return name && *name ? name : "the store";
}

// Failures of the store file itself (locked, not a database, damaged, read-only, disk full)
// become one message with what to do, never the SQL that met them; other codes are our own
// mistakes and keep the statement for whoever debugs them.
void throw_if_store_level(int code, const std::string& file, const std::string& said) {
    int primary = code & 0xff;
    switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        throw_store(fmt::format("the store {} is locked by another program (an import still "
                                "running, or QGIS editing it)",
                                file),
                    "wait until it has finished (or save and close the layer in QGIS), then run "
                    "the command again");
    case SQLITE_NOTADB:
        throw_store(fmt::format("{} is not a landclear store: it is not an SQLite database", file),
                    "pass the store landclear made, or a new file name to create one");
    case SQLITE_CORRUPT:
        throw_store(fmt::format("the store {} is damaged (SQLite: {})", file, said),
                    "restore it from a backup, or import the sources again into a new store "
                    "(`sqlite3 STORE 'PRAGMA integrity_check'` lists the damage)");
    case SQLITE_READONLY:
        if (code == SQLITE_READONLY_ROLLBACK)
            throw_store(fmt::format("the store {} holds an unfinished write of an interrupted "
                                    "command ({}-journal), which only a writable open rolls "
                                    "back, and it cannot be opened for writing here",
                                    file, file),
                        "as a user who may write the store and its folder, run "
                        "`sqlite3 STORE 'PRAGMA quick_check'` (or any landclear command): "
                        "that rolls the unfinished write back");
        throw_store(fmt::format("the store {} cannot be written: the file or its folder is "
                                "read-only",
                                file),
                    "copy the store to a folder you can write to, or ask for write access");
    case SQLITE_FULL:
        throw_store(fmt::format("the disk holding the store {} is full", file),
                    "free some space, then run the command again (the store is unchanged)");
    case SQLITE_IOERR:
        throw_store(fmt::format("the store {} cannot be read or written: input/output error "
                                "({})",
                                file, said),
                    "check the disk (or network share) the store is on");
    case SQLITE_CANTOPEN:
        throw_store(fmt::format("the store {} cannot be opened ({})", file, said),
                    "check that the file and its folder exist and that you may read and write "
                    "them");
    default:
        break;
    }
}

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    if (db)
        throw_if_store_level(sqlite3_extended_errcode(db), db_file(db), sqlite3_errmsg(db));
    throw_store(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}

// A journal left by a killed writer is "hot": SQLite rolls it back on the next read, which a
// read-only connection may not do ("attempt to write a readonly database"). A short writable
// open rolls it back first, restoring the last committed state; when that is not possible the
// read-only open reports it (SQLITE_READONLY_ROLLBACK) with the command that recovers it.
void roll_back_hot_journal(const std::string& path) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path + "-journal", ec);
    if (ec || size == 0)
        return;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK)
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    sqlite3_close(db);
}

} // namespace

Database::Database(const std::string& path, bool create, bool read_only) : m_path(path) {
    // NOMUTEX: a connection is used by one thread at a time (the import's writer thread has it
    // alone until it finishes; the server checks connections out of a pool), so SQLite's
    // per-call connection mutex is only overhead (9 % of reading every parcel).
    int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    if (create)
        flags |= SQLITE_OPEN_CREATE;
    if (read_only)
        roll_back_hot_journal(path);
    if (sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr) != SQLITE_OK) {
        std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
        int code = m_db ? sqlite3_extended_errcode(m_db) : SQLITE_NOMEM;
        sqlite3_close(m_db);
        throw_if_store_level(code, path, msg);
        throw_store(fmt::format("cannot open store {}: {}", path, msg));
    }
    m_spatialite_cache = spatialite_alloc_connection();
    spatialite_init_ex(m_db, m_spatialite_cache, 0);
    sqlite3_busy_timeout(m_db, 5000);
}

Database::~Database() {
    sqlite3_close_v2(m_db);
    if (m_spatialite_cache)
        spatialite_cleanup_ex(m_spatialite_cache);
}

void Database::exec(std::string_view sql) {
    char* err = nullptr;
    std::string text(sql);
    if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw_if_store_level(sqlite3_extended_errcode(m_db), db_file(m_db), msg);
        throw_store(fmt::format("{} (while running: {})", msg, text.substr(0, 120)));
    }
}

Statement Database::prepare(std::string_view sql) {
    return Statement(m_db, sql);
}

std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(m_db);
}

std::optional<std::int64_t> Database::query_int(std::string_view sql) {
    auto st = prepare(sql);
    if (st.step() && !st.is_null(0))
        return st.column_int(0);
    return std::nullopt;
}

std::optional<std::string> Database::query_text(std::string_view sql) {
    auto st = prepare(sql);
    if (st.step() && !st.is_null(0))
        return st.column_text(0);
    return std::nullopt;
}

Statement::Statement(sqlite3* db, std::string_view sql) : m_db(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_stmt, nullptr) !=
        SQLITE_OK)
        fail(db, fmt::format("cannot prepare '{}'", sql.substr(0, 120)));
}

Statement::~Statement() {
    sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement&& other) noexcept : m_db(other.m_db), m_stmt(other.m_stmt) {
    other.m_stmt = nullptr;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(m_stmt, index);
    return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(m_stmt, index, value);
    return *this;
}
Statement& Statement::bind(int index, double value) {
    sqlite3_bind_double(m_stmt, index, value);
    return *this;
}
Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
}
Statement& Statement::bind_blob(int index, std::span<const unsigned char> blob) {
    sqlite3_bind_blob(m_stmt, index, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_static(int index, std::string_view text) {
    sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    return *this;
}
Statement& Statement::bind_blob_static(int index, std::span<const unsigned char> blob) {
    sqlite3_bind_blob(m_stmt, index, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
    return *this;
}

bool Statement::step() {
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    fail(m_db, "query failed");
}

void Statement::run() {
    int rc = sqlite3_step(m_stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        std::string msg = sqlite3_errmsg(m_db);
        int code = sqlite3_extended_errcode(m_db);
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt); // a static binding's bytes may not outlive the call
        throw_if_store_level(code, db_file(m_db), msg);
        throw_store(fmt::format("write failed: {}", msg));
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}
std::int64_t Statement::column_int(int column) const {
    return sqlite3_column_int64(m_stmt, column);
}
double Statement::column_double(int column) const {
    return sqlite3_column_double(m_stmt, column);
}
std::string Statement::column_text(int column) const {
    auto p = sqlite3_column_text(m_stmt, column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(m_stmt, column)))
             : std::string();
}
std::string_view Statement::column_text_view(int column) const {
    auto p = sqlite3_column_text(m_stmt, column);
    return p ? std::string_view(reinterpret_cast<const char*>(p),
                                static_cast<size_t>(sqlite3_column_bytes(m_stmt, column)))
             : std::string_view();
}
std::span<const unsigned char> Statement::column_blob(int column) const {
    auto p = static_cast<const unsigned char*>(sqlite3_column_blob(m_stmt, column));
    return {p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, column))};
}

namespace {

// Position of (x, y) on the Hilbert curve through a 2^16 x 2^16 grid.
std::uint32_t hilbert_key(std::uint32_t x, std::uint32_t y) {
    std::uint32_t d = 0;
    for (std::uint32_t s = 1u << 15; s > 0; s >>= 1) {
        std::uint32_t rx = (x & s) ? 1 : 0;
        std::uint32_t ry = (y & s) ? 1 : 0;
        d += s * s * ((3 * rx) ^ ry);
        if (ry == 0) {
            if (rx == 1) {
                x = s - 1 - x;
                y = s - 1 - y;
            }
            std::swap(x, y);
        }
    }
    return d;
}

// The rtree module stores 32-bit floats, rounding each box outwards so it still contains the
// exact one (as rtreeValueDown/rtreeValueUp do).
float round_down(double v) {
    float f = static_cast<float>(v);
    return static_cast<double>(f) > v ? std::nextafter(f, -HUGE_VALF) : f;
}
float round_up(double v) {
    float f = static_cast<float>(v);
    return static_cast<double>(f) < v ? std::nextafter(f, HUGE_VALF) : f;
}

struct Cell {
    std::int64_t id; // a row id in a leaf, a child node number above
    float box[4];    // xmin, xmax, ymin, ymax
};

void put_u16(unsigned char* p, unsigned v) {
    p[0] = static_cast<unsigned char>(v >> 8);
    p[1] = static_cast<unsigned char>(v);
}
void put_u32(unsigned char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<unsigned char>(v >> (24 - 8 * i));
}
void put_i64(unsigned char* p, std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<unsigned char>(u >> (56 - 8 * i));
}

} // namespace

void rtree_bulk_load(Database& db, const std::string& rtree, const std::string& select_sql) {
    std::vector<RtreeBox> boxes;
    {
        auto st = db.prepare(select_sql);
        while (st.step()) {
            if (st.is_null(1) || st.is_null(2) || st.is_null(3) || st.is_null(4))
                continue;
            boxes.push_back({st.column_int(0), st.column_double(1), st.column_double(2),
                             st.column_double(3), st.column_double(4)});
        }
    }
    rtree_bulk_load(db, rtree, boxes);
}

void rtree_bulk_load(Database& db, const std::string& rtree, const std::vector<RtreeBox>& boxes) {
    struct Entry {
        std::uint32_t key;
        Cell cell;
    };
    std::vector<Entry> entries;
    entries.reserve(boxes.size());
    double min_x = HUGE_VAL, min_y = HUGE_VAL, max_x = -HUGE_VAL, max_y = -HUGE_VAL;
    for (const auto& b : boxes) {
        double x0 = b.min_x, x1 = b.max_x, y0 = b.min_y, y1 = b.max_y;
        entries.push_back(
            {0, {b.id, {round_down(x0), round_up(x1), round_down(y0), round_up(y1)}}});
        min_x = std::min(min_x, (x0 + x1) / 2);
        max_x = std::max(max_x, (x0 + x1) / 2);
        min_y = std::min(min_y, (y0 + y1) / 2);
        max_y = std::max(max_y, (y0 + y1) / 2);
    }
    if (entries.empty())
        return; // the new rtree already holds its empty root
    double sx = max_x > min_x ? 65535.0 / (max_x - min_x) : 0;
    double sy = max_y > min_y ? 65535.0 / (max_y - min_y) : 0;
    for (auto& e : entries) {
        double cx = (static_cast<double>(e.cell.box[0]) + e.cell.box[1]) / 2;
        double cy = (static_cast<double>(e.cell.box[2]) + e.cell.box[3]) / 2;
        auto gx = static_cast<std::uint32_t>(std::clamp((cx - min_x) * sx, 0.0, 65535.0));
        auto gy = static_cast<std::uint32_t>(std::clamp((cy - min_y) * sy, 0.0, 65535.0));
        e.key = hilbert_key(gx, gy);
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.key != b.key ? a.key < b.key : a.cell.id < b.cell.id;
    });

    // The node size is fixed when the rtree is created (from the page size): read it back.
    auto node_bytes = db.query_int(fmt::format("SELECT length(data) FROM \"{}_node\" WHERE "
                                               "nodeno = 1",
                                               rtree));
    constexpr size_t cell_bytes = 8 + 4 * 4;
    if (!node_bytes || *node_bytes < static_cast<std::int64_t>(4 + 2 * cell_bytes))
        throw_store(fmt::format("{}: not an empty 2-D rtree", rtree));
    size_t fanout = (static_cast<size_t>(*node_bytes) - 4) / cell_bytes;

    // Levels bottom-up; nodes numbered so that the root is 1 (where the rtree looks for it).
    std::vector<std::vector<std::vector<Cell>>> levels(1);
    for (size_t i = 0; i < entries.size(); i += fanout) {
        auto& node = levels[0].emplace_back();
        for (size_t j = i; j < std::min(entries.size(), i + fanout); ++j)
            node.push_back(entries[j].cell);
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> leaf_of; // row id -> leaf node, later
    std::int64_t next_no = 2;
    std::vector<std::vector<std::int64_t>> numbers; // node numbers per level
    while (true) {
        auto& level = levels.back();
        auto& no = numbers.emplace_back();
        if (level.size() == 1) {
            no.push_back(1);
            break;
        }
        for (size_t i = 0; i < level.size(); ++i)
            no.push_back(next_no++);
        std::vector<std::vector<Cell>> up;
        for (size_t i = 0; i < level.size(); i += fanout) {
            auto& node = up.emplace_back();
            for (size_t j = i; j < std::min(level.size(), i + fanout); ++j) {
                Cell c{no[j], {HUGE_VALF, -HUGE_VALF, HUGE_VALF, -HUGE_VALF}};
                for (const auto& child : level[j]) {
                    c.box[0] = std::min(c.box[0], child.box[0]);
                    c.box[1] = std::max(c.box[1], child.box[1]);
                    c.box[2] = std::min(c.box[2], child.box[2]);
                    c.box[3] = std::max(c.box[3], child.box[3]);
                }
                node.push_back(c);
            }
        }
        levels.push_back(std::move(up));
    }

    db.exec(fmt::format("DELETE FROM \"{}_node\"", rtree));
    auto put_node =
        db.prepare(fmt::format("INSERT INTO \"{}_node\"(nodeno, data) VALUES (?, ?)", rtree));
    auto put_parent = db.prepare(
        fmt::format("INSERT INTO \"{}_parent\"(nodeno, parentnode) VALUES (?, ?)", rtree));
    std::vector<unsigned char> blob(static_cast<size_t>(*node_bytes));
    unsigned depth = static_cast<unsigned>(levels.size() - 1);
    for (size_t l = 0; l < levels.size(); ++l) {
        for (size_t n = 0; n < levels[l].size(); ++n) {
            const auto& node = levels[l][n];
            std::fill(blob.begin(), blob.end(), 0);
            if (numbers[l][n] == 1)
                put_u16(blob.data(), depth); // the tree's depth is kept in the root
            put_u16(blob.data() + 2, static_cast<unsigned>(node.size()));
            unsigned char* p = blob.data() + 4;
            for (const auto& c : node) {
                put_i64(p, c.id);
                for (int k = 0; k < 4; ++k) {
                    std::uint32_t bits;
                    std::memcpy(&bits, &c.box[k], 4);
                    put_u32(p + 8 + 4 * k, bits);
                }
                p += cell_bytes;
                if (l == 0)
                    leaf_of.emplace_back(c.id, numbers[l][n]);
                else
                    put_parent.bind(1, c.id).bind(2, numbers[l][n]).run();
            }
            put_node.bind(1, numbers[l][n]).bind_blob(2, blob).run();
        }
    }
    std::sort(leaf_of.begin(), leaf_of.end());
    // One row per geometry: written rows_per_insert at a time (one statement step for many
    // rows; a step per row was most of this function at a million rows).
    constexpr size_t rows_per_insert = 128;
    auto insert_rows = [&](size_t n) {
        std::string sql =
            fmt::format("INSERT INTO \"{}_rowid\"(rowid, nodeno) VALUES (?, ?)", rtree);
        for (size_t k = 1; k < n; ++k)
            sql += ", (?, ?)";
        return db.prepare(sql);
    };
    size_t done = 0;
    if (leaf_of.size() >= rows_per_insert) {
        auto many = insert_rows(rows_per_insert);
        for (; done + rows_per_insert <= leaf_of.size(); done += rows_per_insert) {
            for (size_t k = 0; k < rows_per_insert; ++k) {
                int at = static_cast<int>(2 * k + 1);
                many.bind(at, leaf_of[done + k].first).bind(at + 1, leaf_of[done + k].second);
            }
            many.run();
        }
    }
    auto put_rowid = insert_rows(1);
    for (; done < leaf_of.size(); ++done)
        put_rowid.bind(1, leaf_of[done].first).bind(2, leaf_of[done].second).run();
}

Transaction::Transaction(Database& db) : m_db(db) {
    m_db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (m_open)
        sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    m_db.exec("COMMIT");
    m_open = false;
}

} // namespace landclear::sqlite
