// `corridor --area ellipsoidal` (issue 16 item 6): the red line and the parcel area inside it,
// per corridor and per segment, against the geodesic area (PROJ's geod_polygonarea) of the
// clipped pieces worked out here by hand and inverse-projected with PROJ.
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/import.hpp"
#include "landclear/core/units.hpp"
#include "landclear/report/corridor_tables.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cpl_conv.h>
#include <fmt/format.h>
#include <geodesic.h>
#include <map>
#include <nlohmann/json.hpp>
#include <proj.h>
#include <vector>

using namespace landclear;
using namespace landclear::test;

namespace {

// Xiangtan, CGCS2000 GK zone 38 (EPSG:4547).
constexpr double bx = 390000, by = 3080000;

struct Rect {
    double x0, y0, x1, y1; // relative to bx, by
    bool empty() const { return x1 <= x0 || y1 <= y0; }
};

Rect intersect(const Rect& a, const Rect& b) {
    return {std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
}

std::string wkt(const Rect& r) {
    return fmt::format("POLYGON(({0:.3f} {1:.3f},{2:.3f} {1:.3f},{2:.3f} {3:.3f},{0:.3f} "
                       "{3:.3f},{0:.3f} {1:.3f}))",
                       bx + r.x0, by + r.y0, bx + r.x1, by + r.y1);
}

// Geodesic area of a rectangle drawn in EPSG:4547. geom/ellipsoidal.cpp's convention: edges cut
// as OGR's segmentize(20) cuts them (floor(L/20 − 0.01) points inserted at equal spacing), then
// every vertex inverse-projected onto CGCS2000 (EPSG:4490).
class Geodesic {
public:
    Geodesic() {
        m_ctx = proj_context_create();
        PJ* raw = proj_create_crs_to_crs(m_ctx, "EPSG:4547", "EPSG:4490", nullptr);
        BOOST_REQUIRE(raw);
        m_pj = proj_normalize_for_visualization(m_ctx, raw); // longitude, latitude
        proj_destroy(raw);
        BOOST_REQUIRE(m_pj);
        geod_init(&m_g, 6378137.0, 1 / 298.257222101);
    }
    ~Geodesic() {
        proj_destroy(m_pj);
        proj_context_destroy(m_ctx);
    }
    double area(const Rect& r) const {
        double xs[] = {r.x0, r.x1, r.x1, r.x0, r.x0}, ys[] = {r.y0, r.y0, r.y1, r.y1, r.y0};
        std::vector<double> lats, lons;
        for (int i = 0; i < 4; ++i) {
            double dx = xs[i + 1] - xs[i], dy = ys[i + 1] - ys[i];
            double len = std::hypot(dx, dy);
            int inserted =
                len > 20 * (1 + 1e-5) ? static_cast<int>(std::floor(len / 20 - 1e-2)) : 0;
            for (int j = 0; j <= inserted; ++j) {
                double t = static_cast<double>(j) / (inserted + 1);
                PJ_COORD c = proj_coord(bx + xs[i] + t * dx, by + ys[i] + t * dy, 0, 0);
                PJ_COORD g = proj_trans(m_pj, PJ_FWD, c);
                lons.push_back(g.lp.lam);
                lats.push_back(g.lp.phi);
            }
        }
        double a = 0, perimeter = 0;
        geod_polygonarea(&m_g, lats.data(), lons.data(), static_cast<int>(lats.size()), &a,
                         &perimeter);
        return std::fabs(a);
    }

private:
    PJ_CONTEXT* m_ctx = nullptr;
    PJ* m_pj = nullptr;
    geod_geodesic m_g{};
};

void check_close(double got, double want, const std::string& what, double rel) {
    BOOST_CHECK_MESSAGE(std::abs(got - want) <= rel * std::abs(want),
                        fmt::format("{}: got {:.6f}, want {:.6f} (relative {:.3g})", what, got,
                                    want, (got - want) / want));
}

// A straight east-west corridor 450 m long, 20 m each side, start K0+000, 100 m segments; a
// grid of 70 x 30 m parcels over it, so the pieces are rectangles by hand.
struct Fixture {
    TempDir dir;
    std::string src = dir.file("in.gpkg");
    std::string store = dir.file("store.sqlite");
    std::vector<Rect> parcels;
    Fixture() {
        CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
        FixtureLayer corridors{"corridors",
                               4547,
                               {{"corridor_code"},
                                {"project_code"},
                                {"name"},
                                {"width_m", FixtureField::real},
                                {"start_chainage_m", FixtureField::real}},
                               {},
                               "LineString"};
        corridors.features = {{fmt::format("LINESTRING({} {},{} {})", bx, by, bx + 450, by),
                               {"E", "PRJ", "东西线", "40", "0"}}};
        FixtureLayer layer{"parcels",
                           4547,
                           {{"parcel_code"},
                            {"project_code"},
                            {"acquired_on", FixtureField::date},
                            {"cleared_on", FixtureField::date},
                            {"delivered_on", FixtureField::date}},
                           {}};
        int i = 0;
        for (double y = -45; y < 45; y += 30)
            for (double x = -35; x < 485; x += 70, ++i) {
                parcels.push_back({x, y, x + 70, y + 30});
                layer.features.push_back(
                    {wkt(parcels.back()),
                     {fmt::format("P{:02d}", i), "PRJ", i % 2 ? "2025-01-15" : "", "", ""}});
            }
        write_layer(src, "GPKG", corridors);
        write_layer(src, "GPKG", layer);
        ImportOptions o;
        o.store = store;
        o.working_epsg = 4547;
        o.sources.emplace_back(LayerKind::corridors, SourceSpec{src, "corridors"});
        o.sources.emplace_back(LayerKind::parcels, SourceSpec{src, "parcels"});
        import_layers(o);
    }
};

CorridorOptions options(AreaBasis area) {
    CorridorOptions o;
    o.as_of = *parse_date("2025-06-30");
    o.area = area;
    return o;
}

// The ellipsoidal figures of report r against the geodesic areas of the hand-clipped pieces.
void check_against_geodesic(const CorridorReport& r, const Fixture& f, const Geodesic& geo,
                            const std::string& how) {
    BOOST_REQUIRE_EQUAL(r.segments.size(), 5u);
    double red_total = 0, parcel_total = 0, acquired_total = 0;
    for (int k = 0; k < 5; ++k) {
        Rect seg{100.0 * k, -20, std::min(450.0, 100.0 * (k + 1)), 20};
        double red = geo.area(seg), inside = 0, acquired = 0;
        for (size_t i = 0; i < f.parcels.size(); ++i) {
            auto piece = intersect(f.parcels[i], seg);
            if (piece.empty())
                continue;
            inside += geo.area(piece);
            if (i % 2)
                acquired += geo.area(piece);
        }
        const auto& s = r.segments[static_cast<size_t>(k)];
        check_close(s.red_line_m2, red, fmt::format("{}: segment {} red line", how, k), 1e-6);
        check_close(s.figures.area_m2, inside, fmt::format("{}: segment {} parcels", how, k), 1e-6);
        check_close(s.figures.acquired_m2, acquired, fmt::format("{}: segment {} acquired", how, k),
                    1e-6);
        red_total += red;
        parcel_total += inside;
        acquired_total += acquired;
    }
    check_close(r.red_line_m2, red_total, how + ": corridor red line", 1e-6);
    check_close(r.figures.area_m2, parcel_total, how + ": corridor parcels", 1e-6);
    check_close(r.figures.acquired_m2, acquired_total, how + ": corridor acquired", 1e-6);
    // The ellipsoid differs from the plane here (GK scale near the zone's edge): a real change.
    BOOST_CHECK_GT(std::abs(r.red_line_m2 - 450 * 40), 1.0);
}

} // namespace

BOOST_AUTO_TEST_CASE(ellipsoidal_corridor_areas_match_geodesic_area_of_pieces) {
    Fixture f;
    Geodesic geo;
    auto store = open_store(f.store, StoreMode::write);
    // Computed (and saved, planar), then read back from the store: both give the same.
    auto fresh = analyse_corridors(*store, options(AreaBasis::ellipsoidal));
    BOOST_REQUIRE_EQUAL(fresh.size(), 1u);
    BOOST_CHECK_EQUAL(fresh[0].geometry, "saved");
    check_against_geodesic(fresh[0], f, geo, "computed");
    auto stored = analyse_corridors(*store, options(AreaBasis::ellipsoidal));
    BOOST_CHECK_EQUAL(stored[0].geometry, "stored");
    check_against_geodesic(stored[0], f, geo, "stored");

    // The stored measures stay planar: a planar run right after gives the hand planar areas.
    auto planar = analyse_corridors(*store, options(AreaBasis::planar));
    BOOST_CHECK_EQUAL(planar[0].geometry, "stored");
    check_close(planar[0].red_line_m2, 450 * 40, "planar red line", 1e-12);
    check_close(planar[0].segments[4].red_line_m2, 50 * 40, "planar last segment", 1e-12);
}

BOOST_AUTO_TEST_CASE(ellipsoidal_tables_say_their_basis) {
    Fixture f;
    auto store = open_store(f.store, StoreMode::write);
    auto o = options(AreaBasis::ellipsoidal);
    auto tables = corridor_tables(analyse_corridors(*store, o), o);
    for (const auto& t : tables) {
        BOOST_REQUIRE(!t.notes.empty());
        BOOST_CHECK_EQUAL(t.notes.front().first, "面积基准 / area basis");
        int mu = 0;
        for (const auto& c : t.columns)
            if (c.kind == ColumnKind::mu) {
                ++mu;
                BOOST_CHECK_MESSAGE(c.zh.find("椭球") != std::string::npos, t.name + " " + c.zh);
                BOOST_CHECK_MESSAGE(c.en.find("ellipsoidal") != std::string::npos,
                                    t.name + " " + c.en);
            }
        BOOST_CHECK_GT(mu, 0);
    }
    auto p = options(AreaBasis::planar);
    for (const auto& t : corridor_tables(analyse_corridors(*store, p), p))
        for (const auto& c : t.columns)
            BOOST_CHECK(c.zh.find("椭球") == std::string::npos);

    // The CLI takes --area and refuses anything else as a usage error.
    auto ok = run_cli({"corridor", f.store, "--area", "ellipsoidal", "--quiet"});
    BOOST_CHECK_EQUAL(ok.exit_code, 0);
    BOOST_CHECK_MESSAGE(ok.out.find("椭球") != std::string::npos, ok.out);
    BOOST_CHECK_EQUAL(run_cli({"corridor", f.store, "--area", "geoid"}).exit_code, 2);
}

BOOST_AUTO_TEST_CASE(export_ellipsoidal_geojson_matches_geodesic_area_of_pieces) {
    Fixture f;
    Geodesic geo;
    auto analysed = run_cli({"corridor", f.store, "--quiet"});
    BOOST_REQUIRE_MESSAGE(analysed.exit_code == 0, analysed.err);
    auto segments = f.dir.file("segments.geojson");
    auto r = run_cli({"export", f.store, "--layer", "corridor-segments", "--out", segments,
                      "--area", "ellipsoidal", "--as-of", "2025-06-30", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto pieces = f.dir.file("pieces.geojson");
    r = run_cli({"export", f.store, "--layer", "corridor-parcels", "--out", pieces, "--area",
                 "ellipsoidal", "--as-of", "2025-06-30", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);

    std::map<int, double> red, inside; // by segment, m², by hand
    std::map<std::pair<int, std::string>, double> piece_area;
    for (int k = 0; k < 5; ++k) {
        Rect seg{100.0 * k, -20, std::min(450.0, 100.0 * (k + 1)), 20};
        red[k] = geo.area(seg);
        for (size_t i = 0; i < f.parcels.size(); ++i) {
            auto piece = intersect(f.parcels[i], seg);
            if (piece.empty())
                continue;
            double a = geo.area(piece);
            inside[k] += a;
            piece_area[{k, fmt::format("P{:02d}", i)}] = a;
        }
    }
    auto seg_json = nlohmann::json::parse(read_file(segments));
    BOOST_REQUIRE_EQUAL(seg_json["features"].size(), 5u);
    for (const auto& feat : seg_json["features"]) {
        const auto& p = feat["properties"];
        BOOST_CHECK(!p.contains("area_m2")); // the planar names are not used
        int k = p["segment_index"].get<int>();
        check_close(p["ellipsoidal_area_m2"].get<double>(), red[k],
                    fmt::format("export segment {} red line", k), 1e-6);
        check_close(p["ellipsoidal_parcel_mu"].get<double>(), m2_to_mu(inside[k]),
                    fmt::format("export segment {} parcels (mu)", k), 1e-6);
    }
    auto piece_json = nlohmann::json::parse(read_file(pieces));
    BOOST_REQUIRE_EQUAL(piece_json["features"].size(), piece_area.size());
    for (const auto& feat : piece_json["features"]) {
        const auto& p = feat["properties"];
        auto key = std::pair{p["segment_index"].get<int>(), p["parcel_code"].get<std::string>()};
        BOOST_REQUIRE(piece_area.count(key));
        check_close(p["ellipsoidal_area_m2"].get<double>(), piece_area[key],
                    "export piece " + key.second, 1e-6);
    }
    // Not for layers it does not measure.
    BOOST_CHECK_EQUAL(run_cli({"export", f.store, "--layer", "corridors", "--out",
                               f.dir.file("c.geojson"), "--area", "ellipsoidal"})
                          .exit_code,
                      2);
}
