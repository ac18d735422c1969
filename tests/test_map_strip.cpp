// Strip maps (带状图): sheets along a corridor, checked against geometry and the PDF, not against
// landclear's own output. The sheets' frames (reported in the working CRS) cover GEOS's buffer of
// the centreline; the frame's ground size is the page's size in points × the scale; the scale bar
// read back from the PDF's text positions (poppler's pdftotext -bbox) gives the requested scale;
// every K label at a round chainage is on some sheet (the PDF's text); the sheet count on a
// straight road of known length is counted by hand; each sheet's figures equal SpatiaLite SQL
// over the parcels clipped to the sheet's stretch; the red line is on every PNG sheet.
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/render/map_layout.hpp"
#include "landclear/render/map_render.hpp"
#include "landclear/render/map_strip.hpp"
#include "support/fixtures.hpp"
#include "support/test_support.hpp"

#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#define GEOS_USE_ONLY_R_API
#include <gdal_priv.h>
#include <geos_c.h>
#include <map>
#include <numbers>
#include <regex>
#include <set>

using namespace landclear;
using namespace landclear::test;

namespace {

constexpr double bx = 400000, by = 3090000;
constexpr double road_len = 3200, road_width = 30;

// The curved corridor: a 200° arc of radius 300 m around (cx, cy), a vertex every 2°.
constexpr double arc_cx = bx + 1600, arc_cy = by + 1500, arc_r = 300;
std::vector<std::pair<double, double>> arc_points() {
    std::vector<std::pair<double, double>> pts;
    for (int deg = -190; deg <= 10; deg += 2) {
        double a = deg * std::numbers::pi / 180;
        pts.emplace_back(arc_cx + arc_r * std::cos(a), arc_cy + arc_r * std::sin(a));
    }
    return pts;
}
std::string arc_wkt() {
    std::string s = "LINESTRING(";
    auto pts = arc_points();
    for (size_t i = 0; i < pts.size(); ++i)
        s += fmt::format("{}{:.4f} {:.4f}", i ? "," : "", pts[i].first, pts[i].second);
    return s + ")";
}

// Project S: 32 parcels of 100 m × 100 m in a row under road S-1 (3.2 km from K0+000, 30 m wide,
// along the parcels' middle); stage by i % 4: delivered, cleared, acquired, none. Road ARC (same
// project, 40 m wide, from K1+180) bends through 200° north of them.
struct StripFixture {
    TempDir dir;
    std::string store = dir.file("strip.sqlite");
    StripFixture() {
        FixtureLayer parcels{"parcels",
                             4547,
                             {{"parcel_code"},
                              {"project_code"},
                              {"acquired_on", FixtureField::date},
                              {"cleared_on", FixtureField::date},
                              {"delivered_on", FixtureField::date}},
                             {}};
        for (int i = 0; i < 32; ++i) {
            std::array<std::string, 3> d;
            switch (i % 4) {
            case 0:
                d = {"2025-01-10", "2025-02-01", "2025-03-01"};
                break;
            case 1:
                d = {"2025-01-10", "2025-02-01", ""};
                break;
            case 2:
                d = {"2025-01-10", "", ""};
                break;
            default:
                break;
            }
            parcels.features.push_back({rect_wkt(bx + 100.0 * i, by, 100, 100),
                                        {fmt::format("S{:02d}", i), "S", d[0], d[1], d[2]}});
        }
        FixtureLayer projects{
            "projects", 4547, {{"project_code"}, {"name"}}, {{"", {"S", "湘潭绕城线"}}}, "None"};
        auto corridors = corridor_layer(
            {{fmt::format("LINESTRING({} {},{} {})", bx, by + 50, bx + road_len, by + 50),
              {"S-1", "S", "绕城线主线", fmt::format("{}", road_width), "0"}},
             {arc_wkt(), {"ARC", "S", "绕城线匝道", "40", "1180"}}});
        import_fixture_layers_cli(dir.file("in.gpkg"), store, {parcels, projects, corridors});
    }

