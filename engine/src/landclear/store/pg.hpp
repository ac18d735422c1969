#pragma once
// Thin RAII over libpq (PGconn, PGresult) for the PostGIS store. Every value goes to the server
// as a parameter ($1, $2 ...) or as COPY data, never pasted into SQL text; identifiers (the
// store's schema, derived layer names) are checked by quote_ident before they appear in SQL.
// Errors never carry the password of a location (scrubbed from every message).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace landclear::pg {

// A PostGIS store location: `postgresql://[user@]host[:port]/dbname[?schema=NAME&...]` (also
// `postgres://`), or libpq's keyword form starting with `service=NAME` (`service=office
// schema=city`). `schema` (default "landclear") and `lock_wait` (seconds a write waits for
// another one, default 600) are landclear's own; every other parameter goes to libpq as it is.
struct Location {
    std::string conninfo; // for PQconnectdb: without schema/lock_wait
    std::string display;  // for people and messages: no password
    std::string schema;
    int lock_wait_s = 600;
    std::string password; // given in the location (discouraged); scrubbed from messages
};

bool is_location(std::string_view location);
Location parse_location(const std::string& location);

// "name" after checking it is a plain identifier (letters, digits, _ and -, 1..63 bytes,
// not starting with a digit); anything else is a usage error naming what.
std::string quote_ident(std::string_view name, std::string_view what = "name");

using Param = std::optional<std::string>; // nullopt: SQL NULL
using Params = std::vector<Param>;

class Result {
public:
    explicit Result(pg_result* r) : m_r(r) {}
    ~Result();
    Result(Result&& other) noexcept : m_r(other.m_r) { other.m_r = nullptr; }
    Result& operator=(Result&&) = delete;
    Result(const Result&) = delete;

    int rows() const;
    bool is_null(int row, int col) const;
    std::string_view text(int row, int col) const;
    std::string str(int row, int col) const { return std::string(text(row, col)); }
    std::int64_t int64(int row, int col) const; // 0 when NULL
    double real(int row, int col) const;        // 0 when NULL
    std::optional<double> opt_real(int row, int col) const;
    // A bytea column in text (hex) form, decoded.
    void bytea(int row, int col, std::vector<unsigned char>& out) const;
    // Columns of a result in binary form (Connection::query_binary): text and bytea are their
    // bytes (text() above), numbers big-endian, a date its days since 2000-01-01.
    std::int64_t bin_int64(int row, int col) const; // bigint; 0 when NULL
    double bin_real(int row, int col) const;        // double precision; 0 when NULL
    // date: days since 1970-01-01, nullopt when NULL or ±infinity (not a calendar day).
    std::optional<long> bin_date_days(int row, int col) const;

private:
    pg_result* m_r;
};

class Connection {
public:
    explicit Connection(const Location& location);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void exec(const std::string& sql); // no parameters, no rows wanted
    Result query(const std::string& sql, const Params& params = {});
    // As query, the result in binary form (Result::bin_*): no hex geometry to encode on the
    // server and decode here, no numbers printed and parsed again.
    Result query_binary(const std::string& sql, const Params& params = {});
    // The first column of the first row, or nullopt (no row, or NULL).
    std::optional<std::string> query_text(const std::string& sql, const Params& params = {});
    std::optional<std::int64_t> query_int(const std::string& sql, const Params& params = {});
    // COPY ... FROM STDIN with `data` in COPY's text format.
    void copy_in(const std::string& copy_sql, std::string_view data);
    // The same, kept open: `data` (whole lines) goes into the COPY `copy_sql`, started now (after
    // ending another one) or already open, and the call returns as soon as libpq has sent it, so
    // the server parses and writes these rows while the caller prepares the next ones. Every
    // other call (exec, query, copy_in of another table) ends the open COPY first, waiting for
    // the server and reporting its errors, so what follows sees the rows.
    void copy_stream(const std::string& copy_sql, std::string_view data);
    void copy_finish();
    // Ends an open COPY as failed (the server discards it), for a rollback: never throws.
    void copy_abort() noexcept;
    // The server-side process of this connection (pg_backend_pid), for messages.
    int backend_pid() const;
    const Location& location() const { return m_location; }

private:
    [[noreturn]] void fail(pg_result* r, const std::string& sql);
    Result run_query(const std::string& sql, const Params& params, int result_format);
    pg_conn* m_conn = nullptr;
    Location m_location;
    std::string m_copy_sql;                                  // the COPY in progress, if any
    std::unordered_map<std::string, std::string> m_prepared; // SELECT text -> statement name
};

// Text forms for parameters and COPY.
std::string hex_bytes(std::span<const unsigned char> bytes); // "\x0102..." (bytea input)
// WKB -> EWKB carrying the SRID, hex encoded (geometry input accepts it).
std::string ewkb_hex(std::span<const unsigned char> wkb, int srid);
std::string real_text(double v); // shortest text that reads back as the same double
// Appends `text` to a COPY text-format line, escaped (backslash, tab, newline, CR).
void copy_escape(std::string& line, std::string_view text);

} // namespace landclear::pg
