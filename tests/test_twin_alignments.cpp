// Twin alignments (左线 ZK / 右线 YK) and forks imported as alignments (issue 16, items 2 and 4),
// and the chainage parser's K1+1500 and -K0+120.
//
// The corridor T is two features of the corridors layer sharing the code T: ZK and YK, two
// parallel centrelines 16 m apart running due east (origin bx, by in EPSG:4547).
//   ZK: y = +8, x 0..300, 20 m wide (y -2..18), start K1+000.   Red line 300 × 20 = 6 000 m².
//   YK: y = -8, x 50..350, 24 m wide (y -20..4), start K1+050.  Red line 300 × 24 = 7 200 m².
// The red lines overlap in y -2..4, x 50..300: 6 × 250 = 1 500 m²; the union is 11 700 m².
// Parcels (all across both red lines):
//   A x 0..100,   y -20..20, acquired, cleared, delivered;  in ZK 2 000, YK 1 200, union 2 900
//   B x 150..250, y -10..10, not acquired;                  in ZK 1 200, YK 1 400, union 2 000
//   C x 280..340, y -30..30, acquired, not cleared;         in ZK   400, YK 1 440, union 1 720
//   building H1 (3 households, not demolished) x 190..200, y -1..1: in both red lines.
// So the corridor (the union) has 6 620 m² of parcels, 4 620 acquired, 2 900 cleared and
// delivered, 1 building of 3 households, while the alignments' own figures add up to 7 640
// (3 600 + 4 040): the overlap (300 + 600 + 120 = 1 020 m²) counted twice.
// 100 m segments, by hand:
//   ZK along 0..300 = x 0..300:  ZK1+000–ZK1+100 (A 2 000), ZK1+100–ZK1+200 (B 600, H1),
//                                ZK1+200–ZK1+300 (B 600 + C 400); each piece 2 000 m².
//   YK along 0..300 = x 50..350: YK1+050–YK1+100 (x 50..100, A 1 200, piece 1 200),
//      YK1+100–YK1+200 (x 100..200, B 700, H1, piece 2 400), YK1+200–YK1+300 (x 200..300,
//      B 700 + C 480, piece 2 400), YK1+300–YK1+350 (x 300..350, C 960, piece 1 200).
// Blocking: YK1+100–YK1+350 (250 m, 1 400 not acquired, 1 440 acquired not cleared, 3
// households) before ZK1+100–ZK1+300 (200 m, 1 200 not acquired, 400 not cleared, 3 households).
// The union figures are also checked against SpatiaLite SQL on the fixture file (ST_Union of
// the two ST_Buffer red lines, ST_Area(ST_Intersection(parcel, union)) summed).
#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/import.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/render/map_data.hpp"
#include "landclear/report/corridor_tables.hpp"
#include "support/fixtures.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cpl_conv.h>
#include <fmt/format.h>

using namespace landclear;
using namespace landclear::test;
using namespace landclear::test::grid;

namespace {

std::string line(double x0, double y0, double x1, double y1) {
    return fmt::format("LINESTRING({} {},{} {})", bx + x0, by + y0, bx + x1, by + y1);
}

FixtureLayer corridors_layer(std::string geometry = "LineString") {
    return {"corridors",
            4547,
            {{"corridor_code"},
             {"project_code"},
             {"name"},
             {"width_m", FixtureField::real},
             {"start_chainage_m"},
             {"alignment"}},
            {},
            std::move(geometry)};
}

struct Fixture {
    TempDir dir;
    std::string src = dir.file("twin.gpkg");
    std::string store = dir.file("twin.sqlite");

