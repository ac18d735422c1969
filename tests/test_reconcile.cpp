// Reconciliation against generated ledgers in which every class of difference is planted on
// known rows: reconcile must find exactly those rows, and its breakdown must add up to the
// difference. Map areas are recomputed by SpatiaLite SQL, ellipsoidal ones by PROJ's geodesic
// area; ledger figures are rounded here, independently of the code under test.
#include "landclear/analysis/ellipsoidal_cache.hpp"
#include "landclear/analysis/reconcile.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/ellipsoidal.hpp"
#include "landclear/io/ledger.hpp"
#include "landclear/store/store.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ogr_geometry.h>
#include <set>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000;

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", bx + x, by + y,
                       bx + x + w, by + y + h);
}

double round2(double v) {
    return std::round(v * 100) / 100;
}
std::string fixed2(double v) {
    return fmt::format("{:.2f}", v);
}

struct ParcelSpec {
    std::string code, project, wkt, acquired_on;
};

// Three projects: A (ordinary parcels), B (large parcels, where planar and ellipsoidal differ
// by more than rounding), C (parcels for rounding/平差 and dates).
std::vector<ParcelSpec> parcel_specs() {
    std::vector<ParcelSpec> out;
    for (int i = 0; i < 10; ++i) {
        double w = 41.3 + 7.17 * i, h = 53.9 + 3.31 * (i % 4);
        out.push_back({fmt::format("ZD-A{:02d}", i), "A", rect(i * 130, 0, w, h),
                       fmt::format("2025-01-{:02d}", 10 + i)});
    }
    for (int i = 0; i < 3; ++i)
        out.push_back({fmt::format("ZD-B{:02d}", i), "B",
                       rect(i * 400, 1000, 310 + 11.3 * i, 297.1), "2025-02-01"});
    for (int i = 0; i < 8; ++i)
        out.push_back({fmt::format("ZD-C{:02d}", i), "C",
                       rect(i * 120, 2000, 61.7 + 5.3 * i, 47.1 + 2.9 * i),
                       i == 7 ? "" : "2025-03-05"});
    out.push_back({"ZD-E00", "E", rect(0, 3000, 80, 80), "2025-03-01"});
    return out;
}

struct Fixture {
    TempDir dir;
    std::string store = dir.file("s.sqlite");
    std::map<std::string, double> planar_mu, ellipsoidal_mu; // independent figures
    std::map<std::string, std::string> project_of, acquired_of;