    std::vector<MapPage> sheets(const std::string& code, PaperSize size = PaperSize::a3,
                                double scale = 2000) {
        auto s = open_store(store, StoreMode::read);
        MapRequest req;
        req.scope = MapScope::corridor;
        req.code = code;
        req.as_of = Date(2025, 3, 5);
        req.size = size;
        req.strip = true;
        req.strip_scale = scale;
        return collect_map_pages(*s, req);
    }
};

StripFixture& fixture() {
    static StripFixture f;
    return f;
}

// GEOS directly (not landclear's wrapper): the red line as ST_Buffer(line, w/2, 'endcap=flat')
// and the union of the sheets' frames.
struct GeosCheck {
    GEOSContextHandle_t h = GEOS_init_r();
    ~GeosCheck() { GEOS_finish_r(h); }
    GEOSGeometry* wkt(const std::string& s) {
        auto* r = GEOSWKTReader_create_r(h);
        auto* g = GEOSWKTReader_read_r(h, r, s.c_str());
        GEOSWKTReader_destroy_r(h, r);
        BOOST_REQUIRE(g);
        return g;
    }
    // Area of the red line that no sheet frame covers.
    double uncovered(const std::string& line_wkt, double width, const std::vector<MapPage>& pages) {
        auto* line = wkt(line_wkt);
        auto* red =
            GEOSBufferWithStyle_r(h, line, width / 2, 8, GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_ROUND, 5);
        std::vector<GEOSGeometry*> frames;
        for (const auto& p : pages) {
            std::string s = "POLYGON((";
            for (size_t i = 0; i < p.strip->frame.size(); ++i)
                s += fmt::format("{}{:.6f} {:.6f}", i ? "," : "", p.strip->frame[i].x,
                                 p.strip->frame[i].y);
            frames.push_back(wkt(s + "))"));
        }
        auto* all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, frames.data(),
                                                static_cast<unsigned>(frames.size()));
        auto* u = GEOSUnaryUnion_r(h, all);
        auto* diff = GEOSDifference_r(h, red, u);
        double a = 0;
        GEOSArea_r(h, diff, &a);
        double red_area = 0;
        GEOSArea_r(h, red, &red_area);
        BOOST_CHECK_GT(red_area, 0);
        for (auto* g : {line, red, all, u, diff})
            GEOSGeom_destroy_r(h, g);
        return a;
    }
};

double side(const MapRing& r, int i) {
    return std::hypot(r[i + 1].x - r[i].x, r[i + 1].y - r[i].y);
}

// Words of `pdftotext -bbox`: per page, text with its box in points.
struct Word {
    std::string text;
    double x0, y0, x1, y1;
};
std::vector<std::vector<Word>> pdf_words(const std::string& pdf) {
    auto html = capture("pdftotext -bbox '" + pdf + "' -");
    std::vector<std::vector<Word>> pages;
    std::regex page_re("<page "),
        word_re(
            R"re(<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>)re");
    std::istringstream lines(html);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("<page ") != std::string::npos)
            pages.emplace_back();
        std::smatch m;
        if (!pages.empty() && std::regex_search(line, m, word_re))
            pages.back().push_back(
                {m[5], std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4])});
    }
    return pages;
}

bool reddish(const Rgb& c) {
    return c.r > 170 && c.g < 110 && c.b < 110;
}

} // namespace

BOOST_AUTO_TEST_CASE(scale_option) {
    BOOST_CHECK_EQUAL(parse_map_scale("1:2000"), 2000);
    BOOST_CHECK_EQUAL(parse_map_scale("1:5,000"), 5000);
    BOOST_CHECK_EQUAL(parse_map_scale("2500"), 2500);
    BOOST_CHECK_THROW(parse_map_scale("2:2000"), Error);
    BOOST_CHECK_THROW(parse_map_scale("1:20"), Error);
    BOOST_CHECK_THROW(parse_map_scale("big"), Error);
}

BOOST_AUTO_TEST_CASE(turned_transform) {
    // A road running north-east at 30°: turned so it runs left to right, north points up-right.
    const double a = 30 * std::numbers::pi / 180;
    auto t = MapTransform::oriented(1000, 2000, a, 2000, {0, 0, 400, 200});
    auto [px, py] = t.to_page(1000, 2000);
    BOOST_CHECK_CLOSE(px, 200, 1e-9);
    BOOST_CHECK_CLOSE(py, 100, 1e-9);
    // 100 m along the road: 50 mm to the right at 1:2000, same height.
    auto [qx, qy] = t.to_page(1000 + 100 * std::cos(a), 2000 + 100 * std::sin(a));
    BOOST_CHECK_CLOSE(qx - 200, 50 * points_per_mm, 1e-9);
    BOOST_CHECK_SMALL(qy - 100, 1e-9);
    auto [nx, ny] = t.direction_to_page(0, 1);
    BOOST_CHECK_CLOSE(nx, 0.5, 1e-9);
    BOOST_CHECK_CLOSE(ny, -std::sqrt(3.0) / 2, 1e-9);
    auto [wx, wy] = t.to_world(qx, qy);
    BOOST_CHECK_CLOSE(wx, 1000 + 100 * std::cos(a), 1e-9);
    BOOST_CHECK_CLOSE(wy, 2000 + 100 * std::sin(a), 1e-9);
}

