#include "landclear/render/map_render.hpp"

#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/io/atomic_file.hpp"
#include "landclear/render/detail/map_page.hpp"
#include "landclear/render/detail/map_style.hpp"

#include <algorithm>
#include <cairo-pdf.h>
#include <cairo.h>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fontconfig/fontconfig.h>
#include <optional>
#include <pango/pangocairo.h>
#include <set>
#include <unistd.h>

namespace landclear {

namespace fs = std::filesystem;
using namespace render_detail;

namespace {

std::string safe_file_name(const std::string& key) {
    std::string out;
    for (char c : key)
        out += std::string_view("/\\:*?\"<>| \t").find(c) == std::string_view::npos ? c : '_';
    if (out.empty() || out[0] == '.')
        out = "map" + out;
    return out;
}

[[noreturn]] void cannot_write(const std::string& path, const std::string& why) {
    throw_input(fmt::format("cannot write the map to {}: {}", path, why),
                "check that the folder exists and is writable, or choose another --out");
}

void check_writable_folder(const fs::path& dir, const std::string& out) {
    std::error_code ec;
    fs::path d = dir.empty() ? fs::path(".") : dir;
    if (!fs::is_directory(d, ec))
        cannot_write(out, fmt::format("folder {} does not exist", d.string()));
    if (::access(d.c_str(), W_OK) != 0)
        cannot_write(out, fmt::format("folder {} is not writable", d.string()));
}

} // namespace

MapFormat map_format_for(const std::string& out, bool several_pages) {
    if (out.empty())
        throw_usage("--out is required", "pass --out FILE.png, FILE.pdf or a folder");
    fs::path p(out);
    std::string ext = p.extension().string();
    for (auto& c : ext)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::error_code ec;
    if (out.back() == '/' || fs::is_directory(p, ec))
        return MapFormat::png_folder;
    if (ext == ".pdf")
        return MapFormat::pdf;
    if (ext == ".png") {
        if (several_pages)
            throw_usage(fmt::format("{} is one PNG, but this request makes several pages", out),
                        "write an atlas to a .pdf file (one page per project) or to a folder "
                        "(one PNG per project)");
        return MapFormat::png;
    }
    if (ext.empty())
        return MapFormat::png_folder;
    throw_usage(fmt::format("--out {}: landclear writes maps as .png or .pdf", out),
                "name a .png or .pdf file, or a folder for one PNG per page");
}

std::string require_cjk_font() {
    if (!FcInit())
        throw_input("fontconfig cannot start, so no Chinese font can be found",
                    "apt-get install fontconfig fonts-noto-cjk");
    FcPatternPtr pattern(FcNameParse(reinterpret_cast<const FcChar8*>(font_family)));
    FcConfigSubstitute(nullptr, pattern.get(), FcMatchPattern);
    FcDefaultSubstitute(pattern.get());
    FcResult result = FcResultNoMatch;
    FcPatternPtr match(FcFontMatch(nullptr, pattern.get(), &result));
    std::string family;
    bool covers = false;
    if (match) {
        FcChar8* fam = nullptr;
        if (FcPatternGetString(match.get(), FC_FAMILY, 0, &fam) == FcResultMatch && fam)
            family = reinterpret_cast<const char*>(fam);
        FcCharSet* cs = nullptr;
        if (FcPatternGetCharSet(match.get(), FC_CHARSET, 0, &cs) == FcResultMatch && cs)
            covers = FcCharSetHasChar(cs, 0x5F81) && FcCharSetHasChar(cs, 0x62C6) &&
                     FcCharSetHasChar(cs, 0x4EA9); // 征 拆 亩
    }
    if (!covers)
        throw_input(fmt::format("no font with Chinese characters is installed (fontconfig "
                                "offers {} for {})",
                                family.empty() ? "nothing" : "'" + family + "'", font_family),
                    "apt-get install fonts-noto-cjk");
    return family;
}

struct MapWriter::Impl {
    std::string out;
    MapFormat format;
    double dpi;
    SurfacePtr pdf;
    std::optional<AtomicFile> pdf_file;
    std::vector<std::unique_ptr<AtomicFile>> pending; // PNGs, moved into place by finish()
    std::set<std::string> names;
    bool finished = false;

