// Ledgers as offices make them, and 平差. An XLSX written cell by cell with libxlsxwriter (title
// rows, a header merged over two rows, units in the headers, full-width digits, thousands
// separators, a 合计 row, an unreadable row), a GBK CSV and a Latin-1 .dbf without code page,
// a headers-only ledger; then `landclear adjust` on a generated ledger. Figures are checked
// against hand areas of rectangles and SpatiaLite's ST_Area, never against landclear's output.
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/io/ledger.hpp"
#include "landclear/io/source.hpp"
#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <xlsxwriter.h>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 390000, by = 3080000;

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", bx + x, by + y,
                       bx + x + w, by + y + h);
}

// Three parcels of hand-known area: 100 × 100 = 10,000 m² (15 亩), 60 × 50 = 3,000 m² (4.5 亩),
// 123.4 × 100 = 12,340 m² (18.51 亩), project A; and P4 (1,000 m²) in project A too.
std::string make_store(const TempDir& dir) {
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"}, {"project_code"}, {"acquired_on", FixtureField::date}},
                         {{rect(0, 0, 100, 100), {"P1", "A", "2025-01-10"}},
                          {rect(200, 0, 60, 50), {"P2", "A", "2025-01-11"}},
                          {rect(400, 0, 123.4, 100), {"P3", "A", "2025-01-12"}},
                          {rect(600, 0, 40, 25), {"P4", "A", "2025-01-13"}}}};
    auto src = dir.file("in.gpkg");
    write_layer(src, "GPKG", parcels);
    auto store = dir.file("s.sqlite");
    auto r = run_cli({"import", store, "--parcels", src, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return store;
}

void check(lxw_error e) {
    BOOST_REQUIRE_MESSAGE(e == LXW_NO_ERROR, lxw_strerror(e));
}

// The office ledger, row by row as Excel shows it (1-based rows):
//  1  雨湖区征地台账 (merged A1:F1)
//  2  制表单位：雨湖区征拆办            日期：2025年6月30日
//  3  序号 | 宗地编号 | 项目编号 | 面积（m²） | 征地 (merged E3:F3)
//  4   (merged down)                          | 面积（公顷） | 日期
//  5  1 | P1 | A | １０，０００   | 1     | 2025-01-10
//  6  2 | P2 | A | 3,000.00      | 0.3   | 2025-01-11
//  7  3 | P3 | A | 12340 (number)| 1.234 | 2025-01-12
//  8  4 | P4 | A | 约1000        | 0.1   | 2025-01-13
//  9  合计 |  |  | 26340 (number) | 2.634 |   (P4's 1,000 m² included)
std::string write_office_xlsx(const TempDir& dir, bool empty = false) {
    auto path = dir.file(empty ? "empty.xlsx" : "office.xlsx");
    lxw_workbook* wb = workbook_new(path.c_str());
    lxw_worksheet* ws = workbook_add_worksheet(wb, "台账");
    check(worksheet_merge_range(ws, 0, 0, 0, 5, "雨湖区征地台账", nullptr));
    check(worksheet_write_string(ws, 1, 0, "制表单位：雨湖区征拆办", nullptr));
    check(worksheet_write_string(ws, 1, 4, "日期：2025年6月30日", nullptr));
    check(worksheet_merge_range(ws, 2, 0, 3, 0, "序号", nullptr));
    check(worksheet_merge_range(ws, 2, 1, 3, 1, "宗地编号", nullptr));
    check(worksheet_merge_range(ws, 2, 2, 3, 2, "项目编号", nullptr));
    check(worksheet_merge_range(ws, 2, 3, 3, 3, "面积（m²）", nullptr));
    check(worksheet_merge_range(ws, 2, 4, 2, 5, "征地", nullptr));
    check(worksheet_write_string(ws, 3, 4, "面积（公顷）", nullptr));
    check(worksheet_write_string(ws, 3, 5, "日期", nullptr));
    if (!empty) {
        struct Line {
            const char* code;
            const char* m2_text; // nullptr: a number
            double m2, ha;
            const char* date;
        };
        const Line lines[] = {
            {"P1", "\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x8C\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90", 0, 1,
             "2025-01-10"}, // １０，０００ in full-width digits and comma
            {"P2", "3,000.00", 0, 0.3, "2025-01-11"},
            {"P3", nullptr, 12340, 1.234, "2025-01-12"},
            {"P4", "约1000", 0, 0.1, "2025-01-13"},
        };
        int r = 4;
        for (const auto& l : lines) {
            check(worksheet_write_number(ws, r, 0, r - 3, nullptr));
            check(worksheet_write_string(ws, r, 1, l.code, nullptr));
            check(worksheet_write_string(ws, r, 2, "A", nullptr));
            if (l.m2_text)
                check(worksheet_write_string(ws, r, 3, l.m2_text, nullptr));
            else
                check(worksheet_write_number(ws, r, 3, l.m2, nullptr));
            check(worksheet_write_number(ws, r, 4, l.ha, nullptr));
            check(worksheet_write_string(ws, r, 5, l.date, nullptr));
            ++r;
        }
        check(worksheet_write_string(ws, r, 0, "合计", nullptr));
        check(worksheet_write_number(ws, r, 3, 26340, nullptr));
        check(worksheet_write_number(ws, r, 4, 2.634, nullptr));
    }
    check(workbook_close(wb));
    return path;
}

} // namespace

