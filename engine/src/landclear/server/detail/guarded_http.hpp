#pragma once
// Private to server/: cpp-httplib 0.11's server with a guard against clients that connect and
// send nothing or a byte now and then (slowloris) and a cap on open connections. It reuses
// cpp-httplib 0.11.4's protected members and its private virtual process_and_close_socket:
// check it again when Debian's cpp-httplib changes.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <httplib.h>
#include <netdb.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace landclear::server_detail {

using nlohmann::json;

// A connection's socket for cpp-httplib's request parser: buffered reads and writes, each
// waiting at most its timeout (cpp-httplib's own stream is in its compiled library, not the
// header).
class ConnectionStream : public httplib::Stream {
public:
    ConnectionStream(int sock, std::chrono::milliseconds read_timeout,
                     std::chrono::milliseconds write_timeout)
        : m_sock(sock), m_read_timeout(read_timeout), m_write_timeout(write_timeout) {}

    bool is_readable() const override { return m_begin < m_end || wait(POLLIN, m_read_timeout); }
    bool is_writable() const override { return wait(POLLOUT, m_write_timeout); }

    ssize_t read(char* ptr, size_t size) override {
        if (m_begin == m_end) {
            if (!wait(POLLIN, m_read_timeout))
                return -1;
            ssize_t n;
            do
                n = ::recv(m_sock, m_buffer, sizeof(m_buffer), 0);
            while (n < 0 && errno == EINTR);
            if (n <= 0)
                return n;
            m_begin = 0;
            m_end = static_cast<size_t>(n);
        }
        size_t n = std::min(size, m_end - m_begin);
        std::memcpy(ptr, m_buffer + m_begin, n);
        m_begin += n;
        return static_cast<ssize_t>(n);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (!wait(POLLOUT, m_write_timeout))
            return -1;
        ssize_t n;
        do
            n = ::send(m_sock, ptr, size, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n;
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        address(::getpeername, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        address(::getsockname, ip, port);
    }
    int socket() const override { return m_sock; }
    // Bytes read from the socket but not yet parsed (the start of a pipelined request).
    std::string_view buffered() const { return {m_buffer + m_begin, m_end - m_begin}; }

private:
    bool wait(short events, std::chrono::milliseconds timeout) const {
        pollfd p{m_sock, events, 0};
        int rc;
        do
            rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
        while (rc < 0 && errno == EINTR);
        return rc > 0 && (p.revents & (events | POLLHUP)) != 0;
    }
    template <class F> void address(F get, std::string& ip, int& port) const {
        sockaddr_storage addr{};
        socklen_t len = sizeof(addr);
        if (get(m_sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            return;
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof(host), serv,
                          sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
            ip = host;
            port = std::atoi(serv);
        }
    }

    int m_sock;
    std::chrono::milliseconds m_read_timeout, m_write_timeout;
    char m_buffer[4096];
    size_t m_begin = 0, m_end = 0;
};

// cpp-httplib 0.11 gives each connection a thread of a fixed pool and reads a request with a
// timeout per read() only: 12 clients that connect and send nothing, or a byte now and then,
// held all 8 threads and stalled everybody (slowloris). Here a connection's thread waits for
// the whole request head to arrive, within header_timeout (counted from the accept for the
// first request, from its first byte for later ones on a kept-alive connection), and only then
// lets cpp-httplib parse it; the pool has a thread per allowed connection, beyond which a
// connection is answered 503 and closed at once. The store is worked on by at most `threads`
// of them at a time (ApiPool).
class GuardedHttp : public httplib::Server {
public:
    size_t max_connections = 64;
    std::chrono::milliseconds header_timeout{5000};

    // cpp-httplib 0.11 listens with a backlog of 5: when 200 clients connect at once the kernel
    // drops the SYNs beyond it and each client tries again after 1, 3, 7, 15, 31 s, so some
    // requests waited past a 60 s timeout. Linux lets listen() on a listening socket change its
    // backlog (the kernel caps it at net.core.somaxconn).
    bool widen_backlog() {
        return svr_sock_ != INVALID_SOCKET && ::listen(svr_sock_, SOMAXCONN) == 0;
    }

private:
    bool process_and_close_socket(socket_t sock) override {
        struct Closer {
            std::atomic<size_t>& open;
            int sock;
            ~Closer() {
                ::shutdown(sock, SHUT_RDWR);
                ::close(sock);
                --open;
            }
        } closer{m_open, sock};
        if (++m_open > max_connections) {
            busy(sock);
            return false;
        }
        using namespace std::chrono;
        auto ms = [](time_t sec, time_t usec) {
            return duration_cast<milliseconds>(seconds(sec) + microseconds(usec));
        };
        ConnectionStream strm(sock, ms(read_timeout_sec_, read_timeout_usec_),
                              ms(write_timeout_sec_, write_timeout_usec_));
        bool ret = false;
        for (size_t count = keep_alive_max_count_; count > 0; --count) {
            bool first = count == keep_alive_max_count_;
            if (svr_sock_ == INVALID_SOCKET ||
                !head_arrived(sock, strm.buffered(),
                              first ? header_timeout : seconds(keep_alive_timeout_sec_), first))
                break;
            bool connection_closed = false;
            ret = process_request(strm, count == 1, connection_closed, nullptr);
            if (!ret || connection_closed)
                break;
        }
        return ret;
    }

    // Waits until the socket holds a whole request head (up to the blank line), looking without
    // consuming; false when the client closes, the server stops or the time is up.
    // `buffered` is what the stream already took off the socket for this request.
    bool head_arrived(int sock, std::string_view buffered,
                      std::chrono::milliseconds first_byte_within, bool first) {
        using clock = std::chrono::steady_clock;
        auto deadline = clock::now() + first_byte_within;
        bool started = false;
        static constexpr size_t peek_bytes = 16 * 1024;
        std::string buf(buffered.size() + peek_bytes, '\0');
        std::copy(buffered.begin(), buffered.end(), buf.begin());
        while (svr_sock_ != INVALID_SOCKET) {
            ssize_t n =
                ::recv(sock, buf.data() + buffered.size(), peek_bytes, MSG_PEEK | MSG_DONTWAIT);
            if (n == 0 && buffered.empty())
                return false;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return false;
            size_t peeked = n > 0 ? static_cast<size_t>(n) : 0;
            size_t have = buffered.size() + peeked;
            if (have > 0) {
                if (std::string_view(buf.data(), have).find("\r\n\r\n") != std::string_view::npos ||
                    peeked == peek_bytes) // too long: cpp-httplib refuses it
                    return true;
                if (n == 0) // the client closed in the middle of a request
                    return false;
                if (!started && !first)
                    deadline = clock::now() + header_timeout;
                started = true;
            }
            auto now = clock::now();
            if (now >= deadline)
                return false;
            auto step = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
            if (have > 0) {
                // Part of a head is waiting: poll() would return at once, so look again soon.
                std::this_thread::sleep_for(std::min(step, std::chrono::milliseconds(10)));
            } else {
                pollfd p{sock, POLLIN, 0};
                ::poll(&p, 1, static_cast<int>(std::min<long>(step.count() + 1, 100)));
            }
        }
        return false;
    }

    static void busy(int sock) {
        std::string body = json{{"error", "the server has too many open connections"},
                                {"status", 503},
                                {"hint", "try again in a moment"}}
                               .dump();
        std::string head = fmt::format("HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                                       "application/json; charset=utf-8\r\nContent-Length: "
                                       "{}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n",
                                       body.size());
        std::string all = head + body;
        ::send(sock, all.data(), all.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        // Closing with the request unread would reset the connection and could discard the
        // answer at the client: say we are done, then read what it sends, briefly.
        ::shutdown(sock, SHUT_WR);
        char scratch[4096];
        for (int i = 0; i < 20; ++i) {
            pollfd p{sock, POLLIN, 0};
            if (::poll(&p, 1, 10) < 0 ||
                (p.revents & POLLIN && ::recv(sock, scratch, sizeof(scratch), 0) <= 0))
                break;
        }
    }

    std::atomic<size_t> m_open{0};
};

} // namespace landclear::server_detail
