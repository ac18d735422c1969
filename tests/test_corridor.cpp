// Corridor status by chainage. Every figure is checked against an independent computation:
// SpatiaLite SQL on the fixture files (ST_Buffer with flat ends and 8 segments per quarter
// circle, ST_Line_Substring, ST_Intersection, ST_Area) or a hand calculation.
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/import.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/redline.hpp"
#include "landclear/io/crs.hpp"
#include "support/test_support.hpp"

#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <fmt/format.h>
#define GEOS_USE_ONLY_R_API
#include <cpl_conv.h>
#include <geos_c.h>
#include <map>
#include <nlohmann/json.hpp>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>

using namespace landclear;
using namespace landclear::test;

namespace {

// Xiangtan, CGCS2000 GK zone 38 (EPSG:4547).
constexpr double bx = 390000, by = 3080000;
const std::string as_of = "2025-06-30", since = "2025-06-01";

void check_close(double got, double want, const std::string& what, double rel = 1e-6) {
    double tol = rel * std::max(1.0, std::abs(want));
    BOOST_CHECK_MESSAGE(
        std::abs(got - want) <= tol,
        fmt::format("{}: got {:.9f}, want {:.9f} (diff {:.3g})", what, got, want, got - want));
}

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0:.3f} {1:.3f},{2:.3f} {1:.3f},{2:.3f} {3:.3f},{0:.3f} "
                       "{3:.3f},{0:.3f} {1:.3f}))",
                       x, y, x + w, y + h);
}

struct Pt {
    double x, y;
};

std::string line_wkt(const std::vector<Pt>& pts, double ox, double oy) {
    std::string s = "LINESTRING(";
    for (size_t i = 0; i < pts.size(); ++i)
        s += fmt::format("{}{:.3f} {:.3f}", i ? "," : "", bx + ox + pts[i].x, by + oy + pts[i].y);
    return s + ")";
}

double polyline_length(const std::vector<Pt>& pts) {
    double l = 0;
    for (size_t i = 1; i < pts.size(); ++i)
        l += std::hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
    return l;
}

// Rounded to the millimetre as the WKT writes them, so lengths computed here match the file.
std::vector<Pt> mm(std::vector<Pt> pts) {
    for (auto& p : pts) {
        p.x = std::round(p.x * 1000) / 1000;
        p.y = std::round(p.y * 1000) / 1000;
    }
    return pts;
}

// A bent centreline: 350 m east, 400 m at +30°, 300 m at -15°. Its bends (at 350 and 750 m)
// are 50 m from the nearest 100 m boundary (start chainage 1200).
std::vector<Pt> bent_line() {
    const double d = M_PI / 180;
    Pt p0{0, 0}, p1{350, 0};
    Pt p2{p1.x + 400 * std::cos(30 * d), p1.y + 400 * std::sin(30 * d)};
    Pt p3{p2.x + 300 * std::cos(-15 * d), p2.y + 300 * std::sin(-15 * d)};
    return mm({p0, p1, p2, p3});
}

// Crosses itself: the fourth edge runs back across the first at (100, 0).
std::vector<Pt> loop_line() {
    return {{0, 0}, {200, 0}, {200, 100}, {100, 100}, {100, -100}};
}

// Half a circle of radius 300 m with a vertex every 10 m of arc: every 100 m boundary falls on
// a vertex (the bisector case).
std::vector<Pt> arc_line() {
    std::vector<Pt> pts;
    int n = static_cast<int>(std::round(M_PI * 300 / 10));
    for (int i = 0; i <= n; ++i) {
        double a = M_PI * i / n;
        pts.push_back({300 * std::cos(a), 300 * std::sin(a)});
    }
    return mm(pts);
}

struct Lcg {
    std::uint32_t s;
    std::uint32_t next() {
        s = s * 1664525u + 1013904223u;
        return s >> 8;
    }
};

const char* pick_date(std::uint32_t r) {
    static const char* dates[] = {"", "2025-01-15", "2025-06-10", "2025-08-01"};
    return dates[r % 4];
}

// A grid of cells partitioning [x0, x1] x [y0, y1] (relative to bx, by), with dates drawn from
// an LCG (some cleared without being acquired, as in real ledgers), and a building in every
// third cell.
void add_grid(std::vector<FixtureFeature>& parcels, std::vector<FixtureFeature>& buildings,
              const std::string& prefix, double x0, double y0, double x1, double y1, double w,
              double h, Lcg& rng) {
    int i = 0;
    for (double y = y0; y < y1 - 1e-9; y += h)
        for (double x = x0; x < x1 - 1e-9; x += w, ++i) {
            std::string code = fmt::format("{}-{:04d}", prefix, i);
            parcels.push_back({rect(bx + x, by + y, std::min(w, x1 - x), std::min(h, y1 - y)),
                               {code, "PRJ", pick_date(rng.next()), pick_date(rng.next()),
                                pick_date(rng.next())}});
            if (i % 3 == 0 && std::min(w, x1 - x) > 12 && std::min(h, y1 - y) > 12)
                buildings.push_back({rect(bx + x + 3, by + y + 3, 8, 8),
                                     {"H" + code, code, std::to_string(1 + i % 4),
                                      std::to_string(80 + 10 * (i % 7)), pick_date(rng.next()),
                                      pick_date(rng.next())}});
        }
}

FixtureLayer corridor_layer(int epsg = 4547) {
    return {"corridors",
            epsg,
            {{"corridor_code"},
             {"project_code"},
             {"name"},
             {"width_m", FixtureField::real},
             {"start_chainage_m", FixtureField::real},
             {"left_width_m", FixtureField::real},
             {"right_width_m", FixtureField::real}},
            {},
            "LineString"};
}

