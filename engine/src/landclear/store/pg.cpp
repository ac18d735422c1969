#include "landclear/store/pg.hpp"

#include "landclear/core/error.hpp"

#include <bit>
#include <charconv>
#include <climits>
#include <cmath>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <utility>

namespace landclear::pg {

namespace {

std::string percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int v = 0;
            auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            if (ec == std::errc() && p == s.data() + i + 3) {
                out += static_cast<char>(v);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find(sep, start);
        if (end == std::string_view::npos)
            end = s.size();
        if (end > start)
            out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

int parse_wait(std::string_view v, const std::string& display) {
    int n = -1;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < 0)
        throw_usage(fmt::format("lock_wait '{}' in the store location {} is not a number of "
                                "seconds",
                                v, display),
                    "write lock_wait=SECONDS (0: do not wait)");
    return n;
}

void ignore_notice(void*, const char*) {} // the library never prints (NOTICEs of DDL)

std::string scrub(std::string text, const std::string& password) {
    if (password.empty())
        return text;
    for (size_t at = text.find(password); at != std::string::npos; at = text.find(password, at + 3))
        text.replace(at, password.size(), "***");
    return text;
}

std::string trim_message(std::string m) {
    while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
        m.pop_back();
    return m;
}

} // namespace

bool is_location(std::string_view l) {
    return l.starts_with("postgresql://") || l.starts_with("postgres://") ||
           l.starts_with("service=");
}

Location parse_location(const std::string& location) {
    Location out;
    out.schema = "landclear";
    std::string schema_given;
    if (location.starts_with("service=")) {
        std::string conn, display;
        for (auto token : split(location, ' ')) {
            auto eq = token.find('=');
            auto key = token.substr(0, eq);
            auto value = eq == std::string_view::npos ? std::string_view() : token.substr(eq + 1);
            if (key == "schema") {
                schema_given = std::string(value);
                continue;
            }
            if (key == "lock_wait") {
                out.lock_wait_s = parse_wait(value, "(service form)");
                continue;
            }
            if (key == "password")
                out.password = std::string(value);
            conn += (conn.empty() ? "" : " ") + std::string(token);
            if (key != "password")
                display += (display.empty() ? "" : " ") + std::string(token);
        }
        out.conninfo = conn;
        out.display = display;
    } else {
        auto scheme_end = location.find("://") + 3;
        auto q = location.find('?');
        std::string base = location.substr(0, q);
        std::string query = q == std::string::npos ? std::string() : location.substr(q + 1);
        // user:password@ -> user@ in what people see.
        std::string shown_base = base;
        auto at = base.find('@', scheme_end);
        if (at != std::string::npos) {
            auto userinfo = base.substr(scheme_end, at - scheme_end);
            auto colon = userinfo.find(':');
            if (colon != std::string::npos) {
                out.password = percent_decode(userinfo.substr(colon + 1));
                shown_base =
                    base.substr(0, scheme_end) + userinfo.substr(0, colon) + base.substr(at);
            }
        }
        std::string conn_query, shown_query;
        for (auto kv : split(query, '&')) {
            auto eq = kv.find('=');
            auto key = kv.substr(0, eq);
            auto value = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
            if (key == "schema") {
                schema_given = percent_decode(value);
                continue;
            }
            if (key == "lock_wait") {
                out.lock_wait_s = parse_wait(value, shown_base);
                continue;
            }
            conn_query += (conn_query.empty() ? "" : "&") + std::string(kv);
            if (key == "password")
                out.password = percent_decode(value);
            else
                shown_query += (shown_query.empty() ? "" : "&") + std::string(kv);
        }
        out.conninfo = base + (conn_query.empty() ? "" : "?" + conn_query);
        out.display = shown_base + (shown_query.empty() ? "" : "?" + shown_query);
    }
    if (!schema_given.empty())
        out.schema = schema_given;
    quote_ident(out.schema, "the schema name in the store location");
    out.display += fmt::format("{}schema={}",
                               location.starts_with("service=")
                                   ? " "
                                   : (out.display.find('?') == std::string::npos ? "?" : "&"),
                               out.schema);
    return out;
}

std::string quote_ident(std::string_view name, std::string_view what) {
    bool ok = !name.empty() && name.size() <= 63 && !(name[0] >= '0' && name[0] <= '9');
    for (char c : name)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-');
    if (!ok)
        throw_usage(fmt::format("{} '{}' is not a plain identifier", what, name),
                    "use 1 to 63 letters, digits, '_' or '-', not starting with a digit");
    return fmt::format("\"{}\"", name);
}

// ---- Result ----

Result::~Result() {
    if (m_r)
        PQclear(m_r);
}

int Result::rows() const {
    return PQntuples(m_r);
}

bool Result::is_null(int row, int col) const {
    return PQgetisnull(m_r, row, col) != 0;
}

std::string_view Result::text(int row, int col) const {
    return {PQgetvalue(m_r, row, col), static_cast<size_t>(PQgetlength(m_r, row, col))};
}

std::int64_t Result::int64(int row, int col) const {
    if (is_null(row, col))
        return 0;
    auto t = text(row, col);
    std::int64_t v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
}

double Result::real(int row, int col) const {
    return opt_real(row, col).value_or(0.0);
}

std::optional<double> Result::opt_real(int row, int col) const {
    if (is_null(row, col))
        return std::nullopt;
    auto t = text(row, col);
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc()) {
        if (t == "NaN")
            return std::nan("");
        if (t == "Infinity")
            return HUGE_VAL;
        if (t == "-Infinity")
            return -HUGE_VAL;
    }
    return v;
}

