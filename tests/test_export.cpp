// Exports read back with OGR (and the raw files where the format matters: the GeoJSON text, the
// .cpg, the .dbf bytes, the XLSX XML). Areas are checked against SpatiaLite's ST_Area on the
// store, statuses and widths against hand calculation and glibc's iconv.
#include "landclear/core/error.hpp"
#include "landclear/io/gdal_util.hpp"
#include "landclear/report/export.hpp"
#include "landclear/store/store.hpp"
#include "support/test_support.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <gdal_priv.h>
#include <iconv.h>
#include <map>
#include <nlohmann/json.hpp>
#include <ogr_api.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <regex>
#include <unistd.h>

using namespace landclear;
using namespace landclear::test;
using nlohmann::json;

namespace {

constexpr double bx = 391000, by = 3082000; // EPSG:4547 near Xiangtan (112.9 E, 27.85 N)

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

// 40 Chinese characters (120 bytes in UTF-8, 80 in GBK).
const std::string long_village = repeat("湘江竹埠村沿江安置区", 4);
// 100 characters: 300 bytes in UTF-8 (more than a dBASE field's 254), 200 in GBK.
const std::string very_long_village = repeat("岳塘区荷塘街道社区组", 10);
const std::string long_project_name =
    "压缩机厂及周边地块棚户区改造项目（雨湖区·长城乡）第一期第二批次征拆工作任务清单";

std::string rect(double x, double y, double w, double h) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + w, y + h);
}

// Statuses as of 2025-02-15, by hand: the furthest stage whose date has passed.
const std::map<std::string, std::string> expected_status{
    {"A1", "已腾"}, {"A2", "已征"}, {"A3", "未征"}, {"A4", "未征"}, {"A5", "未征"}};
const std::map<std::string, std::string> expected_village{{"A1", long_village},
                                                          {"A2", "竹埠村"},
                                                          {"A3", very_long_village},
                                                          {"A4", ""},
                                                          {"A5", "荷塘村"}};
const std::map<std::string, std::string> expected_acquired{
    {"A1", "2025-01-10"}, {"A2", "2025-01-10"}, {"A3", ""}, {"A4", "2025-02-20"}, {"A5", ""}};

