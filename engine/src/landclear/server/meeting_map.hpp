#pragma once
// GET /api/map: the meeting map of a project, corridor or district as PNG or PDF, drawn by the
// renderer of `landclear map` (render/map_render.hpp) from the same MapPlan, so the page's
// download and the printed map are one map. The file is written to a temporary folder, read
// back and removed: the store is only read.
#include "landclear/core/date.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/render/map_render.hpp"
#include "landclear/store/store.hpp"

#include <string>

namespace landclear {

struct MeetingMapRequest {
    MapScope scope = MapScope::project; // project, corridor or district
    std::string code;                   // project or corridor code, district name
    Date as_of = Date::today();
    MapFormat format = MapFormat::pdf; // pdf or png
};

struct MeetingMap {
    std::string body;
    std::string content_type; // application/pdf, image/png
    std::string file_name;    // 会议图_项目_P01_截至2026-11-20.pdf
    std::string ascii_name;   // meeting-map_project_P01_2026-11-20.pdf (for old browsers)
};

// Error(usage) for an unknown code (listing what exists), Error(input) when there is nothing
// to draw or no CJK font; one map at a time (cairo and fontconfig are not shared across threads).
MeetingMap render_meeting_map(Store& store, const MeetingMapRequest& request);

} // namespace landclear