FixtureLayer parcel_layer() {
    return {"parcels",
            4547,
            {{"parcel_code"},
             {"project_code"},
             {"acquired_on", FixtureField::date},
             {"cleared_on", FixtureField::date},
             {"delivered_on", FixtureField::date}},
            {}};
}

FixtureLayer building_layer() {
    return {"buildings",
            4547,
            {{"building_code"},
             {"parcel_code"},
             {"households", FixtureField::integer},
             {"floor_area_m2", FixtureField::real},
             {"signed_on", FixtureField::date},
             {"demolished_on", FixtureField::date}},
            {}};
}

void import_into(const std::string& store, const std::string& src,
                 const std::vector<LayerKind>& kinds, const std::string& corridor_src = {}) {
    ImportOptions o;
    o.store = store;
    o.working_epsg = 4547;
    for (auto k : kinds) {
        std::string path = k == LayerKind::corridors && !corridor_src.empty() ? corridor_src : src;
        o.sources.emplace_back(k, SourceSpec{path, std::string(layer_def(k).name)});
    }
    import_layers(o);
}

// The generated data: seven corridors and a grid of parcels around each.
struct Generated {
    TempDir dir;
    std::string src = dir.file("in.gpkg");
    std::string store = dir.file("store.sqlite");
    std::vector<Pt> bent = bent_line(), loop = loop_line(), arc = arc_line();

    Generated() {
        // Fixture files are scratch: no fsync per feature written.
        CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
        auto corridors = corridor_layer();
        corridors.features = {
            {line_wkt(bent, 0, 0), {"A", "PRJ", "弯道", "40", "1200", "", ""}},
            {line_wkt(loop, 0, 3000), {"LOOP", "PRJ", "自交", "30", "0", "", ""}},
            {line_wkt(arc, 6000, 3000), {"ARC", "PRJ", "圆弧", "40", "0", "", ""}},
            {line_wkt({{0, 0}, {60, 0}}, 3000, 0), {"SHORT", "PRJ", "短线", "30", "0", "", ""}},
            {line_wkt({{0, 0}, {800, 0}}, 3000, 3000),
             {"LONG", "PRJ", "长宗地", "20", "0", "", ""}},
            {line_wkt({{0, 0}, {500, 0}}, 9000, 0), {"EMPTY", "PRJ", "无宗地", "30", "0", "", ""}},
            {line_wkt({{0, 0}, {100, 0}, {100, 100}}, 12000, 0),
             {"ASYM", "PRJ", "不对称", "32", "0", "12", "20"}},
        };
        auto parcels = parcel_layer();
        auto buildings = building_layer();
        Lcg rng{20250630};
        add_grid(parcels.features, buildings.features, "A", -60, -90, 1060, 290, 37, 29, rng);
        add_grid(parcels.features, buildings.features, "L", -40, 2860, 240, 3140, 23, 31, rng);
        add_grid(parcels.features, buildings.features, "C", 5670, 2970, 6330, 3330, 37, 29, rng);
        add_grid(parcels.features, buildings.features, "S", 2980, -30, 3080, 30, 25, 20, rng);
        // One long parcel wholly inside LONG's red line across seven segments.
        parcels.features.push_back(
            {rect(bx + 3050, by + 2997.5, 650, 5), {"LONG-1", "PRJ", "2025-01-15", "", ""}});
        write_layer(src, "GPKG", corridors);
        write_layer(src, "GPKG", parcels);
        write_layer(src, "GPKG", buildings);
        import_into(store, src, {LayerKind::corridors, LayerKind::parcels, LayerKind::buildings});
    }
};

std::string sql_buffer_options() {
    return "o AS MATERIALIZED (SELECT BufferOptions_SetEndCapStyle('FLAT') a, "
           "BufferOptions_SetJoinStyle('ROUND') b, BufferOptions_SetQuadrantSegments(8) c)";
}

// Land predicates as the SQL check states them: each date counts on its own (docs/INPUT.md,
// "Stages on a date"; the sample has land cleared without an acquired date).
std::string acquired_by(const std::string& d) {
    return fmt::format("acquired_on <= '{}'", d);
}
std::string cleared_by(const std::string& d) {
    return fmt::format("cleared_on <= '{}'", d);
}
std::string delivered_by(const std::string& d) {
    return fmt::format("delivered_on <= '{}'", d);
}

struct SqlFigures {
    double red = 0, area = 0, acquired = 0, cleared = 0, delivered = 0, new_cleared = 0;
    double buildings = 0, households = 0, demolished = 0;
};