void build_store(const TempDir& dir, const std::string& store) {
    FixtureLayer parcels{"parcels",
                         4547,
                         {{"parcel_code"},
                          {"project_code"},
                          {"district"},
                          {"village"},
                          {"owner_type"},
                          {"land_class"},
                          {"acquired_on", FixtureField::date},
                          {"cleared_on", FixtureField::date},
                          {"delivered_on", FixtureField::date}},
                         {}};
    std::string with_hole =
        fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}),({4} {5},{4} {6},{7} {6},"
                    "{7} {5},{4} {5}))",
                    bx, by + 200, bx + 120, by + 280, bx + 20, by + 220, by + 250, bx + 50);
    std::string bow_tie = fmt::format("POLYGON(({0} {1},{2} {3},{2} {1},{0} {3},{0} {1}))",
                                      bx + 300, by + 200, bx + 360, by + 260);
    std::string quad = fmt::format("POLYGON(({0} {1},{2} {1},{3} {4},{0} {5},{0} {1}))", bx + 100,
                                   by, bx + 200, bx + 210, by + 100.5, by + 100);
    parcels.features = {
        {rect(bx, by, 100, 100),
         {"A1", "P1", "雨湖区", long_village, "集体", "0101", "2025-01-10", "2025-02-01",
          "2025-03-01"}},
        {quad, {"A2", "P1", "雨湖区", "竹埠村", "集体", "0103", "2025-01-10", "", ""}},
        {rect(bx + 210, by, 90, 77.7),
         {"A3", "P2", "岳塘区", very_long_village, "国有", "0702", "", "", ""}},
        {with_hole, {"A4", "P1", "雨湖区", "", "集体", "0101", "2025-02-20", "", ""}},
        {bow_tie, {"A5", "P2", "岳塘区", "荷塘村", "国有", "1006", "", "", ""}},
    };
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
        {rect(bx + 10, by + 10, 20, 20), {"B1", "A1", "2", "240.5", "2025-01-15", "2025-02-10"}},
        {rect(bx + 110, by + 10, 20, 20), {"B2", "A2", "1", "120", "2025-02-15", ""}},
    };
    FixtureLayer projects{
        "projects",
        4547,
        {{"project_code"}, {"name"}, {"district"}, {"unit"}, {"deadline", FixtureField::date}},
        {}};
    projects.features = {
        {rect(bx - 10, by - 10, 400, 320),
         {"P1", long_project_name, "雨湖区", "雨湖区征拆办", "2025-12-31"}},
        {"", {"P2", "杨梅洲大桥南引线", "岳塘区", "岳塘区指挥部", ""}},
    };
    FixtureLayer corridors{"corridors",
                           4547,
                           {{"corridor_code"},
                            {"project_code"},
                            {"name"},
                            {"width_m", FixtureField::real},
                            {"start_chainage_m", FixtureField::real}},
                           {},
                           "LineString"};
    corridors.features = {
        {fmt::format("LINESTRING({} {},{} {})", bx - 10, by + 50, bx + 310, by + 50),
         {"C1", "P1", "G320绕城线三期（雨湖段）", "40", "1000"}},
    };
    auto src = dir.file("in.gpkg");
    write_layer(src, "GPKG", parcels);
    write_layer(src, "GPKG", buildings);
    write_layer(src, "GPKG", projects);
    write_layer(src, "GPKG", corridors);
    auto r =
        run_cli({"import", store, "--parcels", src + ":parcels", "--buildings", src + ":buildings",
                 "--projects", src + ":projects", "--corridors", src + ":corridors", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

struct Fixture {
    TempDir dir;
    std::string store = dir.file("store.sqlite");
    Fixture() { build_store(dir, store); }
};

const Fixture& fixture() {
    static Fixture f;
    return f;
}

// Planar areas by parcel code, from SpatiaLite on the store: the reference.
std::map<std::string, double> store_areas(const std::string& store,
                                          const std::string& table = "parcels",
                                          const std::string& key = "parcel_code") {
    std::map<std::string, double> out;
    for (const auto& row :
         ogr_sql(store, fmt::format("SELECT {}, ST_Area(geom) FROM {}", key, table)))
        if (!row[1].empty()) // a project without a red line
            out[row[0]] = std::stod(row[1]);
    return out;
}

std::map<std::string, double> store_perimeters(const std::string& store) {
    std::map<std::string, double> out;
    for (const auto& row : ogr_sql(store, "SELECT parcel_code, ST_Perimeter(geom) FROM parcels"))
        out[row[0]] = std::stod(row[1]);
    return out;
}

struct ReadFeature {
    std::map<std::string, std::string> attrs;
    double area = -1; // in EPSG:4547, after reprojecting back
    std::string get(const std::string& name) const {
        auto it = attrs.find(name);
        BOOST_REQUIRE_MESSAGE(it != attrs.end(), "no field " + name);
        return it->second;
    }
};

std::unique_ptr<OGRSpatialReference> gis_srs(int epsg) {
    auto srs = std::make_unique<OGRSpatialReference>();
    srs->importFromEPSG(epsg);
    srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

struct ReadLayer {
    std::vector<ReadFeature> features;
    std::vector<std::pair<std::string, int>> fields; // name, width
    std::string srs_wkt;
    std::string epsg; // the layer CRS's EPSG code, when GDAL identifies one
};

// Reads a layer back with OGR; geometries are transformed into EPSG:4547 (when the file has
// no CRS, as a CSV, they are taken to be in it).
ReadLayer read_back(const std::string& path, const std::string& layer_name = "",
                    const std::vector<std::string>& open_options = {}) {
    ensure_gdal_registered();
    CPLStringList oo;
    for (const auto& o : open_options)
        oo.AddString(o.c_str());
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                              nullptr, oo.List(), nullptr));
    BOOST_REQUIRE_MESSAGE(ds, "cannot open " + path);
    OGRLayer* l = layer_name.empty() ? ds->GetLayer(0) : ds->GetLayerByName(layer_name.c_str());
    BOOST_REQUIRE_MESSAGE(l, "no layer " + layer_name + " in " + path);
    ReadLayer out;
    auto working = gis_srs(4547);
    std::unique_ptr<OGRCoordinateTransformation> ct;
    if (const OGRSpatialReference* s = l->GetSpatialRef()) {
        std::unique_ptr<OGRSpatialReference> srs(s->Clone());
        srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        char* wkt = nullptr;
        srs->exportToWkt(&wkt);
        out.srs_wkt = wkt ? wkt : "";
        CPLFree(wkt);
        if (srs->AutoIdentifyEPSG() == OGRERR_NONE || srs->GetAuthorityCode(nullptr))
            out.epsg = srs->GetAuthorityCode(nullptr) ? srs->GetAuthorityCode(nullptr) : "";
        if (!srs->IsSame(working.get()))
            ct.reset(OGRCreateCoordinateTransformation(srs.get(), working.get()));
    }
    auto* defn = l->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i)
        out.fields.emplace_back(defn->GetFieldDefn(i)->GetNameRef(),
                                defn->GetFieldDefn(i)->GetWidth());
    for (auto& f : *l) {
        ReadFeature r;
        for (int i = 0; i < defn->GetFieldCount(); ++i)
            r.attrs[defn->GetFieldDefn(i)->GetNameRef()] =
                f->IsFieldSetAndNotNull(i) ? f->GetFieldAsString(i) : "";
        if (const OGRGeometry* g = f->GetGeometryRef()) {
            std::unique_ptr<OGRGeometry> copy(g->clone());
            if (ct)
                BOOST_REQUIRE(copy->transform(ct.get()) == OGRERR_NONE);
            r.area = OGR_G_Area(OGRGeometry::ToHandle(copy.get()));
        }
        out.features.push_back(std::move(r));
    }
    return out;
}

std::string iso(std::string date) { // OGR prints dates as 2025/01/10 (and maybe a time)
    std::replace(date.begin(), date.end(), '/', '-');
    return date.substr(0, 10);
}

std::string to_gbk(const std::string& utf8) {
    iconv_t cd = iconv_open("GBK", "UTF-8");
    BOOST_REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
    std::string in = utf8, out(utf8.size() * 2 + 8, '\0');
    char* ip = in.data();
    char* op = out.data();
    size_t il = in.size(), ol = out.size();
    size_t rc = iconv(cd, &ip, &il, &op, &ol);
    iconv_close(cd);
    BOOST_REQUIRE(rc != static_cast<size_t>(-1));
    out.resize(out.size() - ol);
    return out;
}