BOOST_AUTO_TEST_CASE(straight_road_sheet_count_by_hand) {
    auto& f = fixture();
    auto pages = f.sheets("S-1");
    // By hand, A3 at 1:2000: the frame is 420 mm − 2 × 8√2 mm = 397.37 mm wide = 794.7 m; the
    // overlap 20 mm = 40 m each side; the inset max(15 m half width, 10 mm = 20 m) = 20 m each
    // side. The first sheet (no road before K0+000): e + 40 + 40 ≤ 794.7 -> e ≤ 714 -> K0+700 (a
    // 100 m boundary). Then a stretch + 80 + 40 ≤ 794.7 -> 600 m: K1+300, K1+900, K2+500; the last
    // (no road after K3+200): 3200 − 2460 + 40 = 780 ≤ 794.7 -> K2+500–K3+200. Five sheets.
    BOOST_REQUIRE_EQUAL(pages.size(), 5u);
    const std::array<std::pair<double, double>, 5> want{
        {{0, 700}, {700, 1300}, {1300, 1900}, {1900, 2500}, {2500, 3200}}};
    for (size_t i = 0; i < pages.size(); ++i) {
        const auto& sp = *pages[i].strip;
        BOOST_CHECK_EQUAL(sp.number, int(i) + 1);
        BOOST_CHECK_EQUAL(sp.count, 5);
        BOOST_CHECK_CLOSE(sp.from_chainage_m + 1, want[i].first + 1, 1e-9);
        BOOST_CHECK_CLOSE(sp.to_chainage_m, want[i].second, 1e-9);
        // The road runs across the sheet: the frame's long side along it (east here).
        BOOST_CHECK_SMALL(std::remainder(pages[i].transform.angle(), 2 * std::numbers::pi), 1e-9);
        // Match lines to the neighbours, at the stretch's ends.
        BOOST_CHECK_EQUAL(sp.match_lines.size(), (i == 0 || i == 4) ? 1u : 2u);
        for (const auto& m : sp.match_lines) {
            BOOST_CHECK_EQUAL(m.sheet, m.next ? sp.number + 1 : sp.number - 1);
            BOOST_CHECK_CLOSE(m.chainage_m + 1,
                              (m.next ? sp.to_chainage_m : sp.from_chainage_m) + 1, 1e-9);
            BOOST_CHECK_CLOSE(m.a.x, bx + m.chainage_m, 1e-6); // across the road at that chainage
            BOOST_CHECK_CLOSE(m.b.x, bx + m.chainage_m, 1e-6);
        }
        BOOST_CHECK(pages[i].key == fmt::format("S-1-{:02d}", i + 1));
    }
    // On A4 the frame is 297 − 16 = 281 mm = 562 m: first e ≤ 562 − 80 = 482 -> 400; then
    // stretches ≤ 562 − 120 = 442 -> 400 m: K0+800 ... K2+800; the last K2+800–K3+200
    // (3200 − 2760 + 40 = 480 ≤ 562). Eight sheets.
    BOOST_CHECK_EQUAL(f.sheets("S-1", PaperSize::a4).size(), 8u);
    // At 1:5000 on A3 (1,986.9 m frame, 100 m overlap, 50 m inset): first e ≤ 1986.9 − 200 ->
    // K1+700, then K1+700–K3+200 (3200 − 1600 + 100 = 1700). Two sheets.
    BOOST_CHECK_EQUAL(f.sheets("S-1", PaperSize::a3, 5000).size(), 2u);
}

BOOST_AUTO_TEST_CASE(sheets_cover_the_red_line) {
    auto& f = fixture();
    GeosCheck g;
    auto straight = f.sheets("S-1");
    BOOST_CHECK_SMALL(
        g.uncovered(fmt::format("LINESTRING({} {},{} {})", bx, by + 50, bx + road_len, by + 50),
                    road_width, straight),
        1e-6);
    for (auto size : {PaperSize::a3, PaperSize::a4})
        for (double scale : {1000.0, 2000.0, 5000.0}) {
            auto pages = f.sheets("ARC", size, scale);
            BOOST_CHECK_GE(pages.size(), 1u);
            double miss = g.uncovered(arc_wkt(), 40, pages);
            BOOST_CHECK_MESSAGE(miss < 1e-6, "1:" << scale << ": " << miss << " m² uncovered");
            // Consecutive sheets overlap (the road before and after the stretch is shown).
            for (size_t i = 0; i + 1 < pages.size(); ++i)
                BOOST_CHECK_CLOSE(pages[i].strip->to_chainage_m,
                                  pages[i + 1].strip->from_chainage_m, 1e-9);
        }
    // The arc at 1:1000 on A4 needs several sheets, each turned along its stretch.
    auto small = f.sheets("ARC", PaperSize::a4, 1000);
    BOOST_CHECK_GE(small.size(), 3u);
    std::set<long> angles;
    for (const auto& p : small)
        angles.insert(std::lround(p.transform.angle() * 100));
    BOOST_CHECK_EQUAL(angles.size(), small.size());
}