// The figures of each piece (a row of pieces(idx, g)) computed in SpatiaLite. Intersections go
// through CollectionExtract(..., 3): where a parcel edge runs along the red line, GEOS returns a
// GEOMETRYCOLLECTION of the polygon and the shared line, and SpatiaLite 5.0.1's ST_Area gives 0
// for such a collection.
std::vector<SqlFigures> sql_pieces(const std::string& src, const std::string& pieces_cte) {
    auto sql = fmt::format(
        "WITH {0}, {1}, "
        "pp AS MATERIALIZED (SELECT pieces.idx idx, p.acquired_on, p.cleared_on, p.delivered_on, "
        "ST_Area(CollectionExtract(ST_Intersection(p.geom, pieces.g), 3)) a FROM pieces, parcels p "
        "WHERE ST_Intersects(p.geom, pieces.g)), "
        "bb AS MATERIALIZED (SELECT pieces.idx idx, b.households, b.demolished_on FROM pieces, "
        "buildings b WHERE ST_Intersects(ST_PointOnSurface(b.geom), pieces.g)) "
        "SELECT pieces.idx, ST_Area(pieces.g), "
        "(SELECT total(a) FROM pp WHERE pp.idx = pieces.idx), "
        "(SELECT total(CASE WHEN {2} THEN a ELSE 0 END) FROM pp WHERE pp.idx = pieces.idx), "
        "(SELECT total(CASE WHEN {3} THEN a ELSE 0 END) FROM pp WHERE pp.idx = pieces.idx), "
        "(SELECT total(CASE WHEN {4} THEN a ELSE 0 END) FROM pp WHERE pp.idx = pieces.idx), "
        "(SELECT total(CASE WHEN {3} AND NOT coalesce({5}, 0) THEN a ELSE 0 END) FROM pp "
        "WHERE pp.idx = pieces.idx), "
        "(SELECT count(*) FROM bb WHERE bb.idx = pieces.idx), "
        "(SELECT total(households) FROM bb WHERE bb.idx = pieces.idx), "
        "(SELECT total(CASE WHEN demolished_on <= '{6}' THEN households ELSE 0 END) FROM bb "
        "WHERE bb.idx = pieces.idx) "
        "FROM pieces ORDER BY pieces.idx",
        sql_buffer_options(), pieces_cte, acquired_by(as_of), cleared_by(as_of),
        delivered_by(as_of), cleared_by(since), as_of);
    std::vector<SqlFigures> out;
    for (const auto& row : ogr_sql(src, sql)) {
        auto num = [&](size_t i) { return row[i].empty() ? 0.0 : std::stod(row[i]); };
        out.push_back({num(1), num(2), num(3), num(4), num(5), num(6), num(7), num(8), num(9)});
    }
    return out;
}

SqlFigures sql_corridor(const std::string& src, const std::string& code) {
    auto rows = sql_pieces(
        src, fmt::format("pieces AS MATERIALIZED (SELECT 0 idx, ST_Buffer(c.geom, c.width_m / "
                         "2.0) g FROM corridors c, o WHERE c.corridor_code = '{}')",
                         code));
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    return rows[0];
}

// Segment k as the flat-ended buffer of the sub-line between its boundaries, clipped to the
// whole red line: the definition our pieces must match on straight stretches.
std::vector<SqlFigures> sql_segments(const std::string& src, const std::string& code,
                                     const std::vector<double>& fractions) {
    std::string values;
    for (size_t k = 0; k + 1 < fractions.size(); ++k)
        values += fmt::format("{}({}, {:.17g}, {:.17g})", k ? "," : "", k, fractions[k],
                              fractions[k + 1]);
    return sql_pieces(
        src,
        fmt::format("line AS MATERIALIZED (SELECT c.geom g, c.width_m / 2.0 r FROM corridors c, "
                    "o WHERE c.corridor_code = '{0}'), "
                    "rl AS MATERIALIZED (SELECT ST_Buffer(g, r) g FROM line), "
                    "segs(idx, f0, f1) AS (VALUES {1}), "
                    "pieces AS MATERIALIZED (SELECT idx, CollectionExtract(ST_Intersection("
                    "ST_Buffer(ST_Line_Substring(line.g, f0, f1), line.r), rl.g), 3) g "
                    "FROM segs, line, rl)",
                    code, values));
}

void check_figures(const StatusFigures& f, double red, const SqlFigures& s,
                   const std::string& what) {
    check_close(red, s.red, what + " red line m²");
    check_close(f.area_m2, s.area, what + " parcel area m²");
    check_close(f.acquired_m2, s.acquired, what + " acquired m²");
    check_close(f.cleared_m2, s.cleared, what + " cleared m²");
    check_close(f.delivered_m2, s.delivered, what + " delivered m²");
    check_close(f.new_cleared_m2, s.new_cleared, what + " new cleared m²");
    BOOST_CHECK_EQUAL(f.buildings, static_cast<std::int64_t>(s.buildings));
    BOOST_CHECK_EQUAL(f.households, static_cast<std::int64_t>(s.households));
    BOOST_CHECK_EQUAL(f.demolished_households, static_cast<std::int64_t>(s.demolished));
}

void check_invariants(const CorridorReport& r) {
    StatusFigures sum;
    double red = 0;
    for (const auto& s : r.segments) {
        const auto& f = s.figures;
        // Each date on its own: every figure is within the parcel area, but cleared may exceed
        // acquired (cleared without an acquired date) and delivered may exceed cleared.
        BOOST_CHECK_GE(f.area_m2 + 1e-9, f.acquired_m2);
        BOOST_CHECK_GE(f.area_m2 + 1e-9, f.cleared_m2);
        BOOST_CHECK_GE(f.area_m2 + 1e-9, f.delivered_m2);
        BOOST_CHECK_GE(s.red_line_m2 + 1e-6, f.area_m2); // a partition of parcels fits in it
        BOOST_CHECK_LT(s.from_m, s.to_m);
        sum.add(f);
        red += s.red_line_m2;
    }
    for (size_t k = 1; k < r.segments.size(); ++k)
        BOOST_CHECK_EQUAL(r.segments[k].from_m, r.segments[k - 1].to_m);
    check_close(sum.area_m2, r.figures.area_m2, r.code + " segments sum to corridor", 1e-12);
    check_close(sum.cleared_m2, r.figures.cleared_m2, r.code + " segments sum (cleared)", 1e-12);
    BOOST_CHECK_EQUAL(sum.households, r.figures.households);
    check_close(red, r.red_line_m2, r.code + " segments sum to the red line", 1e-12);
}

CorridorOptions options() {
    CorridorOptions o;
    o.as_of = *parse_date(as_of);
    o.since = *parse_date(since);
    return o;
}

const CorridorReport& find(const std::vector<CorridorReport>& rs, const std::string& code) {
    for (const auto& r : rs)
        if (r.code == code)
            return r;
    BOOST_FAIL("no report for " + code);
    return rs.front();
}

} // namespace