CliResult export_cli(const std::vector<std::string>& extra) {
    std::vector<std::string> args{"export", fixture().store, "--as-of", "2025-02-15"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> files_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// The names a format gives the checked fields.
struct Names {
    std::string code, village, status, acquired, area_m2, area_mu, project_name;
};
const Names long_names{"parcel_code", "village", "status",      "acquired_on",
                       "area_m2",     "area_mu", "project_name"};
const Names shp_names{"PARCEL", "VILLAGE", "STATUS", "ACQ_DATE", "AREA_M2", "AREA_MU", "PROJ_NAME"};
const Names zh_names{"宗地编号",     "村(社区)", "征拆状态", "征地日期",
                     "面积(平方米)", "面积(亩)", "项目名称"};

// Checks a parcels export read back: count, attributes and areas.
void check_parcels(const ReadLayer& layer, const Names& n, double geometry_tolerance,
                   bool village_cut = false, bool geometry = true, bool english = false) {
    const std::map<std::string, std::string> en{
        {"已腾", "cleared"}, {"已征", "acquired"}, {"未征", "not acquired"}};
    const auto& store = fixture().store;
    auto areas = store_areas(store);
    auto count = ogr_sql_number(store, "SELECT count(*) FROM parcels");
    BOOST_TEST(layer.features.size() == count);
    BOOST_TEST(layer.features.size() == 5u);
    for (const auto& f : layer.features) {
        auto code = f.get(n.code);
        BOOST_TEST_CONTEXT("parcel " << code) {
            BOOST_REQUIRE(areas.count(code));
            double ref = areas.at(code);
            auto status = expected_status.at(code);
            BOOST_TEST(f.get(n.status) == (english ? en.at(status) : status));
            std::string village = expected_village.at(code);
            if (village_cut && code == "A3")
                village = village.substr(0, 252); // 84 whole characters: 252 of 254 bytes
            BOOST_TEST(f.get(n.village) == village);
            BOOST_TEST(iso(f.get(n.acquired)) == expected_acquired.at(code));
            std::string project =
                code == "A3" || code == "A5" ? "杨梅洲大桥南引线" : long_project_name;
            BOOST_TEST(f.get(n.project_name) == project);
            BOOST_TEST(std::stod(f.get(n.area_m2)) == ref, boost::test_tools::tolerance(1e-9));
            BOOST_TEST(std::stod(f.get(n.area_mu)) == ref * 3 / 2000,
                       boost::test_tools::tolerance(1e-9));
            if (geometry) {
                BOOST_TEST(f.area > 0);
                BOOST_TEST(std::fabs(f.area - ref) / ref <= geometry_tolerance,
                           "area " << f.area << " vs store " << ref);
            }
        }
    }
}

// GeoJSON keeps 7 decimals of a degree (about 1 cm): a vertex moves by at most half a unit in
// the last place, and an area by at most the perimeter times that displacement.
double geojson_bound(const std::string& code) {
    double half_unit_m = 0.5e-7 * 111320.0 * std::sqrt(2.0);
    auto perimeters = store_perimeters(fixture().store);
    auto areas = store_areas(fixture().store);
    return perimeters.at(code) * half_unit_m / areas.at(code);
}

double shoelace(const json& ring) {
    double s = 0;
    for (size_t i = 0; i + 1 < ring.size(); ++i)
        s += ring[i][0].get<double>() * ring[i + 1][1].get<double>() -
             ring[i + 1][0].get<double>() * ring[i][1].get<double>();
    return s / 2;
}

} // namespace

BOOST_AUTO_TEST_CASE(geojson_follows_rfc7946) {
    TempDir out;
    auto path = out.file("parcels.geojson");
    auto r = export_cli({"--layer", "parcels", "--out", path});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "parcels: 5 features"));

    auto doc = json::parse(read_file(path));
    BOOST_TEST(!doc.contains("crs"));
    BOOST_TEST(doc["type"] == "FeatureCollection");
    BOOST_REQUIRE(doc["features"].size() == 5u);
    int rings = 0, holes = 0;
    for (const auto& f : doc["features"]) {
        BOOST_TEST(!f.contains("crs"));
        const auto& g = f["geometry"];
        std::vector<json> polygons;
        if (g["type"] == "Polygon")
            polygons.push_back(g["coordinates"]);
        else {
            BOOST_REQUIRE(g["type"] == "MultiPolygon");
            for (const auto& p : g["coordinates"])
                polygons.push_back(p);
        }
        for (const auto& polygon : polygons) {
            for (size_t k = 0; k < polygon.size(); ++k) {
                double a = shoelace(polygon[k]);
                // RFC 7946 3.1.6: exterior rings counter-clockwise, holes clockwise.
                if (k == 0)
                    BOOST_TEST(a > 0);
                else
                    BOOST_TEST(a < 0);
                ++(k == 0 ? rings : holes);
                for (const auto& pt : polygon[k]) {
                    double lon = pt[0].get<double>(), lat = pt[1].get<double>();
                    BOOST_TEST((lon > 111.5 && lon < 114.5), "longitude " << lon);
                    BOOST_TEST((lat > 26.5 && lat < 28.5), "latitude " << lat);
                    for (double v : {lon, lat}) // at most 7 decimals
                        BOOST_TEST(std::fabs(v * 1e7 - std::round(v * 1e7)) < 1e-3);
                }
            }
        }
    }
    BOOST_TEST(rings == 6); // A5 (the repaired bow tie) has two parts
    BOOST_TEST(holes == 1); // A4

    // Read back by OGR and projected back into the working CRS: within the rounding bound.
    auto layer = read_back(path);
    double worst = 0;
    for (const auto& f : layer.features) {
        auto code = f.get("parcel_code");
        double ref = store_areas(fixture().store).at(code);
        BOOST_TEST(std::fabs(f.area - ref) / ref <= geojson_bound(code), code);
        worst = std::max(worst, std::fabs(f.area - ref) / ref);
    }
    BOOST_TEST_MESSAGE("GeoJSON (7 decimals) worst relative area difference " << worst);
    check_parcels(layer, long_names, 1e-3);
}