    void discard() {
        if (pdf) {
            cairo_surface_finish(pdf.get());
            pdf.reset();
        }
        pdf_file.reset(); // the temporaries go with their owners
        pending.clear();
    }
};

namespace {
void commit_map(AtomicFile& file) {
    try {
        file.commit();
    } catch (const Error& e) {
        cannot_write(file.target().string(), e.message());
    }
}
} // namespace

MapWriter::MapWriter(std::string out, MapFormat format, double dpi)
    : m_impl(std::make_unique<Impl>()) {
    if (!(dpi >= 36 && dpi <= 600))
        throw_usage(fmt::format("--dpi {} is outside 36–600", dpi),
                    "use 150 for screens, 300 for print");
    auto& m = *m_impl;
    m.out = std::move(out);
    m.format = format;
    m.dpi = dpi;
    fs::path p(m.out);
    switch (format) {
    case MapFormat::png:
        check_writable_folder(p.parent_path(), m.out);
        break;
    case MapFormat::pdf: {
        check_writable_folder(p.parent_path(), m.out);
        m.pdf_file.emplace(p);
        m.pdf.reset(cairo_pdf_surface_create(m.pdf_file->temp().c_str(), 595, 842));
        if (auto st = cairo_surface_status(m.pdf.get()); st != CAIRO_STATUS_SUCCESS) {
            m.pdf.reset();
            m.pdf_file.reset();
            cannot_write(m.out, cairo_status_to_string(st));
        }
        cairo_pdf_surface_set_metadata(m.pdf.get(), CAIRO_PDF_METADATA_CREATOR, "landclear");
        break;
    }
    case MapFormat::png_folder: {
        std::error_code ec;
        fs::create_directories(p, ec);
        if (ec)
            cannot_write(m.out, ec.message());
        check_writable_folder(p, m.out);
        break;
    }
    }
}

MapWriter::~MapWriter() {
    if (m_impl && !m_impl->finished)
        m_impl->discard();
}

RenderedPage MapWriter::add_page(const MapPage& page) {
    auto& m = *m_impl;
    const double w = page.layout.width_pt, h = page.layout.height_pt;
    if (m.format == MapFormat::pdf) {
        cairo_pdf_surface_set_size(m.pdf.get(), w, h);
        CairoPtr cr(cairo_create(m.pdf.get()));
        auto r = draw_page(cr.get(), page);
        cairo_show_page(cr.get());
        if (auto st = cairo_status(cr.get()); st != CAIRO_STATUS_SUCCESS)
            cannot_write(m.out, cairo_status_to_string(st));
        r.file = m.out;
        return r;
    }
    int wpx = static_cast<int>(std::ceil(w * m.dpi / 72.0 - 1e-9));
    int hpx = static_cast<int>(std::ceil(h * m.dpi / 72.0 - 1e-9));
    SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, wpx, hpx));
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
        throw_input(fmt::format("cannot make a {}×{} pixel image for {}", wpx, hpx, page.key),
                    "lower --dpi");
    CairoPtr cr(cairo_create(surface.get()));
    cairo_scale(cr.get(), m.dpi / 72.0, m.dpi / 72.0);
    auto r = draw_page(cr.get(), page);
    r.width_px = wpx;
    r.height_px = hpx;
    cairo_surface_flush(surface.get());

    fs::path final_path;
    if (m.format == MapFormat::png) {
        final_path = m.out;
    } else {
        std::string name = safe_file_name(page.key);
        std::string candidate = name;
        for (int i = 2; m.names.count(candidate); ++i)
            candidate = fmt::format("{}-{}", name, i);
        m.names.insert(candidate);
        final_path = fs::path(m.out) / (candidate + ".png");
    }
    auto file = std::make_unique<AtomicFile>(final_path);
    if (auto st = cairo_surface_write_to_png(surface.get(), file->temp().c_str());
        st != CAIRO_STATUS_SUCCESS)
        cannot_write(final_path.string(), cairo_status_to_string(st));
    m.pending.push_back(std::move(file));
    r.file = final_path.string();
    return r;
}

std::vector<std::string> MapWriter::finish() {
    auto& m = *m_impl;
    std::vector<std::string> files;
    if (m.format == MapFormat::pdf) {
        cairo_surface_finish(m.pdf.get());
        auto st = cairo_surface_status(m.pdf.get());
        m.pdf.reset();
        if (st != CAIRO_STATUS_SUCCESS)
            cannot_write(m.out, cairo_status_to_string(st));
        commit_map(*m.pdf_file);
        m.pdf_file.reset();
        files.push_back(m.out);
    } else {
        for (const auto& file : m.pending) {
            commit_map(*file);
            files.push_back(file->target().string());
        }
        m.pending.clear();
    }
    m.finished = true;
    return files;
}

} // namespace landclear
