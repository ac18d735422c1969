// Progress messages and the pending files an export moves into place together.
#include "landclear/core/error.hpp"
#include "landclear/io/atomic_file.hpp"
#include "landclear/report/detail/export_detail.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace landclear::detail {

void report_progress(const ExportOptions& o, const std::string& message) {
    if (o.progress)
        o.progress(message);
}

PendingFiles::PendingFiles(fs::path target_dir) : m_dir(std::move(target_dir)) {}

PendingFiles::~PendingFiles() {
    if (m_committed)
        return;
    std::error_code ec;
    for (const auto& t : m_temps)
        fs::remove(t, ec);
    if (!m_temp_dir.empty())
        fs::remove_all(m_temp_dir, ec);
}

fs::path PendingFiles::temp_for(const fs::path& target) {
    auto temp = m_dir / fmt::format("{}.tmp-{}{}", target.stem().string(), ::getpid(),
                                    target.extension().string());
    std::error_code ec;
    fs::remove(temp, ec);
    m_temps.push_back(temp);
    return temp;
}

const fs::path& PendingFiles::temp_dir() {
    if (m_temp_dir.empty()) {
        m_temp_dir = m_dir / fmt::format(".landclear-export.tmp-{}", ::getpid());
        std::error_code ec;
        fs::remove_all(m_temp_dir, ec);
        if (!fs::create_directory(m_temp_dir, ec))
            throw_input(fmt::format("cannot create a temporary folder in {}: {}", m_dir.string(),
                                    ec.message()),
                        "check that the folder is writable");
    }
    return m_temp_dir;
}

void PendingFiles::add(const fs::path& temp, const fs::path& target) {
    m_moves.emplace_back(temp, target);
}

void PendingFiles::remove_on_commit(const fs::path& path) {
    m_stale.push_back(path);
}

std::vector<std::string> PendingFiles::commit() {
    std::vector<std::string> done;
    for (const auto& [temp, target] : m_moves) {
        move_into_place(temp, target);
        done.push_back(target.string());
    }
    m_committed = true;
    std::error_code ec;
    for (const auto& p : m_stale)
        fs::remove(p, ec);
    if (!m_temp_dir.empty())
        fs::remove_all(m_temp_dir, ec);
    return done;
}

} // namespace landclear::detail
