// Bulletins (issue 12): figures as issued whatever is imported later, corrections listed with
// what they moved, ranks with ties and rank changes, 清零交地 and 逾期, reproducible files. The
// expected figures are worked out by hand below from the planted dates, and checked against
// SQL on the store.
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>

using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000;

// Four units, each 100 m parcel 15 亩:
//   甲 (P1): A1, A2            乙 (P2, deadline 2026-11-15): B1, B2
//   丙 (P3): C1 C2 C3 C4       丁 (P4): D1
// Known on 2026-11-13: B1 cleared 11-10; C1 cleared 11-05, C2 11-12 (C3 acquired only).
// Known on 2026-11-20: A1 cleared 11-18, C3 cleared 11-19, D1 delivered 11-17, and B1's
// clearance corrected from 11-10 to 11-16.
struct Parcel {
    std::string code, project, acquired, cleared, delivered;
};

std::vector<Parcel> week(bool second) {
    std::vector<Parcel> p{{"A1", "P1", "", "", ""},
                          {"A2", "P1", "", "", ""},
                          {"B1", "P2", "2026-11-01", "2026-11-10", ""},
                          {"B2", "P2", "", "", ""},
                          {"C1", "P3", "2026-11-01", "2026-11-05", ""},
                          {"C2", "P3", "2026-11-01", "2026-11-12", ""},
                          {"C3", "P3", "2026-11-01", "", ""},
                          {"C4", "P3", "", "", ""},
                          {"D1", "P4", "", "", ""}};
    if (second) {
        p[0] = {"A1", "P1", "2026-11-15", "2026-11-18", ""};
        p[2].cleared = "2026-11-16";
        p[6].cleared = "2026-11-19";
        p[8] = {"D1", "P4", "2026-11-17", "2026-11-17", "2026-11-17"};
    }
    return p;
}

struct Office {
    TempDir dir;
    std::string store = dir.file("office.sqlite");
    std::string projects = dir.file("projects.gpkg");

    Office() {
        FixtureLayer pr{"projects",
                        4547,
                        {{"project_code"}, {"name"}, {"unit"}, {"deadline", FixtureField::date}},
                        {},
                        "None"};
        pr.features = {{"", {"P1", "一号路", "甲", "2026-12-31"}},
                       {"", {"P2", "二号路", "乙", "2026-11-15"}},
                       {"", {"P3", "三号路", "丙", "2026-12-31"}},
                       {"", {"P4", "四号地", "丁", "2026-12-31"}}};
        write_layer(projects, "GPKG", pr);
    }