BOOST_AUTO_TEST_CASE(round_trips_in_every_format) {
    TempDir out;
    struct Case {
        std::string format, file;
        std::vector<std::string> extra;
        Names names;
        double tolerance;
        bool cut = false, geometry = true, english = false;
        std::vector<std::string> open_options = {};
        std::string layer = {};
    };
    std::vector<Case> cases{
        {"shp", "utf8.shp", {}, shp_names, 1e-6, true},
        {"shp", "gbk.shp", {"--encoding", "GBK"}, shp_names, 1e-6},
        {"gpkg", "p.gpkg", {}, long_names, 1e-6},
        {"fgb", "p.fgb", {}, long_names, 1e-6},
        {"csv", "p.csv", {"--wkt"}, zh_names, 1e-6},
        {"csv", "en.csv", {"--wkt", "--lang", "en"}, long_names, 1e-6, false, true, true},
        {"xlsx", "p.xlsx", {}, zh_names, 0, false, false, false, {"HEADERS=FORCE"}, "宗地"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("format " << c.format << " " << c.file) {
            std::vector<std::string> args{"--layer", "parcels", "--format",
                                          c.format,  "--out",   out.file(c.file)};
            args.insert(args.end(), c.extra.begin(), c.extra.end());
            auto r = export_cli(args);
            BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
            auto layer = read_back(out.file(c.file), c.layer, c.open_options);
            if (c.format == "xlsx") {
                BOOST_REQUIRE(layer.features.size() == 6u); // and the totals row
                auto totals = layer.features.back();
                layer.features.pop_back();
                BOOST_TEST(totals.get("宗地编号") == "合计");
                double sum =
                    ogr_sql_number(fixture().store, "SELECT sum(ST_Area(geom)) FROM parcels");
                BOOST_TEST(std::stod(totals.get("面积(平方米)")) == sum,
                           boost::test_tools::tolerance(1e-9));
                BOOST_TEST(std::stod(totals.get("面积(亩)")) == sum * 3 / 2000,
                           boost::test_tools::tolerance(1e-9));
            }
            check_parcels(layer, c.names, c.tolerance, c.cut, c.geometry, c.english);
        }
    }
    // CSV: UTF-8 with a byte-order mark so that Excel shows the Chinese.
    BOOST_TEST(read_file(out.file("p.csv")).substr(0, 3) == "\xEF\xBB\xBF");

    // KML: WGS84, the code as each placemark's name.
    auto r = export_cli({"--layer", "parcels", "--out", out.file("p.kml")});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto kml = read_back(out.file("p.kml"));
    BOOST_REQUIRE(kml.features.size() == 5u);
    auto areas = store_areas(fixture().store);
    for (const auto& f : kml.features) {
        auto code = f.get("Name");
        BOOST_TEST(f.get("status") == expected_status.at(code));
        BOOST_TEST(f.get("village") == expected_village.at(code));
        BOOST_TEST(f.get("acquired_on") == expected_acquired.at(code));
        BOOST_TEST(std::fabs(f.area - areas.at(code)) / areas.at(code) <= 1e-6, code);
    }
}

BOOST_AUTO_TEST_CASE(other_layers_carry_status_dates_and_areas) {
    TempDir out;
    auto path = out.file("all.gpkg");
    auto r = export_cli({"--layer", "buildings,projects,corridors,findings", "--out", path});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);

    auto buildings = read_back(path, "buildings");
    auto b_areas = store_areas(fixture().store, "buildings", "building_code");
    BOOST_REQUIRE(buildings.features.size() == 2u);
    for (const auto& f : buildings.features) {
        auto code = f.get("building_code");
        BOOST_TEST(std::stod(f.get("area_m2")) == b_areas.at(code),
                   boost::test_tools::tolerance(1e-9));
        BOOST_TEST(std::fabs(f.area - b_areas.at(code)) <= 1e-6 * b_areas.at(code));
        // By hand, as of 2025-02-15: B1 signed and demolished on land cleared (A1); B2 signed
        // on the day, on acquired land (A2).
        BOOST_TEST(f.get("building_status") == (code == "B1" ? "已拆除" : "已签约"));
        BOOST_TEST(f.get("status") == (code == "B1" ? "已腾" : "已征"));
        BOOST_TEST(f.get("project_code") == "P1");
        BOOST_TEST(f.get("signed_households") == (code == "B1" ? "2" : "1"));
        BOOST_TEST(f.get("demolished_households") == (code == "B1" ? "2" : "0"));
    }

    auto projects = read_back(path, "projects");
    BOOST_REQUIRE(projects.features.size() == 2u);
    auto p_areas = store_areas(fixture().store, "projects", "project_code");
    for (const auto& f : projects.features) {
        auto code = f.get("project_code");
        // Acquired as of the day, by SpatiaLite: parcels with acquired_on <= 2025-02-15.
        double acquired = ogr_sql_number(
            fixture().store,
            fmt::format("SELECT coalesce(sum(ST_Area(geom)), 0) FROM parcels WHERE project_code "
                        "= '{}' AND acquired_on <= '2025-02-15'",
                        code));
        double all = ogr_sql_number(
            fixture().store,
            fmt::format("SELECT sum(ST_Area(geom)) FROM parcels WHERE project_code = '{}'", code));
        BOOST_TEST(std::stod(f.get("acquired_mu")) == acquired * 3 / 2000,
                   boost::test_tools::tolerance(1e-9));
        BOOST_TEST(std::stod(f.get("parcel_mu")) == all * 3 / 2000,
                   boost::test_tools::tolerance(1e-9));
        BOOST_TEST(f.get("status") == "未征"); // each project still has a parcel not acquired
        if (code == "P1") {
            BOOST_TEST(f.get("project_name") == long_project_name);
            BOOST_TEST(iso(f.get("deadline")) == "2025-12-31");
            BOOST_TEST(std::stod(f.get("area_m2")) == p_areas.at("P1"),
                       boost::test_tools::tolerance(1e-9));
            BOOST_TEST(std::stod(f.get("acquired_pct")) == 100 * acquired / all,
                       boost::test_tools::tolerance(1e-9));
        } else {
            BOOST_TEST(f.area < 0); // P2 has no red line
            BOOST_TEST(f.get("area_m2") == "");
        }
    }

    auto corridors = read_back(path, "corridors");
    BOOST_REQUIRE(corridors.features.size() == 1u);
    double length = ogr_sql_number(fixture().store, "SELECT ST_Length(geom) FROM corridors");
    BOOST_TEST(std::stod(corridors.features[0].get("length_m")) == length,
               boost::test_tools::tolerance(1e-9));
    BOOST_TEST(std::stod(corridors.features[0].get("end_chainage_m")) == 1000 + length,
               boost::test_tools::tolerance(1e-9));
    BOOST_TEST(corridors.features[0].get("chainage") == "K1+000–K1+320");

    auto findings = read_back(path, "findings");
    BOOST_TEST(findings.features.size() ==
               ogr_sql_number(fixture().store, "SELECT count(*) FROM findings"));
    BOOST_TEST(findings.features.size() >= 1u); // the repaired bow tie
}