BOOST_AUTO_TEST_CASE(chainage_labels) {
    BOOST_CHECK_EQUAL(format_chainage(0), "K0+000");
    BOOST_CHECK_EQUAL(format_chainage(1200), "K1+200");
    BOOST_CHECK_EQUAL(format_chainage(12350), "K12+350");
    BOOST_CHECK_EQUAL(format_chainage(12350.5), "K12+350.5");
    BOOST_CHECK_EQUAL(format_chainage(5.25), "K0+005.25");
    BOOST_CHECK_EQUAL(format_chainage(1199.9999999), "K1+200");
    BOOST_CHECK_EQUAL(format_chainage(999.0004), "K0+999");
    BOOST_CHECK_EQUAL(format_chainage(-120), "-K0+120");
    BOOST_CHECK_EQUAL(format_chainage_range(1200, 1300), "K1+200\u2013K1+300");
}

BOOST_AUTO_TEST_CASE(segment_boundaries_align_to_round_chainages) {
    auto b = segment_chainages(1234.5, 300, 100);
    std::vector<double> want{1234.5, 1300, 1400, 1500, 1534.5};
    BOOST_CHECK_EQUAL_COLLECTIONS(b.begin(), b.end(), want.begin(), want.end());
    auto one = segment_chainages(0, 60, 100); // shorter than a segment
    BOOST_CHECK_EQUAL(one.size(), 2u);
    BOOST_CHECK_EQUAL(one[1], 60);
    auto exact = segment_chainages(0, 300.0004, 100); // no sub-millimetre last segment
    BOOST_CHECK_EQUAL(exact.size(), 4u);
    BOOST_CHECK_THROW(segment_chainages(0, 100, 0.5), Error);
}

BOOST_AUTO_TEST_CASE(red_line_by_hand) {
    // L-shaped centreline turning left: the left side is the inside of the bend. Area by hand:
    // left a: two a-wide strips overlapping in an a x a square; right b: two strips and the
    // round join, a quarter circle drawn with 8 chords: 8 * b²/2 * sin(π/16).
    Geos geos;
    auto line = geos.from_wkt("LINESTRING(0 0,100 0,100 100)");
    auto expect = [](double a, double b) {
        return 200 * a - a * a + 200 * b + 4 * b * b * std::sin(M_PI / 16);
    };
    auto sym = buffer_centreline(geos, line.get(), {20, 20});
    check_close(geos.area(sym.get()), expect(20, 20), "symmetric L", 1e-9);
    auto asym = buffer_centreline(geos, line.get(), {12, 20});
    check_close(geos.area(asym.get()), expect(12, 20), "left 12, right 20", 1e-9);
    auto right_only = buffer_centreline(geos, line.get(), {0, 20});
    check_close(geos.area(right_only.get()), expect(0, 20), "right side only", 1e-9);

    CorridorRow c;
    c.code = "X";
    c.width_m = 30;
    auto w = corridor_widths(c);
    BOOST_CHECK_EQUAL(w.left_m, 15);
    BOOST_CHECK_EQUAL(w.right_m, 15);
    c.left_width_m = 10; // the other side is half the width
    BOOST_CHECK_EQUAL(corridor_widths(c).right_m, 15);
    c.left_width_m.reset();
    for (double bad : {0.0, -5.0, std::nan("")}) {
        c.width_m = bad;
        BOOST_CHECK_THROW(corridor_widths(c), Error);
    }
}

BOOST_AUTO_TEST_CASE(pieces_tile_the_red_line_on_bends_and_crossings) {
    Geos geos;
    struct Case {
        std::vector<Pt> pts;
        double half;
        double segment;
    };
    // Boundaries on vertices (arc), a self-crossing line, a hairpin narrower than the road,
    // and 7 m segments on a line with 90° bends.
    std::vector<Case> cases{{arc_line(), 20, 100},
                            {loop_line(), 15, 100},
                            {{{0, 0}, {300, 0}, {300, 25}, {0, 25}}, 20, 50},
                            {{{0, 0}, {50, 0}, {50, 50}, {100, 50}, {100, 0}}, 10, 7}};
    // A road from the generated sample (60 m wide, start chainage 4110 m): the last zone's end
    // cap once lay along the red line's own flat end, and a 117 m² sliver outside the red line
    // was counted in.
    const std::string sample_road =
        "LINESTRING("
        "374318.861 3054863.332,375281.023 3054765.028,375298.418 3054763.439,"
        "375315.842 3054762.224,375333.288 3054761.382,375350.749 3054760.914,"
        "375368.215 3054760.821,375385.679 3054761.102,377065.567 3054806.167,"
        "377085.227 3054806.566,377104.889 3054806.708,377124.552 3054806.593,"
        "377144.212 3054806.22,377163.865 3054805.591,377183.509 3054804.705,"
        "377203.139 3054803.562,377222.752 3054802.162,377242.345 3054800.506,"
        "377261.916 3054798.594,377281.459 3054796.427,377300.973 3054794.004,"
        "377320.453 3054791.326,377339.896 3054788.394,377359.3 3054785.208,"
        "377378.66 3054781.769,377397.973 3054778.076,377417.237 3054774.132,"
        "377436.447 3054769.936,377455.601 3054765.489,377474.695 3054760.792,"
        "377493.726 3054755.846,377512.691 3054750.652,377531.586 3054745.21,"
        "377550.409 3054739.521,377569.155 3054733.587,377587.823 3054727.408,"
        "377606.408 3054720.986,377624.907 3054714.322,377643.318 3054707.416,"
        "377661.637 3054700.27,377679.86 3054692.885,377697.986 3054685.262,"
        "377716.011 3054677.404,377733.931 3054669.31,377751.744 3054660.982,"
        "377769.446 3054652.423,377787.036 3054643.633,377804.508 3054634.613,"
        "377821.862 3054625.366,377839.092 3054615.893,377856.198 3054606.195,"
        "377873.175 3054596.275,377890.022 3054586.133,378224.864 3054381.561"
        ")";
    for (size_t i = 0; i <= cases.size(); ++i) {
        bool road = i == cases.size();
        Case c = road ? Case{{}, 30, 100} : cases[i];
        double start = road ? 4110 : 0;
        std::string wkt = "LINESTRING(";
        for (size_t j = 0; j < c.pts.size(); ++j)
            wkt += fmt::format("{}{} {}", j ? "," : "", c.pts[j].x, c.pts[j].y);
        wkt += ")";
        if (road)
            wkt = sample_road;
        auto line = geos.from_wkt(wkt);
        auto red = buffer_centreline(geos, line.get(), {c.half, c.half});
        double length = geos.length(line.get());
        auto ch = segment_chainages(start, length, c.segment);
        for (auto& v : ch)
            v -= start;
        ch.back() = length;
        auto pieces = split_red_line(geos, red.get(), line.get(), ch);
        BOOST_REQUIRE_EQUAL(pieces.size(), ch.size() - 1);
        double sum = 0;
        for (const auto& p : pieces) {
            BOOST_CHECK(geos.is_valid(p.get()));
            sum += geos.area(p.get());
        }
        check_close(sum, geos.area(red.get()), "pieces tile the red line of " + wkt, 1e-9);
        // And they do not overlap: the union has the same area.
        std::vector<GEOSGeometry*> raw;
        for (auto& p : pieces)
            raw.push_back(p.release());
        auto all = geos.own(GEOSGeom_createCollection_r(
            geos.handle(), GEOS_GEOMETRYCOLLECTION, raw.data(), static_cast<unsigned>(raw.size())));
        auto merged = geos.own(GEOSUnaryUnion_r(geos.handle(), all.get()));
        check_close(geos.area(merged.get()), sum, "pieces do not overlap", 1e-9);
    }
}

