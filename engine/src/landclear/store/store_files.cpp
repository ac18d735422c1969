#include "landclear/store/detail/store_files.hpp"

#include "landclear/core/error.hpp"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

namespace landclear::store_files {

namespace {

namespace fs = std::filesystem;

fs::path folder_of(const std::string& store) {
    auto dir = fs::path(store).parent_path();
    return dir.empty() ? fs::path(".") : dir;
}

bool process_runs(long pid) {
    if (pid <= 0)
        return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

} // namespace

int remove_stale_temporaries(const std::string& store) {
    auto dir = folder_of(store);
    std::string prefix = fs::path(store).filename().string() + ".tmp-";
    int removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.compare(0, prefix.size(), prefix) != 0)
            continue;
        std::string_view rest = std::string_view(name).substr(prefix.size());
        long pid = 0;
        auto [ptr, err] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
        std::string_view tail(ptr, static_cast<size_t>(rest.data() + rest.size() - ptr));
        if (err != std::errc() || (!tail.empty() && tail != "-journal"))
            continue;
        if (process_runs(pid) && pid != ::getpid())
            continue; // another landclear is creating this store right now
        std::error_code rm;
        if (fs::remove(it->path(), rm))
            ++removed;
    }
    return removed;
}

void check_can_create(const std::string& store) {
    auto dir = folder_of(store);
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw_store(fmt::format("cannot create the store {}: the folder {} does not exist", store,
                                dir.string()),
                    fmt::format("create the folder first (mkdir -p {}) or choose another path",
                                dir.string()));
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw_store(fmt::format("cannot create the store {}: the folder {} is not writable", store,
                                dir.string()),
                    "choose a folder you can write to, or ask for write access to this one");
}

void check_can_write(const std::string& store) {
    auto dir = folder_of(store);
    if (::access(store.c_str(), W_OK) != 0)
        throw_store(fmt::format("the store {} is read-only: it cannot be written", store),
                    "copy it to a folder you can write to, or ask for write access");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw_store(fmt::format("the store {} cannot be written: its folder {} is read-only "
                                "(SQLite keeps its journal beside the store)",
                                store, dir.string()),
                    "copy the store to a folder you can write to, or ask for write access");
}

int parse_meta_number(const std::string& store, const std::string& key, const std::string& text) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || v < 1)
        throw_store(fmt::format("{} is damaged: its {} '{}' (in landclear_meta) is not a "
                                "number",
                                store, key, text),
                    "restore the store from a backup, or import the sources again into a new "
                    "store");
    return v;
}

} // namespace landclear::store_files
