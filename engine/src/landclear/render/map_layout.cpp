#include "landclear/render/map_layout.hpp"

#include "landclear/core/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>

namespace landclear {

namespace {
std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
} // namespace

PaperSize parse_paper_size(const std::string& text) {
    auto t = lower(text);
    if (t == "a4")
        return PaperSize::a4;
    if (t == "a3")
        return PaperSize::a3;
    throw_usage(fmt::format("--size '{}' is not a paper size landclear knows", text),
                "use --size A4 or --size A3");
}

Orientation parse_orientation(const std::string& text) {
    auto t = lower(text);
    if (t == "landscape")
        return Orientation::landscape;
    if (t == "portrait")
        return Orientation::portrait;
    throw_usage(fmt::format("--orientation '{}' is neither landscape nor portrait", text),
                "use --orientation landscape or --orientation portrait");
}

PageLayout page_layout(PaperSize size, Orientation orientation) {
    PageLayout l;
    l.size = size;
    l.orientation = orientation;
    double w_mm = size == PaperSize::a4 ? 297 : 420, h_mm = size == PaperSize::a4 ? 210 : 297;
    if (orientation == Orientation::portrait)
        std::swap(w_mm, h_mm);
    // A3 is A4 scaled by √2: scale the furniture too so both print alike from a distance.
    const double k = (size == PaperSize::a3 ? std::sqrt(2.0) : 1.0) * points_per_mm;
    l.width_pt = w_mm * points_per_mm;
    l.height_pt = h_mm * points_per_mm;
    const double margin = 8 * k, gap = 4 * k, title_h = 15 * k, footer_h = 6 * k;
    l.title = {margin, margin, l.width_pt - margin, margin + title_h};
    l.footer = {margin, l.height_pt - margin - footer_h, l.width_pt - margin, l.height_pt - margin};
    double top = l.title.y1 + gap / 2, bottom = l.footer.y0 - gap / 2;
    if (orientation == Orientation::landscape) {
        double panel_w = 72 * k;
        l.panel = {l.width_pt - margin - panel_w, top, l.width_pt - margin, bottom};
        l.map = {margin, top, l.panel.x0 - gap, bottom};
    } else {
        double panel_h = 62 * k;
        l.panel = {margin, bottom - panel_h, l.width_pt - margin, bottom};
        l.map = {margin, top, l.width_pt - margin, l.panel.y0 - gap};
    }
    return l;
}

PageLayout strip_page_layout(PaperSize size) {
    PageLayout l = page_layout(size, Orientation::landscape);
    const double k = (size == PaperSize::a3 ? std::sqrt(2.0) : 1.0) * points_per_mm;
    const double margin = 8 * k, gap = 4 * k;
    // The legend with every symbol row (about 61 mm on A4) fits in 64 mm.
    const double panel_h = 64 * k;
    double bottom = l.footer.y0 - gap / 2;
    l.panel = {margin, bottom - panel_h, l.width_pt - margin, bottom};
    l.map = {margin, l.title.y1 + gap / 2, l.width_pt - margin, l.panel.y0 - gap};
    return l;
}

void reserve_panel(PageLayout& l, int symbol_rows, int figure_rows) {
    if (l.orientation != Orientation::portrait)
        return;
    const double k = l.size == PaperSize::a3 ? std::sqrt(2.0) : 1.0;
    // The heights map_render uses: heading 17, status rows 11.5, the note up to two lines,
    // symbol rows 10, table rows 12.9 points (A4).
    double legend = (17 + 4 * 11.5 + 2 * 8.7 + 4 + 10.0 * symbol_rows) * k;
    double table = (17 + 12.9 * figure_rows) * k;
    double need = std::max(legend, table) + 4 * k;
    double panel_h = std::clamp(need, l.panel.height(), 0.45 * l.height_pt);
    double grow = panel_h - l.panel.height();
    if (grow <= 0)
        return;
    l.panel.y0 -= grow;
    l.map.y1 -= grow;
}

double round_scale(double n) {
    if (!(n > 0) || !std::isfinite(n))
        return 1;
    static constexpr std::array<double, 11> steps{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    double p = std::pow(10.0, std::floor(std::log10(n)));
    for (double s : steps)
        if (s * p >= n * (1 - 1e-12))
            return s * p;
    return 10 * p;
}

double nice_length(double max) {
    if (!(max > 0) || !std::isfinite(max))
        return 0;
    double p = std::pow(10.0, std::floor(std::log10(max)));
    for (double s : {5.0, 2.0, 1.0})
        if (s * p <= max * (1 + 1e-12))
            return s * p;
    return p;
}

MapTransform MapTransform::fit(const Envelope& extent, const Box& frame, double padding) {
    MapTransform t;
    t.m_frame = frame;
    double w = std::max(extent.max_x - extent.min_x, 1.0);
    double h = std::max(extent.max_y - extent.min_y, 1.0);
    double pw = w * (1 + 2 * padding), ph = h * (1 + 2 * padding);
    // metres on the ground per metre on paper
    double fw = frame.width() / points_per_mm / 1000, fh = frame.height() / points_per_mm / 1000;
    t.m_denominator = round_scale(std::max(pw / fw, ph / fh));
    t.m_ppm = 1000 * points_per_mm / t.m_denominator;
    t.m_cx = (extent.min_x + extent.max_x) / 2;
    t.m_cy = (extent.min_y + extent.max_y) / 2;
    t.m_page_cx = (frame.x0 + frame.x1) / 2;
    t.m_page_cy = (frame.y0 + frame.y1) / 2;
    return t;
}

MapTransform MapTransform::oriented(double cx, double cy, double angle_rad, double denominator,
                                    const Box& frame) {
    MapTransform t;
    t.m_frame = frame;
    t.m_denominator = denominator;
    t.m_ppm = 1000 * points_per_mm / denominator;
    t.m_cx = cx;
    t.m_cy = cy;
    t.m_page_cx = (frame.x0 + frame.x1) / 2;
    t.m_page_cy = (frame.y0 + frame.y1) / 2;
    t.m_angle = angle_rad;
    t.m_cos = std::cos(angle_rad);
    t.m_sin = std::sin(angle_rad);
    return t;
}

std::vector<std::pair<double, double>> MapTransform::world_frame() const {
    return {to_world(m_frame.x0, m_frame.y1), to_world(m_frame.x1, m_frame.y1),
            to_world(m_frame.x1, m_frame.y0), to_world(m_frame.x0, m_frame.y0)};
}

Envelope MapTransform::world_extent() const {
    auto corners = world_frame();
    Envelope e{corners[0].first, corners[0].second, corners[0].first, corners[0].second};
    for (const auto& [x, y] : corners) {
        e.min_x = std::min(e.min_x, x);
        e.min_y = std::min(e.min_y, y);
        e.max_x = std::max(e.max_x, x);
        e.max_y = std::max(e.max_y, y);
    }
    return e;
}

ScaleBarSpec scale_bar_spec(const MapTransform& t, double max_length_pt) {
    ScaleBarSpec s;
    s.length_m = nice_length(max_length_pt / t.points_per_metre());
    s.length_pt = s.length_m * t.points_per_metre();
    double lead = s.length_m / std::pow(10.0, std::floor(std::log10(s.length_m)));
    s.divisions = std::lround(lead) == 2 ? 4 : (std::lround(lead) == 5 ? 5 : 2);
    s.kilometres = s.length_m >= 1000;
    return s;
}

bool LabelBoxes::is_free(const Box& b) const {
    return std::none_of(m_boxes.begin(), m_boxes.end(),
                        [&](const Box& o) { return o.intersects(b); });
}

} // namespace landclear