BOOST_AUTO_TEST_CASE(generated_data_agrees_with_spatialite) {
    Generated g;
    auto store = open_store(g.store, StoreMode::write);
    auto o = options();
    auto reports = analyse_corridors(*store, o);
    BOOST_REQUIRE_EQUAL(reports.size(), 7u);
    for (const auto& r : reports) {
        check_invariants(r);
        BOOST_CHECK_EQUAL(r.geometry, "saved");
    }

    // Per corridor, against the whole-buffer computation in SQL.
    for (const auto* code : {"A", "LOOP", "ARC", "SHORT", "LONG", "EMPTY"}) {
        const auto& r = find(reports, code);
        check_figures(r.figures, r.red_line_m2, sql_corridor(g.src, code), code);
    }
    // The self-crossing red line is one polygon: nothing counted twice.
    const auto& loop = find(reports, "LOOP");
    BOOST_CHECK_LT(loop.red_line_m2, 30 * polyline_length(loop_line()) - 100);

    // Per segment of the bent corridor, against sub-line buffers in SQL.
    const auto& a = find(reports, "A");
    double length = polyline_length(g.bent);
    std::vector<double> fractions{0};
    for (double c = 1300; c < 1200 + length; c += 100)
        fractions.push_back((c - 1200) / length);
    fractions.push_back(1);
    BOOST_REQUIRE_EQUAL(a.segments.size(), fractions.size() - 1);
    BOOST_CHECK_EQUAL(a.segments.front().label, "K1+200\u2013K1+300");
    BOOST_CHECK_EQUAL(a.segments.back().label,
                      fmt::format("K2+200\u2013{}", format_chainage(1200 + length)));
    auto segs = sql_segments(g.src, "A", fractions);
    BOOST_REQUIRE_EQUAL(segs.size(), a.segments.size());
    for (size_t k = 0; k < segs.size(); ++k)
        check_figures(a.segments[k].figures, a.segments[k].red_line_m2, segs[k],
                      "A " + a.segments[k].label);

    // Shorter than one segment: one segment that is the whole red line, 60 x 30 m.
    const auto& s = find(reports, "SHORT");
    BOOST_REQUIRE_EQUAL(s.segments.size(), 1u);
    check_close(s.red_line_m2, 60 * 30, "SHORT red line");
    BOOST_CHECK_EQUAL(s.segments[0].label, "K0+000\u2013K0+060");

    // No parcels: zeros, not an error.
    const auto& e = find(reports, "EMPTY");
    BOOST_CHECK_EQUAL(e.segments.size(), 5u);
    BOOST_CHECK_EQUAL(e.figures.parcels, 0);
    BOOST_CHECK_EQUAL(e.figures.area_m2, 0);
    BOOST_CHECK(e.blocking.empty());
    check_close(e.red_line_m2, 500 * 30, "EMPTY red line");

    // Left 12 m and right 20 m by hand (see red_line_by_hand).
    const auto& asym = find(reports, "ASYM");
    check_close(asym.red_line_m2, 200 * 12 - 144 + 200 * 20 + 4 * 400 * std::sin(M_PI / 16),
                "ASYM red line");

    // One parcel over seven segments: 650 x 5 m from 50 m to 700 m, pieces by hand.
    const auto& l = find(reports, "LONG");
    int pieces = 0;
    for (const auto& seg : l.segments)
        if (seg.figures.parcels) {
            ++pieces;
            double want = seg.index == 0 ? 50 * 5 : 100 * 5;
            check_close(seg.figures.area_m2, want, "LONG " + seg.label);
            check_close(seg.figures.acquired_m2, want, "LONG acquired " + seg.label);
        }
    BOOST_CHECK_EQUAL(pieces, 7);
    BOOST_CHECK_EQUAL(l.figures.parcels, 1);
    check_close(l.figures.area_m2, 3250, "LONG parcel");

    // The stored pieces: clipped area never more than the parcel's (SQL area of the source).
    std::map<std::string, double> parcel_area;
    for (const auto& row : ogr_sql(g.src, "SELECT parcel_code, ST_Area(geom) FROM parcels"))
        parcel_area[row[0]] = std::stod(row[1]);
    std::map<std::string, double> clipped;
    double stored_a = 0;
    store->for_each_derived(corridor_parcels_layer(), "corridor_code", "A",
                            [&](const FeatureRow& row) {
                                auto code = std::get<std::string>(row.values[4]);
                                clipped[code] += row.measure;
                                stored_a += row.measure;
                                BOOST_CHECK(!row.wkb.empty());
                            });
    BOOST_CHECK(!clipped.empty());
    for (const auto& [code, area] : clipped)
        BOOST_CHECK_LE(area, parcel_area.at(code) * (1 + 1e-9));
    check_close(stored_a, a.figures.area_m2, "stored pieces of A");
    double stored_red = 0;
    int stored_segments = 0;
    store->for_each_derived(corridor_segments_layer(), "corridor_code", "A",
                            [&](const FeatureRow& row) {
                                stored_red += row.measure;
                                ++stored_segments;
                            });
    BOOST_CHECK_EQUAL(stored_segments, static_cast<int>(a.segments.size()));
    check_close(stored_red, sql_corridor(g.src, "A").red, "stored segments of A");

    // A second run reads the stored geometry and gives the same SQL-checked figures.
    auto again = analyse_corridors(*store, o);
    for (const auto& r : again)
        BOOST_CHECK_EQUAL(r.geometry, "stored");
    check_figures(find(again, "ARC").figures, find(again, "ARC").red_line_m2,
                  sql_corridor(g.src, "ARC"), "ARC from the store");
    auto segs_again = find(again, "A").segments;
    for (size_t k = 0; k < segs.size(); ++k)
        check_figures(segs_again[k].figures, segs_again[k].red_line_m2, segs[k],
                      "A from the store " + segs_again[k].label);
}