    Fixture() {
        CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
        auto c = corridors_layer();
        c.features = {{line(0, 8, 300, 8), {"T", "P", "双幅路", "20", "K1+000", "ZK"}},
                      {line(50, -8, 350, -8), {"T", "P", "双幅路", "24", "K1+050", "yk"}},
                      // A corridor of one alignment beside it, as before.
                      {line(0, 500, 100, 500), {"S", "P", "单线", "10", "0", ""}}};
        FixtureLayer parcels{"parcels",
                             4547,
                             {{"parcel_code"},
                              {"project_code"},
                              {"acquired_on", FixtureField::date},
                              {"cleared_on", FixtureField::date},
                              {"delivered_on", FixtureField::date}},
                             {}};
        parcels.features = {
            {rect(0, 100, -20, 20), {"A", "P", "2025-01-01", "2025-02-01", "2025-03-01"}},
            {rect(150, 250, -10, 10), {"B", "P", "", "", ""}},
            {rect(280, 340, -30, 30), {"C", "P", "2025-01-01", "", ""}},
            {rect(0, 100, 495, 505), {"S1", "P", "", "", ""}}};
        auto buildings = corridor_buildings_layer({{rect(190, 200, -1, 1), {"H1", "B", "3", ""}}});
        import_fixture_layers(src, store, {c, parcels, buildings});
    }
};

CorridorOptions options() {
    CorridorOptions o;
    o.as_of = Date(2025, 6, 30);
    return o;
}

// The union of the corridor's red lines and the parcels in it, by SpatiaLite on the fixture.
struct SqlUnion {
    double red = 0, area = 0, acquired = 0, cleared = 0, delivered = 0;
};

SqlUnion sql_union(const std::string& src, const std::string& code) {
    auto rows = ogr_sql(
        src, fmt::format(
                 "WITH o AS MATERIALIZED (SELECT BufferOptions_SetEndCapStyle('FLAT') a, "
                 "BufferOptions_SetJoinStyle('ROUND') b, BufferOptions_SetQuadrantSegments(8) c), "
                 "u AS MATERIALIZED (SELECT ST_Union(ST_Buffer(k.geom, k.width_m / 2.0)) g FROM "
                 "corridors k, o WHERE k.corridor_code = '{0}'), "
                 "p AS MATERIALIZED (SELECT ST_Area(ST_Intersection(parcels.geom, u.g)) a, "
                 "acquired_on, cleared_on, delivered_on FROM parcels, u WHERE "
                 "ST_Intersects(parcels.geom, u.g)) "
                 "SELECT (SELECT ST_Area(g) FROM u), SUM(a), "
                 "SUM(CASE WHEN acquired_on <= '2025-06-30' THEN a ELSE 0 END), "
                 "SUM(CASE WHEN cleared_on <= '2025-06-30' THEN a ELSE 0 END), "
                 "SUM(CASE WHEN delivered_on <= '2025-06-30' THEN a ELSE 0 END) FROM p",
                 code));
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    auto num = [&](size_t i) { return rows[0][i].empty() ? 0.0 : std::stod(rows[0][i]); };
    return {num(0), num(1), num(2), num(3), num(4)};
}

size_t column(const Table& t, const std::string& key) {
    for (size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].key == key)
            return i;
    BOOST_FAIL("no column " + key);
    return 0;
}

struct WantSegment {
    const char* label;
    double red, parcels;
    bool blocked;
};

