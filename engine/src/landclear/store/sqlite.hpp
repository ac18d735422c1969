#pragma once
// Thin RAII over sqlite3 handles. Statements bind by position and always through parameters:
// no value is ever pasted into SQL text.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace landclear::sqlite {

class Statement;

class Database {
public:
    // Opens (and with create=true creates) a database; loads SpatiaLite into the connection.
    // One thread at a time may use a Database (it is opened without SQLite's mutex).
    Database(const std::string& path, bool create, bool read_only = false);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(std::string_view sql);
    Statement prepare(std::string_view sql);
    std::int64_t last_insert_rowid() const;
    sqlite3* handle() const { return m_db; }
    const std::string& path() const { return m_path; }

    // One query returning one integer/text (the first column of the first row), or nullopt.
    std::optional<std::int64_t> query_int(std::string_view sql);
    std::optional<std::string> query_text(std::string_view sql);

private:
    sqlite3* m_db = nullptr;
    void* m_spatialite_cache = nullptr;
    std::string m_path;
};

class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    Statement& bind_null(int index);
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bind_blob(int index, std::span<const unsigned char> blob);
    // Without SQLite's copy: the caller keeps the bytes alive until run() or reset() (which
    // clear the bindings). For a bulk insert's values, bound a million times.
    Statement& bind_static(int index, std::string_view text);
    Statement& bind_blob_static(int index, std::span<const unsigned char> blob);

    // Advances; true while a row is available.
    bool step();
    // Runs a statement that returns no rows, then resets it for the next use.
    void run();
    void reset();

    bool is_null(int column) const;
    std::int64_t column_int(int column) const;
    double column_double(int column) const;
    std::string column_text(int column) const;
    // The text without a copy; valid until the next step() or reset().
    std::string_view column_text_view(int column) const;
    std::span<const unsigned char> column_blob(int column) const;

private:
    sqlite3* m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

// Fills the empty SQLite R*Tree `rtree` (a 2-D rtree(id, xmin, xmax, ymin, ymax) just created)
// with the rows of `select_sql` (id, xmin, xmax, ymin, ymax; NULL boxes skipped) in one packed
// pass: entries sorted by the Hilbert key of their box centre, nodes filled completely and
// written straight into the R*Tree's shadow tables (_node, _rowid, _parent) in the format
// SQLite's rtree module reads and keeps maintaining afterwards. Inserting row by row instead
// rewrites a node and its ancestors for every row.
void rtree_bulk_load(Database& db, const std::string& rtree, const std::string& select_sql);

// The same from boxes already known (a bulk insert gathers them as it writes the rows), so the
// table is not read back.
struct RtreeBox {
    std::int64_t id;
    double min_x, max_x, min_y, max_y;
};
void rtree_bulk_load(Database& db, const std::string& rtree, const std::vector<RtreeBox>& boxes);

// Rolls back unless committed: a failed import leaves the store exactly as it was.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& m_db;
    bool m_open = true;
};

} // namespace landclear::sqlite