BOOST_AUTO_TEST_CASE(pdf_scale_frame_and_k_labels) {
    auto& f = fixture();
    auto pdf = f.dir.file("s1.pdf");
    auto r = run_cli({"map", f.store, "--corridor", "S-1", "--strip", "--scale", "1:2000", "--size",
                      "A3", "--as-of", "2025-03-05", "--out", pdf});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK_MESSAGE(r.out.find("(5 pages)") != std::string::npos, r.out);
    auto info = capture("pdfinfo '" + pdf + "'");
    BOOST_CHECK_MESSAGE(info.find("Pages:           5") != std::string::npos, info);
    std::smatch m;
    BOOST_REQUIRE(
        std::regex_search(info, m, std::regex(R"(Page size:\s+([0-9.]+) x ([0-9.]+) pts)")));
    const double page_w = std::stod(m[1]), page_h = std::stod(m[2]);
    BOOST_CHECK_CLOSE(page_w, 420 * 72 / 25.4, 1e-3); // A3 landscape
    BOOST_CHECK_CLOSE(page_h, 297 * 72 / 25.4, 1e-3);
    // The frame on the ground from the page size and the scale: (page width − two 8√2 mm
    // margins) in mm × 2 m per mm at 1:2000.
    const double frame_w_m = (page_w * 25.4 / 72 - 16 * std::sqrt(2.0)) * 2;
    auto pages = f.sheets("S-1");
    // Its height: the page less margins, title, footer, the panel and gaps (8 + 15 + 2 at the top,
    // 2 + 64 + 4 under the map, 6 + 8 at the bottom: 109 mm × √2 on A3).
    const double frame_h_m = (page_h * 25.4 / 72 - 109 * std::sqrt(2.0)) * 2;
    for (const auto& p : pages) {
        BOOST_CHECK_CLOSE(side(p.strip->frame, 0), frame_w_m, 1e-3); // pdfinfo: 2 decimals
        BOOST_CHECK_CLOSE(side(p.strip->frame, 1), frame_h_m, 1e-3);
    }

    auto words = pdf_words(pdf);
    BOOST_REQUIRE_EQUAL(words.size(), 5u);
    std::set<std::string> labels;
    for (size_t i = 0; i < words.size(); ++i) {
        const auto& frame = pages[i].transform.frame();
        bool scale_found = false;
        for (const auto& w : words[i]) {
            if (std::regex_match(w.text, std::regex(R"(K\d+\+\d{3})"))) {
                labels.insert(w.text);
                // Inside the map frame.
                BOOST_CHECK(w.x0 >= frame.x0 && w.x1 <= frame.x1 && w.y0 >= frame.y0 &&
                            w.y1 <= frame.y1);
            }
            // The scale bar: "0" centred at its start, "100 米" centred at its end, one line.
            if (w.text != "0")
                continue;
            for (size_t k = 0; k + 1 < words[i].size(); ++k) {
                const auto& len = words[i][k];
                const auto& unit = words[i][k + 1];
                if (std::fabs(len.y0 - w.y0) > 0.5 || len.x0 <= w.x1 || unit.text != "米" ||
                    !std::regex_match(len.text, std::regex(R"(\d+)")))
                    continue;
                double bar_pt = (len.x0 + unit.x1) / 2 - (w.x0 + w.x1) / 2;
                double scale = std::stod(len.text) / (bar_pt * 25.4 / 72 / 1000);
                BOOST_CHECK_CLOSE(scale, 2000, 1.0); // within 1 % (text boxes, not the bar)
                scale_found = true;
            }
        }
        BOOST_CHECK_MESSAGE(scale_found, "no scale bar found on sheet " << i + 1);
    }
    // Every 100 m from K0+000 to K3+200 on some sheet.
    for (int ch = 0; ch <= 3200; ch += 100)
        BOOST_CHECK_MESSAGE(labels.count(format_chainage(ch)), format_chainage(ch) << " missing");
    // The curved road too: K1+200 ... K2+200 and its two ends (K1+180, K2+227.13) on some sheet.
    auto arc_pdf = f.dir.file("arc.pdf");
    r = run_cli({"map", f.store, "--corridor", "ARC", "--strip", "--as-of", "2025-03-05", "--out",
                 arc_pdf});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::set<std::string> arc_labels;
    for (const auto& page : pdf_words(arc_pdf))
        for (const auto& w : page)
            arc_labels.insert(w.text);
    for (int ch = 1200; ch <= 2200; ch += 100)
        BOOST_CHECK_MESSAGE(arc_labels.count(format_chainage(ch)), format_chainage(ch)
                                                                       << " missing");
    BOOST_CHECK(arc_labels.count("K1+180"));
    BOOST_CHECK(arc_labels.count("K2+227"));
    // The renderer's own scale bar: length on the ground = length on paper × scale.
    MapWriter writer(f.dir.file("s1b.pdf"), MapFormat::pdf);
    auto drawn = writer.add_page(pages[1]);
    writer.finish();
    BOOST_CHECK_CLOSE(drawn.scale_bar_length_pt * 25.4 / 72 / 1000 * 2000, drawn.scale_bar_length_m,
                      1e-9);
    auto fonts = capture("pdffonts '" + pdf + "'");
    BOOST_CHECK_MESSAGE(fonts.find("NotoSansCJK") != std::string::npos, fonts);
}