BOOST_AUTO_TEST_CASE(office_xlsx_title_rows_merged_header_units_fullwidth_totals) {
    TempDir dir;
    auto xlsx = write_office_xlsx(dir);
    LedgerOptions o;
    o.path = xlsx;
    auto l = read_ledger(o);
    BOOST_TEST_MESSAGE("headers: " << fmt::format("{}", fmt::join(l.headers, " | ")));
    BOOST_TEST(l.header_row == 4);
    BOOST_REQUIRE(l.has(LedgerField::parcel_code));
    BOOST_REQUIRE(l.has(LedgerField::area));
    BOOST_REQUIRE(l.has(LedgerField::acquired_area));
    BOOST_REQUIRE(l.has(LedgerField::acquired_on));
    BOOST_TEST((l.column(LedgerField::area)->unit == AreaUnit::m2));
    BOOST_TEST((l.column(LedgerField::acquired_area)->unit == AreaUnit::hectare));
    BOOST_TEST(l.column(LedgerField::acquired_area)->header == "征地面积（公顷）");
    BOOST_TEST(l.column(LedgerField::acquired_on)->header == "征地日期");
    BOOST_REQUIRE_EQUAL(l.rows.size(), 3u);
    // m² × 3 / 2000 and 公顷 × 15, by hand.
    BOOST_TEST(l.rows[0].parcel_code == "P1");
    BOOST_TEST(l.rows[0].row == 5);
    BOOST_TEST(*l.rows[0].area_mu == 15.0);
    BOOST_TEST(std::fabs(*l.rows[1].area_mu - 4.5) < 1e-12);
    BOOST_TEST(std::fabs(*l.rows[2].area_mu - 18.51) < 1e-12);
    BOOST_TEST(std::fabs(*l.rows[2].acquired_mu - 18.51) < 1e-12);
    BOOST_TEST(std::fabs(*l.rows[1].acquired_mu - 4.5) < 1e-12);
    BOOST_TEST((l.rows[2].acquired_on == Date(2025, 1, 12)));
    // The unreadable row by its row number in Excel; the 合计 row is not a parcel.
    BOOST_REQUIRE_EQUAL(l.problems.size(), 1u);
    BOOST_TEST(l.problems[0].row == 8);
    BOOST_TEST(l.problems[0].message.find("约1000") != std::string::npos);
    BOOST_REQUIRE_EQUAL(l.total_rows.size(), 1u);
    BOOST_TEST(l.total_rows[0].first == 9);
    // The 合计 row against the rows read: 26,340 m² stated = 39.51 亩; P1–P3 make 25,340 m²
    // = 38.01 亩 (P4 could not be read).
    BOOST_REQUIRE(!l.totals_checks.empty());
    BOOST_TEST(l.totals_checks[0].column == "面积（m²）");
    BOOST_TEST(std::fabs(l.totals_checks[0].stated_mu - 39.51) < 1e-9);
    BOOST_TEST(std::fabs(l.totals_checks[0].sum_mu - 38.01) < 1e-9);
    BOOST_TEST(l.totals_checks[0].rows == 3u);

    // Reconciled against the map: P1–P3 match, P4's row unreadable (so exit 3) and P4 only in
    // the map; the note gives the 合计 row against the rows read.
    auto store = make_store(dir);
    auto r = run_cli({"reconcile", store, "--ledger", xlsx, "--format", "json", "--as-of",
                      "2025-06-30", "--measure", "area"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 3, r.err);
    auto doc = json::parse(r.out);
    std::map<std::string, std::string> cls;
    for (const auto& it : doc["reconcile_items"]["rows"])
        cls[it["key"].get<std::string>()] = it["class_code"].get<std::string>();
    BOOST_TEST(cls["P1"] == "match");
    BOOST_TEST(cls["P2"] == "match");
    BOOST_TEST(cls["P3"] == "match");
    BOOST_TEST(cls["P4"] == "only_map"); // its row could not be read
    BOOST_REQUIRE_EQUAL(doc["reconcile_unreadable"]["rows"].size(), 1u);
    BOOST_TEST(doc["reconcile_unreadable"]["rows"][0]["row"].get<int>() == 8);
    auto notes = doc["reconcile"]["notes"].dump();
    BOOST_TEST(notes.find("第 9 行合计") != std::string::npos, notes);
    BOOST_TEST(notes.find("39.51") != std::string::npos);
    BOOST_TEST(notes.find("38.01") != std::string::npos);
    BOOST_TEST(notes.find("+1.50") != std::string::npos);
    BOOST_TEST(notes.find("表头在第 3–4 行，其上 2 行标题已跳过") != std::string::npos, notes);
}

BOOST_AUTO_TEST_CASE(headers_only_ledger_is_empty) {
    TempDir dir;
    auto xlsx = write_office_xlsx(dir, true);
    FixtureLayer csv_layer{"l", 0, {{"宗地编号"}, {"面积(亩)"}}, {}, "None"};
    auto csv = dir.file("empty.csv");
    write_layer(csv, "CSV", csv_layer);
    for (const auto& path : {xlsx, csv}) {
        LedgerOptions o;
        o.path = path;
        try {
            read_ledger(o);
            BOOST_FAIL("an empty ledger must be refused");
        } catch (const Error& e) {
            BOOST_TEST(e.message().find("is empty") != std::string::npos, e.message());
        }
    }
    auto store = make_store(dir);
    auto r = run_cli({"reconcile", store, "--ledger", csv});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err.find("is empty") != std::string::npos, r.err);
    BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_CASE(gbk_csv_detected) {
    TempDir dir;
    FixtureLayer l{"l",
                   0,
                   {{"宗地编号"}, {"项目名称"}, {"面积(亩)"}},
                   {{"", {"P1", "杨梅洲大桥南引线", "15.00"}},
                    {"", {"P2", "G320绕城线三期（雨湖段）", "4.50"}}},
                   "None"};
    auto utf8 = dir.file("utf8.csv");
    write_layer(utf8, "CSV", l);
    auto text = read_file(utf8);
    for (const char* enc : {"CP936", "GB18030"}) {
        char* recoded = CPLRecode(text.c_str(), CPL_ENC_UTF8, enc);
        auto path = dir.file(fmt::format("{}.csv", enc));
        {
            std::ofstream f(path, std::ios::binary);
            f << recoded;
        }
        BOOST_REQUIRE(!CPLIsUTF8(recoded, -1));
        CPLFree(recoded);
        LedgerOptions o;
        o.path = path;
        auto ledger = read_ledger(o);
        BOOST_REQUIRE_EQUAL(ledger.rows.size(), 2u);
        BOOST_TEST(ledger.rows[0].project_name == "杨梅洲大桥南引线");
        BOOST_TEST(ledger.rows[1].project_name == "G320绕城线三期（雨湖段）");
        BOOST_TEST(ledger.encoding.find("GBK (detected, confidence") == 0u, ledger.encoding);
    }
}

// A .dbf written in Latin-1, its .cpg removed and its code page byte cleared: GDAL would read
// it as ISO-8859-1 by default only by luck; landclear detects it and says so.
BOOST_AUTO_TEST_CASE(latin1_dbf_detected_and_low_confidence_said) {
    TempDir dir;
    const std::vector<std::string> names{"Grundstück Müller", "Bäckerei Großmann",
                                         "Kläranlage Süd",    "Château d'Eau",
                                         "Gärtnerei Weiß",    "Straße am Öhrberg"};
    FixtureLayer l{"owners", 0, {{"name"}, {"code"}}, {}, "None"};
    for (size_t i = 0; i < names.size(); ++i)
        l.features.push_back({"", {names[i], fmt::format("X{}", i)}});
    auto shp = dir.file("owners.dbf");
    write_layer(shp, "ESRI Shapefile", l, {"ENCODING=ISO-8859-1"});
    std::filesystem::remove(dir.file("owners.cpg"));
    {
        std::fstream f(shp, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(29);
        f.put('\0'); // LDID: no code page
    }
    auto bytes = read_file(shp);
    BOOST_REQUIRE(bytes.find("M\xFCller") != std::string::npos); // ü in Latin-1
    Source s({shp, std::nullopt}, SourceOptions{});
    BOOST_TEST(s.encoding_guess().label == "Latin-1");
    BOOST_TEST(s.encoding_guess().confident(), s.encoding_guess().confidence);
    BOOST_TEST(s.detected_encoding().find("Latin-1 (detected") == 0u);
    std::vector<std::string> read;
    for (auto& f : s.layer())
        read.push_back(*s.text(f->GetFieldAsString(0)));
    BOOST_TEST(read == names, boost::test_tools::per_element());

    // One odd byte is no evidence: the guess says it is unsure and shows the text under it.
    auto weak = dir.file("weak.csv");
    {
        std::ofstream f(weak, std::ios::binary);
        f << "parcel_code,area_mu\r\nP1,15.00\r\nCaf\xE9,4.50\r\n";
    }
    LedgerOptions o;
    o.path = weak;
    try {
        read_ledger(o);
        BOOST_FAIL("a low-confidence guess must not be read silently");
    } catch (const Error& e) {
        BOOST_TEST(e.message().find("not UTF-8") != std::string::npos, e.message());
        BOOST_TEST(e.hint().find("not certain") != std::string::npos, e.hint());
        BOOST_TEST(e.hint().find("--encoding") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(zipped_ledger_opens_as_gdal_opens_it) {
    TempDir dir;
    FixtureLayer l{"l", 0, {{"宗地编号"}, {"面积(亩)"}}, {{"", {"P1", "15.00"}}}, "None"};
    auto csv = dir.file("l.csv");
    write_layer(csv, "CSV", l);
    auto zip = dir.file("l.zip");
    {
        // The zip through GDAL's own /vsizip/ writer: no hand-written archive.
        VSILFILE* out = VSIFOpenL(("/vsizip/" + zip + "/l.csv").c_str(), "wb");
        BOOST_REQUIRE(out);
        auto bytes = read_file(csv);
        VSIFWriteL(bytes.data(), 1, bytes.size(), out);
        VSIFCloseL(out);
    }
    for (const auto& path : {zip, "/vsizip/" + zip + "/l.csv"}) {
        LedgerOptions o;
        o.path = path;
        auto ledger = read_ledger(o);
        BOOST_REQUIRE_EQUAL(ledger.rows.size(), 1u);
        BOOST_TEST(*ledger.rows[0].area_mu == 15.0);
    }
}

namespace {

// Hundredths from "12.34" by the text alone (no float): the adjusted figures as integers.
long long hundredths(const std::string& s) {
    auto dot = s.find('.');
    BOOST_REQUIRE_MESSAGE(dot != std::string::npos && s.size() - dot == 3, s);
    bool neg = !s.empty() && s[0] == '-';
    long long whole = std::stoll(s.substr(neg ? 1 : 0, dot - (neg ? 1 : 0)));
    long long v = whole * 100 + std::stoll(s.substr(dot + 1));
    return neg ? -v : v;
}

} // namespace

// 平差 on 30 generated parcels of irregular size: the rows are cut to 0.01 亩 and the units
// left to reach the control total go to the largest remainders. Checked: the rows sum exactly
// to the total (as integers of hundredths), each row is within one hundredth of the map's area
// by SQL, the rows that moved are those the rule picks (worked out here from the SQL areas),
// a second run writes the same bytes (CSV and XLSX), and the result reconciles as 取整/平差.
BOOST_AUTO_TEST_CASE(adjust_to_control_total) {
    TempDir dir;
    FixtureLayer parcels{"parcels", 4547, {{"parcel_code"}, {"project_code"}}, {}};
    FixtureLayer ledger{"l", 0, {{"宗地编号"}, {"项目编号"}, {"面积(亩)"}, {"备注"}}, {}, "None"};
    for (int i = 0; i < 30; ++i) {
        double w = 37.3 + 3.71 * i, h = 41.9 + 1.37 * (i % 7);
        auto code = fmt::format("Q{:02d}", i);
        parcels.features.push_back({rect(i * 200, 0, w, h), {code, "A"}});
        ledger.features.push_back(
            {"", {code, "A", fmt::format("{:.2f}", m2_to_mu(w * h)), i == 3 ? "=1+1" : "村"}});
    }
    auto src = dir.file("in.gpkg");
    write_layer(src, "GPKG", parcels);
    auto store = dir.file("s.sqlite");
    BOOST_REQUIRE(run_cli({"import", store, "--parcels", src, "--quiet"}).exit_code == 0);
    auto csv = dir.file("l.csv");
    write_layer(csv, "CSV", ledger);

    // Independent figures: ST_Area in hundredths of a 亩, cut and remainder.
    std::vector<std::string> codes;
    std::vector<double> scaled;
    for (const auto& row :
         ogr_sql(store, "SELECT parcel_code, ST_Area(geom) * 3.0 / 2000 * 100 FROM parcels "
                        "ORDER BY parcel_code"))
        codes.push_back(row[0]), scaled.push_back(std::stod(row[1]));
    long long floors = 0, half_up = 0;
    for (double x : scaled)
        floors += static_cast<long long>(std::floor(x)), half_up += std::llround(x);
    // A control total 4 hundredths above the plainly rounded sum.
    long long total = half_up + 4;
    long long k = total - floors;
    std::vector<size_t> order(scaled.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return scaled[a] - std::floor(scaled[a]) > scaled[b] - std::floor(scaled[b]);
    });
    std::map<std::string, long long> expect;
    for (size_t i = 0; i < scaled.size(); ++i)
        expect[codes[i]] = static_cast<long long>(std::floor(scaled[i]));
    for (long long j = 0; j < k; ++j)
        expect[codes[order[static_cast<size_t>(j)]]] += 1;
    int moved_up = 0, moved_down = 0;
    for (size_t i = 0; i < scaled.size(); ++i) {
        long long d = expect[codes[i]] - std::llround(scaled[i]);
        moved_up += d > 0;
        moved_down += d < 0;
    }
    BOOST_REQUIRE(moved_up >= 4);

    auto to = fmt::format("{}.{:02d}", total / 100, total % 100);
    auto out1 = dir.file("adj1.csv"), out2 = dir.file("adj2.csv");
    auto r1 = run_cli({"adjust", store, "--ledger", csv, "--to", to, "--out", out1});
    BOOST_REQUIRE_MESSAGE(r1.exit_code == 0, r1.err);
    BOOST_TEST(r1.out.find(fmt::format("{} 行上调 0.01，{} 行下调 0.01", moved_up, moved_down)) !=
                   std::string::npos,
               r1.out);
    auto r2 = run_cli({"adjust", store, "--ledger", csv, "--to", to, "--out", out2});
    BOOST_REQUIRE(r2.exit_code == 0);
    BOOST_TEST(read_file(out1) == read_file(out2));
    auto x1 = dir.file("adj1.xlsx"), x2 = dir.file("adj2.xlsx");
    BOOST_REQUIRE(run_cli({"adjust", store, "--ledger", csv, "--to", to, "--out", x1}).exit_code ==
                  0);
    BOOST_REQUIRE(run_cli({"adjust", store, "--ledger", csv, "--to", to, "--out", x2}).exit_code ==
                  0);
    BOOST_TEST(read_file(x1) == read_file(x2));

    // The adjusted CSV read back as text through GDAL: figures are integers of hundredths.
    auto rows = ogr_sql(out1, "SELECT \"宗地编号\", \"面积(亩)\", \"平差调整(亩)\", \"备注\" FROM "
                              "adj1");
    BOOST_REQUIRE_EQUAL(rows.size(), 31u); // 30 rows and the 合计 row
    long long sum = 0;
    int adjusted_rows = 0;
    for (const auto& row : rows) {
        if (row[0] == "合计") {
            BOOST_TEST(hundredths(row[1]) == total);
            continue;
        }
        long long v = hundredths(row[1]);
        sum += v;
        size_t i =
            static_cast<size_t>(std::find(codes.begin(), codes.end(), row[0]) - codes.begin());
        BOOST_REQUIRE(i < codes.size());
        BOOST_TEST(std::fabs(static_cast<double>(v) - scaled[i]) < 1.0, row[0]);
        BOOST_TEST(v == expect[row[0]], row[0]);
        BOOST_TEST(hundredths(row[2]) == v - std::llround(scaled[i]), row[0]);
        adjusted_rows += hundredths(row[2]) != 0;
        if (row[0] == "Q03") // the ledger's text stays text, never a formula
            BOOST_TEST(row[3] == "'=1+1");
    }
    BOOST_TEST(sum == total);
    BOOST_TEST(adjusted_rows == moved_up + moved_down);

    // The adjusted ledger reconciles: every row match or 取整/平差, the moved ones 取整/平差.
    for (const auto& file : {out1, x1}) {
        auto rec = run_cli({"reconcile", store, "--ledger", file, "--format", "json"});
        BOOST_REQUIRE_MESSAGE(rec.exit_code == 0, rec.err << rec.out.substr(0, 2000));
        auto doc = json::parse(rec.out);
        int rounding = 0;
        for (const auto& it : doc["reconcile_items"]["rows"]) {
            auto c = it["class_code"].get<std::string>();
            BOOST_TEST((c == "match" || c == "rounding"), c);
            rounding += c == "rounding";
        }
        BOOST_TEST(rounding == moved_up + moved_down);
        BOOST_TEST(doc["reconcile"]["notes"]["结论"].get<std::string>().find("相符") == 0u);
    }

    // A total rounding cannot reach is refused, naming the figures.
    auto bad = run_cli({"adjust", store, "--ledger", csv, "--to",
                        fmt::format("{}.{:02d}", (floors + 40) / 100, (floors + 40) % 100), "--out",
                        dir.file("bad.csv")});
    BOOST_TEST(bad.exit_code == 2);
    BOOST_TEST(bad.err.find("cannot be met by rounding") != std::string::npos, bad.err);
    BOOST_TEST(!std::filesystem::exists(dir.file("bad.csv")));
}
