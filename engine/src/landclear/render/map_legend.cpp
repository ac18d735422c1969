// The legend of a map page: the stage rows with their areas and shares, then a row per symbol
// the page draws (flags, the period's changes, buildings, corridors, the boundary).
#include "landclear/render/detail/map_page.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace landclear::render_detail {

namespace {

class LegendDrawer {
public:
    explicit LegendDrawer(const PagePen& pen)
        : m_pen(pen), m_cr(pen.cr), m_text(pen.text), m_page(pen.page), m_k(pen.k),
          m_small(pen.small) {}

    // The stage rows with their areas, then a row per symbol the page draws.
    double draw(const Box& b) {
        double y = draw_stage_legend(b);
        draw_flag_symbols(b, y);
        draw_building_symbols(b, y);
        draw_corridor_symbols(b, y);
        if (m_page.strip)
            symbol_row(b, y, tr(m_page.lang, "接图线（相邻图幅）", "Match line (next sheet)"),
                       [&](double x, double yy, double w, double h) {
                           cairo_move_to(m_cr, x + w / 2, yy);
                           cairo_line_to(m_cr, x + w / 2, yy + h);
                           cairo_set_line_width(m_cr, 1.1 * m_k);
                           set(m_cr, match_line);
                           cairo_stroke(m_cr);
                       });
        if (!m_page.boundary.empty())
            symbol_row(b, y, m_page.boundary_label, [&](double x, double yy, double w, double h) {
                cairo_move_to(m_cr, x, yy + h / 2);
                cairo_line_to(m_cr, x + w, yy + h / 2);
                double dash[] = {5 * m_k, 2 * m_k};
                cairo_set_dash(m_cr, dash, 2, 0);
                cairo_set_line_width(m_cr, 1.2 * m_k);
                set(m_cr, boundary);
                cairo_stroke(m_cr);
                cairo_set_dash(m_cr, nullptr, 0, 0);
            });
        return y;
    }

    // Swatch size of a legend row.
    double swatch_w() const { return 11 * m_k; }
    double swatch_h() const { return 7 * m_k; }

    double draw_stage_legend(const Box& b) {
        double y = panel_heading(m_pen, b, b.y0, tr(m_page.lang, "图例", "Legend"));
        const double pt = 8 * m_k, sw = swatch_w(), sh = swatch_h(), row = 11.5 * m_k;
        for (const auto& e : m_page.legend) {
            cairo_rectangle(m_cr, b.x0, y + 1 * m_k, sw, sh);
            set(m_cr, colour(stage_style(e.state).fill));
            cairo_fill_preserve(m_cr);
            cairo_set_line_width(m_cr, 0.35 * m_k);
            set(m_cr, parcel_edge);
            cairo_stroke(m_cr);
            m_text.draw(b.x0 + sw + 4 * m_k, y, e.label, pt, ink);
            m_text.draw(b.x1 - 36 * m_k, y,
                        fmt::format("{:.2f} {}", e.mu, tr(m_page.lang, "亩", "mu")), pt, ink, false,
                        Align::right);
            m_text.draw(b.x1, y, fmt::format("{:.1f}%", e.share_pct), pt, ink, false, Align::right);
            y += row;
        }
        y += m_text.draw(b.x0, y,
                         tr(m_page.lang, "亩数为累计值：已征含已腾、已交；比例为占宗地总面积",
                            "Each stage counts its own date; shares of the parcels' area"),
                         6 * m_k, grey_text, false, Align::left, b.width());
        return y + 4 * m_k;
    }

    // A symbol drawn by draw_symbol(x, y, w, h) and its label; moves y to the next row.
    template <class F>
    void symbol_row(const Box& b, double& y, const std::string& label, F&& draw_symbol) {
        const double spt = 7.5 * m_k, srow = 10 * m_k, sw = swatch_w();
        draw_symbol(b.x0, y + 1 * m_k, sw, swatch_h());
        m_text.draw(b.x0 + sw + 4 * m_k, y, label, spt, ink);
        y += srow;
    }