    void import_week(bool second) {
        FixtureLayer layer{"parcels",
                           4547,
                           {{"parcel_code"},
                            {"project_code"},
                            {"acquired_on", FixtureField::date},
                            {"cleared_on", FixtureField::date},
                            {"delivered_on", FixtureField::date}},
                           {}};
        int i = 0;
        for (const auto& p : week(second))
            layer.features.push_back({square_wkt(bx + 200 * i++, by, 100),
                                      {p.code, p.project, p.acquired, p.cleared, p.delivered}});
        auto path = dir.file(second ? "w2.gpkg" : "w1.gpkg");
        write_layer(path, "GPKG", layer);
        auto r = run_cli({"import", store, "--projects", projects, "--parcels", path, "--reported",
                          second ? "2026-11-20" : "2026-11-13", "--quiet"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
};

json bulletin(const Office& o, std::vector<std::string> extra) {
    std::vector<std::string> args{"bulletin", o.store, "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_cli(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return json::parse(r.out);
}

// Every table's rows and totals: what "the same cell values" means.
json cells(const json& doc) {
    json out = json::object();
    for (auto it = doc.begin(); it != doc.end(); ++it)
        out[it.key()] = {it.value()["rows"], it.value().value("totals", json())};
    return out;
}

std::map<std::string, json> by_unit(const json& doc) {
    std::map<std::string, json> out;
    for (const auto& r : doc["units"]["rows"])
        out[r["group"].get<std::string>()] = r;
    return out;
}

double mu(const json& v) {
    return v.get<double>();
}

// The three projects with the lowest cleared rate on `day` (ties by code), by SQL on the
// parcel rows the store knew: `rows` is a FROM clause of (geom, project_code, cleared_on).
std::vector<std::string> lagging_by_sql(const Office& o, const std::string& rows,
                                        const std::string& day) {
    auto r = ogr_sql(o.store,
                     fmt::format("SELECT project_code, coalesce(sum(CASE WHEN cleared_on <= '{}' "
                                 "THEN ST_Area(geom) END), 0) / sum(ST_Area(geom)) AS r FROM {} "
                                 "GROUP BY project_code ORDER BY r, project_code LIMIT 3",
                                 day, rows));
    std::vector<std::string> out;
    for (const auto& row : r)
        out.push_back(row.at(0));
    return out;
}

int pdf_pages(const std::string& pdf, const std::string& scratch) {
    BOOST_REQUIRE(std::system(fmt::format("pdfinfo '{}' > '{}'", pdf, scratch).c_str()) == 0);
    auto info = read_file(scratch);
    auto at = info.find("Pages:");
    BOOST_REQUIRE(at != std::string::npos);
    return std::stoi(info.substr(at + 6));
}

std::string pdf_page_text(const std::string& pdf, int page, const std::string& scratch) {
    BOOST_REQUIRE(
        std::system(
            fmt::format("pdftotext -f {} -l {} '{}' '{}'", page, page, pdf, scratch).c_str()) == 0);
    return read_file(scratch);
}

} // namespace

BOOST_AUTO_TEST_SUITE(bulletins)

BOOST_AUTO_TEST_CASE(a_week_as_issued_stays_the_same_after_a_correcting_import) {
    Office o;
    o.import_week(false);
    auto issued = bulletin(o, {"--week", "2026-11-13"});
    o.import_week(true);
    auto again = bulletin(o, {"--week", "2026-11-13"}); // as issued: known on 11-13
    BOOST_TEST(cells(again) == cells(issued));
    auto explicit_known = bulletin(o, {"--week", "2026-11-13", "--known-on", "2026-11-13"});
    BOOST_TEST(cells(explicit_known) == cells(issued));

    // By hand, week 11-07..11-13 as issued: 乙 B1 15 亩 cleared (new), 丙 C1 C2 30 (C2 new).
    auto u = by_unit(issued);
    BOOST_TEST(mu(u["乙"]["cleared_mu"]) == 15.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(mu(u["乙"]["new_cleared_mu"]) == 15.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(mu(u["丙"]["cleared_mu"]) == 30.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(mu(u["丙"]["new_cleared_mu"]) == 15.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(mu(u["甲"]["cleared_mu"]) == 0.0);
    // The same figure by SQL on the store as known on 11-13: batch 1's rows, current or
    // superseded by batch 2.
    double sql = ogr_sql_number(
        o.store, "SELECT sum(ST_Area(geom)) * 3 / 2000 FROM (SELECT geom, cleared_on, "
                 "project_code, import_id FROM parcels UNION ALL SELECT geom, cleared_on, "
                 "project_code, import_id FROM parcels_history) WHERE import_id IN (SELECT id "
                 "FROM imports WHERE batch_id = 1) AND cleared_on <= '2026-11-13' AND "
                 "project_code = 'P2'");
    BOOST_TEST(sql == 15.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(issued["corrections"]["rows"].size() == 0u);

    // Known on 11-20: B1's clearance moved to 11-16, so 乙 cleared nothing that week; the
    // correction is listed with what it moved.
    auto corrected = bulletin(o, {"--week", "2026-11-13", "--known-on", "2026-11-20"});
    u = by_unit(corrected);
    BOOST_TEST(mu(u["乙"]["cleared_mu"]) == 0.0);
    BOOST_TEST(mu(u["乙"]["new_cleared_mu"]) == 0.0);
    BOOST_TEST(mu(corrected["units"]["totals"]["cleared_mu"]) == 30.0,
               boost::test_tools::tolerance(1e-12));
    auto c = corrected["corrections"]["rows"];
    BOOST_REQUIRE(c.size() == 1u);
    BOOST_TEST(c[0]["code"] == "B1");
    BOOST_TEST(c[0]["field"] == "cleared_on");
    BOOST_TEST(c[0]["old_value"] == "2026-11-10");
    BOOST_TEST(c[0]["new_value"] == "2026-11-16");
    BOOST_TEST(c[0]["reported_on"] == "2026-11-20");
}

BOOST_AUTO_TEST_CASE(ranks_with_ties_rank_changes_and_the_projects_lists_by_hand) {
    Office o;
    o.import_week(false);
    o.import_week(true);
    auto b = bulletin(o, {"--week", "2026-11-20"});
    auto u = by_unit(b);
    // Cleared rate on 11-20: 丁 15/15, 丙 45/60, 甲 15/30, 乙 15/30 (B1 on 11-16).
    // Previous (11-13 as issued): 乙 15/30, 丙 30/60, 甲 0, 丁 0.
    std::map<std::string, std::tuple<int, int, int>> want{
        {"丁", {1, 3, 2}}, {"丙", {2, 1, -1}}, {"甲", {3, 3, 0}}, {"乙", {3, 1, -2}}};
    for (const auto& [unit, w] : want) {
        BOOST_TEST(u[unit]["rank"] == std::get<0>(w), unit);
        BOOST_TEST(u[unit]["previous_rank"] == std::get<1>(w), unit);
        BOOST_TEST(u[unit]["rank_change"] == std::get<2>(w), unit);
    }
    // Listed by rank, ties by code.
    std::vector<std::string> order;
    for (const auto& r : b["units"]["rows"])
        order.push_back(r["group"]);
    BOOST_TEST((order == std::vector<std::string>{"丁", "丙", "乙", "甲"}));
    // Increases over 11-14..11-20: 15 亩 cleared in each unit.
    for (std::string unit : {"甲", "乙", "丙", "丁"})
        BOOST_TEST(mu(u[unit]["new_cleared_mu"]) == 15.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(mu(u["丙"]["cleared_share_pct"]) == 50.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(mu(u["丙"]["cleared_pct"]) == 75.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(mu(b["units"]["totals"]["cleared_mu"]) == 90.0, boost::test_tools::tolerance(1e-12));
    // And by SQL on the current store (everything known on 11-20).
    for (auto [unit, project] : std::map<std::string, std::string>{{"丙", "P3"}, {"乙", "P2"}})
        BOOST_TEST(mu(u[unit]["cleared_mu"]) ==
                       ogr_sql_number(o.store, fmt::format("SELECT sum(ST_Area(geom)) * 3 / 2000 "
                                                           "FROM parcels WHERE project_code = "
                                                           "'{}' AND cleared_on <= '2026-11-20'",
                                                           project)),
                   boost::test_tools::tolerance(1e-9));
    // 清零交地: P4; 逾期: P2, 5 days past 11-15.
    BOOST_REQUIRE(b["cleared"]["rows"].size() == 1u);
    BOOST_TEST(b["cleared"]["rows"][0]["project"] == "P4");
    BOOST_REQUIRE(b["overdue"]["rows"].size() == 1u);
    BOOST_TEST(b["overdue"]["rows"][0]["project"] == "P2");
    BOOST_TEST(b["overdue"]["rows"][0]["days_overdue"] == 5);
    // The correction of B1 since the previous bulletin, and what it moved there: 乙's 15 亩.
    BOOST_TEST(b["corrections"]["rows"].size() == 1u);
    bool moved = false;
    for (const auto& r : b["correction_effects"]["rows"])
        if (r["group"] == "乙" && r["measure"] == "已腾(亩)") {
            moved = true;
            BOOST_TEST(mu(r["issued"]) == 15.0, boost::test_tools::tolerance(1e-12));
            BOOST_TEST(mu(r["now"]) == 0.0);
            BOOST_TEST(mu(r["change"]) == -15.0, boost::test_tools::tolerance(1e-12));
        }
    BOOST_TEST(moved);
}

BOOST_AUTO_TEST_CASE(the_files_come_out_the_same_every_time) {
    Office o;
    o.import_week(false);
    o.import_week(true);
    auto a = o.dir.file("a"), b = o.dir.file("b");
    auto r = run_cli({"bulletin", o.store, "--month", "2026-11", "--out", a, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    r = run_cli({"bulletin", o.store, "--month", "2026-11", "--out", b, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto stem = "bulletin-monthly-2026-11-30";
    for (std::string ext : {".pdf", ".xlsx", "-series.png"})
        BOOST_TEST(fs::exists(fs::path(a) / (stem + ext)), ext);
    auto text = [&](const std::string& dir) {
        auto txt = (fs::path(dir) / "out.txt").string();
        auto pdf = (fs::path(dir) / (std::string(stem) + ".pdf")).string();
        BOOST_REQUIRE(std::system(fmt::format("pdftotext -layout '{}' '{}'", pdf, txt).c_str()) ==
                      0);
        return read_file(txt);
    };
    auto ta = text(a);
    BOOST_TEST(ta == text(b));
    BOOST_TEST(ta.find("丙") != std::string::npos);
    BOOST_TEST(read_file((fs::path(a) / (std::string(stem) + ".pdf")).string()) ==
               read_file((fs::path(b) / (std::string(stem) + ".pdf")).string()));
    // The CJK font is embedded.
    auto fonts = o.dir.file("fonts.txt");
    BOOST_REQUIRE(
        std::system(fmt::format("pdffonts '{}' > '{}'",
                                (fs::path(a) / (std::string(stem) + ".pdf")).string(), fonts)
                        .c_str()) == 0);
    BOOST_TEST(read_file(fonts).find("Noto") != std::string::npos);
    BOOST_TEST(read_file(fonts).find(" no ") == std::string::npos);
    // The XLSX cells, read back by GDAL: the ranking sheet's cleared figures.
    auto xlsx = (fs::path(a) / (std::string(stem) + ".xlsx")).string();
    // The same bytes on a second run: the workbook says it was created on the bulletin's last
    // day, not at the time of the run.
    BOOST_TEST(read_file(xlsx) ==
               read_file((fs::path(b) / (std::string(stem) + ".xlsx")).string()));
    auto core = o.dir.file("core.xml");
    BOOST_REQUIRE(
        std::system(fmt::format("python3 -c \"import sys, zipfile; sys.stdout.write(zipfile."
                                "ZipFile(sys.argv[1]).read('docProps/core.xml').decode())\" "
                                "'{}' > '{}'",
                                xlsx, core)
                        .c_str()) == 0);
    BOOST_TEST(read_file(core).find("<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-11-30T00:"
                                    "00:00Z</dcterms:created>") != std::string::npos,
               read_file(core));
    auto rows = ogr_sql(xlsx, "SELECT * FROM units");
    BOOST_TEST(rows.size() == 5u); // four units and the totals row
    // The monthly series: one point per week's end counted back from 11-30.
    auto m = bulletin(o, {"--month", "2026-11"});
    BOOST_TEST(m["series"]["columns"].size() == 6u); // unit + 11-02 11-09 11-16 11-23 11-30
    for (const auto& r : m["series"]["rows"])
        if (r["group"] == "丙") {
            BOOST_TEST(mu(r["2026-11-09"]) == 15.0, boost::test_tools::tolerance(1e-12));
            BOOST_TEST(mu(r["2026-11-16"]) == 30.0, boost::test_tools::tolerance(1e-12));
            BOOST_TEST(mu(r["2026-11-23"]) == 45.0, boost::test_tools::tolerance(1e-12));
        }
}

BOOST_AUTO_TEST_CASE(the_pdf_ends_with_the_maps_of_the_three_most_lagging_projects) {
    Office o;
    o.import_week(false);
    o.import_week(true);
    const std::map<std::string, std::string> names{
        {"P1", "一号路"}, {"P2", "二号路"}, {"P3", "三号路"}, {"P4", "四号地"}};
    // Week of 11-20, everything known: by hand P1 15/30, P2 15/30 (tie, by code), P3 45/60,
    // P4 15/15; by SQL on the current parcels.
    // Week of 11-13 as issued (batch 1's rows): P1 0, P4 0, P2 15/30, P3 30/60 (tie, by code).
    struct Case {
        std::string week, rows;
        std::vector<std::string> hand;
    };
    const std::string issued_rows =
        "(SELECT geom, project_code, cleared_on, import_id FROM parcels UNION ALL SELECT geom, "
        "project_code, cleared_on, import_id FROM parcels_history) WHERE import_id IN (SELECT id "
        "FROM imports WHERE batch_id = 1)";
    BOOST_TEST(ogr_sql_number(o.store, "SELECT count(*) FROM " + issued_rows) == 9.0);
    for (const auto& c : std::vector<Case>{{"2026-11-20", "parcels", {"P1", "P2", "P3"}},
                                           {"2026-11-13", issued_rows, {"P1", "P4", "P2"}}}) {
        auto want = lagging_by_sql(o, c.rows, c.week);
        BOOST_TEST(want == c.hand, c.week);
        std::string pdf[2];
        for (int run = 0; run < 2; ++run) {
            pdf[run] = o.dir.file(fmt::format("b{}-{}.pdf", run, c.week));
            auto r = run_cli({"bulletin", o.store, "--week", c.week, "--out", pdf[run], "--quiet"});
            BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        }
        BOOST_TEST(read_file(pdf[0]) == read_file(pdf[1]), c.week);
        auto scratch = o.dir.file("page.txt");
        int pages = pdf_pages(pdf[0], scratch);
        BOOST_REQUIRE(pages >= 4);
        // The last three pages are the maps, most lagging first, at the bulletin's day; the
        // page before them is still the tables.
        for (int i = 0; i < 3; ++i) {
            auto text = pdf_page_text(pdf[0], pages - 2 + i, scratch);
            const auto& code = want[i];
            BOOST_TEST(text.find(fmt::format("{}（{}）征拆进度图", names.at(code), code)) !=
                           std::string::npos,
                       c.week << " page " << pages - 2 + i << ": " << text);
            BOOST_TEST(text.find("截至 " + c.week) != std::string::npos, c.week);
            BOOST_TEST(text.find("landclear 制图 " + c.week) != std::string::npos, c.week);
            for (const auto& [other, name] : names)
                if (other != code)
                    BOOST_TEST(text.find("（" + other + "）征拆进度图") == std::string::npos);
        }
        BOOST_TEST(pdf_page_text(pdf[0], pages - 3, scratch).find("征拆进度图") ==
                   std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