BOOST_AUTO_TEST_CASE(corridor_in_another_crs_is_reprojected) {
    Generated g;
    // The same bent centreline written in CGCS2000 longitude/latitude (EPSG:4490).
    auto from = srs_from_epsg(4547), to = srs_from_epsg(4490);
    auto ct = make_transform(*from, *to);
    OGRGeometry* geom = nullptr;
    auto wkt = line_wkt(g.bent, 0, 0);
    BOOST_REQUIRE(OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &geom) == OGRERR_NONE);
    std::unique_ptr<OGRGeometry> owned(geom);
    BOOST_REQUIRE(owned->transform(ct.get()) == OGRERR_NONE);
    OGRWktOptions opts;
    opts.precision = 15;
    opts.format = OGRWktFormat::F;
    auto corridors = corridor_layer(4490);
    corridors.features = {{owned->exportToWkt(opts), {"A", "PRJ", "", "40", "1200", "", ""}}};
    auto other = g.dir.file("lonlat.gpkg");
    write_layer(other, "GPKG", corridors);
    auto store_path = g.dir.file("other.sqlite");
    import_into(store_path, g.src, {LayerKind::corridors, LayerKind::parcels, LayerKind::buildings},
                other);
    auto store = open_store(store_path, StoreMode::write);
    auto o = options();
    o.corridors = {"A"};
    auto reports = analyse_corridors(*store, o);
    BOOST_REQUIRE_EQUAL(reports.size(), 1u);
    check_figures(reports[0].figures, reports[0].red_line_m2, sql_corridor(g.src, "A"),
                  "A imported from EPSG:4490");
}

namespace {

// A straight 500 m corridor, 20 m wide, with one 100 x 40 m parcel across each segment, so
// each clipped piece is 100 x 20 = 2000 m².
struct Blocking {
    TempDir dir;
    std::string src = dir.file("b.gpkg");
    std::string store = dir.file("b.sqlite");

