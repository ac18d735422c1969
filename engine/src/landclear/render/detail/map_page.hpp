// Private to render/: draws one page (map_page.cpp, its legend in map_legend.cpp); the writer
// owns the surfaces and files.
#pragma once

#include "landclear/render/detail/map_style.hpp"
#include "landclear/render/detail/words.hpp"
#include "landclear/render/map_render.hpp"

#include <cairo.h>
#include <fmt/format.h>
#include <string>

namespace landclear::render_detail {

RenderedPage draw_page(cairo_t* cr, const MapPage& page);

// What the parts of a page drawn outside its drawer need: the context, its text, the page, the
// size factor (sqrt 2 on A3) and whether parcels are only a few points wide (small scales).
struct PagePen {
    cairo_t* cr;
    Text& text;
    const MapPage& page;
    double k;
    bool small;
};

// A panel section's heading with its rule; returns the y below it.
double panel_heading(const PagePen& pen, const Box& b, double y, const std::string& s);

// The legend (map_legend.cpp); returns the y below it.
double draw_legend(const PagePen& pen, const Box& b);

} // namespace landclear::render_detail
