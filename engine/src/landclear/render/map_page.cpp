// One map page drawn with cairo: the map frame's layers, labels, north arrow and scale bar,
// the title, the legend and figures panel and the footer.
#include "landclear/render/detail/map_page.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/render/detail/map_style.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <optional>
#include <set>

namespace landclear::render_detail {

namespace {

// ---- geometry helpers --------------------------------------------------------------------

bool envelope_overlaps(const Envelope& a, const Envelope& b) {
    return a.min_x <= b.max_x && b.min_x <= a.max_x && a.min_y <= b.max_y && b.min_y <= a.max_y;
}

void rings_path(cairo_t* cr, const MapTransform& t, const MapRings& rings) {
    for (const auto& ring : rings) {
        if (ring.size() < 3)
            continue;
        auto [x0, y0] = t.to_page(ring[0].x, ring[0].y);
        cairo_move_to(cr, x0, y0);
        for (size_t i = 1; i < ring.size(); ++i) {
            auto [x, y] = t.to_page(ring[i].x, ring[i].y);
            cairo_line_to(cr, x, y);
        }
        cairo_close_path(cr);
    }
}

void lines_path(cairo_t* cr, const MapTransform& t, const MapLines& lines) {
    for (const auto& line : lines) {
        if (line.size() < 2)
            continue;
        auto [x0, y0] = t.to_page(line[0].x, line[0].y);
        cairo_move_to(cr, x0, y0);
        for (size_t i = 1; i < line.size(); ++i) {
            auto [x, y] = t.to_page(line[i].x, line[i].y);
            cairo_line_to(cr, x, y);
        }
    }
}

// Even-odd point-in-polygon on page coordinates.
bool inside(const MapTransform& t, const MapRings& rings, double px, double py) {
    bool in = false;
    for (const auto& ring : rings) {
        size_t n = ring.size();
        for (size_t i = 0, j = n - 1; i < n; j = i++) {
            auto [xi, yi] = t.to_page(ring[i].x, ring[i].y);
            auto [xj, yj] = t.to_page(ring[j].x, ring[j].y);
            if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi)
                in = !in;
        }
    }
    return in;
}

bool box_inside(const MapTransform& t, const MapRings& rings, const Box& b) {
    const double xs[3] = {b.x0, (b.x0 + b.x1) / 2, b.x1};
    const double ys[3] = {b.y0, (b.y0 + b.y1) / 2, b.y1};
    for (double x : xs)
        for (double y : ys)
            if (!inside(t, rings, x, y))
                return false;
    return true;
}

// A long cadastral code does not fit a small parcel: its last five characters (the sequence
// number of a 19-character ZDDM) usually do, and planners read them as the parcel.
std::string short_code(const std::string& code) {
    auto dash = code.find_last_of("-_");
    if (dash != std::string::npos && dash + 1 < code.size())
        return code.substr(dash + 1);
    if (code.size() > 8)
        return code.substr(code.size() - 5);
    return {};
}

// A comma before every third digit from the right. Appended, not inserted: GCC 12 warns
// (-Wrestrict, a false positive) about std::string::insert inlined here.
std::string group_thousands(long v) {
    std::string digits = std::to_string(v);
    std::string s;
    for (size_t j = 0; j < digits.size(); ++j) {
        if (j > 0 && (digits.size() - j) % 3 == 0)
            s += ',';
        s += digits[j];
    }
    return s;
}

std::string length_text(double m, Lang lang) {
    if (m >= 1000)
        return fmt::format("{:g} {}", m / 1000, tr(lang, "千米", "km"));
    return fmt::format("{:g} {}", m, tr(lang, "米", "m"));
}

// ---- one page ----------------------------------------------------------------------------

class PageDrawer {
public:
    PageDrawer(cairo_t* cr, const MapPage& page)
        : m_cr(cr), m_page(page), m_t(page.transform), m_text(cr),
          m_k(page.layout.size == PaperSize::a3 ? std::sqrt(2.0) : 1.0) {
        // Small scales (a 9 km road on A4) make parcels a few points wide: thinner lines so the
        // status colours still show, and changed parcels outlined instead of hatched.
        std::vector<double> sizes;
        for (const auto& p : page.parcels)
            sizes.push_back(std::sqrt(std::max(p.area_m2, 0.0)) * m_t.points_per_metre());
        if (!sizes.empty()) {
            std::nth_element(sizes.begin(), sizes.begin() + sizes.size() / 2, sizes.end());
            double median = sizes[sizes.size() / 2];
            m_detail = std::clamp(median / 25.0, 0.3, 1.0);
            m_small = median < 12;
        }
    }