void Result::bytea(int row, int col, std::vector<unsigned char>& out) const {
    out.clear();
    if (is_null(row, col))
        return;
    auto t = text(row, col);
    if (t.size() < 2 || t[0] != '\\' || t[1] != 'x')
        throw_internal("a bytea value did not come in hex form");
    out.reserve((t.size() - 2) / 2);
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (size_t i = 2; i + 1 < t.size(); i += 2)
        out.push_back(static_cast<unsigned char>(nibble(t[i]) << 4 | nibble(t[i + 1])));
}

namespace {

std::uint64_t big_endian(std::string_view bytes) {
    std::uint64_t v = 0;
    for (char c : bytes)
        v = v << 8 | static_cast<unsigned char>(c);
    return v;
}

} // namespace

std::int64_t Result::bin_int64(int row, int col) const {
    if (is_null(row, col))
        return 0;
    auto t = text(row, col);
    if (t.size() != 8)
        throw_internal("a bigint value in binary form is not 8 bytes");
    return static_cast<std::int64_t>(big_endian(t));
}

double Result::bin_real(int row, int col) const {
    if (is_null(row, col))
        return 0;
    auto t = text(row, col);
    if (t.size() != 8)
        throw_internal("a double precision value in binary form is not 8 bytes");
    return std::bit_cast<double>(big_endian(t));
}

std::optional<long> Result::bin_date_days(int row, int col) const {
    if (is_null(row, col))
        return std::nullopt;
    auto t = text(row, col);
    if (t.size() != 4)
        throw_internal("a date value in binary form is not 4 bytes");
    auto days = static_cast<std::int32_t>(static_cast<std::uint32_t>(big_endian(t)));
    if (days == INT32_MAX || days == INT32_MIN) // 'infinity', '-infinity'
        return std::nullopt;
    constexpr long days_1970_to_2000 = 10957;
    return days + days_1970_to_2000;
}

// ---- Connection ----

Connection::Connection(const Location& location) : m_location(location) {
    // The location as libpq's "dbname" (expanded: a URI or keyword string); landclear names
    // itself in pg_stat_activity unless the location says otherwise.
    const char* keys[] = {"dbname", "fallback_application_name", nullptr};
    const char* values[] = {location.conninfo.c_str(), "landclear", nullptr};
    m_conn = PQconnectdbParams(keys, values, 1);
    if (!m_conn)
        throw_store("cannot connect to PostgreSQL: out of memory");
    if (PQstatus(m_conn) != CONNECTION_OK) {
        std::string msg = scrub(trim_message(PQerrorMessage(m_conn)), location.password);
        PQfinish(m_conn);
        m_conn = nullptr;
        throw_store(
            fmt::format("cannot connect to the PostGIS store {}: {}", location.display, msg),
            "check that the server runs and that the role's password is where libpq "
            "looks for it (~/.pgpass or PGPASSFILE, the service file, PGPASSWORD): "
            "docs/POSTGIS.md");
    }
    PQsetNoticeProcessor(m_conn, ignore_notice, nullptr);
    // What the store reads back as text: dates as YYYY-MM-DD, doubles exactly, bytea as hex.
    exec("SET client_encoding TO 'UTF8'; SET datestyle TO ISO, YMD; SET extra_float_digits TO "
         "1; SET bytea_output TO hex; SET client_min_messages TO warning");
}

