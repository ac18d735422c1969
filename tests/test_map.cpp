// Meeting maps: the picture is checked, not just the file. Pixels at known parcels have their
// status colour (position from the library's map transform, pixels read back through GDAL);
// the legend's 亩 equal `landclear status` and a hand calculation; the PDF atlas has one page
// per project and its CJK font embedded (poppler's pdfinfo / pdffonts); labels never overlap;
// bad requests get clear errors.
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/render/map_layout.hpp"
#include "landclear/render/map_render.hpp"
#include "support/fixtures.hpp"
#include "support/test_support.hpp"

#include <array>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <gdal_priv.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace landclear {
// For Boost.Test's messages (found by ADL).
std::ostream& operator<<(std::ostream& os, const Rgb& c) {
    return os << fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b);
}
} // namespace landclear

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000;

// Project A: ten 100 m × 100 m parcels (15 亩 each) in a row under a 1 km corridor at chainage
// K12+000; deadline 2025-03-01. Project B: 100 small parcels with long cadastral codes (label
// crowding). Project C: no parcels.
struct MapFixture {
    TempDir dir;
    std::string store = dir.file("s.sqlite");
    MapFixture() {
        FixtureLayer parcels{"parcels",
                             4547,
                             {{"parcel_code"},
                              {"project_code"},
                              {"district"},
                              {"acquired_on", FixtureField::date},
                              {"cleared_on", FixtureField::date},
                              {"delivered_on", FixtureField::date}},
                             {}};
        // code, acquired, cleared, delivered
        const std::array<std::array<const char*, 4>, 10> a{{
            {"A01", "2025-01-10", "2025-02-01", "2025-03-01"}, // delivered
            {"A02", "2025-01-15", "2025-02-20", ""},           // cleared
            {"A03", "2025-02-15", "", ""},                     // acquired
            {"A04", "", "", ""},                               // not acquired
            {"A05", "2025-01-15", "2025-03-03", ""},           // cleared this week
            {"A06", "2025-01-15", "2025-02-20", "2025-02-25"}, // delivered
            {"A07", "2025-02-15", "", ""},                     // acquired
            {"A08", "", "", ""},                               // not acquired
            {"A09", "2025-03-04", "", ""},                     // acquired this week
            {"A10", "2025-01-10", "2025-02-01", "2025-04-01"}, // cleared (delivered later)
        }};
        for (size_t i = 0; i < a.size(); ++i)
            parcels.features.push_back({rect_wkt(bx + 100.0 * i, by, 100, 100),
                                        {a[i][0], "A", "雨湖区", a[i][1], a[i][2], a[i][3]}});
        for (int i = 0; i < 100; ++i) {
            double x = bx + (i % 10) * 12.0, y = by + 1000 + (i / 10) * 12.0;
            parcels.features.push_back({rect_wkt(x, y, 12, 12),
                                        {fmt::format("4303020010010{:06d}", i), "B", "岳塘区",
                                         i % 2 ? "2025-01-01" : "", "", ""}});
        }
        FixtureLayer buildings{"buildings",
                               4547,
                               {{"building_code"},
                                {"parcel_code"},
                                {"households", FixtureField::integer},
                                {"floor_area_m2", FixtureField::real},
                                {"signed_on", FixtureField::date},
                                {"demolished_on", FixtureField::date}},
                               {}};
        buildings.features = {
            {rect_wkt(bx + 110, by + 75, 15, 15),
             {"H1", "A02", "2", "150", "2025-01-05", "2025-02-10"}},
            {rect_wkt(bx + 210, by + 75, 15, 15), {"H2", "A03", "1", "90", "2025-02-01", ""}},
            {rect_wkt(bx + 310, by + 75, 15, 15), {"H3", "A04", "3", "260", "", ""}},
        };
        FixtureLayer projects{
            "projects",
            4547,
            {{"project_code"}, {"name"}, {"deadline", FixtureField::date}},
            {{rect_wkt(bx - 5, by - 5, 1010, 110), {"A", "杨梅洲大桥南引线", "2025-03-01"}},
             {"", {"B", "压缩机厂棚户区改造", ""}},
             {"", {"C", "湘大附属实验学校", ""}}},
            "Polygon"};
        auto corridors = corridor_layer(
            {{fmt::format("LINESTRING({} {},{} {})", bx, by + 50, bx + 1000, by + 50),
              {"YMZ-1", "A", "杨梅洲大桥南引线主线", "40", "12000"}}});
        import_fixture_layers_cli(dir.file("in.gpkg"), store,
                                  {parcels, buildings, projects, corridors});
    }

