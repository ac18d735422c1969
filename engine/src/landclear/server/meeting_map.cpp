#include "landclear/server/meeting_map.hpp"

#include "landclear/core/error.hpp"

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unistd.h>

namespace landclear {

namespace fs = std::filesystem;

namespace {

std::mutex g_render_mutex;
std::atomic<std::uint64_t> g_counter{0};

// Removes the temporary folder on every path out.
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() /
               fmt::format("landclear-meeting-map-{}-{}", ::getpid(), ++g_counter);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Codes and names go into a file name: anything that is not a letter, digit, CJK or -_. is _.
std::string file_safe(const std::string& s, bool ascii_only) {
    std::string out;
    for (unsigned char c : s) {
        bool ok = std::isalnum(c) || c == '-' || c == '_' || c == '.' || (!ascii_only && c >= 0x80);
        out += ok ? static_cast<char>(c) : '_';
    }
    return out.empty() ? "_" : out;
}

} // namespace

MeetingMap render_meeting_map(Store& store, const MeetingMapRequest& request) {
    if (request.format != MapFormat::pdf && request.format != MapFormat::png)
        throw_usage("a meeting map is a PDF or a PNG", "format=pdf or format=png");
    MapRequest r;
    r.scope = request.scope;
    r.code = request.code;
    r.as_of = request.as_of;
    const char* ext = request.format == MapFormat::pdf ? "pdf" : "png";
    const char* kind_zh = r.scope == MapScope::corridor   ? "线路"
                          : r.scope == MapScope::district ? "区县"
                                                          : "项目";
    const char* kind_en = r.scope == MapScope::corridor   ? "corridor"
                          : r.scope == MapScope::district ? "district"
                                                          : "project";

    std::lock_guard lock(g_render_mutex);
    require_cjk_font();
    MapPlan plan(store, r);
    if (plan.keys().empty())
        throw_input(fmt::format("nothing to draw for {} {}", kind_en, r.code));
    TempDir dir;
    auto out = (dir.path / fmt::format("map.{}", ext)).string();
    MapWriter writer(out, request.format, 150);
    writer.add_page(plan.page(0));
    auto files = writer.finish();
    if (files.empty())
        throw_internal("the map renderer wrote no file");
    std::ifstream in(files.front(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in && !in.eof())
        throw_internal(fmt::format("cannot read the rendered map {}", files.front()));

    MeetingMap m;
    m.body = bytes.str();
    m.content_type = request.format == MapFormat::pdf ? "application/pdf" : "image/png";
    auto day = r.as_of.iso();
    m.file_name =
        fmt::format("会议图_{}_{}_截至{}.{}", kind_zh, file_safe(r.code, false), day, ext);
    m.ascii_name =
        fmt::format("meeting-map_{}_{}_{}.{}", kind_en, file_safe(r.code, true), day, ext);
    return m;
}

} // namespace landclear