Connection::~Connection() {
    if (m_conn)
        PQfinish(m_conn);
}

void Connection::fail(pg_result* r, const std::string& sql) {
    std::string msg = trim_message(r ? PQresultErrorMessage(r) : PQerrorMessage(m_conn));
    if (msg.empty())
        msg = trim_message(PQerrorMessage(m_conn));
    msg = scrub(msg, m_location.password);
    const char* state_c = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string state = state_c ? state_c : "";
    const char* primary_c = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string primary = primary_c ? scrub(primary_c, m_location.password) : msg;
    if (r)
        PQclear(r);
    const auto& store = m_location.display;
    if (PQstatus(m_conn) != CONNECTION_OK || state.starts_with("08"))
        throw_store(fmt::format("the connection to the PostGIS store {} was lost: {}", store, msg),
                    "check the server, then run the command again (an unfinished write was "
                    "rolled back by the server)");
    if (state == "42501")
        throw_store(fmt::format("the PostgreSQL role may not do this in the PostGIS store {}: "
                                "{}",
                                store, primary),
                    "grant the role the privileges docs/POSTGIS.md lists, or use a role that "
                    "has them");
    if (state.starts_with("53"))
        throw_store(
            fmt::format("the PostgreSQL server of {} ran out of resources: {}", store, primary),
            "free disk space or memory on the server, then run the command again (the "
            "store is unchanged)");
    if (state == "40001" || state == "40P01")
        throw_store(fmt::format("the PostGIS store {} was changed by another command at the "
                                "same time: {}",
                                store, primary),
                    "run the command again");
    if (state == "57014")
        throw_store(
            fmt::format("a statement on the PostGIS store {} was cancelled: {}", store, primary),
            "run the command again");
    throw_store(fmt::format("{} (PostGIS store {}, while running: {})", primary, store,
                            sql.substr(0, 120)));
}

void Connection::exec(const std::string& sql) {
    copy_finish();
    PGresult* r = PQexec(m_conn, sql.c_str());
    auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail(r, sql);
    PQclear(r);
}

Result Connection::query(const std::string& sql, const Params& params) {
    return run_query(sql, params, 0);
}

Result Connection::query_binary(const std::string& sql, const Params& params) {
    return run_query(sql, params, 1);
}

Result Connection::run_query(const std::string& sql, const Params& params, int result_format) {
    copy_finish();
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params)
        values.push_back(p ? p->c_str() : nullptr);
    PGresult* r = nullptr;
    if (sql.starts_with("SELECT") && !params.empty()) {
        // Parsed and planned once per connection: a corridor at 1 M parcels sends ~19 000
        // box queries of two shapes, and their parse + plan took more server time (2.5 s) than
        // running them.
        auto it = m_prepared.find(sql);
        if (it == m_prepared.end()) {
            auto name = fmt::format("lc{}", m_prepared.size());
            PGresult* p = PQprepare(m_conn, name.c_str(), sql.c_str(),
                                    static_cast<int>(values.size()), nullptr);
            if (!p || PQresultStatus(p) != PGRES_COMMAND_OK)
                fail(p, sql);
            PQclear(p);
            it = m_prepared.emplace(sql, std::move(name)).first;
        }
        r = PQexecPrepared(m_conn, it->second.c_str(), static_cast<int>(values.size()),
                           values.data(), nullptr, nullptr, result_format);
    } else {
        r = PQexecParams(m_conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, result_format);
    }
    auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail(r, sql);
    return Result(r);
}

std::optional<std::string> Connection::query_text(const std::string& sql, const Params& params) {
    auto r = query(sql, params);
    if (r.rows() == 0 || r.is_null(0, 0))
        return std::nullopt;
    return r.str(0, 0);
}