    RenderedPage draw() {
        RenderedPage r;
        r.key = m_page.key;
        set(m_cr, white);
        cairo_paint(m_cr);

        const Box& f = m_t.frame();
        Box scale, north;
        if (m_page.strip) {
            // Under the map, in the panel's first column: the frame stays free for the road,
            // its K labels and the match lines.
            strip_furniture(scale, north);
        } else {
            scale = scale_bar_box();
            north = north_arrow_box(scale);
            m_labels.block(north.inflated(2));
            m_labels.block(scale.inflated(2));
        }

        cairo_save(m_cr);
        cairo_rectangle(m_cr, f.x0, f.y0, f.width(), f.height());
        cairo_clip(m_cr);
        draw_context();
        draw_parcels();
        draw_buildings();
        draw_flags();
        draw_boundary();
        draw_match_lines();
        draw_corridors();
        draw_issues();
        place_parcel_labels(r);
        cairo_restore(m_cr);

        cairo_set_line_width(m_cr, 0.8 * m_k);
        set(m_cr, ink);
        cairo_rectangle(m_cr, f.x0, f.y0, f.width(), f.height());
        cairo_stroke(m_cr);
        draw_north_arrow(north);
        draw_scale_bar(scale);
        r.scale_bar_length_pt = m_scale.length_pt;
        r.scale_bar_length_m = m_scale.length_m;
        r.scale_bar_x0 = m_scale_x0;
        r.north = m_t.direction_to_page(0, 1);
        draw_title();
        draw_panel();
        draw_footer();
        r.label_boxes = m_placed;
        r.chainage_labels = m_chainage_labels;
        return r;
    }

private:
    bool visible(const Envelope& e) const { return envelope_overlaps(e, m_view); }

    void draw_context() {
        cairo_set_line_width(m_cr, 0.3 * m_k * m_detail);
        set(m_cr, context_edge);
        for (const auto& rings : m_page.context)
            rings_path(m_cr, m_t, rings);
        cairo_stroke(m_cr);
    }

    void draw_parcels() {
        cairo_set_fill_rule(m_cr, CAIRO_FILL_RULE_EVEN_ODD);
        for (auto state : all_parcel_stages) {
            for (const auto& p : m_page.parcels)
                if (p.state == state && visible(p.envelope))
                    rings_path(m_cr, m_t, p.rings);
            set(m_cr, colour(stage_style(state).fill));
            cairo_fill(m_cr);
        }
        // Changed since --since: hatched, clipped to the parcel (outlined at small scales).
        if (m_page.since && !m_small) {
            cairo_save(m_cr);
            bool any = false;
            for (const auto& p : m_page.parcels)
                if (p.changed && visible(p.envelope)) {
                    rings_path(m_cr, m_t, p.rings);
                    any = true;
                }
            if (any) {
                cairo_clip(m_cr);
                hatch_frame();
            }
            cairo_new_path(m_cr);
            cairo_restore(m_cr);
        }
        cairo_set_line_width(m_cr, 0.35 * m_k * m_detail);
        set(m_cr, parcel_edge);
        for (const auto& p : m_page.parcels)
            if (visible(p.envelope))
                rings_path(m_cr, m_t, p.rings);
        cairo_stroke(m_cr);
        if (m_page.since && m_small) {
            for (const auto& p : m_page.parcels)
                if (p.changed && visible(p.envelope))
                    rings_path(m_cr, m_t, p.rings);
            cairo_set_line_width(m_cr, 0.9 * m_k);
            set(m_cr, hatch);
            cairo_stroke(m_cr);
        }
    }

    void hatch_frame() {
        const Box& f = m_t.frame();
        double step = 3.5 * m_k, h = f.height();
        cairo_set_line_width(m_cr, 0.6 * m_k);
        set(m_cr, hatch);
        for (double x = f.x0 - h; x < f.x1; x += step) {
            cairo_move_to(m_cr, x, f.y1);
            cairo_line_to(m_cr, x + h, f.y0);
        }
        cairo_stroke(m_cr);
    }

