#pragma once
// Private to server/: the server's read-only store connections (ApiPool) and what tells it that
// the store changed under it (FileStamp). Moved out of server.cpp, which keeps the HTTP side.
#include "landclear/core/error.hpp"
#include "landclear/server/server_api.hpp"
#include "landclear/store/postgis_store.hpp"
#include "landclear/store/store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

namespace landclear::server_detail {

// What identifies the store file's contents cheaply: a file replaced (another inode) or
// rewritten or truncated in place (size, modification time) compares unequal.
struct FileStamp {
    bool exists = false;
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;

    static FileStamp of(const std::string& path) {
        if (is_postgis_location(path))
            return of_postgis(path);
        struct stat st {};
        FileStamp f;
        if (::stat(path.c_str(), &st) != 0)
            return f;
        f.exists = true;
        f.device = st.st_dev;
        f.inode = st.st_ino;
        f.size = static_cast<std::uint64_t>(st.st_size);
        f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        return f;
    }

    // A PostGIS store has no file: its data version (moved by every import) stands for it,
    // asked at most once a second. Each pooled connection reads one snapshot, so a new import
    // is served once the version moves (the pool then opens new connections). A store that
    // cannot be read changes the stamp, so that opening it reports why (503 until it opens).
    static FileStamp of_postgis(const std::string& location) {
        static std::mutex mutex;
        static std::map<std::string, std::pair<std::chrono::steady_clock::time_point, FileStamp>>
            last;
        std::lock_guard lock(mutex);
        auto now = std::chrono::steady_clock::now();
        auto it = last.find(location);
        if (it != last.end() && now - it->second.first < std::chrono::seconds(1))
            return it->second.second;
        FileStamp f;
        f.exists = true;
        try {
            f.size =
                static_cast<std::uint64_t>(open_store(location, StoreMode::read)->data_version());
        } catch (const std::exception&) {
            f.size = ~std::uint64_t{0};
        }
        last[location] = {now, f};
        return f;
    }
};

// Read-only store connections, reused across requests, at most max_leases in use at once. The
// store file is looked at (one stat) on every lease: when it was replaced or changed under the
// server, every connection opened before is dropped, a line is logged, and the next lease opens
// the new file; while it cannot be opened, requests get 503 and the server keeps looking.
class ApiPool {
public:
    ApiPool(std::string store, ApiLimits limits, size_t max_leases,
            std::function<void(const std::string&)> log)
        : m_store(std::move(store)), m_limits(limits), m_max_leases(max_leases),
          m_log(std::move(log)), m_disk(disk_cache(m_store, m_limits)),
          m_cache(std::make_shared<ViewerCache>(m_disk)), m_stamp(FileStamp::of(m_store)) {}

    // The tiles' disk cache beside the store (or where --tile-cache says), shared by every
    // generation of the cache: it keeps only the current data's folder itself.
    static std::shared_ptr<TileDiskCache> disk_cache(const std::string& store,
                                                     const ApiLimits& limits) {
        std::error_code ec;
        if (limits.tile_cache == "off" ||
            (limits.tile_cache.empty() && !std::filesystem::is_regular_file(store, ec)))
            return nullptr; // not a file (a PostGIS connection): nothing is "beside" it
        auto folder = limits.tile_cache.empty() ? default_tile_cache_folder(store)
                                                : std::filesystem::path(limits.tile_cache);
        return std::make_shared<TileDiskCache>(folder, limits.tile_cache_bytes);
    }

    class Lease {
    public:
        Lease(ApiPool& pool, std::unique_ptr<ViewerApi> api, std::uint64_t generation)
            : m_pool(pool), m_api(std::move(api)), m_generation(generation) {}
        ~Lease() { m_pool.give_back(std::move(m_api), m_generation); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ViewerApi& operator*() { return *m_api; }
        ViewerApi* operator->() { return m_api.get(); }

    private:
        ApiPool& m_pool;
        std::unique_ptr<ViewerApi> m_api;
        std::uint64_t m_generation;
    };

    Lease acquire() {
        std::unique_lock lock(m_mutex);
        check_file(lock);
        // First come, first served: a returned connection goes to the longest waiter. A plain
        // condition variable lets a newly arrived request take it ahead of the woken one, and
        // under 200 clients some requests waited past their client's 60 s timeout.
        if (m_leased < m_max_leases && m_waiting.empty()) {
            ++m_leased;
        } else {
            Waiter me;
            m_waiting.push_back(&me);
            me.ready.wait(lock, [&] { return me.granted; }); // give_back counts it as leased
        }
        if (m_broken) {
            auto generation = m_generation;
            lock.unlock();
            give_back(nullptr, generation);
            throw ApiError(503, m_broken_message,
                           "put a valid store back at that path (the server opens it again on "
                           "the next request) or restart landclear serve");
        }
        auto generation = m_generation;
        if (!m_idle.empty()) {
            auto api = std::move(m_idle.back());
            m_idle.pop_back();
            return Lease(*this, std::move(api), generation);
        }
        auto cache = m_cache;
        lock.unlock();
        try {
            return Lease(*this, std::make_unique<ViewerApi>(m_store, m_limits, cache), generation);
        } catch (...) {
            give_back(nullptr, generation);
            throw;
        }
    }