    Blocking() {
        CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
        auto corridors = corridor_layer();
        corridors.features = {
            {line_wkt({{0, 0}, {500, 0}}, 0, 0), {"B", "PB", "测试路", "20", "0", "", ""}}};
        auto parcels = parcel_layer();
        const std::vector<std::array<const char*, 3>> dates{
            {"2025-01-10", "2025-03-01", "2025-04-01"}, // cleared and delivered
            {"", "", ""},                               // not acquired
            {"2025-02-01", "", ""},                     // acquired, not cleared
            {"2025-02-01", "2025-06-10", ""},           // cleared in the period
            {"2025-06-05", "2025-06-20", ""}};          // acquired and cleared in the period
        for (int k = 0; k < 5; ++k)
            parcels.features.push_back(
                {rect(bx + 100 * k, by - 20, 100, 40),
                 {fmt::format("B{}", k), "PB", dates[k][0], dates[k][1], dates[k][2]}});
        auto buildings = building_layer();
        buildings.features = {
            {rect(bx + 20, by - 5, 10, 10), {"H0", "B0", "3", "300", "2025-02-01", "2025-06-15"}},
            {rect(bx + 420, by - 5, 10, 10), {"H4", "B4", "2", "150", "2025-05-01", ""}},
            {rect(bx + 220, by + 12, 6, 6), {"OUT", "B2", "4", "400", "", ""}}, // outside
        };
        write_layer(src, "GPKG", corridors);
        write_layer(src, "GPKG", parcels);
        write_layer(src, "GPKG", buildings);
        import_into(store, src, {LayerKind::corridors, LayerKind::parcels, LayerKind::buildings});
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(blocking_stretches_by_hand) {
    Blocking b;
    auto store = open_store(b.store, StoreMode::write);
    auto reports = analyse_corridors(*store, options());
    BOOST_REQUIRE_EQUAL(reports.size(), 1u);
    const auto& r = reports[0];
    check_invariants(r);
    check_close(r.red_line_m2, 10000, "red line");
    check_close(r.figures.area_m2, 10000, "parcel area");
    check_close(r.figures.acquired_m2, 8000, "acquired");
    check_close(r.figures.cleared_m2, 6000, "cleared");
    check_close(r.figures.delivered_m2, 2000, "delivered");
    check_close(r.figures.new_acquired_m2, 2000, "new acquired");
    check_close(r.figures.new_cleared_m2, 4000, "new cleared");
    BOOST_CHECK_EQUAL(r.figures.buildings, 2);
    BOOST_CHECK_EQUAL(r.figures.households, 5);
    BOOST_CHECK_EQUAL(r.figures.signed_households, 5);
    BOOST_CHECK_EQUAL(r.figures.demolished_households, 3);
    BOOST_CHECK_EQUAL(r.figures.new_demolished_households, 3);

    BOOST_REQUIRE_EQUAL(r.blocking.size(), 2u);
    const auto& worst = r.blocking[0];
    BOOST_CHECK_EQUAL(worst.label, "K0+100\u2013K0+300");
    check_close(worst.not_acquired_m2, 2000, "stretch 1 not acquired");
    check_close(worst.not_cleared_m2, 2000, "stretch 1 not cleared");
    BOOST_CHECK_EQUAL(worst.outstanding_households, 0);
    BOOST_CHECK((worst.parcels == std::vector<std::string>{"B1", "B2"}));
    const auto& next = r.blocking[1];
    BOOST_CHECK_EQUAL(next.label, "K0+400\u2013K0+500");
    check_close(next.outstanding_m2(), 0, "stretch 2 land");
    BOOST_CHECK_EQUAL(next.outstanding_households, 2);
    BOOST_CHECK_EQUAL(next.unsigned_households, 0);
    BOOST_CHECK((next.buildings == std::vector<std::string>{"H4"}));
    BOOST_CHECK(next.parcels.empty());

    // From the stored geometry, as of an earlier day: only B0 cleared, B2 and B3 acquired,
    // and H0 (in segment 0) not yet demolished, so the whole road is one blocked stretch.
    auto o = options();
    o.as_of = Date(2025, 3, 31);
    o.since.reset();
    auto earlier = analyse_corridors(*store, o);
    BOOST_CHECK_EQUAL(earlier[0].geometry, "stored");
    check_close(earlier[0].figures.acquired_m2, 6000, "acquired on 2025-03-31");
    check_close(earlier[0].figures.cleared_m2, 2000, "cleared on 2025-03-31");
    BOOST_REQUIRE_EQUAL(earlier[0].blocking.size(), 1u);
    BOOST_CHECK_EQUAL(earlier[0].blocking[0].label, "K0+000\u2013K0+500");
    check_close(earlier[0].blocking[0].outstanding_m2(), 8000, "all outstanding on 2025-03-31");
    BOOST_CHECK_EQUAL(earlier[0].blocking[0].outstanding_households, 5);
}

BOOST_AUTO_TEST_CASE(results_are_recomputed_only_when_inputs_change) {
    Blocking b;
    {
        // Read-only: computed in memory, nothing written.
        auto ro = open_store(b.store, StoreMode::read);
        auto r = analyse_corridors(*ro, options());
        BOOST_CHECK_EQUAL(r[0].geometry, "in memory: the store is read-only");
        check_close(r[0].figures.cleared_m2, 6000, "read-only cleared");
        BOOST_CHECK(!ro->has_derived(corridor_segments_layer().name));
    }
    auto store = open_store(b.store, StoreMode::write);
    BOOST_CHECK_EQUAL(analyse_corridors(*store, options())[0].geometry, "saved");
    BOOST_CHECK_EQUAL(analyse_corridors(*store, options())[0].geometry, "stored");
    auto o = options();
    o.segment_m = 50;
    auto fifty = analyse_corridors(*store, o);
    BOOST_CHECK_EQUAL(fifty[0].geometry, "saved");
    BOOST_CHECK_EQUAL(fifty[0].segments.size(), 10u);
    check_close(fifty[0].segments[3].red_line_m2, 50 * 20, "a 50 m segment");
    BOOST_CHECK_EQUAL(analyse_corridors(*store, o)[0].geometry, "stored");
    store.reset();

    // A new import moves the data version: recomputed, with the new dates.
    auto parcels = parcel_layer();
    for (int k = 0; k < 5; ++k)
        parcels.features.push_back({rect(bx + 100 * k, by - 20, 100, 40),
                                    {fmt::format("B{}", k), "PB", "2025-01-01", "2025-01-02", ""}});
    auto src2 = b.dir.file("b2.gpkg");
    write_layer(src2, "GPKG", parcels);
    import_into(b.store, src2, {LayerKind::parcels});
    store = open_store(b.store, StoreMode::write);
    auto after = analyse_corridors(*store, o);
    BOOST_CHECK_EQUAL(after[0].geometry, "saved");
    check_close(after[0].figures.cleared_m2, 10000, "cleared after the new import");
}

BOOST_AUTO_TEST_CASE(project_polygon_as_red_line) {
    Blocking b;
    // The project's red line: 500 x 30 m around the centreline plus a 50 x 40 m bay at 210 m.
    FixtureLayer projects{"projects", 4547, {{"project_code"}, {"name"}}, {}, "MultiPolygon"};
    projects.features = {
        {fmt::format("MULTIPOLYGON((({0} {1},{2} {1},{2} {3},{4} {3},{4} {5},{6} {5},{6} {3},{0} "
                     "{3},{0} {1})))",
                     bx, by - 15, bx + 500, by + 15, bx + 260, by + 55, bx + 210),
         {"PB", "测试路工程"}}};
    write_layer(b.src, "GPKG", projects);
    import_into(b.store, b.src, {LayerKind::projects});
    auto store = open_store(b.store, StoreMode::write);
    auto o = options();
    o.red_line = RedLineSource::project;
    auto r = analyse_corridors(*store, o)[0];
    BOOST_CHECK(r.red_line_source == RedLineSource::project);
    check_close(r.red_line_m2, 500 * 30 + 50 * 40, "project red line");
    check_close(r.segments[2].red_line_m2, 100 * 30 + 50 * 40, "segment with the bay");
    // Parcels reach 20 m from the centreline: B2 also has 50 x 5 m inside the bay.
    check_close(r.figures.area_m2, 500 * 30 + 50 * 5, "parcels in the project red line");
    check_invariants(r);
    // Asking for the buffer again recomputes (the red-line source is part of the stamp).
    o.red_line = RedLineSource::buffer;
    auto buffered = analyse_corridors(*store, o)[0];
    BOOST_CHECK_EQUAL(buffered.geometry, "saved");
    check_close(buffered.red_line_m2, 10000, "buffer red line");
}

BOOST_AUTO_TEST_CASE(unknown_codes_list_what_exists) {
    Blocking b;
    auto store = open_store(b.store, StoreMode::read);
    auto o = options();
    o.corridors = {"NOPE"};
    try {
        analyse_corridors(*store, o);
        BOOST_FAIL("no error for an unknown corridor");
    } catch (const Error& e) {
        BOOST_CHECK(e.kind() == ErrorKind::usage);
        BOOST_CHECK_NE(e.message().find("NOPE"), std::string::npos);
        BOOST_CHECK_NE(e.hint().find("B"), std::string::npos);
    }
    o.corridors.clear();
    o.projects = {"NOPE"};
    BOOST_CHECK_THROW(analyse_corridors(*store, o), Error);
    o.projects = {"PB"};
    BOOST_CHECK_EQUAL(analyse_corridors(*store, o).size(), 1u);
}

BOOST_AUTO_TEST_CASE(cli_corridor_command) {
    Blocking b;
    auto r = run_cli({"corridor", b.store, "--as-of", as_of, "--since", since, "--format", "json",
                      "--lang", "en", "--table", "corridors", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto j = nlohmann::json::parse(r.out).at("corridors");
    const auto& row = j["rows"][0];
    BOOST_CHECK_EQUAL(row["corridor"], "B");
    check_close(row["red_line_mu"].get<double>(), 15.0, "red line 亩 (10000 m²)");
    check_close(row["acquired_mu"].get<double>(), 12.0, "acquired 亩 (8000 m²)");
    check_close(row["cleared_mu"].get<double>(), 9.0, "cleared 亩");
    check_close(row["cleared_pct"].get<double>(), 60.0, "cleared %");
    BOOST_CHECK_EQUAL(row["outstanding_households"].get<int>(), 2);
    BOOST_CHECK_EQUAL(row["blocking_stretches"].get<int>(), 2);

    auto csv = run_cli({"corridor", b.store, "--as-of", as_of, "--format", "csv", "--table",
                        "blocking", "--quiet"});
    BOOST_REQUIRE_MESSAGE(csv.exit_code == 0, csv.err);
    auto first = csv.out.find("K0+100\u2013K0+300"), second = csv.out.find("K0+400\u2013K0+500");
    BOOST_CHECK(first != std::string::npos && second != std::string::npos && first < second);
    BOOST_CHECK_NE(csv.out.find("6.00"), std::string::npos); // 4000 m² outstanding

    auto text = run_cli({"corridor", b.store, "--as-of", as_of, "--quiet"});
    BOOST_REQUIRE_MESSAGE(text.exit_code == 0, text.err);
    BOOST_CHECK_NE(text.out.find("K0+200\u2013K0+300"), std::string::npos);

    auto unknown = run_cli({"corridor", b.store, "--corridor", "NOPE"});
    BOOST_CHECK_EQUAL(unknown.exit_code, 2);
    BOOST_CHECK_NE(unknown.err.find("NOPE"), std::string::npos);
    auto bad_segment = run_cli({"corridor", b.store, "--segment", "0"});
    BOOST_CHECK_EQUAL(bad_segment.exit_code, 2);
}

BOOST_AUTO_TEST_CASE(bad_widths_are_refused_at_import) {
    TempDir dir;
    for (const auto& [width, words] : std::vector<std::pair<std::string, std::string>>{
             {"0", "not positive"}, {"-20", "not positive"}, {"", "width is empty"}}) {
        auto corridors = corridor_layer();
        corridors.features = {
            {line_wkt({{0, 0}, {100, 0}}, 0, 0), {"W", "P", "", width, "0", "", ""}}};
        auto src = dir.file(fmt::format("w{}.gpkg", width));
        write_layer(src, "GPKG", corridors);
        auto r =
            run_cli({"import", dir.file("w.sqlite"), "--corridors", src + ":corridors", "--quiet"});
        BOOST_CHECK_EQUAL(r.exit_code, 1);
        BOOST_CHECK_MESSAGE(r.err.find(words) != std::string::npos, r.err);
        BOOST_CHECK(!fs::exists(dir.file("w.sqlite")));
    }
}