BOOST_AUTO_TEST_CASE(shapefile_long_chinese_text_and_field_names) {
    TempDir out;
    for (std::string enc : {"UTF-8", "GBK"}) {
        BOOST_TEST_CONTEXT("encoding " << enc) {
            bool gbk = enc == "GBK";
            auto path = out.file(gbk ? "gbk.shp" : "utf8.shp");
            auto r = export_cli({"--layer", "parcels", "--out", path, "--encoding", enc});
            BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
            std::string stem = gbk ? "gbk" : "utf8";
            for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"})
                BOOST_TEST(fs::exists(out.file(stem + ext)), ext);
            BOOST_TEST(read_file(out.file(stem + ".cpg")) == (gbk ? "CP936" : "UTF-8"));
            auto encode = [&](const std::string& s) { return gbk ? to_gbk(s) : s; };
            // The raw .dbf holds the text in the target encoding, whole.
            auto dbf = read_file(out.file(stem + ".dbf"));
            BOOST_TEST(contains(dbf, encode(long_village)));
            BOOST_TEST(contains(dbf, encode(long_project_name)));
            if (gbk) // fits whole in 200 GBK bytes
                BOOST_TEST(contains(dbf, to_gbk(very_long_village)));
            else // cut at 252 bytes, between two characters
                BOOST_TEST(contains(r.err, "cut at a whole character"));

            auto layer = read_back(path);
            std::map<std::string, int> widths(layer.fields.begin(), layer.fields.end());
            for (const auto& [name, width] : layer.fields)
                BOOST_TEST(name.size() <= 10u, name);
            // Widths in bytes of the encoding: the longest value, or the 254-byte maximum.
            BOOST_TEST(widths.at("VILLAGE") == (gbk ? 200 : 254));
            BOOST_TEST(widths.at("PROJ_NAME") ==
                       static_cast<int>(encode(long_project_name).size()));
            check_parcels(layer, shp_names, 1e-6, !gbk);
            // The .prj is the working CRS: CGCS2000, Gauss-Krüger with central meridian 114°E.
            OGRSpatialReference prj;
            BOOST_REQUIRE(prj.SetFromUserInput(read_file(out.file(stem + ".prj")).c_str()) ==
                          OGRERR_NONE);
            BOOST_TEST(prj.GetProjParm(SRS_PP_CENTRAL_MERIDIAN) == 114.0);
            BOOST_TEST(prj.GetProjParm(SRS_PP_FALSE_EASTING) == 500000.0);
            BOOST_TEST(prj.GetInvFlattening() == 298.257222101);

            // The field dictionary beside the files names every field.
            auto dict = read_back(out.file(stem + "_fields.csv"));
            std::map<std::string, std::string> by_short;
            for (const auto& f : dict.features)
                by_short[f.get("field")] = f.get("name");
            BOOST_TEST(by_short.size() == layer.fields.size());
            for (const auto& [name, width] : layer.fields)
                BOOST_TEST(by_short.count(name) == 1u, name);
            BOOST_TEST(by_short["ACQ_MU"] == "acquired_mu");
            BOOST_TEST(by_short["LAND_CLASS"] == "land_class");
        }
    }
    // Long English names become stable short ones, listed with their Chinese labels.
    auto r = export_cli({"--layer", "buildings", "--out", out.file("b.shp")});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto dict = read_back(out.file("b_fields.csv"));
    std::map<std::string, std::pair<std::string, std::string>> by_short;
    for (const auto& f : dict.features)
        by_short[f.get("field")] = {f.get("name"), f.get("label_zh")};
    BOOST_TEST(by_short["DEMOL_HH"].first == "demolished_households");
    BOOST_TEST(by_short["SIGNED_HH"].second == "已签约户数");
    BOOST_TEST(by_short["FLOOR_M2"].first == "floor_area_m2");
    auto b = read_back(out.file("b.shp"));
    BOOST_TEST(iso(b.features[0].get("DEMO_DATE")) == "2025-02-10");
}