BOOST_AUTO_TEST_CASE(sheet_figures_against_sql) {
    auto& f = fixture();
    auto pages = f.sheets("S-1");
    BOOST_REQUIRE_EQUAL(pages.size(), 5u);
    const double y0 = by + 50 - road_width / 2, y1 = by + 50 + road_width / 2;
    for (const auto& p : pages) {
        const auto& sp = *p.strip;
        double x0 = bx + sp.from_chainage_m, x1 = bx + sp.to_chainage_m;
        // The red line of a straight stretch: length × width.
        BOOST_CHECK_CLOSE(sp.red_line_m2, (x1 - x0) * road_width, 1e-9);
        auto clipped = [&](const std::string& where) {
            return ogr_sql_number(f.store,
                                  fmt::format("SELECT coalesce(sum(ST_Area(ST_Intersection(geom, "
                                              "BuildMbr({}, {}, {}, {})))), 0) FROM parcels WHERE "
                                              "project_code = 'S' AND {}",
                                              x0, y0, x1, y1, where));
        };
        BOOST_CHECK_CLOSE(sp.figures.area_m2, clipped("1"), 1e-9);
        BOOST_CHECK_CLOSE(sp.figures.acquired_m2, clipped("acquired_on <= '2025-03-05'"), 1e-9);
        BOOST_CHECK_CLOSE(sp.figures.cleared_m2, clipped("cleared_on <= '2025-03-05'"), 1e-9);
        BOOST_CHECK_CLOSE(sp.figures.delivered_m2, clipped("delivered_on <= '2025-03-05'"), 1e-9);
        // Blocking parcels: land not cleared inside this stretch's red line, by SQL.
        auto rows = ogr_sql(
            f.store,
            fmt::format("SELECT parcel_code, ST_Area(ST_Intersection(geom, BuildMbr({}, {}, "
                        "{}, {}))) AS a FROM parcels WHERE project_code = 'S' AND "
                        "cleared_on IS NULL AND a > 0.01 ORDER BY a DESC, parcel_code",
                        x0, y0, x1, y1));
        std::string got, want;
        for (const auto& [code, a] : sp.blocking_parcels)
            got += fmt::format("{}:{:.3f} ", code, a);
        for (const auto& row : rows)
            want += fmt::format("{}:{} ", row[0], row[1]);
        BOOST_TEST_MESSAGE("sheet " << sp.number << " blocking " << got << " / sql " << want);
        BOOST_REQUIRE_EQUAL(sp.blocking_parcels.size(), rows.size());
        for (size_t i = 0; i < rows.size(); ++i) {
            BOOST_CHECK_EQUAL(sp.blocking_parcels[i].first, rows[i][0]);
            BOOST_CHECK_CLOSE(sp.blocking_parcels[i].second, std::stod(rows[i][1]), 1e-9);
        }
        std::map<std::string, std::string> fig;
        for (const auto& r : p.figure_rows)
            fig[r.label] = r.value;
        BOOST_CHECK_EQUAL(fig["本张桩号"],
                          format_chainage_range(sp.from_chainage_m, sp.to_chainage_m));
        BOOST_CHECK_EQUAL(fig["红线面积"], fmt::format("{:.2f} 亩", m2_to_mu(sp.red_line_m2)));
    }
    // By hand for sheet 2 (K0+700–K1+300): parcels 7..12 each hold 100 m × 30 m = 3,000 m² of
    // red line (4.5 亩); S08, S12 delivered; S09 cleared; S10 acquired; S07, S11 not acquired.
    const auto& s2 = *pages[1].strip;
    BOOST_CHECK_CLOSE(s2.figures.area_m2, 18000, 1e-9);
    BOOST_CHECK_CLOSE(m2_to_mu(s2.figures.acquired_m2), 4 * 4.5, 1e-9);
    BOOST_CHECK_CLOSE(m2_to_mu(s2.figures.cleared_m2), 3 * 4.5, 1e-9);
    BOOST_CHECK_CLOSE(m2_to_mu(s2.figures.delivered_m2), 2 * 4.5, 1e-9);
    BOOST_REQUIRE_EQUAL(s2.blocking_parcels.size(), 3u); // S07, S10, S11: not cleared
    BOOST_CHECK_EQUAL(s2.blocking_parcels[0].first, "S07");
}