    void draw_buildings() {
        if (m_page.buildings.empty())
            return;
        for (auto state : {BuildingStage::not_signed, BuildingStage::signed_up}) {
            for (const auto& b : m_page.buildings)
                if (b.state == state)
                    rings_path(m_cr, m_t, b.rings);
            set(m_cr, colour(stage_style(state).fill));
            cairo_fill_preserve(m_cr);
            cairo_set_line_width(m_cr, 0.25 * m_k);
            set(m_cr, ink);
            cairo_stroke(m_cr);
        }
        // Demolished: only a dashed ghost outline remains.
        for (const auto& b : m_page.buildings)
            if (b.state == BuildingStage::demolished)
                rings_path(m_cr, m_t, b.rings);
        double dash[] = {1.2 * m_k, 0.8 * m_k};
        cairo_set_dash(m_cr, dash, 2, 0);
        cairo_set_line_width(m_cr, 0.35 * m_k);
        set(m_cr, ink);
        cairo_stroke(m_cr);
        cairo_set_dash(m_cr, nullptr, 0, 0);
    }

    void draw_flags() {
        cairo_set_line_width(m_cr, std::max(0.6, 1.3 * m_detail) * m_k);
        cairo_set_line_join(m_cr, CAIRO_LINE_JOIN_ROUND);
        set(m_cr, flag_red);
        for (const auto& p : m_page.parcels)
            if ((p.overdue || p.blocking) && visible(p.envelope))
                rings_path(m_cr, m_t, p.rings);
        cairo_stroke(m_cr);
    }

    void draw_boundary() {
        if (m_page.boundary.empty())
            return;
        rings_path(m_cr, m_t, m_page.boundary);
        double dash[] = {5 * m_k, 2 * m_k};
        cairo_set_dash(m_cr, dash, 2, 0);
        cairo_set_line_width(m_cr, std::max(0.5, 1.2 * m_detail) * m_k);
        set(m_cr, boundary);
        cairo_stroke(m_cr);
        cairo_set_dash(m_cr, nullptr, 0, 0);
    }

    void draw_corridors() {
        for (const auto& c : m_page.corridors) {
            if (!c.blocking.empty()) {
                lines_path(m_cr, m_t, c.blocking);
                cairo_set_line_width(m_cr, std::max(5.0, 7 * m_detail) * m_k);
                cairo_set_line_cap(m_cr, CAIRO_LINE_CAP_BUTT);
                set(m_cr, blocking);
                cairo_stroke(m_cr);
            }
            rings_path(m_cr, m_t, c.red_line);
            cairo_set_line_width(m_cr, std::max(0.45, 1.1 * m_detail) * m_k);
            set(m_cr, red_line);
            cairo_stroke(m_cr);
            lines_path(m_cr, m_t, c.centreline);
            double dash[] = {6 * m_k, 1.5 * m_k, 1 * m_k, 1.5 * m_k};
            cairo_set_dash(m_cr, dash, 4, 0);
            cairo_set_line_width(m_cr, std::max(0.3, 0.6 * m_detail) * m_k);
            set(m_cr, centre);
            cairo_stroke(m_cr);
            cairo_set_dash(m_cr, nullptr, 0, 0);
            draw_ticks(c);
        }
    }

