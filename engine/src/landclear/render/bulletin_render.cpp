#include "landclear/render/bulletin_render.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/io/atomic_file.hpp"
#include "landclear/render/detail/map_page.hpp"
#include "landclear/render/detail/map_style.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/render/map_render.hpp"
#include "landclear/report/bulletin_tables.hpp"

#include <algorithm>
#include <cairo-pdf.h>
#include <cmath>
#include <fmt/format.h>
#include <optional>

namespace landclear {

namespace {

using namespace render_detail;

constexpr double page_w = 842, page_h = 595, margin = 36;
constexpr double body_pt = 6.5, title_pt = 11, row_h = 10.5;

// Line colours for the series, one per group (cycled).
const unsigned series_colours[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd,
                                   0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

std::string cell_text(const Table& t, const Row& row, size_t c) {
    return c < row.size() ? format_cell(row[c], t.columns[c].kind) : std::string();
}

// Draws the tables from the top of a page, starting new pages as they fill; returns the y
// where the next thing may go.
class TablePrinter {
public:
    TablePrinter(cairo_t* cr, Text& text) : m_cr(cr), m_text(text) {}

    void title(const std::string& s) {
        m_text.draw(margin, m_y, s, title_pt + 3, ink, true);
        m_y += 24;
    }

    void table(const Table& t, Lang lang) {
        std::vector<double> widths(t.columns.size(), 0);
        auto widen = [&](size_t c, const std::string& s, bool bold) {
            widths[c] = std::max(widths[c], m_text.measure(s, body_pt, bold).first + 6);
        };
        for (size_t c = 0; c < t.columns.size(); ++c)
            widen(c, t.columns[c].label(lang), true);
        std::vector<Row> rows = t.rows;
        if (t.totals)
            rows.push_back(labelled_totals(t, lang));
        for (const auto& r : rows)
            for (size_t c = 0; c < t.columns.size(); ++c)
                widen(c, cell_text(t, r, c), false);
        double total = 0;
        for (auto& w : widths)
            total += (w = std::min(w, 150.0));
        double scale = std::min(1.0, (page_w - 2 * margin) / total);
        for (auto& w : widths)
            w *= scale;
        need(3 * row_h + 20);
        m_text.draw(margin, m_y, lang == Lang::zh ? t.title_zh : t.title_en, title_pt, ink, true);
        m_y += 17;
        header(t, widths, lang);
        if (rows.empty()) {
            m_text.draw(margin + 3, m_y + 1.5, lang == Lang::zh ? "（无）" : "(none)", body_pt,
                        grey_text);
            m_y += row_h;
        }
        for (size_t i = 0; i < rows.size(); ++i) {
            if (m_y + row_h > page_h - margin) {
                new_page();
                header(t, widths, lang);
            }
            bool totals = t.totals && i + 1 == rows.size();
            double x = margin;
            for (size_t c = 0; c < t.columns.size(); ++c) {
                bool number = t.columns[c].kind != ColumnKind::text;
                auto s = cell_text(t, rows[i], c);
                m_text.draw(number ? x + widths[c] - 3 : x + 3, m_y + 1.5, s, body_pt * scale, ink,
                            totals, number ? Align::right : Align::left);
                x += widths[c];
            }
            m_y += row_h;
            set(m_cr, context_edge);
            cairo_set_line_width(m_cr, 0.4);
            cairo_move_to(m_cr, margin, m_y);
            cairo_line_to(m_cr, x, m_y);
            cairo_stroke(m_cr);
        }
        m_y += 14;
    }

    // A block of the given height: on this page if it fits, else on the next.
    double reserve(double height) {
        need(height);
        double y = m_y;
        m_y += height;
        return y;
    }

    void new_page() {
        cairo_show_page(m_cr);
        m_y = margin;
    }

private:
    void need(double height) {
        if (m_y + height > page_h - margin && m_y > margin)
            new_page();
    }

    void header(const Table& t, const std::vector<double>& widths, Lang lang) {
        double x = margin, scale = 1;
        for (size_t c = 0; c < t.columns.size(); ++c) {
            set(m_cr, hex(0xeeeeee));
            cairo_rectangle(m_cr, x, m_y, widths[c], row_h + 2);
            cairo_fill(m_cr);
            bool number = t.columns[c].kind != ColumnKind::text;
            m_text.draw(number ? x + widths[c] - 3 : x + 3, m_y + 2, t.columns[c].label(lang),
                        body_pt * scale, ink, true, number ? Align::right : Align::left);
            x += widths[c];
        }
        m_y += row_h + 2;
    }

    cairo_t* m_cr;
    Text& m_text;
    double m_y = margin;
};

// The series chart in the box (x, y, w, h): cumulative cleared 亩 per group at each date.
void draw_chart(cairo_t* cr, Text& text, const Bulletin& b, Lang lang, double x, double y, double w,
                double h) {
    set(cr, white);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill(cr);
    text.draw(x, y, lang == Lang::zh ? "本月各周累计已腾(亩)" : "Cleared (mu) at each week's end",
              title_pt, ink, true);
    double legend_w = 150;
    double left = x + 50, top = y + 24, right = x + w - legend_w, bottom = y + h - 24;
    double max_mu = 0;
    for (const auto& s : b.series)
        for (const auto& p : s.points)
            max_mu = std::max(max_mu, m2_to_mu(p.cleared_m2));
    // A round top for the axis: 1, 2 or 5 times a power of ten.
    double step = 1;
    if (max_mu > 0) {
        double raw = max_mu / 5, mag = std::pow(10, std::floor(std::log10(raw)));
        step = raw <= mag ? mag : raw <= 2 * mag ? 2 * mag : raw <= 5 * mag ? 5 * mag : 10 * mag;
    }
    double top_mu = std::max(step, std::ceil(max_mu / step) * step);
    auto py = [&](double mu) { return bottom - (bottom - top) * mu / top_mu; };
    size_t n = b.series_dates.size();
    auto px = [&](size_t i) {
        return n <= 1 ? (left + right) / 2 : left + (right - left) * double(i) / double(n - 1);
    };
    cairo_set_line_width(cr, 0.5);
    for (double v = 0; v <= top_mu + step / 2; v += step) {
        set(cr, context_edge);
        cairo_move_to(cr, left, py(v));
        cairo_line_to(cr, right, py(v));
        cairo_stroke(cr);
        text.draw(left - 4, py(v) - 4, fmt::format("{:.0f}", v), body_pt, grey_text, false,
                  Align::right);
    }
    for (size_t i = 0; i < n; ++i)
        text.draw(px(i), bottom + 4, b.series_dates[i].iso(), body_pt, grey_text, false,
                  Align::centre);
    for (size_t g = 0; g < b.series.size(); ++g) {
        auto c = hex(series_colours[g % std::size(series_colours)]);
        set(cr, c);
        cairo_set_line_width(cr, 1.5);
        const auto& s = b.series[g];
        for (size_t i = 0; i < s.points.size(); ++i) {
            double vx = px(i), vy = py(m2_to_mu(s.points[i].cleared_m2));
            if (i == 0)
                cairo_move_to(cr, vx, vy);
            else
                cairo_line_to(cr, vx, vy);
        }
        cairo_stroke(cr);
        for (size_t i = 0; i < s.points.size(); ++i) {
            cairo_arc(cr, px(i), py(m2_to_mu(s.points[i].cleared_m2)), 2, 0, 2 * M_PI);
            cairo_fill(cr);
        }
        double ly = top + 12 * double(g);
        cairo_rectangle(cr, right + 14, ly + 2, 10, 4);
        cairo_fill(cr);
        text.draw(right + 28, ly, s.key, body_pt, ink);
    }
}

// Puts the store's knowledge date back however the maps end.
struct KnownOnRestore {
    Store& store;
    std::optional<Date> saved;
    ~KnownOnRestore() { store.set_known_on(saved); }
};

// The meeting map of each lagging project, as `landclear map --project CODE --as-of LAST
// --known-on KNOWN --since (the day before the period)` draws it, on pages of its own.
void draw_lagging_maps(cairo_surface_t* surface, Store& store, const Bulletin& b, Lang lang) {
    if (b.lagging.empty())
        return;
    KnownOnRestore restore{store, store.known_on()};
    store.set_known_on(b.known_on);
    for (const auto& p : b.lagging) {
        MapRequest req;
        req.scope = MapScope::project;
        req.code = p.code;
        req.as_of = b.last;
        req.since = Date::from_days(b.first.days() - 1);
        req.lang = lang;
        MapPlan plan(store, req);
        for (std::size_t i = 0; i < plan.keys().size(); ++i) {
            MapPage page = plan.page(i);
            page.made_on = b.last;
            cairo_pdf_surface_set_size(surface, page.layout.width_pt, page.layout.height_pt);
            CairoPtr cr(cairo_create(surface));
            draw_page(cr.get(), page);
            cairo_show_page(cr.get());
            if (auto st = cairo_status(cr.get()); st != CAIRO_STATUS_SUCCESS)
                throw_input(fmt::format("cannot draw the map of project {}: {}", p.code,
                                        cairo_status_to_string(st)));
        }
    }
}

} // namespace

void write_bulletin_pdf(Store& store, const Bulletin& b, const std::vector<Table>& tables,
                        Lang lang, const std::string& path) {
    require_cjk_font();
    AtomicFile file(path);
    SurfacePtr surface(cairo_pdf_surface_create(file.temp().c_str(), page_w, page_h));
    if (auto st = cairo_surface_status(surface.get()); st != CAIRO_STATUS_SUCCESS)
        throw_input(fmt::format("cannot write {}: {}", path, cairo_status_to_string(st)),
                    "check that the folder exists and is writable");
    // Fixed metadata: the bulletin's own day, not the day it was written.
    auto stamp = b.last.iso() + "T00:00:00";
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE, stamp.c_str());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_MOD_DATE, stamp.c_str());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "landclear");
    auto title = bulletin_title(b, lang);
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
    {
        CairoPtr cr(cairo_create(surface.get()));
        Text text(cr.get());
        TablePrinter printer(cr.get(), text);
        printer.title(title);
        if (!b.series.empty()) {
            double y = printer.reserve(230);
            draw_chart(cr.get(), text, b, lang, margin, y, page_w - 2 * margin, 220);
        }
        for (const auto& t : tables)
            printer.table(t, lang);
        cairo_show_page(cr.get());
    }
    draw_lagging_maps(surface.get(), store, b, lang);
    cairo_surface_finish(surface.get());
    if (auto st = cairo_surface_status(surface.get()); st != CAIRO_STATUS_SUCCESS)
        throw_input(fmt::format("cannot write {}: {}", path, cairo_status_to_string(st)));
    surface.reset();
    file.commit();
}

void write_bulletin_chart_png(const Bulletin& b, Lang lang, const std::string& path) {
    if (b.series.empty())
        throw_usage("only the monthly review has a weekly series to chart");
    require_cjk_font();
    constexpr double scale = 2; // 144 dpi
    SurfacePtr surface(cairo_image_surface_create(
        CAIRO_FORMAT_ARGB32, int((page_w - 2 * margin) * scale), int(240 * scale)));
    {
        CairoPtr cr(cairo_create(surface.get()));
        cairo_scale(cr.get(), scale, scale);
        Text text(cr.get());
        draw_chart(cr.get(), text, b, lang, 0, 0, page_w - 2 * margin, 240);
    }
    AtomicFile file(path);
    if (cairo_surface_write_to_png(surface.get(), file.temp().c_str()) != CAIRO_STATUS_SUCCESS)
        throw_input(fmt::format("cannot write {}", path),
                    "check that the folder exists and is writable");
    file.commit();
}

} // namespace landclear