BOOST_AUTO_TEST_CASE(gbk_refuses_text_it_cannot_hold) {
    TempDir dir;
    auto store = dir.file("s.sqlite");
    FixtureLayer parcels{
        "parcels",
        4547,
        {{"parcel_code"}, {"project_code"}, {"village"}, {"acquired_on", FixtureField::date}},
        {{rect(bx, by, 50, 50), {"X1", "P", "𠀾村😀", "2025-01-01"}}}};
    write_layer(dir.file("in.gpkg"), "GPKG", parcels);
    auto r = run_cli({"import", store, "--parcels", dir.file("in.gpkg"), "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    fs::create_directory(dir.path() / "out");
    auto out = (dir.path() / "out").string();
    r = run_cli(
        {"export", store, "--layer", "parcels", "--out", out + "/x.shp", "--encoding", "GBK"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "GBK"));
    BOOST_TEST(contains(r.err, "village"));
    BOOST_TEST(contains(r.err, "--encoding UTF-8"));
    BOOST_TEST(files_in(out).empty()); // nothing left behind, not even a temporary folder
    r = run_cli({"export", store, "--layer", "parcels", "--out", out + "/x.shp"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(read_back(out + "/x.shp").features.at(0).get("VILLAGE") == "𠀾村😀");
}

BOOST_AUTO_TEST_CASE(shapefile_too_large_is_refused_before_writing) {
    TempDir out;
    auto store = open_store(fixture().store, StoreMode::read);
    ExportOptions o;
    o.layers = {ExportLayer::parcels};
    o.format = ExportFormat::shp;
    o.out = out.file("big.shp");
    o.shapefile_limit_bytes = 1000; // stands in for 2 GB
    try {
        export_layers(*store, o);
        BOOST_FAIL("no error");
    } catch (const Error& e) {
        BOOST_TEST(contains(e.message(), "too large for a shapefile"));
        BOOST_TEST(contains(e.hint(), "gpkg"));
    }
    BOOST_TEST(files_in(out.path()).empty());
    o.shapefile_limit_bytes = 2147483647ull;
    auto s = export_layers(*store, o);
    BOOST_TEST(s.files.size() == 6u); // .shp .shx .dbf .prj .cpg and the field dictionary
    BOOST_TEST(fs::file_size(out.file("big.shp")) < 2000u);
}

BOOST_AUTO_TEST_CASE(bad_requests_get_clear_errors) {
    TempDir out;
    auto r = export_cli({"--layer", "roads", "--out", out.file("x.geojson")});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "unknown layer 'roads'"));
    BOOST_TEST(contains(r.err, "corridor-parcels"));

    r = export_cli({"--layer", "parcels", "--format", "dwg", "--out", out.file("x.dwg")});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "unknown format 'dwg'"));

    r = export_cli({"--layer", "parcels", "--format", "shp", "--out", out.file("x.geojson")});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "extension"));

    r = export_cli({"--layer", "parcels", "--out", out.file("missing/x.geojson")});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "does not exist"));
    BOOST_TEST(contains(r.err, "mkdir"));

    // A folder nobody may write to (root writes anywhere but in /proc).
    std::string locked = "/proc/self";
    if (::geteuid() != 0) {
        fs::create_directory(out.path() / "locked");
        fs::permissions(out.path() / "locked", fs::perms::owner_read | fs::perms::owner_exec);
        locked = (out.path() / "locked").string();
    }
    r = export_cli({"--layer", "parcels", "--out", locked + "/x.geojson"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "not writable"));
    if (::geteuid() != 0)
        fs::permissions(out.path() / "locked", fs::perms::owner_all);

    auto existing = out.file("old.geojson");
    {
        std::ofstream f(existing);
        f << "old";
    }
    r = export_cli({"--layer", "parcels", "--out", existing});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "exists"));
    BOOST_TEST(contains(r.err, "--overwrite"));
    BOOST_TEST(read_file(existing) == "old");

    // Nothing selected: said so, and nothing written, even over an existing file.
    r = export_cli(
        {"--layer", "parcels", "--district", "韶山市", "--out", existing, "--overwrite"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "no parcels match"));
    BOOST_TEST(contains(r.err, "--allow-empty"));
    BOOST_TEST(read_file(existing) == "old");
    r = export_cli({"--layer", "parcels", "--district", "韶山市", "--out", out.file("e.shp")});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(!fs::exists(out.file("e.shp")));
    BOOST_TEST(!fs::exists(out.file("e.dbf")));

    // Asked for: an empty but valid file.
    for (std::string file : {"e.geojson", "e.shp", "e.gpkg", "e.fgb", "e.xlsx"}) {
        r = export_cli({"--layer", "parcels", "--district", "韶山市", "--out", out.file(file),
                        "--allow-empty"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, file << ": " << r.err);
        std::vector<std::string> oo;
        if (file == "e.xlsx")
            oo.push_back("HEADERS=FORCE");
        auto layer = read_back(out.file(file), "", oo);
        // The XLSX keeps its header and totals row.
        BOOST_TEST(layer.features.size() == (file == "e.xlsx" ? 1u : 0u), file);
    }
    r = export_cli(
        {"--layer", "parcels", "--district", "雨湖区", "--out", existing, "--overwrite"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(read_back(existing).features.size() == 3u); // A1, A2, A4

    r = export_cli({"--layer", "parcels", "--encoding", "GBK", "--out", out.file("g.geojson")});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "shapefiles"));
    r = export_cli({"--layer", "parcels", "--crs", "EPSG:4547", "--out", out.file("g.geojson")});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "RFC 7946"));
    r = export_cli({"--layer", "parcels", "--project", "P9", "--out", out.file("g.geojson")});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "project 'P9' is not in the store"));
    r = export_cli({"--layer", "parcels,projects", "--out", out.file("g.geojson")});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "one layer"));
    BOOST_TEST(!fs::exists(out.file("g.geojson")));
    // No temporaries left behind by any of this.
    for (const auto& name : files_in(out.path()))
        BOOST_TEST(!contains(name, "tmp"), name);
}

