// Text set with pango on a cairo context, measured unhinted so a label has the same size in
// the PNG and the PDF.
#include "landclear/render/detail/map_style.hpp"

namespace landclear::render_detail {

Text::Text(cairo_t* cr) : m_cr(cr), m_layout(pango_cairo_create_layout(cr)) {
    // Unhinted metrics so a label measures the same in the PNG and the PDF.
    FontOptionsPtr opts(cairo_font_options_create());
    cairo_font_options_set_hint_metrics(opts.get(), CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(opts.get(), CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(pango_layout_get_context(m_layout.get()), opts.get());
    pango_layout_context_changed(m_layout.get());
    m_desc.reset(pango_font_description_from_string(font_family));
}

// Size in points of text set at size pt (width: wrap at this width, <0: no wrap).
std::pair<double, double> Text::measure(const std::string& s, double pt, bool bold, double width) {
    prepare(s, pt, bold, width, Align::left);
    int w = 0, h = 0;
    pango_layout_get_size(m_layout.get(), &w, &h);
    return {double(w) / PANGO_SCALE, double(h) / PANGO_SCALE};
}

// Draws with the top-left (or top-right / top-centre per align) at x, y; returns height.
double Text::draw(double x, double y, const std::string& s, double pt, Colour c, bool bold,
                  Align align, double width, bool halo) {
    auto [w, h] = measure(s, pt, bold, width);
    if (width >= 0)
        prepare(s, pt, bold, width, align);
    double left = x;
    if (width < 0) {
        if (align == Align::right)
            left = x - w;
        else if (align == Align::centre)
            left = x - w / 2;
    }
    cairo_move_to(m_cr, left, y);
    if (halo) {
        pango_cairo_layout_path(m_cr, m_layout.get());
        set(m_cr, white);
        cairo_set_line_width(m_cr, pt * 0.28);
        cairo_set_line_join(m_cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(m_cr);
        cairo_move_to(m_cr, left, y);
    }
    set(m_cr, c);
    pango_cairo_show_layout(m_cr, m_layout.get());
    return h;
}

void Text::prepare(const std::string& s, double pt, bool bold, double width, Align align) {
    pango_font_description_set_absolute_size(m_desc.get(), pt * PANGO_SCALE);
    pango_font_description_set_weight(m_desc.get(), bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(m_layout.get(), m_desc.get());
    pango_layout_set_width(m_layout.get(), width >= 0 ? int(width * PANGO_SCALE) : -1);
    pango_layout_set_wrap(m_layout.get(), PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(m_layout.get(), align == Align::right    ? PANGO_ALIGN_RIGHT
                                               : align == Align::centre ? PANGO_ALIGN_CENTER
                                                                        : PANGO_ALIGN_LEFT);
    pango_layout_set_text(m_layout.get(), s.data(), int(s.size()));
}

} // namespace landclear::render_detail
