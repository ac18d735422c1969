#include "landclear/io/atomic_file.hpp"

#include "landclear/core/error.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <system_error>
#include <unistd.h>

namespace landclear {

namespace fs = std::filesystem;

namespace {

// Several writers in one process (an atlas, an export's many files) need distinct names.
std::atomic<unsigned> next_serial{0};

// fsync of a path opened read-only works for files and folders on Linux.
bool sync_path(const fs::path& path, bool directory) {
    int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = ::fsync(fd) == 0;
    return ::close(fd) == 0 && ok;
}

} // namespace

void require_regular_or_new(const fs::path& target, bool folder_ok) {
    std::error_code ec;
    auto st = fs::status(target, ec);
    if (ec || !fs::exists(st) || fs::is_regular_file(st) || (folder_ok && fs::is_directory(st)))
        return;
    std::string_view what = fs::is_directory(st)        ? "a folder"
                            : fs::is_character_file(st) ? "a character device"
                            : fs::is_block_file(st)     ? "a block device"
                            : fs::is_fifo(st)           ? "a named pipe"
                            : fs::is_socket(st)         ? "a socket"
                                                        : "not a regular file";
    throw_usage(fmt::format("{} is {}, not a regular file: landclear writes only regular files "
                            "or new paths, and left it as it is",
                            target.string(), what),
                "give --out a file name (a new one, or an existing regular file)");
}

AtomicFile::AtomicFile(fs::path target) : m_target(std::move(target)) {
    require_regular_or_new(m_target);
    auto folder = m_target.parent_path();
    m_temp = folder / fmt::format(".{}.tmp-{}-{}{}", m_target.stem().string(), ::getpid(),
                                  next_serial++, m_target.extension().string());
    std::error_code ec;
    fs::remove(m_temp, ec);
}

AtomicFile::~AtomicFile() {
    if (m_committed)
        return;
    std::error_code ec;
    fs::remove_all(m_temp, ec); // a writer may have made a folder (a multi-file format)
}

void move_into_place(const fs::path& temp, const fs::path& target) {
    auto fail = [&](const std::string& why) {
        throw_input(fmt::format("cannot write {}: {}", target.string(), why),
                    "check that the folder is writable and has space");
    };
    std::error_code ec;
    require_regular_or_new(target, fs::is_directory(temp, ec));
    if (!fs::exists(temp, ec))
        fail("nothing was written");
    if (!sync_path(temp, fs::is_directory(temp, ec)))
        fail(std::strerror(errno));
    fs::rename(temp, target, ec);
    if (ec)
        fail(ec.message());
    // The rename itself is durable only once the folder is synced; the file is already in
    // place, so a failure here is not worth failing the write for.
    sync_path(target.parent_path().empty() ? fs::path(".") : target.parent_path(), true);
}

void AtomicFile::commit() {
    try {
        move_into_place(m_temp, m_target);
    } catch (const Error&) {
        std::error_code ec;
        fs::remove_all(m_temp, ec);
        throw;
    }
    m_committed = true;
}

void write_file_atomically(const fs::path& target, std::string_view content) {
    AtomicFile file(target);
    FILE* f = std::fopen(file.temp().c_str(), "wb");
    if (!f)
        throw_input(fmt::format("cannot write {}: {}", target.string(), std::strerror(errno)),
                    "check that the folder exists and is writable");
    bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
    ok = std::fclose(f) == 0 && ok;
    if (!ok)
        throw_input(fmt::format("cannot write {}: {}", target.string(), std::strerror(errno)),
                    "check that the folder is writable and has space");
    file.commit();
}

} // namespace landclear