    // Flagged parcels and the period's changes (outlined at small scales, else hatched).
    void draw_flag_symbols(const Box& b, double& y) {
        bool flagged = std::any_of(m_page.parcels.begin(), m_page.parcels.end(),
                                   [](const MapParcel& p) { return p.overdue || p.blocking; });
        if (flagged)
            symbol_row(b, y, tr(m_page.lang, "逾期未交 / 阻塞段宗地", "Overdue / blocking parcel"),
                       [&](double x, double yy, double w, double h) {
                           cairo_rectangle(m_cr, x, yy, w, h);
                           cairo_set_line_width(m_cr, 1.3 * m_k);
                           set(m_cr, flag_red);
                           cairo_stroke(m_cr);
                       });
        if (m_page.since && m_small)
            symbol_row(
                b, y,
                trf(m_page.lang, "本期变化（{} 后）", "Changed after {}", m_page.since->iso()),
                [&](double x, double yy, double w, double h) {
                    cairo_rectangle(m_cr, x, yy, w, h);
                    cairo_set_line_width(m_cr, 0.9 * m_k);
                    set(m_cr, hatch);
                    cairo_stroke(m_cr);
                });
        else if (m_page.since)
            symbol_row(
                b, y,
                trf(m_page.lang, "本期变化（{} 后）", "Changed after {}", m_page.since->iso()),
                [&](double x, double yy, double w, double h) {
                    cairo_save(m_cr);
                    cairo_rectangle(m_cr, x, yy, w, h);
                    cairo_clip(m_cr);
                    cairo_set_line_width(m_cr, 0.6 * m_k);
                    set(m_cr, hatch);
                    for (double hx = x - h; hx < x + w; hx += 3.5 * m_k) {
                        cairo_move_to(m_cr, hx, yy + h);
                        cairo_line_to(m_cr, hx + h, yy);
                    }
                    cairo_stroke(m_cr);
                    cairo_restore(m_cr);
                    cairo_rectangle(m_cr, x, yy, w, h);
                    cairo_set_line_width(m_cr, 0.35 * m_k);
                    set(m_cr, parcel_edge);
                    cairo_stroke(m_cr);
                });
    }

    void draw_building_symbols(const Box& b, double& y) {
        if (m_page.buildings.empty())
            return;
        for (auto s : {BuildingStage::not_signed, BuildingStage::signed_up})
            symbol_row(b, y,
                       std::string(tr(m_page.lang, "房屋：", "Building: ")) + label(stage_style(s)),
                       [&](double x, double yy, double w, double h) {
                           cairo_rectangle(m_cr, x + w * 0.2, yy + h * 0.1, w * 0.6, h * 0.8);
                           set(m_cr, colour(stage_style(s).fill));
                           cairo_fill_preserve(m_cr);
                           cairo_set_line_width(m_cr, 0.25 * m_k);
                           set(m_cr, ink);
                           cairo_stroke(m_cr);
                       });
        symbol_row(b, y,
                   std::string(tr(m_page.lang, "房屋：", "Building: ")) +
                       label(stage_style(BuildingStage::demolished)),
                   [&](double x, double yy, double w, double h) {
                       cairo_rectangle(m_cr, x + w * 0.2, yy + h * 0.1, w * 0.6, h * 0.8);
                       double dash[] = {1.2 * m_k, 0.8 * m_k};
                       cairo_set_dash(m_cr, dash, 2, 0);
                       cairo_set_line_width(m_cr, 0.35 * m_k);
                       set(m_cr, ink);
                       cairo_stroke(m_cr);
                       cairo_set_dash(m_cr, nullptr, 0, 0);
                   });
    }

    void draw_corridor_symbols(const Box& b, double& y) {
        if (m_page.corridors.empty())
            return;
        symbol_row(b, y, tr(m_page.lang, "线路红线", "Corridor red line"),
                   [&](double x, double yy, double w, double h) {
                       cairo_rectangle(m_cr, x, yy + h * 0.15, w, h * 0.7);
                       cairo_set_line_width(m_cr, 1.1 * m_k);
                       set(m_cr, red_line);
                       cairo_stroke(m_cr);
                   });
        symbol_row(b, y,
                   m_page.strip
                       ? tr(m_page.lang, "中线、桩号", "Centreline, chainage")
                       : tr(m_page.lang, "中线、百米桩、公里桩", "Centreline, 100 m and km ticks"),
                   [&](double x, double yy, double w, double h) {
                       double my = yy + h / 2;
                       cairo_move_to(m_cr, x, my);
                       cairo_line_to(m_cr, x + w, my);
                       for (double tx : {x + w * 0.25, x + w * 0.75}) {
                           double len = tx < x + w / 2 ? 2.2 * m_k : 4.5 * m_k;
                           cairo_move_to(m_cr, tx, my - len);
                           cairo_line_to(m_cr, tx, my + len);
                       }
                       cairo_set_line_width(m_cr, 0.6 * m_k);
                       set(m_cr, centre);
                       cairo_stroke(m_cr);
                   });
        bool any_blocking = std::any_of(m_page.corridors.begin(), m_page.corridors.end(),
                                        [](const MapCorridor& c) { return !c.blocking.empty(); });
        if (any_blocking)
            symbol_row(b, y, tr(m_page.lang, "阻塞段", "Blocking stretch"),
                       [&](double x, double yy, double w, double h) {
                           cairo_rectangle(m_cr, x, yy + h * 0.2, w, h * 0.6);
                           set(m_cr, blocking);
                           cairo_fill(m_cr);
                       });
    }

private:
    const char* label(const StageStyle& st) const {
        return m_page.lang == Lang::en ? st.en : st.zh;
    }

    const PagePen& m_pen;
    cairo_t* m_cr;
    Text& m_text;
    const MapPage& m_page;
    double m_k;
    bool m_small;
};

} // namespace

double draw_legend(const PagePen& pen, const Box& b) {
    return LegendDrawer(pen).draw(b);
}

} // namespace landclear::render_detail
