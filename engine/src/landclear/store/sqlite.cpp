#include "landclear/store/sqlite.hpp"

#include "landclear/core/error.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
// spatialite.h needs sqlite3.h first.
#include <spatialite.h>

namespace landclear::sqlite {

namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    throw_store(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}
} // namespace

Database::Database(const std::string& path, bool create, bool read_only) : m_path(path) {
    int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (create)
        flags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr) != SQLITE_OK) {
        std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
        sqlite3_close(m_db);
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
        sqlite3_reset(m_stmt);
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
std::span<const unsigned char> Statement::column_blob(int column) const {
    auto p = static_cast<const unsigned char*>(sqlite3_column_blob(m_stmt, column));
    return {p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, column))};
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