std::optional<std::int64_t> Connection::query_int(const std::string& sql, const Params& params) {
    auto r = query(sql, params);
    if (r.rows() == 0 || r.is_null(0, 0))
        return std::nullopt;
    return r.int64(0, 0);
}

void Connection::copy_in(const std::string& copy_sql, std::string_view data) {
    copy_stream(copy_sql, data);
    copy_finish();
}

void Connection::copy_stream(const std::string& copy_sql, std::string_view data) {
    if (m_copy_sql != copy_sql) {
        copy_finish();
        PGresult* r = PQexec(m_conn, copy_sql.c_str());
        if (!r || PQresultStatus(r) != PGRES_COPY_IN)
            fail(r, copy_sql);
        PQclear(r);
        m_copy_sql = copy_sql;
    }
    constexpr size_t chunk = 1 << 20;
    for (size_t at = 0; at < data.size(); at += chunk) {
        auto n = std::min(chunk, data.size() - at);
        if (PQputCopyData(m_conn, data.data() + at, static_cast<int>(n)) != 1) {
            auto sql = std::exchange(m_copy_sql, std::string());
            fail(nullptr, sql);
        }
    }
}

void Connection::copy_finish() {
    if (m_copy_sql.empty())
        return;
    auto sql = std::exchange(m_copy_sql, std::string());
    if (PQputCopyEnd(m_conn, nullptr) != 1)
        fail(nullptr, sql);
    PGresult* last = nullptr;
    bool failed = false;
    while (PGresult* res = PQgetResult(m_conn)) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && !failed) {
            failed = true;
            last = res;
            continue;
        }
        PQclear(res);
    }
    if (failed)
        fail(last, sql);
}

void Connection::copy_abort() noexcept {
    if (m_copy_sql.empty())
        return;
    m_copy_sql.clear();
    if (PQputCopyEnd(m_conn, "rolled back") == 1)
        while (PGresult* res = PQgetResult(m_conn))
            PQclear(res);
}

int Connection::backend_pid() const {
    return PQbackendPID(m_conn);
}

// ---- Text forms ----

std::string hex_bytes(std::span<const unsigned char> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "\\x";
    out.reserve(2 + bytes.size() * 2);
    for (auto b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::string ewkb_hex(std::span<const unsigned char> wkb, int srid) {
    static constexpr char digits[] = "0123456789ABCDEF";
    if (wkb.size() < 5)
        throw_internal("a geometry of fewer than 5 bytes");
    bool little = wkb[0] == 1;
    std::uint32_t type = 0;
    for (int k = 0; k < 4; ++k)
        type |= static_cast<std::uint32_t>(wkb[little ? 1 + k : 4 - k]) << (8 * k);
    type |= 0x20000000u; // EWKB: an SRID follows the type
    unsigned char head[9];
    head[0] = wkb[0];
    auto u = static_cast<std::uint32_t>(srid);
    for (int k = 0; k < 4; ++k) {
        head[little ? 1 + k : 4 - k] = static_cast<unsigned char>(type >> (8 * k));
        head[little ? 5 + k : 8 - k] = static_cast<unsigned char>(u >> (8 * k));
    }
    std::string out;
    out.reserve((wkb.size() + 4) * 2);
    auto put = [&](unsigned char b) {
        out += digits[b >> 4];
        out += digits[b & 15];
    };
    for (auto b : head)
        put(b);
    for (size_t i = 5; i < wkb.size(); ++i)
        put(wkb[i]);
    return out;
}

std::string real_text(double v) {
    if (std::isnan(v))
        return "NaN";
    if (std::isinf(v))
        return v > 0 ? "Infinity" : "-Infinity";
    return fmt::format("{}", v);
}

void copy_escape(std::string& line, std::string_view text) {
    for (char c : text) {
        switch (c) {
        case '\\':
            line += "\\\\";
            break;
        case '\t':
            line += "\\t";
            break;
        case '\n':
            line += "\\n";
            break;
        case '\r':
            line += "\\r";
            break;
        default:
            line += c;
        }
    }
}

} // namespace landclear::pg
