#pragma once
// One way to put a file in place: written under a temporary name in the target's own folder (so
// the rename stays on one file system and is atomic), synced to disk, then renamed over the
// target. A reader sees the old file or the complete new one, never a partial one; if anything
// fails before commit() the temporary is removed and the target is untouched.
#include <filesystem>
#include <string_view>

namespace landclear {

class AtomicFile {
public:
    // The temporary keeps the target's extension: GDAL and other writers choose by it.
    explicit AtomicFile(std::filesystem::path target);
    ~AtomicFile(); // removes the temporary unless committed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Where to write: ".NAME.tmp-PID-N.EXT" beside the target.
    const std::filesystem::path& temp() const { return m_temp; }
    const std::filesystem::path& target() const { return m_target; }

    // fsync the temporary, rename it over the target, fsync the folder; throws Error(input)
    // naming the target, after removing the temporary, when any step fails.
    void commit();
    bool committed() const { return m_committed; }

private:
    std::filesystem::path m_target, m_temp;
    bool m_committed = false;
};

// The step commit() takes, for writers that stage several files and move them together: syncs
// `temp` (a file or a folder of files), renames it over `target` and syncs the folder. Throws
// Error(input) naming the target; `temp` is left for its owner to remove.
void move_into_place(const std::filesystem::path& temp, const std::filesystem::path& target);

// Throws Error(usage) naming the path when it exists and is anything but a regular file (a
// device node such as /dev/null, a named pipe, a socket; a folder unless folder_ok): writing
// there would replace the node with a file. Nothing is touched. AtomicFile and move_into_place
// check it; callers with an --out check it early, before any work.
void require_regular_or_new(const std::filesystem::path& target, bool folder_ok = false);

// Writes the bytes as the whole content of `target`, atomically.
void write_file_atomically(const std::filesystem::path& target, std::string_view content);

} // namespace landclear
