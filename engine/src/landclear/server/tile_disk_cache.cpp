#include "landclear/server/tile_disk_cache.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace landclear {

namespace fs = std::filesystem;

namespace {

constexpr char magic[4] = {'L', 'C', 'T', '1'};
constexpr size_t header_size = 4 + 8 + 4; // magic, length, CRC-32 of the bytes

std::uint32_t crc_of(std::string_view bytes) {
    return static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

bool safe_name(const std::string& s) {
    if (s.empty() || s.front() == '/' || s.find("..") != std::string::npos)
        return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' ||
              c == '-'))
            return false;
    return true;
}

// Writes all of it to fd; false on any error.
bool write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        auto w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

} // namespace

struct TileDiskCache::Impl {
    fs::path folder;
    std::uint64_t max_bytes = 0;
    std::mutex mutex;
    std::string version;     // the version folder in use ("" before the first)
    std::uint64_t bytes = 0; // in it
    bool writable = true;
    std::atomic<std::uint64_t> counter{0};

    // Switches to `v` (under the mutex): the other version folders are removed and the
    // current one's size is counted once.
    void use(const std::string& v) {
        if (v == version)
            return;
        version = v;
        bytes = 0;
        std::error_code ec;
        for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
            auto name = it->path().filename().string();
            if (name != v && name.size() > 1 && name[0] == 'v' && it->is_directory(ec))
                fs::remove_all(it->path(), ec); // another server may be doing the same
        }
        ec.clear();
        for (fs::recursive_directory_iterator it(folder / v, ec), end; !ec && it != end;
             it.increment(ec))
            if (it->is_regular_file(ec))
                bytes += it->file_size(ec);
    }
};

TileDiskCache::TileDiskCache(fs::path folder, std::uint64_t max_bytes)
    : m(std::make_unique<Impl>()) {
    m->folder = std::move(folder);
    m->max_bytes = max_bytes;
}

TileDiskCache::~TileDiskCache() = default;

const fs::path& TileDiskCache::folder() const {
    return m->folder;
}

std::uint64_t TileDiskCache::bytes() const {
    std::lock_guard lock(m->mutex);
    return m->bytes;
}

bool TileDiskCache::writable() const {
    std::lock_guard lock(m->mutex);
    return m->writable;
}

std::optional<std::string> TileDiskCache::get(const std::string& version, const std::string& name) {
    if (version.empty() || !safe_name(version) || !safe_name(name))
        return std::nullopt;
    {
        std::lock_guard lock(m->mutex);
        m->use(version);
    }
    auto path = m->folder / version / name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    struct stat st {};
    std::string data;
    bool ok = ::fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(header_size);
    if (ok) {
        data.resize(static_cast<size_t>(st.st_size));
        size_t got = 0;
        while (got < data.size()) {
            auto r = ::read(fd, data.data() + got, data.size() - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += static_cast<size_t>(r);
        }
        ok = got == data.size();
    }
    ::close(fd);
    if (!ok || std::memcmp(data.data(), magic, 4) != 0)
        return std::nullopt;
    std::uint64_t length;
    std::uint32_t crc;
    std::memcpy(&length, data.data() + 4, 8);
    std::memcpy(&crc, data.data() + 12, 4);
    if (length != data.size() - header_size)
        return std::nullopt;
    data.erase(0, header_size);
    if (crc_of(data) != crc)
        return std::nullopt;
    return data;
}

bool TileDiskCache::put(const std::string& version, const std::string& name,
                        std::string_view bytes) {
    if (version.empty() || !safe_name(version) || !safe_name(name))
        return false;
    const std::uint64_t size = header_size + bytes.size();
    {
        std::lock_guard lock(m->mutex);
        m->use(version);
        if (m->bytes + size > m->max_bytes)
            return false;
        m->bytes += size; // reserved; given back if the write fails
    }
    auto path = m->folder / version / name;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    // A name no other writer uses (pid and a counter), renamed into place when complete.
    auto tmp = path.parent_path() / fmt::format(".tmp-{}-{}", ::getpid(), m->counter.fetch_add(1));
    bool ok = false;
    if (!ec) {
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            char head[header_size];
            std::uint64_t length = bytes.size();
            std::uint32_t crc = crc_of(bytes);
            std::memcpy(head, magic, 4);
            std::memcpy(head + 4, &length, 8);
            std::memcpy(head + 12, &crc, 4);
            ok = write_all(fd, head, header_size) && write_all(fd, bytes.data(), bytes.size());
            ok = ::close(fd) == 0 && ok;
            ok = ok && std::rename(tmp.c_str(), path.c_str()) == 0;
            if (!ok)
                ::unlink(tmp.c_str());
        }
    }
    std::lock_guard lock(m->mutex);
    m->writable = ok;
    if (!ok && m->version == version)
        m->bytes -= std::min(m->bytes, size);
    return ok;
}

fs::path default_tile_cache_folder(const std::string& store_path) {
    fs::path p(store_path);
    return p.parent_path() / (p.filename().string() + ".tiles");
}

// Bumped whenever what the server writes there changes (the tile encoding, the figures' JSON),
// so that a newer server never answers an older one's bytes.
constexpr int entry_format = 1;

std::string tile_cache_version(Store& store) {
    auto v = fmt::format("v{}-f{}", store.data_version(), entry_format);
    // FNV-1a over the batches: ids, import times, the files and their SHA-256.
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&](std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ull;
        }
        h ^= 0xff;
        h *= 1099511628211ull;
    };
    auto batches = store.batches();
    for (const auto& b : batches) {
        mix(std::to_string(b.id));
        mix(b.imported_at);
        mix(b.mode);
        for (const auto& f : b.files) {
            mix(f.layer);
            mix(f.source);
            mix(f.sha256);
        }
    }
    v += fmt::format("-{:016x}", h);
    if (batches.empty()) {
        struct stat st {};
        if (::stat(store.location().c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            return {}; // nothing that tells one content from another: no disk cache
        auto mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                        static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
        v += fmt::format("-{:x}-{:x}", static_cast<std::uint64_t>(st.st_size), mtime_ns);
    }
    if (auto k = store.known_on())
        v += "-k" + k->iso();
    return v;
}

} // namespace landclear