    void draw_ticks(const MapCorridor& c) {
        cairo_set_line_width(m_cr, 0.5 * m_k);
        set(m_cr, centre);
        // The road's normal on the page (y down, the map maybe turned): (py, -px) of its direction.
        auto normal = [&](const ChainageTick& tk) {
            auto [px, py] = m_t.direction_to_page(tk.dx, tk.dy);
            return std::pair{py, -px};
        };
        for (const auto& tk : c.ticks) {
            auto [x, y] = m_t.to_page(tk.at.x, tk.at.y);
            auto [nx, ny] = normal(tk);
            double len = (tk.labelled || tk.end_point ? 4.5 : 2.2) * m_k;
            cairo_move_to(m_cr, x - nx * len, y - ny * len);
            cairo_line_to(m_cr, x + nx * len, y + ny * len);
        }
        cairo_stroke(m_cr);
        const double pt = 6.5 * m_k;
        const Box& f = m_t.frame();
        for (const auto& tk : c.ticks) {
            if (!tk.labelled && !tk.end_point)
                continue;
            auto [x, y] = m_t.to_page(tk.at.x, tk.at.y);
            if (x < f.x0 || x > f.x1 || y < f.y0 || y > f.y1)
                continue;
            // Whole metres are enough on paper (an end point may fall at K4+011.181).
            std::string label = format_chainage(std::round(tk.chainage_m), c.alignment);
            auto [w, h] = m_text.measure(label, pt, true);
            auto [nx, ny] = normal(tk);
            double off = 6 * m_k;
            for (double side : {1.0, -1.0}) {
                // Box centre pushed out along the normal until it clears the tick.
                double cx = x + side * nx * (off + std::fabs(nx) * w / 2);
                double cy = y + side * ny * (off + std::fabs(ny) * h / 2);
                Box b{cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
                if (!f.contains(b) || !m_labels.try_place(b))
                    continue;
                m_placed.push_back(b);
                m_chainage_labels.push_back(label);
                m_text.draw(b.x0, b.y0, label, pt, centre, true, Align::left, -1, true);
                break;
            }
        }
    }

    // Open issues: what each is tied to outlined (dashed), a filled marker inside it and its id
    // beside it; overdue red, the others orange. Their boxes are kept free of parcel labels.
    void draw_issues() {
        const double radius = 3.2 * m_k, pt = 6 * m_k;
        for (const auto& i : m_page.issues) {
            if (!visible(i.envelope))
                continue;
            Colour c = i.overdue ? issue_overdue : issue_open;
            rings_path(m_cr, m_t, i.rings);
            double dash[] = {3 * m_k, 1.5 * m_k};
            cairo_set_dash(m_cr, dash, 2, 0);
            cairo_set_line_width(m_cr, std::max(0.8, 1.6 * m_detail) * m_k);
            set(m_cr, c);
            cairo_stroke(m_cr);
            cairo_set_dash(m_cr, nullptr, 0, 0);
        }
        for (const auto& i : m_page.issues) {
            if (!visible(i.envelope))
                continue;
            Colour c = i.overdue ? issue_overdue : issue_open;
            auto [x0, y0] = m_t.to_page(i.mark_at.x, i.mark_at.y);
            auto [w, h] = m_text.measure(i.id, pt, true);
            // Issues on the same thing (a parcel and the road stretch across it) would stack
            // their markers: the next free place above or below, within the frame.
            double x = x0, y = y0;
            auto mark = [&](double yy) {
                return Box{x - radius, yy - radius, x + radius, yy + radius};
            };
            auto label = [&](double yy) {
                return Box{x + radius + 1 * m_k, yy - h / 2, x + radius + 1 * m_k + w, yy + h / 2};
            };
            const double step = std::max(2 * radius, h) + 1 * m_k;
            for (int k : {0, 1, -1, 2, -2, 3, -3}) {
                double yy = y0 + k * step;
                if (m_t.frame().contains(mark(yy)) && m_labels.is_free(mark(yy)) &&
                    m_labels.is_free(label(yy))) {
                    y = yy;
                    break;
                }
            }
            cairo_new_sub_path(m_cr);
            cairo_arc(m_cr, x, y, radius, 0, 2 * M_PI);
            set(m_cr, c);
            cairo_fill_preserve(m_cr);
            cairo_set_line_width(m_cr, 0.9 * m_k);
            set(m_cr, white);
            cairo_stroke(m_cr);
            Box b = label(y);
            m_text.draw(b.x0, b.y0, i.id, pt, c, true, Align::left, -1, true);
            m_labels.block(b.inflated(0.5));
            m_labels.block(Box{x - radius, y - radius, x + radius, y + radius}.inflated(0.5));
        }
    }

    void place_parcel_labels(RenderedPage& r) {
        std::vector<const MapParcel*> order;
        for (const auto& p : m_page.parcels)
            if (visible(p.envelope))
                order.push_back(&p);
        std::sort(order.begin(), order.end(),
                  [](auto* a, auto* b) { return a->area_m2 > b->area_m2; });
        const double pt = 5.5 * m_k, pad = 0.6 * m_k;
        const Box& f = m_t.frame();
        for (const auto* p : order) {
            double span_w = (p->envelope.max_x - p->envelope.min_x) * m_t.points_per_metre();
            double span_h = (p->envelope.max_y - p->envelope.min_y) * m_t.points_per_metre();
            auto [cx, cy] = m_t.to_page(p->label_at.x, p->label_at.y);
            bool placed = false;
            for (const auto& text : {p->code, short_code(p->code)}) {
                if (text.empty())
                    continue;
                auto [w, h] = m_text.measure(text, pt);
                if (w + 2 * pad > span_w || h + 2 * pad > span_h)
                    continue;
                Box b{cx - w / 2 - pad, cy - h / 2 - pad, cx + w / 2 + pad, cy + h / 2 + pad};
                if (!f.contains(b) || !m_labels.is_free(b) || !box_inside(m_t, p->rings, b))
                    continue;
                m_labels.block(b);
                m_placed.push_back(b);
                // A thin white halo keeps the code legible over buildings and hatching.
                m_text.draw(b.x0 + pad, b.y0 + pad, text, pt, ink, false, Align::left, -1, true);
                placed = true;
                break;
            }
            if (!placed)
                ++r.labels_skipped;
        }
    }

    // ---- furniture -----------------------------------------------------------------------

    // How much of the parcels a piece of furniture would hide (page points²).
    double hidden(const Box& b) const {
        double total = 0;
        for (const auto& p : m_page.parcels) {
            auto [x0, y1] = m_t.to_page(p.envelope.min_x, p.envelope.min_y);
            auto [x1, y0] = m_t.to_page(p.envelope.max_x, p.envelope.max_y);
            if (x0 > x1)
                std::swap(x0, x1);
            if (y0 > y1)
                std::swap(y0, y1);
            double w = std::min(b.x1, x1) - std::max(b.x0, x0);
            double h = std::min(b.y1, y1) - std::max(b.y0, y0);
            if (w > 0 && h > 0)
                total += w * h;
        }
        return total;
    }

    // The frame corner (in order of preference) where a w × h box hides the fewest parcels.
    Box corner(double w, double h, std::initializer_list<int> corners, const Box* avoid) const {
        const Box& f = m_t.frame();
        const double m = 3 * m_k;
        Box best;
        double best_hidden = -1;
        for (int c : corners) { // 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right
            double x0 = (c % 2) ? f.x1 - m - w : f.x0 + m;
            double y0 = (c / 2) ? f.y1 - m - h : f.y0 + m;
            Box b{x0, y0, x0 + w, y0 + h};
            if (avoid && b.intersects(avoid->inflated(2)))
                continue;
            double hid = hidden(b);
            if (best_hidden < 0 || hid < best_hidden - 1e-9) {
                best = b;
                best_hidden = hid;
            }
        }
        return best;
    }

    Box scale_bar_box() {
        m_scale = scale_bar_spec(m_t, m_t.frame().width() / 4);
        double w = m_scale.length_pt + 22 * m_k, h = 12 * points_per_mm * m_k;
        return corner(w, h, {2, 3, 0}, nullptr);
    }

    Box north_arrow_box(const Box& scale) const {
        double w = 11 * points_per_mm * m_k, h = 17 * points_per_mm * m_k;
        return corner(w, h, {1, 0, 3, 2}, &scale);
    }

    void panel_box(const Box& b) {
        cairo_rectangle(m_cr, b.x0, b.y0, b.width(), b.height());
        set(m_cr, hex(0xffffff, 0.88));
        cairo_fill_preserve(m_cr);
        cairo_set_line_width(m_cr, 0.4 * m_k);
        set(m_cr, hex(0x999999));
        cairo_stroke(m_cr);
    }

    // The arrow points to grid north as the map shows it: turned with a strip sheet's map.
    void draw_north_arrow(const Box& b) {
        panel_box(b);
        const Lang lang = m_page.lang;
        auto [nx, ny] = m_t.direction_to_page(0, 1);
        double cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
        const double pt = 8 * m_k;
        auto [tw, th] = m_text.measure(tr(lang, "北", "N"), pt, true);
        // Half the arrow's length: what the box holds beside the letter at its tip.
        double r = (std::min(b.width(), b.height()) - std::max(tw, th)) / 2 - 2 * m_k;
        double half = r * 0.45;
        double rotation = std::atan2(nx, -ny); // from straight up, clockwise on the page
        double shift = std::max(tw, th) / 2 + 0.5 * m_k;
        cairo_save(m_cr);
        cairo_translate(m_cr, cx - nx * shift, cy - ny * shift);
        cairo_rotate(m_cr, rotation);
        double top = -r, bottom = r, mid = r * 0.44;
        cairo_move_to(m_cr, 0, top);
        cairo_line_to(m_cr, -half, bottom);
        cairo_line_to(m_cr, 0, mid);
        cairo_close_path(m_cr);
        set(m_cr, ink);
        cairo_fill(m_cr);
        cairo_move_to(m_cr, 0, top);
        cairo_line_to(m_cr, half, bottom);
        cairo_line_to(m_cr, 0, mid);
        cairo_close_path(m_cr);
        set(m_cr, white);
        cairo_fill_preserve(m_cr);
        cairo_set_line_width(m_cr, 0.5 * m_k);
        set(m_cr, ink);
        cairo_stroke(m_cr);
        cairo_restore(m_cr);
        // The letter beyond the tip, upright.
        double lx = cx - nx * shift + nx * (r + shift), ly = cy - ny * shift + ny * (r + shift);
        m_text.draw(lx, ly - th / 2, tr(lang, "北", "N"), pt, ink, true, Align::centre);
    }

    void draw_scale_bar(const Box& b) {
        panel_box(b);
        const double pt = 6 * m_k;
        double x0 = b.x0 + 6 * m_k, bar_h = 2.2 * m_k;
        double th = m_text.measure("0", pt).second;
        double y = b.y0 + 3 * m_k + th + 1 * m_k;
        m_scale_x0 = x0;
        double seg = m_scale.length_pt / m_scale.divisions;
        for (int i = 0; i < m_scale.divisions; ++i) {
            cairo_rectangle(m_cr, x0 + i * seg, y, seg, bar_h);
            set(m_cr, i % 2 ? white : ink);
            cairo_fill_preserve(m_cr);
            set(m_cr, ink);
            cairo_set_line_width(m_cr, 0.4 * m_k);
            cairo_stroke(m_cr);
        }
        m_text.draw(x0, b.y0 + 3 * m_k, "0", pt, ink, false, Align::centre);
        m_text.draw(x0 + m_scale.length_pt, b.y0 + 3 * m_k,
                    length_text(m_scale.length_m, m_page.lang), pt, ink, false, Align::centre);
        m_text.draw(x0, y + bar_h + 1.5 * m_k,
                    fmt::format("{} 1:{}", tr(m_page.lang, "比例尺", "Scale"),
                                group_thousands(std::lround(m_t.scale_denominator()))),
                    pt, ink);
    }

    void draw_title() {
        const Box& b = m_page.layout.title;
        double h =
            m_text.draw(b.x0, b.y0, m_page.title, 15 * m_k, ink, true, Align::left, b.width());
        m_text.draw(b.x0, b.y0 + h + 1 * m_k, m_page.subtitle, 9 * m_k, grey_text);
    }

    // The legend and figures table; in portrait they sit side by side under the map.
    void draw_panel() {
        const Box& p = m_page.layout.panel;
        Box legend = p, figures = p;
        if (m_page.strip) {
            draw_strip_panel();
            return;
        }
        if (m_page.layout.orientation == Orientation::portrait) {
            double mid = (p.x0 + p.x1) / 2;
            legend.x1 = mid - 3 * m_k;
            figures.x0 = mid + 3 * m_k;
            double y = draw_legend(pen(), legend);
            (void)y;
            draw_figures(figures, figures.y0);
        } else {
            double y = draw_legend(pen(), legend);
            draw_figures(figures, y + 6 * m_k);
        }
    }

    // ---- strip sheets ----------------------------------------------------------------------

    // The panel of a strip sheet in four columns: north arrow and scale bar, the legend, the
    // stretch's figures, its blocking parcels.
    Box strip_column(int i) const {
        const Box& p = m_page.layout.panel;
        const double gap = 6 * m_k, first = 44 * points_per_mm * m_k;
        double rest = (p.width() - first - 3 * gap) / 3;
        if (i == 0)
            return {p.x0, p.y0, p.x0 + first, p.y1};
        double x0 = p.x0 + first + gap + (i - 1) * (rest + gap);
        return {x0, p.y0, x0 + rest, p.y1};
    }

    void strip_furniture(Box& scale, Box& north) {
        Box col = strip_column(0);
        double side = std::min(col.height() * 0.55, 22 * points_per_mm * m_k);
        north = {col.x0, col.y0, col.x0 + side, col.y0 + side};
        m_scale = scale_bar_spec(m_t, col.width() - 22 * m_k);
        double h = 12 * points_per_mm * m_k;
        scale = {col.x0, north.y1 + 3 * m_k, col.x1, north.y1 + 3 * m_k + h};
    }

    void draw_strip_panel() {
        const Lang lang = m_page.lang;
        draw_legend(pen(), strip_column(1));
        draw_figures(strip_column(2), strip_column(2).y0);
        Box b = strip_column(3);
        double y = heading(b, b.y0, tr(lang, "本张阻塞宗地", "Blocking parcels on this sheet"));
        const auto& parcels = m_page.strip->blocking_parcels;
        const double pt = 7 * m_k;
        if (parcels.empty()) {
            m_text.draw(b.x0, y, tr(lang, "无", "none"), pt, grey_text);
            return;
        }
        double row_h = m_text.measure("0", pt).second + 1.5 * m_k;
        double total = 0;
        for (const auto& [code, m2] : parcels)
            total += m2;
        m_text.draw(b.x0, y,
                    trf(lang, "{} 宗，红线内 {:.2f} 亩", "{} parcels, {:.2f} mu inside",
                        parcels.size(), m2_to_mu(total)),
                    pt, grey_text);
        y += row_h;
        // Two columns of codes and their 亩 inside this sheet's red line.
        const double col_w = b.width() / 2;
        size_t per_col = static_cast<size_t>(std::max(1.0, std::floor((b.y1 - y) / row_h)));
        for (size_t i = 0; i < parcels.size(); ++i) {
            size_t col = i / per_col, row = i % per_col;
            if (col >= 2 || (col == 1 && row == per_col - 1 && i + 1 < parcels.size())) {
                m_text.draw(b.x0 + col_w, y + row * row_h,
                            trf(lang, "… 另 {} 宗", "… {} more", parcels.size() - i), pt,
                            grey_text);
                break;
            }
            double x0 = b.x0 + col * col_w, x1 = x0 + col_w - 4 * m_k;
            m_text.draw(x0, y + row * row_h, parcels[i].first, pt, ink);
            m_text.draw(x1, y + row * row_h, fmt::format("{:.2f}", m2_to_mu(parcels[i].second)), pt,
                        ink, false, Align::right);
        }
    }

    // Match lines (接图线): dashed across the frame where the previous sheet ends and the next
    // begins, labelled with that sheet's number near the frame's top edge.
    void draw_match_lines() {
        if (!m_page.strip)
            return;
        const Box& f = m_t.frame();
        const Lang lang = m_page.lang;
        for (const auto& m : m_page.strip->match_lines) {
            auto [ax, ay] = m_t.to_page(m.a.x, m.a.y);
            auto [bx, by] = m_t.to_page(m.b.x, m.b.y);
            cairo_move_to(m_cr, ax, ay);
            cairo_line_to(m_cr, bx, by);
            double dash[] = {7 * m_k, 2 * m_k, 1.5 * m_k, 2 * m_k};
            cairo_set_dash(m_cr, dash, 4, 0);
            cairo_set_line_width(m_cr, 1.1 * m_k);
            set(m_cr, match_line);
            cairo_stroke(m_cr);
            cairo_set_dash(m_cr, nullptr, 0, 0);
            // Where the line crosses a horizontal 4 mm below the frame's top.
            double ty = f.y0 + 4 * points_per_mm * m_k;
            if (std::fabs(by - ay) < 1e-9)
                continue;
            double tx = ax + (bx - ax) * (ty - ay) / (by - ay);
            std::string text = trf(lang, "接第 {} 张", "sheet {}", m.sheet);
            const double pt = 7.5 * m_k;
            auto [w, h] = m_text.measure(text, pt, true);
            double x = m.next ? tx + 2 * m_k : tx - 2 * m_k - w;
            Box box{x, ty - h / 2, x + w, ty + h / 2};
            m_labels.block(box.inflated(1));
            m_text.draw(box.x0, box.y0, text, pt, match_line, true, Align::left, -1, true);
            // An arrow towards that sheet.
            double dir = m.next ? 1 : -1, ax0 = m.next ? box.x1 + 2 * m_k : box.x0 - 2 * m_k;
            cairo_move_to(m_cr, ax0, ty);
            cairo_line_to(m_cr, ax0 + dir * 4 * m_k, ty);
            cairo_set_line_width(m_cr, 0.8 * m_k);
            cairo_stroke(m_cr);
            cairo_move_to(m_cr, ax0 + dir * 5.5 * m_k, ty);
            cairo_line_to(m_cr, ax0 + dir * 3.5 * m_k, ty - 1.3 * m_k);
            cairo_line_to(m_cr, ax0 + dir * 3.5 * m_k, ty + 1.3 * m_k);
            cairo_close_path(m_cr);
            cairo_fill(m_cr);
        }
    }

    // What the legend (map_legend.cpp) and the panel headings draw with.
    PagePen pen() { return {m_cr, m_text, m_page, m_k, m_small}; }

    double heading(const Box& b, double y, const std::string& s) {
        return panel_heading(pen(), b, y, s);
    }

    // Rows with an empty value are sub-headings. The font shrinks (to 5.5 pt at least) until the
    // table fits above the panel's bottom; rows that still do not fit are left out with "…".
    void draw_figures(const Box& b, double y) {
        y = heading(b, y, tr(m_page.lang, "主要指标", "Figures"));
        const double gap = 3 * m_k;
        auto layout_height = [&](double pt) {
            double h = 0;
            for (const auto& row : m_page.figure_rows) {
                auto [lw, lh] = m_text.measure(row.label, pt, row.value.empty());
                auto [vw, vh] = m_text.measure(row.value, pt);
                h += (lw + gap + vw <= b.width() ? std::max(lh, vh) : lh + vh) + 2 * m_k;
            }
            return h;
        };
        double pt = 7.5 * m_k;
        while (pt > 5.5 * m_k && y + layout_height(pt) > b.y1)
            pt -= 0.5 * m_k;
        for (const auto& row : m_page.figure_rows) {
            auto [lw, lh] = m_text.measure(row.label, pt, row.value.empty());
            auto [vw, vh] = m_text.measure(row.value, pt);
            bool one_line = lw + gap + vw <= b.width();
            double h = (one_line ? std::max(lh, vh) : lh + vh) + 2 * m_k;
            if (y + h > b.y1) {
                m_text.draw(b.x0, y, "…", pt, grey_text);
                break;
            }
            if (row.value.empty()) {
                m_text.draw(b.x0, y + 1 * m_k, row.label, pt, ink, true);
                y += lh + 3 * m_k;
                continue;
            }
            m_text.draw(b.x0, y, row.label, pt, grey_text);
            if (one_line)
                m_text.draw(b.x1, y, row.value, pt, ink, false, Align::right);
            else
                m_text.draw(b.x0, y + lh, row.value, pt, ink, false, Align::right, b.width());
            y += h;
        }
    }

    void draw_footer() {
        const Box& b = m_page.layout.footer;
        const double pt = 6.5 * m_k;
        const Lang lang = m_page.lang;
        std::string left = m_page.crs_note;
        left += trf(lang, "　比例尺 1:{}（按 {} 纸张打印）", "  scale 1:{} (printed on {})",
                    group_thousands(std::lround(m_t.scale_denominator())),
                    m_page.layout.size == PaperSize::a3 ? "A3" : "A4");
        m_text.draw(b.x0, b.y0 + 1 * m_k, left, pt, grey_text);
        m_text.draw(b.x1, b.y0 + 1 * m_k,
                    trf(lang, "{}　landclear 制图 {}", "{}  made by landclear {}",
                        m_page.source_note, m_page.made_on.value_or(Date::today()).iso()),
                    pt, grey_text, false, Align::right);
    }

    cairo_t* m_cr;
    const MapPage& m_page;
    const MapTransform& m_t;
    Text m_text;
    double m_k;
    double m_detail = 1; // line-width factor, smaller at small scales
    bool m_small = false;
    Envelope m_view = m_t.world_extent();
    LabelBoxes m_labels;
    std::vector<Box> m_placed;
    std::vector<std::string> m_chainage_labels;
    ScaleBarSpec m_scale;
    double m_scale_x0 = 0;
};

} // namespace

double panel_heading(const PagePen& pen, const Box& b, double y, const std::string& s) {
    double h = pen.text.draw(b.x0, y, s, 9.5 * pen.k, ink, true);
    y += h + 1 * pen.k;
    cairo_move_to(pen.cr, b.x0, y);
    cairo_line_to(pen.cr, b.x1, y);
    cairo_set_line_width(pen.cr, 0.5 * pen.k);
    set(pen.cr, ink);
    cairo_stroke(pen.cr);
    return y + 2 * pen.k;
}

RenderedPage draw_page(cairo_t* cr, const MapPage& page) {
    return PageDrawer(cr, page).draw();
}

} // namespace landclear::render_detail