void check_segments(const CorridorReport& a, const std::vector<WantSegment>& want) {
    BOOST_REQUIRE_EQUAL(a.segments.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
        const auto& s = a.segments[k];
        BOOST_CHECK_EQUAL(s.label, want[k].label);
        BOOST_CHECK_EQUAL(s.alignment, a.alignment);
        check_close(s.red_line_m2, want[k].red,
                    fmt::format("{} segment {} red line", a.alignment, k));
        check_close(s.figures.area_m2, want[k].parcels,
                    fmt::format("{} segment {} parcels", a.alignment, k));
        BOOST_CHECK_EQUAL(s.blocked, want[k].blocked);
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(twin_alignments_stored_one_row_each) {
    Fixture f;
    auto store = open_store(f.store, StoreMode::read);
    std::vector<std::string> codes;
    for (const auto& c : store->corridors())
        codes.push_back(c.code + "/" + c.alignment);
    // Sorted by code; the alignment given in lower case is stored as its prefix.
    BOOST_CHECK((codes == std::vector<std::string>{"S/", "T~YK/YK", "T~ZK/ZK"}));
}

BOOST_AUTO_TEST_CASE(twin_alignments_union_counted_once) {
    Fixture f;
    auto sql = sql_union(f.src, "T");
    check_close(sql.red, 11700, "SQL union red line (hand)");
    check_close(sql.area, 6620, "SQL union parcel area (hand)");
    auto store = open_store(f.store, StoreMode::write);
    auto o = options();
    o.corridors = {"T"};
    for (int pass = 0; pass < 2; ++pass) { // computed, then read from the store
        auto reports = analyse_corridors(*store, o);
        BOOST_REQUIRE_EQUAL(reports.size(), 1u);
        const auto& r = reports[0];
        BOOST_CHECK_EQUAL(r.code, "T");
        BOOST_CHECK_EQUAL(r.geometry, pass == 0 ? "saved" : "stored");
        check_close(r.red_line_m2, sql.red, "union red line against SQL");
        check_close(r.figures.area_m2, sql.area, "union parcel area against SQL");
        check_close(r.figures.acquired_m2, sql.acquired, "union acquired against SQL");
        check_close(r.figures.cleared_m2, sql.cleared, "union cleared against SQL");
        check_close(r.figures.delivered_m2, sql.delivered, "union delivered against SQL");
        check_close(r.figures.acquired_m2, 4620, "union acquired (hand)");
        check_close(r.figures.cleared_m2, 2900, "union cleared (hand)");
        BOOST_CHECK_EQUAL(r.figures.parcels, 3);
        BOOST_CHECK_EQUAL(r.figures.buildings, 1);
        BOOST_CHECK_EQUAL(r.figures.households, 3);

        BOOST_REQUIRE_EQUAL(r.alignments.size(), 2u);
        const auto& yk = r.alignments[0];
        const auto& zk = r.alignments[1];
        BOOST_CHECK_EQUAL(yk.alignment, "YK");
        BOOST_CHECK_EQUAL(zk.alignment, "ZK");
        BOOST_CHECK_EQUAL(yk.row_code, "T~YK");
        BOOST_CHECK_EQUAL(zk.row_code, "T~ZK");
        check_close(zk.red_line_m2, 6000, "ZK red line");
        check_close(yk.red_line_m2, 7200, "YK red line");
        check_close(zk.figures.area_m2, 3600, "ZK parcel area");
        check_close(yk.figures.area_m2, 4040, "YK parcel area");
        // The alignments each count H1: their figures do not add up to the corridor's.
        BOOST_CHECK_EQUAL(zk.figures.households, 3);
        BOOST_CHECK_EQUAL(yk.figures.households, 3);
        check_close(zk.start_chainage_m, 1000, "ZK start");
        check_close(yk.end_chainage_m, 1350, "YK end");
        check_segments(zk, {{"ZK1+000\u2013ZK1+100", 2000, 2000, false},
                            {"ZK1+100\u2013ZK1+200", 2000, 600, true},
                            {"ZK1+200\u2013ZK1+300", 2000, 1000, true}});
        check_segments(yk, {{"YK1+050\u2013YK1+100", 1200, 1200, false},
                            {"YK1+100\u2013YK1+200", 2400, 700, true},
                            {"YK1+200\u2013YK1+300", 2400, 1180, true},
                            {"YK1+300\u2013YK1+350", 1200, 960, true}});
        // The corridor's segments are all the alignments'; its stretches too, worst first.
        BOOST_CHECK_EQUAL(r.segments.size(), 7u);
        BOOST_REQUIRE_EQUAL(r.blocking.size(), 2u);
        const auto& b0 = r.blocking[0];
        BOOST_CHECK_EQUAL(b0.label, "YK1+100\u2013YK1+350");
        BOOST_CHECK_EQUAL(b0.alignment, "YK");
        check_close(b0.length_m(), 250, "YK stretch length");
        check_close(b0.not_acquired_m2, 1400, "YK stretch not acquired");
        check_close(b0.not_cleared_m2, 1440, "YK stretch not cleared");
        BOOST_CHECK_EQUAL(b0.outstanding_households, 3);
        BOOST_CHECK((b0.parcels == std::vector<std::string>{"B", "C"}));
        const auto& b1 = r.blocking[1];
        BOOST_CHECK_EQUAL(b1.label, "ZK1+100\u2013ZK1+300");
        check_close(b1.length_m(), 200, "ZK stretch length");
        check_close(b1.not_acquired_m2, 1200, "ZK stretch not acquired");
        check_close(b1.not_cleared_m2, 400, "ZK stretch not cleared");
        BOOST_CHECK((b1.buildings == std::vector<std::string>{"H1"}));

        // Tables: the corridor's row (the union) and a row per alignment; totals of corridors.
        auto tables = corridor_tables(reports, o);
        const auto& summary = tables[0];
        BOOST_REQUIRE_EQUAL(summary.rows.size(), 3u);
        auto cell_text = [&](size_t row, const std::string& key) {
            return std::get<std::string>(summary.rows[row][column(summary, key)]);
        };
        auto cell_real = [&](size_t row, const std::string& key) {
            return std::get<double>(summary.rows[row][column(summary, key)]);
        };
        BOOST_CHECK_EQUAL(cell_text(0, "corridor"), "T");
        BOOST_CHECK_EQUAL(cell_text(1, "corridor"), "T~YK");
        BOOST_CHECK_EQUAL(cell_text(2, "corridor"), "T~ZK");
        BOOST_CHECK_EQUAL(cell_text(0, "red_line"), "YK 24 m; ZK 20 m");
        BOOST_CHECK_EQUAL(cell_text(2, "from"), "ZK1+000");
        BOOST_CHECK_EQUAL(cell_text(1, "to"), "YK1+350");
        check_close(cell_real(0, "area_mu"), m2_to_mu(6620), "corridor row 亩");
        check_close(cell_real(1, "area_mu"), m2_to_mu(4040), "YK row 亩");
        check_close(cell_real(2, "area_mu"), m2_to_mu(3600), "ZK row 亩");
        check_close(cell_real(0, "length_m"), 600, "corridor row: both alignments' length");
        check_close(std::get<double>((*summary.totals)[column(summary, "area_mu")]), m2_to_mu(6620),
                    "totals: the union only");
        check_close(std::get<double>((*summary.totals)[column(summary, "red_line_mu")]),
                    m2_to_mu(11700), "totals red line: the union");
        const auto& segments = tables[1];
        BOOST_REQUIRE_EQUAL(segments.rows.size(), 7u);
        BOOST_CHECK(std::get<std::string>(segments.rows[0][0]) == "T~YK");
        const auto& blocking = tables[2];
        BOOST_REQUIRE_EQUAL(blocking.rows.size(), 2u);
        BOOST_CHECK(std::get<std::string>(blocking.rows[0][0]) == "T~YK");
    }
}

BOOST_AUTO_TEST_CASE(single_alignment_corridor_unchanged_beside_twins) {
    Fixture f;
    auto store = open_store(f.store, StoreMode::write);
    auto o = options();
    auto reports = analyse_corridors(*store, o);
    BOOST_REQUIRE_EQUAL(reports.size(), 2u); // S, then T (by their first stored row)
    BOOST_CHECK_EQUAL(reports[0].code, "S");
    BOOST_CHECK_EQUAL(reports[0].row_code, "S");
    BOOST_CHECK(reports[0].alignments.empty());
    check_close(reports[0].red_line_m2, 1000, "S red line");
    check_close(reports[0].figures.area_m2, 1000, "S parcel area");
    BOOST_CHECK_EQUAL(reports[0].segments.front().label, "K0+000\u2013K0+100");
    BOOST_CHECK_EQUAL(reports[1].code, "T");
    // By project: the corridor, not its rows.
    o.projects = {"P"};
    BOOST_CHECK_EQUAL(analyse_corridors(*store, o).size(), 2u);
    // An alignment's row code is not a corridor code.
    o.projects.clear();
    o.corridors = {"T~ZK"};
    BOOST_CHECK_THROW(analyse_corridors(*store, o), Error);
}

BOOST_AUTO_TEST_CASE(alignment_given_twice_is_refused) {
    TempDir dir;
    auto src = dir.file("dup.gpkg");
    auto c = corridors_layer();
    c.features = {{line(0, 8, 300, 8), {"T", "P", "", "20", "0", "ZK"}},
                  {line(0, -8, 300, -8), {"T", "P", "", "20", "0", "zk"}}};
    write_layer(src, "GPKG", c);
    ImportOptions o;
    o.store = dir.file("dup.sqlite");
    o.working_epsg = 4547;
    o.sources.emplace_back(LayerKind::corridors, SourceSpec{src, "corridors"});
    try {
        import_layers(o);
        BOOST_FAIL("a corridor with the same alignment twice was imported");
    } catch (const Error& e) {
        BOOST_CHECK_MESSAGE(e.full_message().find("corridor T has alignment ZK twice") !=
                                std::string::npos,
                            e.full_message());
    }
}

namespace {

// A T junction: the main road x 0..400 along y = 0 drawn in one part, a ramp from (200, 0)
// north to (200, 150); and a Y: three arms from (200, 0).
std::string t_junction() {
    return fmt::format("MULTILINESTRING(({} {},{} {}),({} {},{} {}))", bx, by, bx + 400, by,
                       bx + 200, by, bx + 200, by + 150);
}

std::string y_junction() {
    return fmt::format("MULTILINESTRING(({0} {1},{2} {1}),({2} {1},{3} {4}),({2} {1},{3} {5}))", bx,
                       by, bx + 200, bx + 400, by + 100, by - 50);
}

std::string import_fork(TempDir& dir, const std::string& wkt, bool as_alignments) {
    auto src = dir.file("fork.gpkg");
    std::filesystem::remove(src);
    auto c = corridors_layer("MultiLineString");
    c.features = {{wkt, {"F", "P", "匝道", "10", "K0+000", ""}}};
    write_layer(src, "GPKG", c);
    FixtureLayer parcels{"parcels", 4547, {{"parcel_code"}, {"project_code"}}, {}};
    // Across the junction: 20 × 20 around (200, 0).
    parcels.features = {{rect(190, 210, -10, 10), {"J", "P"}}};
    write_layer(src, "GPKG", parcels);
    ImportOptions o;
    o.store = dir.file(as_alignments ? "fork-a.sqlite" : "fork.sqlite");
    std::filesystem::remove(o.store);
    o.working_epsg = 4547;
    o.fork_as_alignments = as_alignments;
    o.sources.emplace_back(LayerKind::corridors, SourceSpec{src, "corridors"});
    o.sources.emplace_back(LayerKind::parcels, SourceSpec{src, "parcels"});
    import_layers(o);
    return o.store;
}

} // namespace

BOOST_AUTO_TEST_CASE(fork_refused_without_the_option_naming_it) {
    TempDir dir;
    try {
        import_fork(dir, t_junction(), false);
        BOOST_FAIL("a fork was imported without --fork-as-alignments");
    } catch (const Error& e) {
        std::string text = e.full_message() + " " + e.hint();
        BOOST_CHECK_MESSAGE(text.find("branches at (390200.000, 3080000.000)") != std::string::npos,
                            text);
        BOOST_CHECK_MESSAGE(text.find("--fork-as-alignments") != std::string::npos, text);
    }
}

BOOST_AUTO_TEST_CASE(t_junction_imported_as_two_alignments) {
    TempDir dir;
    auto path = import_fork(dir, t_junction(), true);
    auto store = open_store(path, StoreMode::write);
    std::vector<std::string> rows;
    for (const auto& c : store->corridors())
        rows.push_back(fmt::format("{} {} {:.3f}", c.code, c.alignment, c.length_m));
    // Longest first: the main road AK, the ramp BK.
    BOOST_CHECK((rows == std::vector<std::string>{"F~AK AK 400.000", "F~BK BK 150.000"}));
    auto o = options();
    auto reports = analyse_corridors(*store, o);
    BOOST_REQUIRE_EQUAL(reports.size(), 1u);
    const auto& r = reports[0];
    BOOST_CHECK_EQUAL(r.code, "F");
    BOOST_REQUIRE_EQUAL(r.alignments.size(), 2u);
    // Red lines 10 m wide: AK 400 × 10, BK 150 × 10 from the road's axis, overlapping the
    // main road's northern half for 10 × 5 m at the junction: union 4 000 + 1 500 − 50.
    check_close(r.alignments[0].red_line_m2, 4000, "AK red line");
    check_close(r.alignments[1].red_line_m2, 1500, "BK red line");
    check_close(r.red_line_m2, 5450, "union red line");
    // J (x 190..210, y -10..10): in AK 20 × 10, in BK 10 × 10 (x 195..205, y 0..10), of which
    // 10 × 5 also in AK: union 200 + 100 − 50.
    check_close(r.alignments[0].figures.area_m2, 200, "J in AK");
    check_close(r.alignments[1].figures.area_m2, 100, "J in BK");
    check_close(r.figures.area_m2, 250, "J in the union");
    BOOST_CHECK_EQUAL(r.alignments[1].segments.front().label, "BK0+000\u2013BK0+100");
    BOOST_CHECK_EQUAL(r.alignments[1].segments.back().label, "BK0+100\u2013BK0+150");
}

BOOST_AUTO_TEST_CASE(y_junction_imported_as_three_alignments) {
    TempDir dir;
    auto path = import_fork(dir, y_junction(), true);
    auto store = open_store(path, StoreMode::read);
    std::vector<std::string> rows;
    for (const auto& c : store->corridors())
        rows.push_back(fmt::format("{} {:.6f}", c.code, c.length_m));
    // Longest first: (200,0)-(400,100) √50 000, (200,0)-(400,-50) √42 500, the 200 m stem.
    BOOST_CHECK((rows == std::vector<std::string>{fmt::format("F~AK {:.6f}", std::sqrt(50000.0)),
                                                  fmt::format("F~BK {:.6f}", std::sqrt(42500.0)),
                                                  "F~CK 200.000000"}));
}

BOOST_AUTO_TEST_CASE(chainage_metres_below_1000_and_negative_stations) {
    BOOST_CHECK(!parse_chainage("K1+1500"));
    auto why = chainage_problem("K1+1500");
    BOOST_REQUIRE(why);
    BOOST_CHECK_MESSAGE(why->find("K2+500") != std::string::npos, *why);
    BOOST_CHECK(!chainage_problem("K1+500"));
    BOOST_CHECK(!chainage_problem("nonsense"));
    BOOST_CHECK_EQUAL(parse_chainage("K1+999.5").value_or(-1), 1999.5);
    BOOST_CHECK_EQUAL(parse_chainage("-K0+120").value_or(0), -120);
    BOOST_CHECK_EQUAL(parse_chainage(" -k1+005.25 ").value_or(0), -1005.25);
    BOOST_CHECK(!parse_chainage("--K0+120"));
    BOOST_CHECK(!parse_chainage("K-1+120"));
    for (double v : {-120.0, -1005.25, -0.5, 0.0, 12350.5})
        BOOST_CHECK_EQUAL(parse_chainage(format_chainage(v)).value_or(1e9), v);
    // In a break, and at import, the message says why.
    try {
        parse_chainage_breaks("K1+1500=K1+400");
        BOOST_FAIL("K1+1500 was read");
    } catch (const Error& e) {
        BOOST_CHECK_MESSAGE(e.full_message().find("below 1000") != std::string::npos,
                            e.full_message());
    }
    TempDir dir;
    auto src = dir.file("k.gpkg");
    auto c = corridors_layer();
    c.features = {{line(0, 0, 100, 0), {"R", "P", "", "20", "K1+1500", ""}}};
    write_layer(src, "GPKG", c);
    ImportOptions o;
    o.store = dir.file("k.sqlite");
    o.working_epsg = 4547;
    o.sources.emplace_back(LayerKind::corridors, SourceSpec{src, "corridors"});
    try {
        import_layers(o);
        BOOST_FAIL("start chainage K1+1500 was imported");
    } catch (const Error& e) {
        std::string text = e.full_message();
        BOOST_CHECK_MESSAGE(text.find("K2+500") != std::string::npos &&
                                text.find("start_chainage_m") != std::string::npos,
                            text);
    }
}

BOOST_AUTO_TEST_CASE(maps_draw_every_alignment_and_strip_one) {
    Fixture f;
    auto store = open_store(f.store, StoreMode::write);
    MapRequest req;
    req.scope = MapScope::corridor;
    req.code = "T";
    req.as_of = Date(2025, 6, 30);
    auto pages = collect_map_pages(*store, req);
    BOOST_REQUIRE_EQUAL(pages.size(), 1u);
    const auto& page = pages[0];
    BOOST_REQUIRE_EQUAL(page.corridors.size(), 2u);
    BOOST_CHECK_EQUAL(page.corridors[0].code, "T~YK");
    BOOST_CHECK_EQUAL(page.corridors[0].alignment, "YK");
    BOOST_CHECK_EQUAL(page.corridors[1].alignment, "ZK");
    // Ticks every 100 m of each alignment's own chainage: YK K1+050..K1+350 has K1+100, K1+200,
    // K1+300 and both ends; ZK K1+000..K1+300 has K1+000 to K1+300.
    auto chainages = [](const MapCorridor& c) {
        std::vector<double> out;
        for (const auto& t : c.ticks)
            out.push_back(t.chainage_m);
        return out;
    };
    BOOST_CHECK(
        (chainages(page.corridors[0]) == std::vector<double>{1050, 1100, 1200, 1300, 1350}));
    BOOST_CHECK((chainages(page.corridors[1]) == std::vector<double>{1000, 1100, 1200, 1300}));
    // The page's figures are the corridor's (the union): 6 620 m² of parcels, 9.93 亩.
    bool union_figure = false;
    for (const auto& row : page.figure_rows)
        union_figure = union_figure || row.value.find("9.93") != std::string::npos;
    BOOST_CHECK_MESSAGE(union_figure, "no figure row with the union's 9.93 亩");

    req.strip = true;
    BOOST_CHECK_THROW(collect_map_pages(*store, req), Error); // which alignment?
    req.alignment = "QK";
    BOOST_CHECK_THROW(collect_map_pages(*store, req), Error);
    req.alignment = "ZK";
    auto sheets = collect_map_pages(*store, req);
    BOOST_REQUIRE(!sheets.empty());
    BOOST_REQUIRE(sheets[0].strip);
    BOOST_CHECK_EQUAL(sheets[0].strip->alignment, "ZK");
    BOOST_CHECK_EQUAL(sheets[0].key, "T~ZK-01");
    check_close(sheets.front().strip->from_chainage_m, 1000, "ZK strip from");
    check_close(sheets.back().strip->to_chainage_m, 1300, "ZK strip to");
}

BOOST_AUTO_TEST_CASE(update_of_one_alignment_stays_an_alignment) {
    Fixture f;
    // --update with the ZK line alone, moved 2 m north: it replaces T~ZK, and YK stays.
    auto src = f.dir.file("zk.gpkg");
    auto c = corridors_layer();
    c.features = {{line(0, 10, 300, 10), {"T", "P", "双幅路", "20", "K1+000", "ZK"}}};
    write_layer(src, "GPKG", c);
    ImportOptions o;
    o.store = f.store;
    o.update = true;
    o.reported = Date::today();
    o.sources.emplace_back(LayerKind::corridors, SourceSpec{src, "corridors"});
    auto summary = import_layers(o);
    BOOST_REQUIRE_EQUAL(summary.layers.size(), 1u);
    BOOST_CHECK_EQUAL(summary.layers[0].changed, 1);
    BOOST_CHECK_EQUAL(summary.layers[0].added, 0);
    auto store = open_store(f.store, StoreMode::write);
    std::vector<std::string> codes;
    for (const auto& row : store->corridors())
        codes.push_back(row.code);
    BOOST_CHECK((codes == std::vector<std::string>{"S", "T~YK", "T~ZK"}));
    auto co = options();
    co.corridors = {"T"};
    auto reports = analyse_corridors(*store, co);
    BOOST_REQUIRE_EQUAL(reports.size(), 1u);
    // ZK now y 0..20: overlap with YK (y -20..4) is y 0..4 over x 50..300 = 1 000 m².
    check_close(reports[0].red_line_m2, 6000 + 7200 - 1000, "union red line after the update");
}
