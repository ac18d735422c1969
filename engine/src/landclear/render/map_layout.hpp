#pragma once
// Page geometry of a meeting map, free of any drawing library: paper sizes, where the title,
// map frame and side panel go, the transform from working-CRS metres to page points at a round
// scale, scale-bar lengths, chainage labels and the list of placed label boxes that keeps
// labels from overlapping. Tests use the transform to find a parcel's pixel in a PNG.
#include "landclear/store/store.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace landclear {

enum class PaperSize { a4, a3 };
enum class Orientation { landscape, portrait };

PaperSize parse_paper_size(const std::string& text);    // "A4" / "a3"; Error(usage) otherwise
Orientation parse_orientation(const std::string& text); // "landscape" / "portrait"

inline constexpr double points_per_mm = 72.0 / 25.4;

// A rectangle on the page in points, y growing downwards (cairo's convention).
struct Box {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    double width() const { return x1 - x0; }
    double height() const { return y1 - y0; }
    bool intersects(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
    bool contains(const Box& o) const {
        return o.x0 >= x0 && o.x1 <= x1 && o.y0 >= y0 && o.y1 <= y1;
    }
    Box inflated(double d) const { return {x0 - d, y0 - d, x1 + d, y1 + d}; }
};

struct PageLayout {
    PaperSize size = PaperSize::a4;
    Orientation orientation = Orientation::landscape;
    double width_pt = 0, height_pt = 0;
    Box title;  // title and as-of line
    Box map;    // the map frame
    Box panel;  // legend, figures table
    Box footer; // CRS, scale, data source
};

PageLayout page_layout(PaperSize size, Orientation orientation);

// A strip-map sheet (带状图): landscape, the map frame across the whole width and a panel of fixed
// height under it (north arrow and scale bar, legend, the stretch's figures, its blocking
// parcels). Fixed, so every sheet of a strip shows the same ground: the frame is planned before
// any sheet is read.
PageLayout strip_page_layout(PaperSize size);

// A portrait page has its legend and figures side by side under the map: grows that panel
// (shrinking the map, to at most 45 % of the page) so symbol_rows legend symbols and
// figure_rows table rows fit at full size. Landscape pages are left as they are.
void reserve_panel(PageLayout& layout, int symbol_rows, int figure_rows);

// Smallest round scale denominator >= n: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten
// (1:2,000, 1:2,500, 1:3,000 ...), so the printed "1:N" is true on paper and the frame is at
// least 3/4 used.
double round_scale(double n);
// Largest length of the 1-2-5 series (…, 50, 100, 200, 500, 1000 m, …) not above max.
double nice_length(double max);

// Working-CRS metres (y up) to page points (y down) at one scale, centred on the frame, and
// turned for strip maps so that a chosen world direction runs left to right on the page.
class MapTransform {
public:
    MapTransform() = default;
    // Shows the whole extent (with a margin of padding × its size) inside the frame at the
    // smallest round scale that fits, north up.
    static MapTransform fit(const Envelope& extent, const Box& frame, double padding = 0.05);
    // The world point (cx, cy) at the frame's centre, the world direction at angle_rad
    // (counter-clockwise from grid east) running left to right, at 1:denominator.
    static MapTransform oriented(double cx, double cy, double angle_rad, double denominator,
                                 const Box& frame);

    double scale_denominator() const { return m_denominator; }
    double points_per_metre() const { return m_ppm; }
    const Box& frame() const { return m_frame; }
    double angle() const { return m_angle; }
    Envelope world_extent() const; // the envelope of what the frame shows
    // The frame's corners in the world, counter-clockwise from the page's lower left.
    std::vector<std::pair<double, double>> world_frame() const;

    std::pair<double, double> to_page(double x, double y) const {
        double dx = x - m_cx, dy = y - m_cy;
        double u = dx * m_cos + dy * m_sin, v = -dx * m_sin + dy * m_cos;
        return {m_page_cx + u * m_ppm, m_page_cy - v * m_ppm};
    }
    std::pair<double, double> to_world(double px, double py) const {
        double u = (px - m_page_cx) / m_ppm, v = (m_page_cy - py) / m_ppm;
        return {m_cx + u * m_cos - v * m_sin, m_cy + u * m_sin + v * m_cos};
    }
    // A world direction (dx, dy) as a unit vector on the page (y down): grid north is
    // direction_to_page(0, 1).
    std::pair<double, double> direction_to_page(double dx, double dy) const {
        double u = dx * m_cos + dy * m_sin, v = -dx * m_sin + dy * m_cos;
        double l = std::hypot(u, v);
        return l > 0 ? std::pair{u / l, -v / l} : std::pair{1.0, 0.0};
    }
    // Pixel coordinates (column, row; fractional) in a PNG rendered at dpi.
    std::pair<double, double> to_pixel(double x, double y, double dpi) const {
        auto [px, py] = to_page(x, y);
        return {px * dpi / 72.0, py * dpi / 72.0};
    }

private:
    Box m_frame;
    double m_cx = 0, m_cy = 0;           // world point at the frame's centre
    double m_page_cx = 0, m_page_cy = 0; // the frame's centre on the page
    double m_angle = 0, m_cos = 1, m_sin = 0;
    double m_ppm = 1, m_denominator = 1;
};

struct ScaleBarSpec {
    double length_m = 0;  // a 1-2-5 length
    double length_pt = 0; // on the page
    int divisions = 2;    // alternating black and white blocks
    bool kilometres = false;
};
ScaleBarSpec scale_bar_spec(const MapTransform& t, double max_length_pt);

// Boxes already taken on the page (labels, furniture). A label is placed only where its box is
// free, so no two labels overlap.
class LabelBoxes {
public:
    bool is_free(const Box& b) const;
    void block(const Box& b) { m_boxes.push_back(b); }
    bool try_place(const Box& b) {
        if (!is_free(b))
            return false;
        m_boxes.push_back(b);
        return true;
    }
    const std::vector<Box>& boxes() const { return m_boxes; }

private:
    std::vector<Box> m_boxes;
};

} // namespace landclear
