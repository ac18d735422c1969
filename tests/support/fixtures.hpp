#pragma once
// Pieces the hand-made fixtures share: rectangles as WKT, layers written into one GeoPackage
// and imported (through the library or the CLI), a picture's pixels read back through GDAL
// (not through our renderer), a command's output, and the relative tolerance the corridor
// tests compare their hand figures with. Header only: each test program includes what it uses.
#include "landclear/analysis/import.hpp"
#include "landclear/core/schema.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/io/gdal_util.hpp"
#include "support/test_support.hpp"

#include <algorithm>
#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <string>
#include <vector>

namespace landclear::test {

// The corridor tests' grid: positions in metres from (bx, by), EPSG:4547 near Xiangtan.
namespace grid {
constexpr double bx = 390000, by = 3080000;
// The rectangle x0..x1 × y0..y1 (metres from the origin), as WKT.
inline std::string rect(double x0, double x1, double y0, double y1) {
    return fmt::format("POLYGON(({0} {2},{1} {2},{1} {3},{0} {3},{0} {2}))", bx + x0, bx + x1,
                       by + y0, by + y1);
}
} // namespace grid

// A w × h rectangle with its lower-left corner at (x, y), as WKT.
inline std::string rect_wkt(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + w, y + h);
}

// Writes the layers into the GeoPackage src (a layer each, named as the store's layers are)
// and imports them all into store in one import through the library, in EPSG:4547.
inline void import_fixture_layers(const std::string& src, const std::string& store,
                                  const std::vector<FixtureLayer>& layers) {
    ImportOptions o;
    o.store = store;
    o.working_epsg = 4547;
    for (const auto& layer : layers) {
        write_layer(src, "GPKG", layer);
        const std::array<LayerKind, 4> kinds{LayerKind::projects, LayerKind::corridors,
                                             LayerKind::parcels, LayerKind::buildings};
        auto kind = std::find_if(kinds.begin(), kinds.end(),
                                 [&](LayerKind k) { return layer_def(k).name == layer.name; });
        BOOST_REQUIRE_MESSAGE(kind != kinds.end(), "no store layer " << layer.name);
        o.sources.emplace_back(*kind, SourceSpec{src, layer.name});
    }
    import_layers(o);
}

// The same through `landclear import STORE --parcels SRC:parcels … --quiet`, which must succeed.
inline void import_fixture_layers_cli(const std::string& src, const std::string& store,
                                      const std::vector<FixtureLayer>& layers) {
    std::vector<std::string> args{"import", store};
    for (const auto& layer : layers) {
        write_layer(src, "GPKG", layer);
        args.push_back("--" + layer.name);
        args.push_back(src + ":" + layer.name);
    }
    args.push_back("--quiet");
    auto r = run_cli(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

// A corridors layer (code, project, name, width_m, start_chainage_m) holding these lines.
inline FixtureLayer corridor_layer(std::vector<FixtureFeature> features) {
    return {"corridors",
            4547,
            {{"corridor_code"},
             {"project_code"},
             {"name"},
             {"width_m", FixtureField::real},
             {"start_chainage_m", FixtureField::real}},
            std::move(features),
            "LineString"};
}

// The buildings layer of the corridor fixtures: code, parcel, households, demolished_on.
inline FixtureLayer corridor_buildings_layer(std::vector<FixtureFeature> features) {
    return {"buildings",
            4547,
            {{"building_code"},
             {"parcel_code"},
             {"households", FixtureField::integer},
             {"demolished_on", FixtureField::date}},
            std::move(features)};
}

// got within 1e-6 relative (at least 1e-6 absolute) of want.
inline void check_close(double got, double want, const std::string& what) {
    BOOST_CHECK_MESSAGE(std::abs(got - want) <= 1e-6 * std::max(1.0, std::abs(want)),
                        fmt::format("{}: got {:.9f}, want {:.9f}", what, got, want));
}

// The CLI refuses: exit code `code`, `text` in its message, and no file `out` left behind.
inline void check_refused(const std::vector<std::string>& args, int code, const std::string& text,
                          const std::string& out) {
    auto r = run_cli(args);
    BOOST_CHECK_MESSAGE(r.exit_code == code, "exit " << r.exit_code << ": " << r.err);
    BOOST_CHECK_MESSAGE(r.err.find(text) != std::string::npos,
                        "expected '" << text << "' in: " << r.err);
    BOOST_CHECK(!fs::exists(out));
}

// A PNG (or any raster GDAL reads) with at least three bands, read pixel by pixel.
struct Image {
    GDALDatasetUniquePtr ds;
    explicit Image(const std::string& path) {
        ensure_gdal_registered();
        ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
        BOOST_REQUIRE_MESSAGE(ds, "GDAL cannot open " << path);
        BOOST_REQUIRE_GE(ds->GetRasterCount(), 3);
    }
    int width() const { return ds->GetRasterXSize(); }
    int height() const { return ds->GetRasterYSize(); }
    Rgb at(double col, double row) {
        std::array<unsigned char, 3> v{};
        for (int b = 0; b < 3; ++b) {
            auto err = ds->GetRasterBand(b + 1)->RasterIO(GF_Read, int(col), int(row), 1, 1, &v[b],
                                                          1, 1, GDT_Byte, 0, 0);
            BOOST_REQUIRE(err == CE_None);
        }
        return {v[0], v[1], v[2]};
    }
};

// What a shell command prints on stdout (pdfinfo, pdffonts, pdftotext).
inline std::string capture(const std::string& command) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    BOOST_REQUIRE(p);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    pclose(p);
    return out;
}

} // namespace landclear::test