    Fixture() {
        FixtureLayer parcels{
            "parcels",
            4547,
            {{"parcel_code"}, {"project_code"}, {"acquired_on", FixtureField::date}},
            {}};
        for (const auto& p : parcel_specs()) {
            parcels.features.push_back({p.wkt, {p.code, p.project, p.acquired_on}});
            project_of[p.code] = p.project;
            acquired_of[p.code] = p.acquired_on;
        }
        FixtureLayer projects{"projects",
                              0,
                              {{"project_code"}, {"name"}, {"unit"}},
                              {{"", {"A", "杨梅洲大桥南引线", "雨湖区征拆办"}},
                               {"", {"B", "G320绕城线三期（雨湖段）", "雨湖区征拆办"}},
                               {"", {"C", "下摄司大桥", "雨湖区征拆办"}},
                               {"", {"E", "湘大附属实验学校", "岳塘区征拆办"}}},
                              "None"};
        auto src = dir.file("in.gpkg");
        write_layer(src, "GPKG", parcels);
        write_layer(src, "GPKG", projects);
        auto r = run_cli({"import", store, "--parcels", src + ":parcels", "--projects",
                          src + ":projects", "--quiet"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        for (const auto& row :
             ogr_sql(store, "SELECT parcel_code, ST_Area(geom) FROM parcels ORDER BY 1"))
            planar_mu[row[0]] = m2_to_mu(std::stod(row[1]));
        // Ellipsoidal: PROJ's geodesic polygon area (a different formula from 32号).
        EllipsoidalArea geodesic(4547);
        for (const auto& p : parcel_specs()) {
            OGRGeometry* g = nullptr;
            OGRGeometryFactory::createFromWkt(p.wkt.c_str(), nullptr, &g);
            std::unique_ptr<OGRGeometry> owned(g);
            std::vector<unsigned char> wkb(static_cast<size_t>(g->WkbSize()));
            g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
            ellipsoidal_mu[p.code] = m2_to_mu(geodesic.area_geodesic(wkb));
        }
    }
};

struct LedgerLine {
    std::string project_code, project_name, parcel_code, area, acquired_on;
};

FixtureLayer ledger_layer(const std::vector<LedgerLine>& lines, bool typed) {
    FixtureLayer l{"台账",
                   0,
                   {{"项目编号"},
                    {"项目名称"},
                    {"宗地编号"},
                    {"面积（亩）", typed ? FixtureField::real : FixtureField::text},
                    {"征地日期", typed ? FixtureField::date : FixtureField::text}},
                   {},
                   "None"};
    for (const auto& x : lines)
        l.features.push_back(
            {"", {x.project_code, x.project_name, x.parcel_code, x.area, x.acquired_on}});
    return l;
}

std::string write_csv_ledger(const TempDir& dir, const std::string& name,
                             const std::vector<LedgerLine>& lines) {
    auto path = dir.file(name);
    write_layer(path, "CSV", ledger_layer(lines, false));
    return path;
}

// Key -> its classes joined by '+' in alphabetical order (a duplicated row shares its key with
// the primary row).
std::map<std::string, std::string> classes_by_key(const json& items) {
    std::map<std::string, std::vector<std::string>> all;
    for (const auto& it : items["rows"])
        all[it["key"].get<std::string>()].push_back(it["class_code"].get<std::string>());
    std::map<std::string, std::string> out;
    for (auto& [key, classes] : all) {
        std::sort(classes.begin(), classes.end());
        out[key] = fmt::format("{}", fmt::join(classes, "+"));
    }
    return out;
}

json run_json(const std::vector<std::string>& args, int expect_exit) {
    auto r = run_cli(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == expect_exit, fmt::format("exit {} (expected {}): {}",
                                                                  r.exit_code, expect_exit, r.err));
    // One JSON document with a member per table; the tests index them in report order.
    auto doc = json::parse(r.out);
    json all = json::array();
    for (const char* name : {"reconcile", "reconcile_items", "reconcile_unreadable"}) {
        BOOST_REQUIRE_MESSAGE(doc.contains(name), name);
        all.push_back(doc[name]);
    }
    return all;
}

} // namespace

BOOST_AUTO_TEST_CASE(parcel_ledger_with_every_class_planted) {
    Fixture fx;
    std::vector<LedgerLine> lines;
    std::map<std::string, std::string> expected; // key -> class
    double ledger_total = 0;
    auto add = [&](const std::string& code, double mu, const std::string& date) {
        const auto& project = fx.project_of.count(code) ? fx.project_of[code] : "A";
        lines.push_back({project, "", code, fixed2(mu), date});
        ledger_total += round2(mu);
    };
    // A: rounded figures (match), one altered, one removed, one duplicated, one unknown code.
    for (int i = 0; i < 10; ++i) {
        auto code = fmt::format("ZD-A{:02d}", i);
        if (i == 2)
            continue; // removed: only in the map
        double mu = fx.planar_mu[code];
        if (i == 1)
            mu = round2(mu) + 1.23; // altered
        add(code, mu, fx.acquired_of[code]);
        if (i == 3)
            add(code, mu, fx.acquired_of[code]); // duplicated row
        expected[code] = i == 1 ? "area_differs" : i == 3 ? "duplicate+match" : "match";
    }
    expected["ZD-A02"] = "only_map";
    add("ZD-X99", 3.5, "2025-01-01");
    expected["ZD-X99"] = "only_ledger";
    // B: the ledger on the ellipsoidal basis.
    for (int i = 0; i < 3; ++i) {
        auto code = fmt::format("ZD-B{:02d}", i);
        BOOST_REQUIRE(fx.planar_mu[code] - fx.ellipsoidal_mu[code] > 0.03);
        add(code, fx.ellipsoidal_mu[code], "2025-02-01");
        expected[code] = "area_basis";
    }
    // C: rounded, then two rows nudged by 0.01 so the ledger meets a control total 0.02 above
    // the rounded sum (平差); one date that disagrees.
    int nudged = 0;
    for (int i = 0; i < 8; ++i) {
        auto code = fmt::format("ZD-C{:02d}", i);
        double a = fx.planar_mu[code];
        double mu = round2(a);
        expected[code] = "match";
        if (nudged < 2 && std::fabs(a - (mu + 0.01)) > 0.006) {
            mu += 0.01;
            ++nudged;
            expected[code] = "rounding";
        }
        std::string date = fx.acquired_of[code];
        if (i == 4) {
            date = "2025-03-07";
            expected[code] = expected[code] == "match" ? "status_differs" : expected[code];
        }
        add(code, mu, date);
    }
    BOOST_REQUIRE_EQUAL(nudged, 2);
    // A row that cannot be read, and the ledger's own total row.
    lines.push_back({"A", "", "ZD-A77", "约3亩", ""});
    lines.push_back({"", "合计", "", fixed2(ledger_total), ""});
    auto csv = write_csv_ledger(fx.dir, "ledger.csv", lines);

    auto out = run_json(
        {"reconcile", fx.store, "--ledger", csv, "--format", "json", "--as-of", "2025-06-30"}, 3);
    BOOST_REQUIRE_EQUAL(out.size(), 3u);
    auto got = classes_by_key(out[1]);
    BOOST_TEST(got.size() == expected.size());
    for (const auto& [key, cls] : expected)
        BOOST_TEST(got[key] == cls, key << ": got " << got[key] << ", planted " << cls);
    // The unreadable row by its spreadsheet row number (header is row 1).
    BOOST_REQUIRE_EQUAL(out[2]["rows"].size(), 1u);
    BOOST_TEST(out[2]["rows"][0]["row"].get<int>() == static_cast<int>(lines.size()));
    BOOST_TEST(out[2]["rows"][0]["problem"].get<std::string>().find("约3亩") != std::string::npos);

    // The same through the library, unrounded: the parts add up to the difference.
    LedgerOptions lo;
    lo.path = csv;
    auto ledger = read_ledger(lo);
    BOOST_TEST(ledger.total_rows.size() == 1u);
    ReconcileOptions o;
    o.as_of = Date(2025, 6, 30);
    auto store = open_store(fx.store, StoreMode::read);
    auto r = reconcile(*store, ledger, o);
    BOOST_TEST(!r.reconciled);
    // Map: every parcel of A, B, C (E is not in the ledger's projects), by SQL.
    double map_total = 0;
    for (const auto& [code, mu] : fx.planar_mu)
        if (fx.project_of[code] != "E")
            map_total += mu;
    BOOST_TEST(std::fabs(r.total.map_mu - map_total) < 1e-9);
    BOOST_TEST(std::fabs(r.total.ledger_mu - ledger_total) < 1e-9);
    BOOST_TEST(std::fabs(r.total.parts.sum() - (map_total - ledger_total)) < 1e-9);
    double per_project = 0;
    for (const auto& p : r.projects) {
        BOOST_TEST(std::fabs(p.parts.sum() - p.diff_mu()) < 1e-9, p.project);
        per_project += p.diff_mu();
    }
    BOOST_TEST(std::fabs(per_project - r.total.diff_mu()) < 1e-9);
    // Each cause carries exactly the planted amount.
    const auto& t = r.total.parts;
    BOOST_TEST(std::fabs(t.only_map - fx.planar_mu["ZD-A02"]) < 1e-9);
    BOOST_TEST(std::fabs(t.duplicate + round2(fx.planar_mu["ZD-A03"])) < 1e-9);
    BOOST_TEST(std::fabs(t.only_ledger + 3.5) < 1e-9);
    BOOST_TEST(std::fabs(t.area - (fx.planar_mu["ZD-A01"] -
                                   (round2(fx.planar_mu["ZD-A01"]) + 1.23))) < 1e-9);
    double basis = 0;
    for (int i = 0; i < 3; ++i) {
        auto code = fmt::format("ZD-B{:02d}", i);
        basis += fx.planar_mu[code] - fx.ellipsoidal_mu[code];
    }
    BOOST_TEST(std::fabs(t.basis - basis) < 1e-6 * basis + 1e-6);
    BOOST_TEST(t.status == 0.0);
    BOOST_TEST(std::fabs(t.rounding) < 0.005 * 25);

    // The printed summary balances row by row in hundredths of a 亩.
    for (const auto& row : out[0]["rows"]) {
        long long diff = std::llround(row["diff_mu"].get<double>() * 100);
        long long parts = 0;
        for (const char* k : {"basis_mu", "rounding_mu", "overlap_mu", "area_mu", "status_mu",
                              "only_ledger_mu", "only_map_mu", "duplicate_mu"})
            parts += std::llround(row[k].get<double>() * 100);
        BOOST_TEST(parts == diff);
        BOOST_TEST(diff == std::llround(row["map_mu"].get<double>() * 100) -
                               std::llround(row["ledger_mu"].get<double>() * 100));
    }
}

BOOST_AUTO_TEST_CASE(clean_ledgers_reconcile_on_either_basis) {
    Fixture fx;
    std::vector<LedgerLine> planar, ellipsoidal;
    for (const auto& [code, mu] : fx.planar_mu) {
        planar.push_back({fx.project_of[code], "", code, fixed2(mu), fx.acquired_of[code]});
        ellipsoidal.push_back(
            {fx.project_of[code], "", code, fixed2(fx.ellipsoidal_mu[code]), fx.acquired_of[code]});
    }
    auto p = write_csv_ledger(fx.dir, "planar.csv", planar);
    auto e = write_csv_ledger(fx.dir, "ellipsoidal.csv", ellipsoidal);
    auto classes = [&](const std::string& file, const std::string& basis, int exit) {
        auto out = run_json({"reconcile", fx.store, "--ledger", file, "--area", basis, "--format",
                             "json", "--as-of", "2025-06-30"},
                            exit);
        return classes_by_key(out[1]);
    };
    for (const auto& [code, cls] : classes(p, "planar", 0))
        BOOST_TEST(cls == "match", code);
    for (const auto& [code, cls] : classes(e, "ellipsoidal", 0))
        BOOST_TEST(cls == "match", code);
    // Against the other basis, a row is a match where 2-decimal rounding covers the basis
    // difference, and explained by the basis where it does not; it still reconciles.
    auto pe = classes(p, "ellipsoidal", 0);
    BOOST_TEST(pe.size() == 22u);
    int basis = 0;
    for (const auto& [code, mu] : fx.planar_mu) {
        bool within = std::fabs(fx.ellipsoidal_mu[code] - round2(mu)) <= 0.005;
        BOOST_TEST(pe[code] == (within ? "match" : "area_basis"), code);
        basis += within ? 0 : 1;
    }
    BOOST_TEST(basis >= 3); // at least the large parcels of B
    BOOST_TEST(pe["ZD-B00"] == "area_basis");
    // The ledger is found to be planar, so the basis difference of every row is split off
    // (not only of the rows where it exceeds rounding): it totals ellipsoidal − planar.
    LedgerOptions lo;
    lo.path = p;
    auto ledger = read_ledger(lo);
    ReconcileOptions o;
    o.area = AreaBasis::ellipsoidal;
    o.as_of = Date(2025, 6, 30);
    auto store = open_store(fx.store, StoreMode::read);
    auto r = reconcile(*store, ledger, o);
    double expect = 0, rounding = 0;
    for (const auto& [code, mu] : fx.planar_mu) {
        expect += fx.ellipsoidal_mu[code] - mu;
        rounding += mu - round2(mu);
    }
    BOOST_TEST(r.reconciled);
    BOOST_TEST(std::fabs(r.total.parts.basis - expect) < 1e-5);
    BOOST_TEST(std::fabs(r.total.parts.rounding - rounding) < 1e-5);
    BOOST_TEST(std::fabs(r.total.parts.sum() - r.total.diff_mu()) < 1e-9);
}

BOOST_AUTO_TEST_CASE(acquired_measure_and_status) {
    Fixture fx;
    std::vector<LedgerLine> lines;
    for (const auto& [code, mu] : fx.planar_mu) {
        if (fx.project_of[code] != "C")
            continue;
        std::string date = fx.acquired_of[code];
        if (code == "ZD-C07")
            date = "2025-03-09"; // the map has no acquisition date for C07
        if (code == "ZD-C03")
            date = ""; // the ledger has none for C03
        lines.push_back({"C", "", code, fixed2(mu), date});
    }
    auto csv = write_csv_ledger(fx.dir, "acq.csv", lines);
    LedgerOptions lo;
    lo.path = csv;
    auto ledger = read_ledger(lo);
    ReconcileOptions o;
    o.as_of = Date(2025, 6, 30);
    o.measure = Measure::acquired;
    auto store = open_store(fx.store, StoreMode::read);
    auto r = reconcile(*store, ledger, o);
    std::map<std::string, DiffClass> cls;
    for (const auto& it : r.items)
        cls[it.key] = it.cls;
    BOOST_TEST((cls["ZD-C07"] == DiffClass::status_differs));
    BOOST_TEST((cls["ZD-C03"] == DiffClass::status_differs));
    for (auto code : {"ZD-C00", "ZD-C01", "ZD-C02", "ZD-C04", "ZD-C05", "ZD-C06"})
        BOOST_TEST((cls[code] == DiffClass::match), code);
    // Status parts: the ledger counts C07 (map does not), the map counts C03 (ledger does not).
    double expect = fx.planar_mu["ZD-C03"] - round2(fx.planar_mu["ZD-C07"]);
    BOOST_TEST(std::fabs(r.total.parts.status - expect) < 1e-9);
    BOOST_TEST(std::fabs(r.total.parts.sum() - r.total.diff_mu()) < 1e-9);
    // As of a day before C's acquisitions nothing counts on either side but C07's ledger date
    // is still reported.
    o.as_of = Date(2025, 3, 4);
    auto before = reconcile(*store, ledger, o);
    BOOST_TEST(std::fabs(before.total.map_mu) < 1e-12);
}

BOOST_AUTO_TEST_CASE(project_ledger) {
    Fixture fx;
    double a = 0, b_ell = 0, c = 0;
    for (const auto& [code, mu] : fx.planar_mu) {
        if (fx.project_of[code] == "A")
            a += mu;
        if (fx.project_of[code] == "B")
            b_ell += fx.ellipsoidal_mu[code];
        if (fx.project_of[code] == "C" && !fx.acquired_of[code].empty())
            c += mu;
    }
    // Project names only (resolved to codes through the store) and 征地面积(亩).
    FixtureLayer l{"台账",
                   0,
                   {{"项目名称"}, {"征地面积(亩)", FixtureField::real}, {"责任单位"}},
                   {{"", {"杨梅洲大桥南引线", fixed2(a), "雨湖区征拆办"}},
                    {"", {"G320绕城线三期（雨湖段）", fixed2(b_ell), "雨湖区征拆办"}},
                    {"", {"下摄司大桥", fixed2(c + 2.5), "雨湖区征拆办"}},
                    {"", {"不存在的项目", "12.00", "雨湖区征拆办"}},
                    {"", {"杨梅洲大桥南引线", fixed2(a), "雨湖区征拆办"}}},
                   "None"};
    auto xlsx = fx.dir.file("projects.xlsx");
    write_layer(xlsx, "XLSX", l);
    auto out = run_json({"reconcile", fx.store, "--ledger", xlsx, "--key", "project", "--format",
                         "json", "--as-of", "2025-06-30"},
                        3);
    auto got = classes_by_key(out[1]);
    BOOST_TEST(got["A"] == "duplicate+match");
    BOOST_TEST(got["B"] == "area_basis");
    BOOST_TEST(got["C"] == "area_differs");
    BOOST_TEST(got["不存在的项目"] == "only_ledger");
    // E belongs to another unit (岳塘区征拆办): not this ledger's business.
    BOOST_TEST(got.count("E") == 0u);
    BOOST_TEST(got.size() == 4u);

    LedgerOptions lo;
    lo.path = xlsx;
    auto ledger = read_ledger(lo);
    ReconcileOptions o;
    o.key = ReconcileKey::project;
    o.as_of = Date(2025, 6, 30);
    auto store = open_store(fx.store, StoreMode::read);
    auto r = reconcile(*store, ledger, o);
    BOOST_TEST((r.measure == Measure::acquired));
    BOOST_TEST(std::fabs(r.total.parts.sum() - r.total.diff_mu()) < 1e-9);
    BOOST_TEST(std::fabs(r.total.parts.area - (c - round2(c + 2.5))) < 1e-9);
    BOOST_TEST(std::fabs(r.total.parts.only_ledger + 12) < 1e-9);
    BOOST_TEST(std::fabs(r.total.parts.duplicate + round2(a)) < 1e-9);
}

BOOST_AUTO_TEST_CASE(xlsx_with_chinese_headers_and_gbk_csv) {
    TempDir dir;
    std::vector<LedgerLine> lines{
        {"A", "杨梅洲大桥南引线", "ZD-A00", "3.27", "2025-01-10"},
        {"A", "杨梅洲大桥南引线", "ZD-A01", "12.50", "2025-02-01"},
        {"B", "G320绕城线三期（雨湖段）", "ZD-B00", "135.06", ""},
    };
    // XLSX with typed cells (numbers, dates) written by GDAL's XLSX driver.
    auto xlsx = dir.file("台账.xlsx");
    write_layer(xlsx, "XLSX", ledger_layer(lines, true));
    // GBK CSV: written by GDAL as UTF-8, then recoded to GBK with CPLRecode.
    auto utf8 = write_csv_ledger(dir, "utf8.csv", lines);
    auto text = read_file(utf8);
    char* gbk = CPLRecode(text.c_str(), CPL_ENC_UTF8, "CP936");
    auto gbk_path = dir.file("gbk.csv");
    {
        std::ofstream f(gbk_path, std::ios::binary);
        f << gbk;
    }
    BOOST_REQUIRE(!CPLIsUTF8(gbk, -1));
    CPLFree(gbk);

    for (auto [path, encoding] : {std::pair{xlsx, ""}, std::pair{utf8, ""}, std::pair{gbk_path, ""},
                                  std::pair{gbk_path, "GBK"}}) {
        BOOST_TEST_CONTEXT(path << " " << encoding) {
            LedgerOptions o;
            o.path = path;
            o.encoding = encoding;
            auto l = read_ledger(o);
            BOOST_TEST(l.problems.empty());
            BOOST_REQUIRE_EQUAL(l.rows.size(), 3u);
            BOOST_TEST(l.has(LedgerField::area));
            BOOST_TEST(l.column(LedgerField::area)->header == "面积（亩）");
            BOOST_TEST(l.rows[0].project_name == "杨梅洲大桥南引线");
            BOOST_TEST(l.rows[2].project_name == "G320绕城线三期（雨湖段）");
            BOOST_TEST(l.rows[1].parcel_code == "ZD-A01");
            BOOST_TEST(*l.rows[0].area_mu == 3.27);
            BOOST_TEST(*l.rows[2].area_mu == 135.06);
            BOOST_TEST((l.rows[1].acquired_on == Date(2025, 2, 1)));
            BOOST_TEST(!l.rows[2].acquired_on.has_value());
            BOOST_TEST(l.rows[0].row == 2);
            BOOST_TEST(l.rows[2].row == 4);
            if (path == gbk_path)
                BOOST_TEST(l.encoding.find("GBK") == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(headers_units_and_mapping) {
    TempDir dir;
    // 面积(平方米) is converted exactly (m² × 3/2000); an unknown header goes through a mapping.
    FixtureLayer l{"sheet1",
                   0,
                   {{"地块号"}, {"面积(平方米)"}, {"备注"}},
                   {{"", {"ZD-1", "2000", ""}}, {"", {"ZD-2", "1,333.5", "x"}}},
                   "None"};
    auto csv = dir.file("m2.csv");
    write_layer(csv, "CSV", l);
    LedgerOptions o;
    o.path = csv;
    auto ledger = read_ledger(o);
    BOOST_TEST(*ledger.rows[0].area_mu == 3.0);
    BOOST_TEST(std::fabs(*ledger.rows[1].area_mu - 1333.5 * 3 / 2000) < 1e-12);

    FixtureLayer odd{"sheet1", 0, {{"图上编号"}, {"合计亩数"}}, {{"", {"ZD-1", "3"}}}, "None"};
    auto odd_csv = dir.file("odd.csv");
    write_layer(odd_csv, "CSV", odd);
    o.path = odd_csv;
    try {
        read_ledger(o);
        BOOST_FAIL("a ledger without recognisable columns must be refused");
    } catch (const Error& e) {
        BOOST_TEST(e.message().find("图上编号") != std::string::npos);
        BOOST_TEST(e.hint().find("ledger") != std::string::npos);
    }
    auto map = dir.file("map.json");
    {
        std::ofstream f(map);
        f << R"({"parcels": {"parcel_code": "ZDBH"},
                 "ledger": {"parcel_code": "图上编号", "area_mu": ["合计亩数"]}})";
    }
    o.mapping = map;
    auto mapped = read_ledger(o);
    BOOST_REQUIRE_EQUAL(mapped.rows.size(), 1u);
    BOOST_TEST(mapped.rows[0].parcel_code == "ZD-1");
    BOOST_TEST(*mapped.rows[0].area_mu == 3.0);
}

BOOST_AUTO_TEST_CASE(overlaps_and_parcels_drawn_twice) {
    TempDir dir;
    FixtureLayer parcels{"parcels", 4547, {{"parcel_code"}, {"project_code"}}, {}};
    parcels.features = {
        {rect(0, 0, 100, 100), {"X1", "A"}},
        {rect(90, 0, 100, 100), {"X2", "A"}}, // 10 m over X1
        {rect(0, 0, 100, 100), {"X3", "A"}},  // X1 drawn again
        {rect(300, 0, 50, 50), {"X4", "A"}},
    };
    auto src = dir.file("in.gpkg");
    write_layer(src, "GPKG", parcels);
    auto store_path = dir.file("s.sqlite");
    auto r = run_cli({"import", store_path, "--parcels", src, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto area = [&](const std::string& code) {
        return m2_to_mu(ogr_sql_number(
            store_path,
            fmt::format("SELECT ST_Area(geom) FROM parcels WHERE parcel_code = '{}'", code)));
    };
    double overlap = m2_to_mu(ogr_sql_number(
        store_path, "SELECT ST_Area(ST_Intersection(a.geom, b.geom)) FROM parcels a, parcels b "
                    "WHERE a.parcel_code = 'X1' AND b.parcel_code = 'X2'"));
    BOOST_REQUIRE(std::fabs(overlap - 1.5) < 1e-9);
    // The ledger counts X2 without its overlap with X1, and X1 once.
    auto csv = write_csv_ledger(dir, "l.csv",
                                {{"A", "", "X1", fixed2(area("X1")), ""},
                                 {"A", "", "X2", fixed2(area("X2") - overlap), ""},
                                 {"A", "", "X4", fixed2(area("X4")), ""}});
    auto out = run_json({"reconcile", store_path, "--ledger", csv, "--format", "json"}, 3);
    auto got = classes_by_key(out[1]);
    BOOST_TEST(got["X1"] == "match");
    BOOST_TEST(got["X2"] == "overlap");
    BOOST_TEST(got["X3"] == "duplicate");
    BOOST_TEST(got["X4"] == "match");
    BOOST_TEST(got.size() == 4u);

    LedgerOptions lo;
    lo.path = csv;
    auto ledger = read_ledger(lo);
    auto store = open_store(store_path, StoreMode::read);
    auto rep = reconcile(*store, ledger, ReconcileOptions{});
    // X2 overlaps X1 and X3 (the same square): the overlap with both is counted once.
    BOOST_TEST(std::fabs(rep.total.parts.overlap - overlap) < 1e-9);
    BOOST_TEST(std::fabs(rep.total.parts.duplicate - area("X3")) < 1e-9);
    BOOST_TEST(std::fabs(rep.total.parts.sum() - rep.total.diff_mu()) < 1e-9);
}

// Tolerances: four rows off by planted amounts, two absolute (A01 by 0.03 亩, A04 by 0.20 亩 on
// parcels of 4–6 亩) and two relative (B00 by 0.05 %, B01 by 0.4 % on parcels of ~140 亩). For
// each setting the rows beyond it are exactly those worked out by hand below; the rows within
// it are within_tolerance, counted apart, and never called explained.
BOOST_AUTO_TEST_CASE(tolerances_absolute_relative_and_both) {
    Fixture fx;
    std::vector<LedgerLine> lines;
    std::map<std::string, double> ledger_of;
    for (const auto& [code, mu] : fx.planar_mu) {
        if (fx.project_of[code] == "E")
            continue;
        double l = round2(mu);
        if (code == "ZD-A01")
            l = round2(mu) + 0.03;
        if (code == "ZD-A04")
            l = round2(mu) + 0.20;
        if (code == "ZD-B00")
            l = round2(mu * 1.0005);
        if (code == "ZD-B01")
            l = round2(mu * 1.004);
        ledger_of[code] = l;
        lines.push_back({fx.project_of[code], "", code, fixed2(l), fx.acquired_of[code]});
    }
    // The planted differences (map − ledger) and ledger figures, from SQL areas.
    auto d = [&](const std::string& c) { return fx.planar_mu[c] - ledger_of[c]; };
    BOOST_REQUIRE(std::fabs(d("ZD-A01") + 0.03) <= 0.0051);
    BOOST_REQUIRE(std::fabs(d("ZD-A04") + 0.20) <= 0.0051);
    BOOST_REQUIRE(ledger_of["ZD-A01"] < 6 && ledger_of["ZD-A04"] < 6); // 0.1 % < 0.006 亩
    BOOST_REQUIRE(ledger_of["ZD-B00"] > 130 && ledger_of["ZD-B01"] > 130);
    BOOST_REQUIRE(std::fabs(d("ZD-B00")) > 0.06 && std::fabs(d("ZD-B00")) < 0.08);
    BOOST_REQUIRE(std::fabs(d("ZD-B01")) > 0.52 && std::fabs(d("ZD-B01")) < 0.62);
    auto csv = write_csv_ledger(fx.dir, "tol.csv", lines);

    struct Case {
        std::vector<std::string> args;
        std::set<std::string> within; // by hand from the figures above
        int exit;
    };
    const std::set<std::string> planted{"ZD-A01", "ZD-A04", "ZD-B00", "ZD-B01"};
    std::vector<Case> cases{
        {{}, {}, 3},
        {{"--tolerance", "0.05"}, {"ZD-A01"}, 3}, // 0.03 ≤ 0.05 < 0.07, 0.20, 0.57
        {{"--tolerance", "0.1%"}, {"ZD-B00"}, 3}, // 0.07 ≤ 0.138; 0.03 > 0.004
        {{"--tolerance", "0.05", "--tolerance", "0.1%"}, {"ZD-A01", "ZD-B00"}, 3},
        {{"--tolerance", "0.05,0.1%", "--tolerance-mode", "all"}, {}, 3},
        {{"--tolerance", "0.25,0.5%"}, planted, 0}, // 0.57 ≤ 0.5 % of 143 = 0.72
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(fmt::format("{}", fmt::join(c.args, " "))) {
            std::vector<std::string> args{"reconcile", fx.store, "--ledger", csv,
                                          "--format",  "json",   "--as-of",  "2025-06-30"};
            args.insert(args.end(), c.args.begin(), c.args.end());
            auto out = run_json(args, c.exit);
            auto got = classes_by_key(out[1]);
            int within = 0, beyond = 0;
            double tolerated = 0;
            for (const auto& [code, cls] : got) {
                if (!planted.count(code)) {
                    BOOST_TEST((cls == "match" || cls == "area_basis"), code << " " << cls);
                    continue;
                }
                bool in = c.within.count(code) > 0;
                BOOST_TEST(cls == (in ? "within_tolerance" : "area_differs"), code);
                (in ? within : beyond) += 1;
                if (in)
                    tolerated += d(code);
            }
            BOOST_TEST(within == static_cast<int>(c.within.size()));
            BOOST_TEST(beyond == static_cast<int>(planted.size() - c.within.size()));
            // Counted apart in the summary, in its own column, as printed to 0.01 亩.
            const auto& totals = out[0]["totals"];
            BOOST_TEST(totals["tolerated"].get<int>() == within);
            BOOST_TEST(totals["problems"].get<int>() == beyond);
            BOOST_TEST(std::llround(totals["tolerated_mu"].get<double>() * 100) ==
                       std::llround(tolerated * 100));
            auto conclusion = out[0]["notes"]["结论"].get<std::string>();
            if (c.exit == 0) {
                BOOST_TEST(conclusion.find("容差内相符") == 0u, conclusion);
                BOOST_TEST(conclusion.find("未作解释") != std::string::npos);
                BOOST_TEST(conclusion.find("差额均已由") == std::string::npos);
            } else {
                BOOST_TEST(conclusion.find("不符") == 0u, conclusion);
            }
        }
    }
    // English notes and classes under --lang en.
    auto r = run_cli({"reconcile", fx.store, "--ledger", csv, "--format", "json", "--as-of",
                      "2025-06-30", "--tolerance", "0.25,0.5%", "--lang", "en"});
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    auto doc = json::parse(r.out);
    auto c = doc["reconcile"]["notes"]["conclusion"].get<std::string>();
    BOOST_TEST(c.find("reconciles within tolerance: 4 items") == 0u, c);
    for (const auto& row : doc["reconcile_items"]["rows"]) {
        auto note = row["note"].is_string() ? row["note"].get<std::string>() : "";
        auto cls = row["class"].get<std::string>();
        for (const auto& s : {note, cls})
            text::for_each_code_point(s, [&](char32_t cp, bool) {
                BOOST_TEST((cp < 0x2E80 || cp > 0xFFEF), "no Chinese under --lang en: " << s);
            });
    }
    // Bad specs are usage errors.
    BOOST_TEST(run_cli({"reconcile", fx.store, "--ledger", csv, "--tolerance", "1亩"}).exit_code ==
               2);
    BOOST_TEST(
        run_cli({"reconcile", fx.store, "--ledger", csv, "--tolerance", "0.1,0.2"}).exit_code == 2);
}