    MapPage page(MapRequest req) {
        auto s = open_store(store, StoreMode::read);
        auto pages = collect_map_pages(*s, req);
        BOOST_REQUIRE_EQUAL(pages.size(), 1u);
        return pages.front();
    }
};

// One store for all cases (they only read it; each writes its own file names): the import is
// the slow part of these tests.
MapFixture& fixture() {
    static MapFixture f;
    return f;
}

MapRequest request(MapScope scope, const std::string& code) {
    MapRequest r;
    r.scope = scope;
    r.code = code;
    r.as_of = Date(2025, 3, 5);
    return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(layout_round_scales_and_lengths) {
    BOOST_CHECK_EQUAL(round_scale(4732), 5000);
    BOOST_CHECK_EQUAL(round_scale(5000), 5000);
    BOOST_CHECK_EQUAL(round_scale(2100), 2500);
    BOOST_CHECK_EQUAL(round_scale(1201), 1500);
    BOOST_CHECK_EQUAL(round_scale(81000), 100000);
    BOOST_CHECK_EQUAL(nice_length(730), 500);
    BOOST_CHECK_EQUAL(nice_length(199), 100);
    BOOST_CHECK_EQUAL(nice_length(2000), 2000);
    BOOST_CHECK_EQUAL(nice_length(0.3), 0.2);
    // A4 landscape is 297 mm × 210 mm = 841.89 × 595.28 pt.
    auto l = page_layout(PaperSize::a4, Orientation::landscape);
    BOOST_CHECK_CLOSE(l.width_pt, 297 * 72 / 25.4, 1e-9);
    BOOST_CHECK_CLOSE(l.height_pt, 210 * 72 / 25.4, 1e-9);
    auto p = page_layout(PaperSize::a3, Orientation::portrait);
    BOOST_CHECK_CLOSE(p.width_pt, 297 * 72 / 25.4, 1e-9);
    BOOST_CHECK_CLOSE(p.height_pt, 420 * 72 / 25.4, 1e-9);
    BOOST_CHECK(p.map.y1 <= p.panel.y0);
    // 1 km wide extent in a 200 mm frame: ≥ 1:5,250 with 5 % margins each side -> 1:6,000.
    auto t = MapTransform::fit({0, 0, 1000, 10}, {0, 0, 200 * points_per_mm, 100 * points_per_mm});
    BOOST_CHECK_EQUAL(t.scale_denominator(), 6000);
    // 1 m on the ground is 1/6 mm on paper.
    BOOST_CHECK_CLOSE(t.points_per_metre(), points_per_mm / 6, 1e-9);
    auto [x, y] = t.to_page(500, 5);
    BOOST_CHECK_CLOSE(x, 100 * points_per_mm, 1e-9);
    BOOST_CHECK_CLOSE(y, 50 * points_per_mm, 1e-9);
    auto bar = scale_bar_spec(t, 50 * points_per_mm); // 50 mm at 1:6,000 = 300 m -> 200 m
    BOOST_CHECK_EQUAL(bar.length_m, 200);
    BOOST_CHECK_CLOSE(bar.length_pt, 200 * points_per_mm / 6, 1e-9);
    LabelBoxes boxes;
    BOOST_CHECK(boxes.try_place({0, 0, 10, 10}));
    BOOST_CHECK(!boxes.try_place({5, 5, 15, 15}));
    BOOST_CHECK(boxes.try_place({10, 0, 20, 10})); // touching is not overlapping
}

BOOST_AUTO_TEST_CASE(pixels_have_the_status_colours) {
    auto& f = fixture();
    auto page = f.page(request(MapScope::project, "A"));
    auto png = f.dir.file("a.png");
    auto r = run_cli(
        {"map", f.store, "--project", "A", "--as-of", "2025-03-05", "--out", png, "--dpi", "100"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK(r.out.find(png) != std::string::npos);
    Image img(png);
    // A4 landscape at 100 dpi: 297 mm / 25.4 × 100 = 1169.3 -> 1170 pixels.
    BOOST_CHECK_EQUAL(img.width(), 1170);
    BOOST_CHECK_EQUAL(img.height(), 827);
    // 15 m in from a parcel's lower-right corner: clear of outlines, labels, buildings and the
    // red line (which starts 30 m up).
    auto pixel = [&](int i) { return page.transform.to_pixel(bx + 100.0 * i + 85, by + 15, 100); };
    auto [c1, r1] = pixel(0);
    BOOST_CHECK_EQUAL(img.at(c1, r1), stage_style(ParcelStage::delivered).fill);
    auto [c2, r2] = pixel(1);
    BOOST_CHECK_EQUAL(img.at(c2, r2), stage_style(ParcelStage::cleared).fill);
    auto [c3, r3] = pixel(2);
    BOOST_CHECK_EQUAL(img.at(c3, r3), stage_style(ParcelStage::acquired).fill);
    auto [c4, r4] = pixel(3);
    BOOST_CHECK_EQUAL(img.at(c4, r4), stage_style(ParcelStage::not_acquired).fill);
    auto [c10, r10] = pixel(9); // delivered only on 2025-04-01, after the as-of date
    BOOST_CHECK_EQUAL(img.at(c10, r10), stage_style(ParcelStage::cleared).fill);
    // The building in A04 is not signed: its own colour.
    auto [hc, hr] = page.transform.to_pixel(bx + 317.5, by + 82.5, 100);
    BOOST_CHECK_EQUAL(img.at(hc, hr), stage_style(BuildingStage::not_signed).fill);
    // A04 is past the 2025-03-01 deadline and not delivered: red outline on its bottom edge.
    auto [ec, er] = page.transform.to_pixel(bx + 350, by, 100);
    auto edge = img.at(ec, er);
    BOOST_CHECK_MESSAGE(edge.r > 180 && edge.g < 90 && edge.b < 90, "edge pixel " << edge);
    // ... and A01, delivered, is not outlined in red.
    auto [oc, orow] = page.transform.to_pixel(bx + 50, by, 100);
    auto plain = img.at(oc, orow);
    BOOST_CHECK_MESSAGE(!(plain.r > 180 && plain.g < 90), "edge pixel " << plain);
    // Flags as the library sees them.
    std::map<std::string, const MapParcel*> by_code;
    for (const auto& p : page.parcels)
        by_code[p.code] = &p;
    BOOST_REQUIRE_EQUAL(by_code.size(), 10u);
    BOOST_CHECK(!by_code["A01"]->overdue);
    BOOST_CHECK(by_code["A04"]->overdue);
    BOOST_CHECK(by_code["A10"]->overdue);
}

BOOST_AUTO_TEST_CASE(legend_figures_equal_status) {
    auto& f = fixture();
    auto req = request(MapScope::project, "A");
    req.since = Date(2025, 3, 2);
    auto page = f.page(req);
    auto r = run_cli({"status", f.store, "--as-of", "2025-03-05", "--format", "json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    json row, status = json::parse(r.out).at("status");
    for (const auto& g : status["rows"])
        if (g["group"] == "A")
            row = g;
    BOOST_REQUIRE(!row.is_null());
    const auto& L = page.legend;
    BOOST_CHECK_EQUAL(L[0].label, "未征");
    BOOST_CHECK_CLOSE(L[0].mu, row["area_mu"].get<double>() - row["acquired_mu"].get<double>(),
                      1e-9);
    BOOST_CHECK_EQUAL(L[1].mu, row["acquired_mu"].get<double>());
    BOOST_CHECK_EQUAL(L[1].share_pct, row["acquired_pct"].get<double>());
    BOOST_CHECK_EQUAL(L[2].mu, row["cleared_mu"].get<double>());
    BOOST_CHECK_EQUAL(L[2].share_pct, row["cleared_pct"].get<double>());
    BOOST_CHECK_EQUAL(L[3].mu, row["delivered_mu"].get<double>());
    BOOST_CHECK_EQUAL(L[3].share_pct, row["delivered_pct"].get<double>());
    // By hand: 10 parcels of 10,000 m² = 15 亩 each; acquired 8, cleared 5, delivered 2.
    BOOST_CHECK_CLOSE(L[0].mu, 30.0, 1e-9);
    BOOST_CHECK_CLOSE(L[1].mu, 120.0, 1e-9);
    BOOST_CHECK_CLOSE(L[2].mu, 75.0, 1e-9);
    BOOST_CHECK_CLOSE(L[3].mu, 30.0, 1e-9);
    BOOST_CHECK_CLOSE(L[3].share_pct, 20.0, 1e-9);
    // The same area through SpatiaLite, independent of our import.
    double area = ogr_sql_number(f.store, "SELECT sum(ST_Area(geom)) FROM parcels WHERE "
                                          "project_code = 'A'");
    BOOST_CHECK_CLOSE(m2_to_mu(area), L[0].mu + L[1].mu, 1e-9);
    // Changed in (2025-03-02, 2025-03-05]: A05 cleared on 03-03, A09 acquired on 03-04.
    std::vector<std::string> changed;
    for (const auto& p : page.parcels)
        if (p.changed)
            changed.push_back(p.code);
    BOOST_CHECK_EQUAL(fmt::format("{}", fmt::join(changed, ",")), "A05,A09");
    // The figures table carries households: 6 in all, 3 signed, 2 demolished.
    bool households = false;
    for (const auto& fr : page.figure_rows)
        if (fr.label == "签约户数 / 总户数")
            households = fr.value == "3 / 6 户";
    BOOST_CHECK(households);
}

BOOST_AUTO_TEST_CASE(pdf_atlas_pages_and_embedded_font) {
    auto& f = fixture();
    auto pdf = f.dir.file("atlas.pdf");
    auto r = run_cli(
        {"map", f.store, "--all-projects", "--as-of", "2025-03-05", "--out", pdf, "--size", "A3"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK(r.out.find("2 pages") != std::string::npos);
    BOOST_CHECK(r.err.find("C: no parcels") != std::string::npos); // C has no page
    auto info = capture("pdfinfo '" + pdf + "'");
    auto pages_at = info.find("Pages:");
    BOOST_REQUIRE(pages_at != std::string::npos);
    BOOST_CHECK_EQUAL(std::stoi(info.substr(pages_at + 6)), 2);
    // A3 landscape: 1190.55 × 841.89 pt.
    BOOST_CHECK_MESSAGE(info.find("1190.55 x 841.89 pts (A3)") != std::string::npos, info);
    auto fonts = capture("pdffonts '" + pdf + "'");
    bool embedded_cjk = false;
    std::istringstream lines(fonts);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("NotoSansCJK") == std::string::npos)
            continue;
        std::vector<std::string> tok;
        std::istringstream words(line);
        for (std::string w; words >> w;)
            tok.push_back(w);
        // name type... encoding emb sub uni object gen
        if (tok.size() >= 6 && tok[tok.size() - 5] == "yes")
            embedded_cjk = true;
    }
    BOOST_CHECK_MESSAGE(embedded_cjk, fonts);
    // No temporary file left beside it.
    int entries = 0;
    for (const auto& e : fs::directory_iterator(f.dir.path()))
        entries += e.path().filename().string().find(".tmp") != std::string::npos;
    BOOST_CHECK_EQUAL(entries, 0);
}

BOOST_AUTO_TEST_CASE(atlas_into_a_folder_of_pngs) {
    auto& f = fixture();
    auto out = f.dir.file("maps");
    auto r = run_cli({"map", f.store, "--all-projects", "--as-of", "2025-03-05", "--out", out,
                      "--orientation", "portrait", "--dpi", "72"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK(fs::exists(out + "/A.png"));
    BOOST_CHECK(fs::exists(out + "/B.png"));
    BOOST_CHECK(!fs::exists(out + "/C.png"));
    Image img(out + "/B.png");
    BOOST_CHECK_EQUAL(img.width(), 596); // 210 mm at 72 dpi = 595.3
    BOOST_CHECK_EQUAL(img.height(), 842);
}

BOOST_AUTO_TEST_CASE(labels_do_not_overlap) {
    auto& f = fixture();
    auto page = f.page(request(MapScope::project, "B"));
    BOOST_REQUIRE_EQUAL(page.parcels.size(), 100u);
    MapWriter writer(f.dir.file("b.png"), MapFormat::png, 150);
    auto r = writer.add_page(page);
    writer.finish();
    const auto& boxes = r.label_boxes;
    BOOST_CHECK_GT(boxes.size(), 0u);
    BOOST_CHECK_EQUAL(boxes.size() + r.labels_skipped, 100u);
    for (size_t i = 0; i < boxes.size(); ++i) {
        BOOST_CHECK(page.transform.frame().contains(boxes[i]));
        for (size_t j = i + 1; j < boxes.size(); ++j)
            BOOST_CHECK_MESSAGE(!boxes[i].intersects(boxes[j]), "labels " << i << " and " << j);
    }
}

BOOST_AUTO_TEST_CASE(corridor_map_chainage) {
    auto& f = fixture();
    auto page = f.page(request(MapScope::corridor, "YMZ-1"));
    BOOST_REQUIRE_EQUAL(page.corridors.size(), 1u);
    const auto& c = page.corridors.front();
    // 1 km from K12+000: ticks every 100 m including both ends, K labels at the kilometres.
    BOOST_REQUIRE_EQUAL(c.ticks.size(), 11u);
    BOOST_CHECK_CLOSE(c.ticks[3].chainage_m, 12300, 1e-9);
    BOOST_CHECK_CLOSE(c.ticks[3].at.x, bx + 300, 1e-9);
    BOOST_CHECK_CLOSE(c.ticks[3].at.y, by + 50, 1e-9);
    int km = 0;
    for (const auto& t : c.ticks)
        km += t.kilometre;
    BOOST_CHECK_EQUAL(km, 2);
    BOOST_CHECK_EQUAL(format_chainage(c.ticks.back().chainage_m), "K13+000");
    // Red line 40 m wide over 1 km: 40,000 m², by the shoelace formula over its rings.
    double area = 0;
    for (const auto& ring : c.red_line)
        for (size_t i = 0; i + 1 < ring.size(); ++i)
            area += ring[i].x * ring[i + 1].y - ring[i + 1].x * ring[i].y;
    BOOST_CHECK_CLOSE(std::fabs(area) / 2, 40000, 1e-6);
    // The legend is the corridor's project as `landclear status` has it (hand: 30 亩 delivered).
    BOOST_CHECK_CLOSE(page.legend[3].mu, 30.0, 1e-9);
    // Blocking stretches from analyse_corridors, by hand: 100 m segments match the parcels;
    // A03 (not cleared, H2 not demolished), A04, A07, A08, A09 (not cleared) block:
    // K12+200–K12+400 and K12+600–K12+900, 500 m in all.
    std::vector<std::string> blocking;
    for (const auto& p : page.parcels)
        if (p.blocking)
            blocking.push_back(p.code);
    BOOST_CHECK_EQUAL(fmt::format("{}", fmt::join(blocking, ",")), "A03,A04,A07,A08,A09");
    double blocked_m = 0;
    for (const auto& line : c.blocking)
        for (size_t i = 1; i < line.size(); ++i)
            blocked_m += std::hypot(line[i].x - line[i - 1].x, line[i].y - line[i - 1].y);
    BOOST_CHECK_CLOSE(blocked_m, 500, 1e-9);
    std::map<std::string, std::string> rows;
    for (const auto& fr : page.figure_rows)
        rows[fr.label] = fr.value;
    BOOST_CHECK_EQUAL(rows["阻塞段"], "2 段，共 500 米");
    BOOST_CHECK_EQUAL(rows["红线面积"], "60.00 亩");            // 40 m × 1 km = 40,000 m²
    BOOST_CHECK_EQUAL(rows["红线内已交"], "12.00 亩（20.0%）"); // A01, A06: 2 × 4,000 m²
    BOOST_CHECK_EQUAL(rows["起止桩号"], "K12+000–K13+000");
    auto png = f.dir.file("c.png");
    auto r = run_cli({"map", f.store, "--corridor", "YMZ-1", "--as-of", "2025-03-05", "--out", png,
                      "--dpi", "100"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    Image img(png);
    // The red line's lower edge runs 30 m above the parcels' bottom.
    auto [rc, rr] = page.transform.to_pixel(bx + 450, by + 30, 100);
    auto px = img.at(rc, rr);
    BOOST_CHECK_MESSAGE(px.r > 180 && px.g < 100 && px.b < 100, "red line pixel " << px);
}

BOOST_AUTO_TEST_CASE(district_map) {
    auto& f = fixture();
    auto page = f.page(request(MapScope::district, "岳塘区"));
    BOOST_CHECK_EQUAL(page.parcels.size(), 100u);
    BOOST_CHECK(!page.boundary.empty()); // the union of its parcels
    // By hand: 100 parcels of 144 m², half acquired.
    BOOST_CHECK_CLOSE(page.legend[1].mu, m2_to_mu(50 * 144.0), 1e-9);
    BOOST_CHECK_CLOSE(page.legend[1].share_pct, 50.0, 1e-9);
    auto r = run_cli({"map", f.store, "--district", "岳塘区", "--out", f.dir.file("d.pdf"),
                      "--as-of", "2025-03-05"});
    BOOST_CHECK_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK(fs::exists(f.dir.file("d.pdf")));
}

BOOST_AUTO_TEST_CASE(bad_requests_get_clear_errors) {
    auto& f = fixture();
    auto out = f.dir.file("x.png");
    auto expect = [&](std::vector<std::string> args, int code, const std::string& text) {
        check_refused(args, code, text, out);
    };
    expect({"map", f.store, "--project", "Z", "--out", out}, 2,
           "unknown project 'Z'; the store has: A, B, C");
    expect({"map", f.store, "--corridor", "Q-9", "--out", out}, 2,
           "unknown corridor 'Q-9'; the store has: YMZ-1");
    expect({"map", f.store, "--district", "韶山市", "--out", out}, 2,
           "unknown district '韶山市'; the parcels name: 岳塘区, 雨湖区");
    expect({"map", f.store, "--project", "C", "--out", out}, 1,
           "project 'C' has no parcels: there is nothing to map");
    expect({"map", f.store, "--project", "A", "--out", f.dir.file("no/such/dir/x.png")}, 1,
           "cannot write the map to");
    expect({"map", f.store, "--out", out}, 2, "say what to map");
    expect({"map", f.store, "--project", "A", "--corridor", "YMZ-1", "--out", out}, 2,
           "choose one of");
    expect({"map", f.store, "--all-projects", "--out", out}, 2, "write an atlas to a .pdf");
    expect({"map", f.store, "--project", "A", "--out", f.dir.file("x.jpg")}, 2,
           "writes maps as .png or .pdf");
    expect({"map", f.store, "--project", "A", "--out", out, "--size", "B5"}, 2,
           "use --size A4 or --size A3");
    expect({"map", f.store, "--project", "A", "--out", out, "--dpi", "5000"}, 2,
           "--dpi 5000 is outside");
    expect({"map", f.store, "--project", "A", "--out", out, "--as-of", "2025-03-01", "--since",
            "2025-03-02"},
           2, "is not before --as-of");
    expect({"map", f.dir.file("missing.sqlite"), "--project", "A", "--out", out}, 1, "missing");
}

BOOST_AUTO_TEST_CASE(missing_cjk_font_names_the_package) {
    auto& f = fixture();
    // A fontconfig configuration with no font folders: as on a machine without fonts-noto-cjk.
    auto conf = f.dir.file("fonts.conf");
    {
        std::ofstream o(conf);
        o << "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n"
             "<fontconfig><cachedir>"
          << f.dir.file("fc-cache") << "</cachedir></fontconfig>\n";
    }
    const char* old = std::getenv("FONTCONFIG_FILE");
    std::string saved = old ? old : "";
    setenv("FONTCONFIG_FILE", conf.c_str(), 1);
    auto r = run_cli({"map", f.store, "--project", "A", "--out", f.dir.file("x.png")});
    if (old)
        setenv("FONTCONFIG_FILE", saved.c_str(), 1);
    else
        unsetenv("FONTCONFIG_FILE");
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK_MESSAGE(r.err.find("apt-get install fonts-noto-cjk") != std::string::npos, r.err);
    BOOST_CHECK(!fs::exists(f.dir.file("x.png")));
}