BOOST_AUTO_TEST_CASE(png_sheets_show_the_red_line_and_turned_north) {
    auto& f = fixture();
    auto dir = f.dir.file("arc-sheets");
    auto r = run_cli({"map", f.store, "--corridor", "ARC", "--strip", "--size", "A4", "--scale",
                      "1:1000", "--as-of", "2025-03-05", "--dpi", "100", "--out", dir + "/"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto pages = f.sheets("ARC", PaperSize::a4, 1000);
    BOOST_REQUIRE_GE(pages.size(), 3u);
    for (const auto& p : pages) {
        auto png = fmt::format("{}/{}.png", dir, p.key);
        BOOST_REQUIRE_MESSAGE(fs::exists(png), png);
        Image img(png);
        const auto& sp = *p.strip;
        // The red line's outer edge at the middle of the stretch: 20 m out from the arc.
        double ch = (sp.from_chainage_m + sp.to_chainage_m) / 2;
        double a = (-190 + (ch - 1180) / arc_r * 180 / std::numbers::pi) * std::numbers::pi / 180;
        double ex = arc_cx + (arc_r + 20) * std::cos(a), ey = arc_cy + (arc_r + 20) * std::sin(a);
        auto [col, row] = p.transform.to_pixel(ex, ey, 100);
        bool red = false;
        for (int dc = -2; dc <= 2; ++dc)
            for (int dr = -2; dr <= 2; ++dr)
                red = red || reddish(img.at(col + dc, row + dr));
        BOOST_CHECK_MESSAGE(red, p.key << ": no red line at pixel " << col << "," << row);
        // Each match line is drawn (blue) 35 m out from the centreline, clear of the red line.
        for (const auto& m : sp.match_lines) {
            double mx = (m.a.x + m.b.x) / 2, my = (m.a.y + m.b.y) / 2;
            double ux = m.a.x - mx, uy = m.a.y - my, ul = std::hypot(ux, uy);
            bool blue = false;
            for (double side : {1.0, -1.0})
                for (double d = 30; d <= 40 && !blue; d += 0.5) { // dashes have gaps
                    auto [mc, mr] =
                        p.transform.to_pixel(mx + side * ux / ul * d, my + side * uy / ul * d, 100);
                    for (int dc = -1; dc <= 1; ++dc) {
                        auto c = img.at(mc + dc, mr);
                        blue = blue || (c.b > 130 && c.r < 90 && c.g < 130);
                    }
                }
            BOOST_CHECK_MESSAGE(blue, p.key << ": no match line to sheet " << m.sheet);
        }
        // The map is turned along the stretch's chord: north on the page is the world's +y
        // turned by the same angle, so the arrow differs from sheet to sheet.
        auto [nx, ny] = p.transform.direction_to_page(0, 1);
        BOOST_CHECK_CLOSE(nx + 2, std::sin(p.transform.angle()) + 2, 1e-9);
        BOOST_CHECK_CLOSE(ny + 2, -std::cos(p.transform.angle()) + 2, 1e-9);
    }
}

BOOST_AUTO_TEST_CASE(english_sheet_and_corridor_frame) {
    auto& f = fixture();
    auto pdf = f.dir.file("s1-en.pdf");
    auto r = run_cli({"map", f.store, "--corridor", "S-1", "--strip", "--lang", "en", "--as-of",
                      "2025-03-05", "--out", pdf});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto text = capture("pdftotext '" + pdf + "' -");
    BOOST_CHECK_MESSAGE(text.find("strip map") != std::string::npos, text.substr(0, 400));
    BOOST_CHECK(text.find("Blocking parcels on this sheet") != std::string::npos);
    BOOST_CHECK(text.find("sheet 2") != std::string::npos); // a match line's label
    BOOST_CHECK(text.find("亩") == std::string::npos);
    // A project-frame corridor map in English too; Chinese by default.
    auto en_pdf = f.dir.file("arc-en.pdf"), zh_pdf = f.dir.file("arc-zh.pdf");
    BOOST_REQUIRE_EQUAL(run_cli({"map", f.store, "--corridor", "ARC", "--lang", "en", "--as-of",
                                 "2025-03-05", "--out", en_pdf})
                            .exit_code,
                        0);
    BOOST_REQUIRE_EQUAL(
        run_cli({"map", f.store, "--corridor", "ARC", "--as-of", "2025-03-05", "--out", zh_pdf})
            .exit_code,
        0);
    auto en = capture("pdftotext '" + en_pdf + "' -"), zh = capture("pdftotext '" + zh_pdf + "' -");
    for (const char* w : {"Legend", "Figures", "Red-line area", "Blocking stretches", "Scale 1:"})
        BOOST_CHECK_MESSAGE(en.find(w) != std::string::npos, w << " missing in English");
    BOOST_CHECK(en.find("亩") == std::string::npos);
    for (const char* w : {"图例", "主要指标", "红线面积", "阻塞段", "比例尺 1:"})
        BOOST_CHECK_MESSAGE(zh.find(w) != std::string::npos, w << " missing in Chinese");
    // The project-frame corridor map is framed on the corridor's red line, not on the project's
    // 3.2 km of parcels: ARC's red line (about 620 m × 480 m) fills the frame at its centre.
    auto s = open_store(f.store, StoreMode::read);
    MapRequest req;
    req.scope = MapScope::corridor;
    req.code = "ARC";
    req.as_of = Date(2025, 3, 5);
    auto pages = collect_map_pages(*s, req);
    BOOST_REQUIRE_EQUAL(pages.size(), 1u);
    const auto& c = pages[0].corridors.at(0);
    double minx = 1e18, maxx = -1e18, miny = 1e18, maxy = -1e18;
    for (const auto& ring : c.red_line)
        for (const auto& pt : ring) {
            minx = std::min(minx, pt.x), maxx = std::max(maxx, pt.x);
            miny = std::min(miny, pt.y), maxy = std::max(maxy, pt.y);
        }
    auto [cx, cy] = pages[0].transform.to_page((minx + maxx) / 2, (miny + maxy) / 2);
    const auto& fr = pages[0].transform.frame();
    BOOST_CHECK_CLOSE(cx, (fr.x0 + fr.x1) / 2, 1e-9);
    BOOST_CHECK_CLOSE(cy, (fr.y0 + fr.y1) / 2, 1e-9);
    auto view = pages[0].transform.world_extent();
    BOOST_CHECK_LT(view.max_x - view.min_x, 1500); // not the project's 3.2 km
}

BOOST_AUTO_TEST_CASE(strip_requests_get_clear_errors) {
    auto& f = fixture();
    auto out = f.dir.file("bad.pdf");
    auto expect = [&](std::vector<std::string> args, int code, const std::string& text) {
        check_refused(args, code, text, out);
    };
    expect({"map", f.store, "--project", "S", "--strip", "--out", out}, 2,
           "--strip makes a strip map of one corridor");
    expect({"map", f.store, "--corridor", "S-1", "--scale", "1:2000", "--out", out}, 2,
           "--scale applies to strip maps");
    expect({"map", f.store, "--corridor", "S-1", "--strip", "--scale", "1:10", "--out", out}, 2,
           "is not a map scale");
    expect({"map", f.store, "--corridor", "S-1", "--strip", "--out", f.dir.file("one.png")}, 2,
           "several pages");
    expect(
        {"map", f.store, "--corridor", "S-1", "--strip", "--orientation", "portrait", "--out", out},
        2, "strip maps are landscape");
}

BOOST_AUTO_TEST_CASE(strip_distance_and_chainage_honour_breaks) {
    // A short chain (短链) K0+750 = K0+800 on a 1600 m line: chainages 750..800 are skipped.
    Stationing short_chain(0, 1600, {{750, 800}});
    BOOST_CHECK_CLOSE(strip_distance_of(short_chain, 700), 700, 1e-12);
    BOOST_CHECK_CLOSE(strip_distance_of(short_chain, 800), 750, 1e-12);
    BOOST_CHECK_CLOSE(strip_distance_of(short_chain, 775), 750, 1e-12); // skipped: the break
    BOOST_CHECK_CLOSE(strip_distance_of(short_chain, 1400), 1350, 1e-12);
    BOOST_CHECK_CLOSE(strip_distance_of(short_chain, 1650), 1600, 1e-12);
    BOOST_CHECK_CLOSE(strip_chainage_of(short_chain, 1350), 1400, 1e-12);
    BOOST_CHECK_CLOSE(strip_chainage_of(short_chain, 1600), 1650, 1e-12);
    // A long chain (长链) K0+600 = K0+550: 550..600 stationed twice, the first place is given.
    Stationing long_chain(0, 1000, {{600, 550}});
    BOOST_CHECK_CLOSE(strip_distance_of(long_chain, 580), 580, 1e-12);
    BOOST_CHECK_CLOSE(strip_distance_of(long_chain, 700), 750, 1e-12);
    BOOST_CHECK_CLOSE(strip_chainage_of(long_chain, 620), 570, 1e-12);
}

BOOST_AUTO_TEST_CASE(strip_sheets_follow_a_short_chain) {
    // Road SC: 1600 m due east, 30 m wide, alignment ZK (左线), from ZK0+000 with a short chain
    // ZK0+750 = ZK0+800 at 750 m along: it ends at ZK1+650.
    TempDir dir;
    auto store = dir.file("sc.sqlite");
    auto src = dir.file("sc.gpkg");
    FixtureLayer corridors{
        "corridors",
        4547,
        {{"corridor_code"},
         {"project_code"},
         {"name"},
         {"width_m", FixtureField::real},
         {"start_chainage_m", FixtureField::real},
         {"chainage_breaks"},
         {"alignment"}},
        {{fmt::format("LINESTRING({} {},{} {})", bx, by + 50, bx + 1600, by + 50),
          {"SC", "S", "短链线", "30", "0", "K0+750=K0+800", "ZK"}}},
        "LineString"};
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"},
                          {"project_code"},
                          {"acquired_on", FixtureField::date},
                          {"cleared_on", FixtureField::date},
                          {"delivered_on", FixtureField::date}},
                         {{rect_wkt(bx, by, 1600, 100), {"SC-1", "S", "", "", ""}}}};
    write_layer(src, "GPKG", parcels);
    write_layer(src, "GPKG", corridors);
    auto r = run_cli({"import", store, "--parcels", src + ":parcels", "--corridors",
                      src + ":corridors", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);

    std::vector<MapPage> pages;
    {
        auto s = open_store(store, StoreMode::read);
        MapRequest req;
        req.scope = MapScope::corridor;
        req.code = "SC";
        req.as_of = Date(2025, 3, 5);
        req.size = PaperSize::a3;
        req.strip = true;
        req.strip_scale = 2000;
        pages = collect_map_pages(*s, req);
    }
    // By hand, A3 at 1:2000 (794.7 m frame, 40 m overlap, 20 m inset, as above), segments at
    // round chainages with the break as a boundary: along 0..750 reads ZK0+000..ZK0+750, along
    // 750..1600 reads ZK0+800..ZK1+650. Sheet 1: e + 80 <= 794.7 -> along 700 = ZK0+700. Sheet 2:
    // stretch + 120 <= 794.7 -> along <= 1374.7 -> 1350 = ZK1+400 (not 1400: the chainage is 50 m
    // ahead of the distance). Sheet 3: along 1350..1600, ZK1+400..ZK1+650.
    BOOST_REQUIRE_EQUAL(pages.size(), 3u);
    const std::array<std::array<double, 4>, 3> want{
        {{0, 700, 0, 700}, {700, 1400, 700, 1350}, {1400, 1650, 1350, 1600}}};
    for (size_t i = 0; i < 3; ++i) {
        const auto& sp = *pages[i].strip;
        BOOST_CHECK_SMALL(sp.from_chainage_m - want[i][0], 1e-9);
        BOOST_CHECK_SMALL(sp.to_chainage_m - want[i][1], 1e-9);
        BOOST_CHECK_SMALL(sp.along_from_m - want[i][2], 1e-9);
        BOOST_CHECK_SMALL(sp.along_to_m - want[i][3], 1e-9);
        BOOST_CHECK_MESSAGE(pages[i].title.find(format_chainage_range(want[i][0], want[i][1],
                                                                      "ZK")) != std::string::npos,
                            pages[i].title);
        // Match lines across the road where the stretch ends along the line.
        for (const auto& m : sp.match_lines) {
            double along = m.next ? want[i][3] : want[i][2];
            BOOST_CHECK_SMALL(m.chainage_m - (m.next ? want[i][1] : want[i][0]), 1e-9);
            BOOST_CHECK_SMALL(m.a.x - (bx + along), 1e-6);
        }
    }
    // The K labels: every 100 m of chainage where the stationing reads it, at x = bx + distance
    // (chainage before the break, chainage − 50 after it), and the end ZK1+650 at 1600 m.
    std::map<long, double> labels; // chainage -> x
    for (const auto& c : pages[0].corridors)
        if (c.code == "SC") {
            BOOST_CHECK_EQUAL(c.alignment, "ZK");
            for (const auto& tk : c.ticks)
                if (tk.labelled || tk.end_point)
                    labels[std::lround(tk.chainage_m)] = tk.at.x;
        }
    std::map<long, double> want_labels;
    for (int ch = 0; ch <= 700; ch += 100)
        want_labels[ch] = bx + ch;
    for (int ch = 800; ch <= 1600; ch += 100)
        want_labels[ch] = bx + ch - 50;
    want_labels[1650] = bx + 1600;
    BOOST_REQUIRE_EQUAL(labels.size(), want_labels.size());
    for (const auto& [ch, x] : want_labels) {
        BOOST_REQUIRE_MESSAGE(labels.count(ch), format_chainage(ch, "ZK") << " missing");
        BOOST_CHECK_SMALL(labels[ch] - x, 1e-6);
    }

    // In the PDF: each sheet carries the ZK labels of its own stretch; ZK0+750 (skipped by the
    // break) and a plain K label appear nowhere.
    auto pdf = dir.file("sc.pdf");
    r = run_cli({"map", store, "--corridor", "SC", "--strip", "--scale", "1:2000", "--size", "A3",
                 "--as-of", "2025-03-05", "--out", pdf});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto words = pdf_words(pdf);
    BOOST_REQUIRE_EQUAL(words.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        std::set<std::string> on_sheet;
        for (const auto& w : words[i])
            on_sheet.insert(w.text);
        for (const auto& [ch, x] : want_labels) {
            double along = x - bx;
            if (along < want[i][2] - 1e-9 || along > want[i][3] + 1e-9)
                continue;
            BOOST_CHECK_MESSAGE(on_sheet.count(format_chainage(ch, "ZK")),
                                "sheet " << i + 1 << ": " << format_chainage(ch, "ZK")
                                         << " missing");
        }
        BOOST_CHECK(!on_sheet.count("ZK0+750"));
        for (const auto& w : on_sheet)
            BOOST_CHECK_MESSAGE(!std::regex_match(w, std::regex(R"(K\d+\+\d{3})")), w);
    }
}