BOOST_AUTO_TEST_CASE(geopackage_holds_several_layers) {
    TempDir out;
    auto path = out.file("x.gpkg");
    auto r = export_cli({"--layer", "parcels", "--out", path});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    r = export_cli({"--layer", "projects", "--out", path});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "other layers are kept"));
    r = export_cli({"--layer", "projects", "--out", path, "--overwrite"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(read_back(path, "parcels").features.size() == 5u);
    BOOST_TEST(read_back(path, "projects").features.size() == 2u);
    // Replacing one layer keeps the other.
    r = export_cli({"--layer", "parcels", "--project", "P2", "--out", path, "--overwrite"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(read_back(path, "parcels").features.size() == 2u);
    BOOST_TEST(read_back(path, "projects").features.size() == 2u);
    // A layer of several with nothing selected is empty, and said so.
    auto two = out.file("two.gpkg");
    r = export_cli({"--layer", "parcels,buildings", "--project", "P2", "--out", two});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.err, "no buildings match the selection (--project P2)"));
    BOOST_TEST(read_back(two, "parcels").features.size() == 2u);
    BOOST_TEST(read_back(two, "buildings").features.size() == 0u);
    r = export_cli(
        {"--layer", "parcels,buildings", "--district", "韶山市", "--out", out.file("none.gpkg")});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "no parcels or buildings match"));
    BOOST_TEST(!fs::exists(out.file("none.gpkg")));
    // The working CRS by default.
    BOOST_TEST(read_back(path, "parcels").epsg == "4547");

    // --crs: geographic CGCS2000, areas unchanged after projecting back.
    auto geo = out.file("geo.gpkg");
    r = export_cli({"--layer", "parcels", "--out", geo, "--crs", "EPSG:4490"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto layer = read_back(geo);
    BOOST_TEST(layer.epsg == "4490");
    check_parcels(layer, long_names, 1e-6);
}

BOOST_AUTO_TEST_CASE(xlsx_reports_are_styled) {
    TempDir out;
    auto path = out.file("status.xlsx");
    auto r = run_cli(
        {"status", fixture().store, "--as-of", "2025-02-15", "--format", "xlsx", "--out", path});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto sheet = read_back(path, "status", {"HEADERS=FORCE"});
    BOOST_REQUIRE(sheet.features.size() == 3u); // P1, P2 and the totals row
    for (const auto& row : sheet.features) {
        auto code = row.get("项目编号");
        std::string where = code == "合计" ? "1" : fmt::format("project_code = '{}'", code);
        double acquired = ogr_sql_number(
            fixture().store,
            fmt::format("SELECT coalesce(sum(ST_Area(geom)), 0) FROM parcels WHERE {} AND "
                        "acquired_on <= '2025-02-15'",
                        where));
        BOOST_TEST(std::stod(row.get("已征(亩)")) == acquired * 3 / 2000,
                   boost::test_tools::tolerance(1e-9));
    }
    // Styles: 亩 to 0.00, % to 0.0, the header row frozen.
    auto zip_text = [&](const std::string& file, const std::string& member) {
        auto name = "/vsizip/" + file + "/" + member;
        VSILFILE* f = VSIFOpenL(name.c_str(), "rb");
        BOOST_REQUIRE_MESSAGE(f, "no " << member);
        std::string text;
        char buf[4096];
        size_t n;
        while ((n = VSIFReadL(buf, 1, sizeof buf, f)) > 0)
            text.append(buf, n);
        VSIFCloseL(f);
        return text;
    };
    auto styles = zip_text(path, "xl/styles.xml");
    BOOST_TEST(contains(styles, "formatCode=\"0.00\""));
    BOOST_TEST(contains(styles, "formatCode=\"0.0\""));
    auto xml = zip_text(path, "xl/worksheets/sheet1.xml");
    BOOST_TEST(contains(xml, "ySplit=\"1\""));
    BOOST_TEST(contains(xml, "state=\"frozen\""));
    // The filter covers the header and the two project rows, not the totals row (row 4).
    BOOST_TEST(std::regex_search(xml, std::regex("<autoFilter ref=\"A1:[A-Z]+3\"/>")));

    r = run_cli({"status", fixture().store, "--format", "xlsx"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "--out"));

    // Layers: a sheet each, dates as dates.
    auto layers = out.file("layers.xlsx");
    r = export_cli({"--layer", "parcels,projects", "--out", layers, "--lang", "en"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto parcels = read_back(layers, "parcels", {"HEADERS=FORCE"});
    auto projects = read_back(layers, "projects", {"HEADERS=FORCE"});
    BOOST_TEST(parcels.features.size() == 6u);
    BOOST_TEST(projects.features.size() == 3u);
    BOOST_TEST(parcels.features.back().get("parcel_code") == "Total");
    BOOST_TEST(parcels.features.front().get("status") == "cleared"); // A1, in English
    BOOST_TEST(iso(parcels.features.front().get("acquired_on")) == "2025-01-10");
    auto sheet2 = zip_text(layers, "xl/worksheets/sheet2.xml");
    BOOST_TEST(contains(sheet2, "state=\"frozen\""));
}

BOOST_AUTO_TEST_CASE(corridor_layers) {
    TempDir dir;
    auto store = dir.file("c.sqlite");
    fs::copy_file(fixture().store, store);
    auto r =
        run_cli({"export", store, "--layer", "corridor-parcels", "--out", dir.file("cp.geojson")});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "run landclear corridor"));

    r = run_cli({"corridor", store, "--as-of", "2025-02-15", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto gpkg = dir.file("c.gpkg");
    r = run_cli({"export", store, "--layer", "corridor-parcels,corridor-segments", "--as-of",
                 "2025-02-15", "--out", gpkg});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);

    auto pieces = read_back(gpkg, "corridor_parcels");
    BOOST_TEST(pieces.features.size() ==
               ogr_sql_number(store, "SELECT count(*) FROM corridor_parcels"));
    BOOST_REQUIRE(!pieces.features.empty());
    std::map<std::string, double> ref;
    for (const auto& row : ogr_sql(store, "SELECT parcel_code || '/' || segment_index, "
                                          "ST_Area(geom) FROM corridor_parcels"))
        ref[row[0]] = std::stod(row[1]);
    double sum = 0;
    for (const auto& f : pieces.features) {
        auto key = f.get("parcel_code") + "/" + f.get("segment_index");
        BOOST_REQUIRE(ref.count(key));
        BOOST_TEST(std::stod(f.get("area_m2")) == ref[key], boost::test_tools::tolerance(1e-9));
        BOOST_TEST(std::fabs(f.area - ref[key]) <= 1e-6 * ref[key]);
        BOOST_TEST(f.get("status") == expected_status.at(f.get("parcel_code")));
        sum += std::stod(f.get("area_mu"));
    }
    // The clipped pieces add up to the red line's share of the parcels (SpatiaLite, not ours).
    double clipped = ogr_sql_number(store, "SELECT sum(ST_Area(geom)) FROM corridor_parcels");
    BOOST_TEST(sum == clipped * 3 / 2000, boost::test_tools::tolerance(1e-9));

    auto segments = read_back(gpkg, "corridor_segments");
    BOOST_TEST(segments.features.size() ==
               ogr_sql_number(store, "SELECT count(*) FROM corridor_segments"));
    double red = ogr_sql_number(store, "SELECT sum(ST_Area(geom)) FROM corridor_segments");
    double red_sum = 0, parcel_sum = 0;
    for (const auto& f : segments.features) {
        red_sum += std::stod(f.get("area_m2"));
        parcel_sum += std::stod(f.get("parcel_mu"));
    }
    BOOST_TEST(red_sum == red, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(parcel_sum == clipped * 3 / 2000, boost::test_tools::tolerance(1e-9));

    // The parcels of a corridor, and the same pieces as a shapefile with short names.
    r = run_cli({"export", store, "--layer", "parcels", "--corridor", "C1", "--out",
                 dir.file("c1.geojson")});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(read_back(dir.file("c1.geojson")).features.size() ==
               ogr_sql_number(store, "SELECT count(DISTINCT parcel_code) FROM corridor_parcels"));
    r = run_cli({"export", store, "--layer", "corridor-parcels", "--out", dir.file("cp.shp")});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto shp = read_back(dir.file("cp.shp"));
    BOOST_TEST(shp.features.size() == pieces.features.size());
    for (const auto& [name, width] : shp.fields)
        BOOST_TEST(name.size() <= 10u, name);
}

BOOST_AUTO_TEST_CASE(docs_list_every_shapefile_field) {
    auto doc = read_file(source_dir() + "/docs/EXPORT.md");
    BOOST_REQUIRE(!doc.empty());
    for (auto layer : {ExportLayer::parcels, ExportLayer::buildings, ExportLayer::projects,
                       ExportLayer::corridors, ExportLayer::findings, ExportLayer::corridor_parcels,
                       ExportLayer::corridor_segments}) {
        auto fields = shapefile_dictionary(layer);
        BOOST_TEST(!fields.empty());
        for (const auto& f : fields) {
            BOOST_TEST(f.shp.size() <= 10u, f.shp);
            BOOST_TEST(contains(doc, fmt::format("| {} | {} | {} |", f.shp, f.key, f.zh)),
                       export_layer_name(layer) << ": " << f.shp);
        }
    }
}

// The GeoJSON writer leaves GDAL's RFC7946 mode off and does its geometry work itself (cut at
// the antimeridian, right-hand rule): the geometries must be those GDAL's own RFC7946 mode
// writes from the store's tables (ogr2ogr from the Debian package, an independent writer),
// rings and vertices in the same order. The corridor pieces come out of GEOS with clockwise
// outer rings, so they are turned; the fixture's parcels have a hole and a repaired bow tie.
BOOST_AUTO_TEST_CASE(geojson_geometry_is_gdals_rfc7946_mode) {
    TempDir dir;
    auto store = dir.file("g.sqlite");
    fs::copy_file(fixture().store, store);
    auto r = run_cli({"corridor", store, "--as-of", "2025-02-15", "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_TEST(ogr_sql_number(store, "SELECT count(*) FROM corridor_parcels WHERE "
                                     "ST_IsPolygonCW(geom)") > 0);
    struct Case {
        std::string layer, table, key;
    };
    for (const Case& c :
         {Case{"parcels", "parcels", "parcel_code"},
          Case{"corridor-parcels", "corridor_parcels", "parcel_code || '/' || segment_index"}}) {
        auto ours = dir.file(c.table + ".geojson"), gdals = dir.file(c.table + "_gdal.geojson");
        r = run_cli({"export", store, "--layer", c.layer, "--as-of", "2025-02-15", "--out", ours});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        auto cmd = fmt::format(
            "ogr2ogr -q -f GeoJSON -s_srs EPSG:4547 -t_srs EPSG:4326 -lco RFC7946=YES {} {} "
            "-dialect SQLite -sql \"SELECT {} AS k, geom FROM {} ORDER BY k\"",
            gdals, store, c.key, c.table);
        BOOST_TEST_REQUIRE(std::system(cmd.c_str()) == 0, cmd);
        std::map<std::string, json> expected;
        auto reference = json::parse(read_file(gdals));
        for (const auto& f : reference["features"])
            expected[f["properties"]["k"].get<std::string>()] = f["geometry"];
        auto doc = json::parse(read_file(ours));
        BOOST_TEST(doc["features"].size() == expected.size(), c.layer);
        for (const auto& f : doc["features"]) {
            const auto& p = f["properties"];
            std::string key = p["parcel_code"].get<std::string>();
            if (c.layer == "corridor-parcels")
                key += "/" + std::to_string(p["segment_index"].get<std::int64_t>());
            BOOST_REQUIRE_MESSAGE(expected.count(key), c.layer << " " << key);
            BOOST_TEST(f["geometry"] == expected[key], c.layer << " " << key);
        }
    }
}
