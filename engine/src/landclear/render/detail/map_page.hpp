// Private to render/: draws one page; the writer owns the surfaces and files.
#pragma once

#include "landclear/render/map_render.hpp"

#include <cairo.h>

namespace landclear::render_detail {

RenderedPage draw_page(cairo_t* cr, const MapPage& page);

} // namespace landclear::render_detail
