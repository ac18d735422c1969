// Private to render/: the cairo, pango and fontconfig handles, the map colours and text set
// with pango, shared by the page drawer (map_page.cpp) and the writer (map_render.cpp).
#pragma once

#include "landclear/core/stage.hpp"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <memory>
#include <pango/pangocairo.h>
#include <string>
#include <utility>

namespace landclear::render_detail {

inline constexpr const char* font_family = "Noto Sans CJK SC";

// ---- RAII over cairo, pango and fontconfig handles ----------------------------------------

struct CairoDeleter {
    void operator()(cairo_t* c) const { cairo_destroy(c); }
    void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
    void operator()(cairo_font_options_t* o) const { cairo_font_options_destroy(o); }
};
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoDeleter>;
using FontOptionsPtr = std::unique_ptr<cairo_font_options_t, CairoDeleter>;

struct GObjectDeleter {
    void operator()(void* o) const { g_object_unref(o); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectDeleter>;

struct FontDescDeleter {
    void operator()(PangoFontDescription* d) const { pango_font_description_free(d); }
};
using FontDescPtr = std::unique_ptr<PangoFontDescription, FontDescDeleter>;

struct FcDeleter {
    void operator()(FcPattern* p) const { FcPatternDestroy(p); }
};
using FcPatternPtr = std::unique_ptr<FcPattern, FcDeleter>;

// ---- colours ---------------------------------------------------------------------------

struct Colour {
    double r, g, b, a = 1;
};
inline Colour colour(Rgb c, double a = 1) {
    return {c.r / 255.0, c.g / 255.0, c.b / 255.0, a};
}
inline Colour hex(unsigned v, double a = 1) {
    return {((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0, (v & 0xff) / 255.0, a};
}
inline void set(cairo_t* cr, Colour c) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

inline const Colour ink = hex(0x222222), grey_text = hex(0x5f5f5f), parcel_edge = hex(0x5a5a5a);
inline const Colour context_edge = hex(0xc4c4c4), flag_red = colour(attention_colour),
                    hatch = hex(0x1f3a93);
inline const Colour boundary = hex(0x6a3d9a), red_line = hex(0xe31a1c), centre = hex(0xa50f15);
inline const Colour blocking = hex(0xe31a1c, 0.35), white = hex(0xffffff);
inline const Colour match_line = hex(0x1f5fa8);
// Issues (问题清单) on the map: overdue in the attention red, open ones a dark orange that stays
// apart from the cleared parcels' fill (#f58f2a) by its darkness and the marker's white ring.
inline const Colour issue_overdue = flag_red, issue_open = hex(0xd95f0e);

// ---- text with pango -------------------------------------------------------------------

enum class Align { left, centre, right };

class Text {
public:
    explicit Text(cairo_t* cr);

    // Size in points of text set at size pt (width: wrap at this width, <0: no wrap).
    std::pair<double, double> measure(const std::string& s, double pt, bool bold = false,
                                      double width = -1);

    // Draws with the top-left (or top-right / top-centre per align) at x, y; returns height.
    double draw(double x, double y, const std::string& s, double pt, Colour c, bool bold = false,
                Align align = Align::left, double width = -1, bool halo = false);

private:
    void prepare(const std::string& s, double pt, bool bold, double width, Align align);

    cairo_t* m_cr;
    LayoutPtr m_layout;
    FontDescPtr m_desc;
};

} // namespace landclear::render_detail