    // Opens connections ahead of the first requests (each costs SpatiaLite and PROJ set-up).
    void prefill(int n) {
        std::uint64_t generation;
        std::shared_ptr<ViewerCache> cache;
        {
            std::lock_guard lock(m_mutex);
            generation = m_generation;
            cache = m_cache;
        }
        std::vector<std::unique_ptr<ViewerApi>> fresh;
        for (int i = 0; i < n; ++i)
            fresh.push_back(std::make_unique<ViewerApi>(m_store, m_limits, cache));
        std::lock_guard lock(m_mutex);
        if (generation != m_generation)
            return;
        for (auto& api : fresh)
            m_idle.push_back(std::move(api));
    }

private:
    void give_back(std::unique_ptr<ViewerApi> api, std::uint64_t generation) {
        std::unique_ptr<ViewerApi> stale; // closed outside the lock
        std::lock_guard lock(m_mutex);
        if (api && generation == m_generation)
            m_idle.push_back(std::move(api));
        else
            stale = std::move(api);
        if (m_waiting.empty()) {
            --m_leased;
        } else {
            // The lease passes to the first waiter; m_leased stays.
            Waiter* next = m_waiting.front();
            m_waiting.pop_front();
            next->granted = true;
            next->ready.notify_one();
        }
    }

    // A file that could not be opened is tried again at most once a second (it may only have
    // been locked by a writer at that moment), and served again as soon as it opens.
    void check_file(std::unique_lock<std::mutex>& lock) {
        auto now = FileStamp::of(m_store);
        auto tried = std::chrono::steady_clock::now();
        bool changed = !(now == m_stamp);
        if (!changed && !(m_broken && tried - m_last_try >= std::chrono::seconds(1)))
            return;
        m_last_try = tried;
        std::vector<std::unique_ptr<ViewerApi>> stale;
        if (changed) {
            m_stamp = now;
            ++m_generation;
            stale = std::move(m_idle);
            m_idle.clear();
            m_cache = std::make_shared<ViewerCache>(m_disk);
        }
        auto cache = m_cache;
        bool was_broken = m_broken;
        lock.unlock();
        stale.clear();
        // Open the new file now, so that the log says at once whether it can be served.
        std::string problem;
        std::unique_ptr<ViewerApi> fresh;
        if (!now.exists) {
            problem = "it no longer exists";
        } else {
            try {
                fresh = std::make_unique<ViewerApi>(m_store, m_limits, cache);
                fresh->info(); // reads the layers: a truncated file fails here
            } catch (const Error& e) {
                problem = e.full_message();
            } catch (const std::exception& e) {
                problem = e.what();
            }
        }
        lock.lock();
        if (problem.empty()) {
            m_broken = false;
            if (fresh && m_stamp == now)
                m_idle.push_back(std::move(fresh));
            if (changed || was_broken)
                log(fmt::format(
                    "landclear serve: the store {} changed on disk; serving the new file",
                    m_store));
        } else {
            m_broken = true;
            m_broken_message = fmt::format("the store {} changed on disk and cannot be opened: {}",
                                           m_store, problem);
            if (changed)
                log(fmt::format("landclear serve: {}; answering 503 until it can",
                                m_broken_message));
        }
    }

    void log(const std::string& line) {
        if (m_log)
            m_log(line);
    }

    std::string m_store;
    ApiLimits m_limits;
    size_t m_max_leases;
    std::function<void(const std::string&)> m_log;
    std::shared_ptr<TileDiskCache> m_disk;
    std::shared_ptr<ViewerCache> m_cache;
    struct Waiter {
        std::condition_variable ready;
        bool granted = false;
    };

    std::mutex m_mutex;
    std::deque<Waiter*> m_waiting; // in arrival order
    std::vector<std::unique_ptr<ViewerApi>> m_idle;
    size_t m_leased = 0;
    FileStamp m_stamp;
    std::chrono::steady_clock::time_point m_last_try;
    std::uint64_t m_generation = 0;
    bool m_broken = false;
    std::string m_broken_message;
};

} // namespace landclear::server_detail
