#pragma once
// Draws meeting maps with cairo and pango: one page per MapPage, into a PNG (at a chosen dpi), a
// multi-page vector PDF with its CJK font embedded, or a folder of PNGs. Files are written under
// a temporary name and moved into place by finish(), so a failed run leaves nothing half-written.
#include "landclear/render/map_data.hpp"
#include "landclear/render/map_layout.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace landclear {

enum class MapFormat { png, pdf, png_folder };

// .png -> png, .pdf -> pdf, anything else (an existing folder, or a name ending in '/') -> a
// folder of PNGs. Several pages into one .png: Error(usage).
MapFormat map_format_for(const std::string& out, bool several_pages);

// The font maps are drawn with ("Noto Sans CJK SC"); throws Error(input) naming the Debian
// package when fontconfig finds no font with Chinese glyphs. Returns the family it found.
std::string require_cjk_font();

// Fill colours are the palette of core/stage.hpp (stage_style(...).fill), the web map's too.

struct RenderedPage {
    std::string key;
    std::string file;                // final path of its file (the PDF for an atlas)
    int width_px = 0, height_px = 0; // PNG only
    std::vector<Box> label_boxes;    // parcel and chainage labels placed, page points
    std::size_t labels_skipped = 0;  // parcel labels that did not fit
    // The scale bar as drawn: its length on the page and on the ground, and where it starts
    // (page points; its "0" label is centred there, its length label at x0 + length_pt).
    double scale_bar_length_pt = 0, scale_bar_length_m = 0, scale_bar_x0 = 0;
    std::pair<double, double> north{0, -1};   // the north arrow's direction on the page (y down)
    std::vector<std::string> chainage_labels; // K labels placed inside the map frame
};

class MapWriter {
public:
    // Checks now that the output can be written (folder exists and is writable), before any
    // page is drawn. dpi applies to PNG output.
    MapWriter(std::string out, MapFormat format, double dpi = 150);
    ~MapWriter();
    MapWriter(const MapWriter&) = delete;
    MapWriter& operator=(const MapWriter&) = delete;

    RenderedPage add_page(const MapPage& page);
    // Moves the files into place; returns their paths.
    std::vector<std::string> finish();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace landclear
