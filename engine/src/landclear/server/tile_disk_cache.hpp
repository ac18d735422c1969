#pragma once
// Encoded tiles (and other results the server makes from a store) kept on disk in a folder
// beside the store, so that a restarted server, or a second one on the same store, answers
// from them instead of encoding again. The store itself is never written.
//
// The folder holds one subfolder per version of the data (the store's data version, its file's
// size and modification time, and the --known-on date: whatever changes what the server reads),
// and only the current one is kept: the others are removed when a version is first used. Each
// entry is written to a temporary file and renamed into place, so two servers sharing the
// folder never see a half-written entry, and carries its length and CRC-32, so a damaged one is
// ignored. The folder is bounded: once it holds max_bytes, nothing more is written (the memory
// cache still works). When it cannot be created or written (a read-only disk, no permission)
// everything still works from memory; entries that can be read are still used.
#include "landclear/store/store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace landclear {

class TileDiskCache {
public:
    TileDiskCache(std::filesystem::path folder, std::uint64_t max_bytes);
    ~TileDiskCache();
    TileDiskCache(const TileDiskCache&) = delete;
    TileDiskCache& operator=(const TileDiskCache&) = delete;

    // The bytes stored under `name` for `version`, if a complete entry is there. `name` is a
    // relative path of [A-Za-z0-9_./-] (e.g. "parcels/12/3370/1693"); `version` a folder name.
    std::optional<std::string> get(const std::string& version, const std::string& name);
    // Stores them; false when the folder is full or cannot be written (then nothing changes).
    bool put(const std::string& version, const std::string& name, std::string_view bytes);

    const std::filesystem::path& folder() const;
    std::uint64_t bytes() const; // in the current version's folder, as far as this server knows
    bool writable() const;       // the last write worked (or none was tried)

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

// The cache folder beside a store file: "<dir>/<file name>.tiles".
std::filesystem::path default_tile_cache_folder(const std::string& store_path);

// The version folder name of the data a store connection reads: its data version, a hash of its
// import batches (when, which files: a store imported afresh into the same path may have the
// same data version), the --known-on date when set, and, for a store without batches, its
// file's size and modification time. Read through the connection itself, so that a connection
// still on a replaced file names the old data.
std::string tile_cache_version(Store& store);

} // namespace landclear
