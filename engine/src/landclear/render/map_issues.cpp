#include "landclear/analysis/issue_list.hpp"
#include "landclear/core/error.hpp"
#include "landclear/render/detail/map_data.hpp"
#include "landclear/render/detail/words.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace landclear::map_data_detail {

using render_detail::trf;

// The open issues that reach into the page's frame, overdue first (drawn last, on top).
void add_issues(const Geos& geos, const std::vector<IssueListRow>& issues, MapPage& page) {
    const Envelope view = page.transform.world_extent();
    for (const auto& r : issues) {
        if (r.issue.wkb.empty())
            continue;
        auto g = with_context([&] { return "issue " + r.issue.id; },
                              [&] { return geos.from_wkb(r.issue.wkb); });
        auto box = geos.bounds(g.get());
        if (box.max_x < view.min_x || box.min_x > view.max_x || box.max_y < view.min_y ||
            box.min_y > view.max_y)
            continue;
        MapIssue m;
        m.id = r.issue.id;
        m.unit = r.issue.unit;
        m.text = r.issue.text;
        m.deadline = r.state.deadline;
        m.overdue = r.state.overdue;
        m.days_overdue = r.state.days_overdue;
        m.rings = rings_of(geos, g.get());
        m.envelope = box;
        auto pt = geos.point_on_surface_xy(g.get());
        m.mark_at = pt ? MapPoint{pt->x, pt->y}
                       : MapPoint{(box.min_x + box.max_x) / 2, (box.min_y + box.max_y) / 2};
        page.issues.push_back(std::move(m));
    }
    std::stable_partition(page.issues.begin(), page.issues.end(),
                          [](const MapIssue& m) { return !m.overdue; });
    if (page.issues.empty())
        return;
    // Beside the figures: the issues on this map, overdue first, as many as fit.
    const Lang lang = page.lang;
    long overdue = std::count_if(page.issues.begin(), page.issues.end(),
                                 [](const MapIssue& m) { return m.overdue; });
    page.figure_rows.push_back({trf(lang, "问题清单（未销号 {}，逾期 {}）",
                                    "Open issues ({}, {} overdue)", page.issues.size(), overdue),
                                ""});
    for (auto it = page.issues.rbegin(); it != page.issues.rend(); ++it)
        page.figure_rows.push_back(
            {fmt::format("{} {}", it->id, it->unit),
             it->overdue ? trf(lang, "限期 {}（逾期 {} 天）", "due {} ({} days overdue)",
                               it->deadline.iso(), it->days_overdue)
                         : trf(lang, "限期 {}", "due {}", it->deadline.iso())});
}

} // namespace landclear::map_data_detail
