// The sample generator, landclear-sample (tools/sample/), run as a process:
// - the exact command written in data/README.md regenerates data/sample.gpkg: every feature of
//   every layer is read back with OGR and compared with the committed file (attributes exactly,
//   geometries by WKB or vertex by vertex within 1e-9 m), and the sha256 in data/README.md is the
//   committed file's;
// - two runs with one seed give identical features, another seed gives other features.
// Only GDAL/OGR, GEOS's version call and the test-support helpers are used: the comparison does
// not go through landclear's own code.
#include "support/test_support.hpp"

#include <algorithm>
#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <gdal_priv.h>
#include <geos_c.h>
#include <ogrsf_frmts.h>
#include <regex>
#include <sstream>

using namespace landclear::test;

namespace {

// landclear-sample sits in <build>/tools/ and landclear in <build>/engine/ (LANDCLEAR_BIN);
// LANDCLEAR_SAMPLE_BIN overrides.
std::string sample_bin() {
    if (const char* env = std::getenv("LANDCLEAR_SAMPLE_BIN"))
        return env;
    fs::path bin = fs::path(LANDCLEAR_BIN).parent_path();
    for (int up = 0; up < 4 && !bin.empty(); ++up, bin = bin.parent_path()) {
        fs::path candidate = bin / "tools" / "landclear-sample";
        if (fs::exists(candidate))
            return candidate.string();
    }
    return (fs::path(LANDCLEAR_BIN).parent_path().parent_path() / "tools" / "landclear-sample")
        .string();
}

void generate(const std::vector<std::string>& args, const std::string& cwd = source_dir()) {
    std::vector<std::string> argv{sample_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    BOOST_TEST_REQUIRE(fs::exists(argv[0]), "landclear-sample not built: " << argv[0]);
    auto r = run_program(argv, cwd);
    BOOST_TEST_REQUIRE(r.exit_code == 0,
                       "landclear-sample failed (" << r.exit_code << "): " << r.err);
}

// The generator command in data/README.md: the line that starts with the binary's path and its
// continuation lines ("\" at the end), split into words.
std::vector<std::string> readme_command() {
    std::ifstream in(source_dir() + "/data/README.md");
    std::string line, command;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!inside && line.rfind("build/release/tools/landclear-sample ", 0) == 0)
            inside = true;
        if (!inside)
            continue;
        bool more = !line.empty() && line.back() == '\\';
        command += (more ? line.substr(0, line.size() - 1) : line) + " ";
        if (!more)
            break;
    }
    std::istringstream words(command);
    std::vector<std::string> out;
    for (std::string w; words >> w;)
        out.push_back(w);
    return out;
}

std::string readme_sha256() {
    std::string text = read_file(source_dir() + "/data/README.md");
    std::smatch m;
    static const std::regex re("sha256 `([0-9a-f]{64})`");
    return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

std::string sha256_of(const std::string& path) {
    auto r = run_program({"/usr/bin/sha256sum", path}, source_dir());
    BOOST_TEST_REQUIRE(r.exit_code == 0, "sha256sum failed: " << r.err);
    return r.out.substr(0, 64);
}

GDALDatasetUniquePtr open_vector(const std::string& path) {
    GDALAllRegister();
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    BOOST_TEST_REQUIRE(ds != nullptr, "cannot open " << path);
    return ds;
}

bool same_coordinates(const OGRSimpleCurve& a, const OGRSimpleCurve& b, double tol) {
    if (a.getNumPoints() != b.getNumPoints() || a.Is3D() != b.Is3D())
        return false;
    for (int i = 0; i < a.getNumPoints(); ++i)
        if (std::abs(a.getX(i) - b.getX(i)) > tol || std::abs(a.getY(i) - b.getY(i)) > tol ||
            std::abs(a.getZ(i) - b.getZ(i)) > tol)
            return false;
    return true;
}

// Same structure, every vertex within tol.
bool same_geometry(const OGRGeometry* a, const OGRGeometry* b, double tol) {
    if (!a || !b)
        return a == b;
    if (a->getGeometryType() != b->getGeometryType())
        return false;
    auto flat = wkbFlatten(a->getGeometryType());
    if (flat == wkbPoint) {
        auto *p = a->toPoint(), *q = b->toPoint();
        return std::abs(p->getX() - q->getX()) <= tol && std::abs(p->getY() - q->getY()) <= tol &&
               std::abs(p->getZ() - q->getZ()) <= tol;
    }
    if (flat == wkbLineString || flat == wkbLinearRing)
        return same_coordinates(*a->toSimpleCurve(), *b->toSimpleCurve(), tol);
    if (flat == wkbPolygon) {
        auto *p = a->toPolygon(), *q = b->toPolygon();
        if (p->getNumInteriorRings() != q->getNumInteriorRings())
            return false;
        if (p->IsEmpty() || q->IsEmpty())
            return p->IsEmpty() == q->IsEmpty();
        if (!same_coordinates(*p->getExteriorRing(), *q->getExteriorRing(), tol))
            return false;
        for (int i = 0; i < p->getNumInteriorRings(); ++i)
            if (!same_coordinates(*p->getInteriorRing(i), *q->getInteriorRing(i), tol))
                return false;
        return true;
    }
    if (OGR_GT_IsSubClassOf(flat, wkbGeometryCollection)) {
        auto *p = a->toGeometryCollection(), *q = b->toGeometryCollection();
        if (p->getNumGeometries() != q->getNumGeometries())
            return false;
        for (int i = 0; i < p->getNumGeometries(); ++i)
            if (!same_geometry(p->getGeometryRef(i), q->getGeometryRef(i), tol))
                return false;
        return true;
    }
    return false; // a type the sample does not use
}

std::vector<unsigned char> wkb(const OGRGeometry& g) {
    std::vector<unsigned char> out(g.WkbSize());
    g.exportToWkb(wkbNDR, out.data(), wkbVariantIso);
    return out;
}

// Text of one field for messages.
std::string show(OGRFeature& f, int i) {
    return f.IsFieldSetAndNotNull(i) ? std::string(f.GetFieldAsString(i)) : "(null)";
}

bool same_field(OGRFeature& a, OGRFeature& b, int i) {
    bool sa = a.IsFieldSetAndNotNull(i), sb = b.IsFieldSetAndNotNull(i);
    if (sa != sb)
        return false;
    if (!sa)
        return true;
    switch (a.GetFieldDefnRef(i)->GetType()) {
    case OFTInteger:
    case OFTInteger64:
        return a.GetFieldAsInteger64(i) == b.GetFieldAsInteger64(i);
    case OFTReal:
        return a.GetFieldAsDouble(i) == b.GetFieldAsDouble(i); // exactly
    case OFTDate:
    case OFTDateTime:
    case OFTTime: {
        std::array<int, 7> x{}, y{};
        float xs = 0, ys = 0;
        a.GetFieldAsDateTime(i, &x[0], &x[1], &x[2], &x[3], &x[4], &xs, &x[6]);
        b.GetFieldAsDateTime(i, &y[0], &y[1], &y[2], &y[3], &y[4], &ys, &y[6]);
        return x == y && xs == ys;
    }
    default:
        return std::string(a.GetFieldAsString(i)) == b.GetFieldAsString(i);
    }
}

struct Comparison {
    std::size_t layers = 0, features = 0, differences = 0;
    std::size_t wkb_equal = 0, within_tolerance = 0, geometry_differences = 0;
    std::vector<std::string> messages; // the first few differences
    void note(std::string m) {
        ++differences;
        if (messages.size() < 20)
            messages.push_back(std::move(m));
    }
};

// Compares every layer's schema, CRS and every feature (FID, attributes, geometry) of a with b.
Comparison compare_datasets(const std::string& path_a, const std::string& path_b,
                            double tol = 1e-9) {
    auto a = open_vector(path_a), b = open_vector(path_b);
    Comparison c;
    if (a->GetLayerCount() != b->GetLayerCount())
        c.note(fmt::format("layer count {} vs {}", a->GetLayerCount(), b->GetLayerCount()));
    for (int li = 0; li < a->GetLayerCount(); ++li) {
        OGRLayer* la = a->GetLayer(li);
        OGRLayer* lb = b->GetLayerByName(la->GetName());
        if (!lb) {
            c.note(fmt::format("layer {} missing", la->GetName()));
            continue;
        }
        ++c.layers;
        std::string name = la->GetName();
        OGRFeatureDefn *da = la->GetLayerDefn(), *db = lb->GetLayerDefn();
        if (la->GetGeomType() != lb->GetGeomType())
            c.note(name + ": geometry type differs");
        auto *ra = la->GetSpatialRef(), *rb = lb->GetSpatialRef();
        if ((ra == nullptr) != (rb == nullptr) || (ra && !ra->IsSame(rb)))
            c.note(name + ": CRS differs");
        if (da->GetFieldCount() != db->GetFieldCount()) {
            c.note(
                fmt::format("{}: {} vs {} fields", name, da->GetFieldCount(), db->GetFieldCount()));
            continue;
        }
        bool schema_ok = true;
        for (int i = 0; i < da->GetFieldCount(); ++i) {
            auto *fa = da->GetFieldDefn(i), *fb = db->GetFieldDefn(i);
            if (std::string(fa->GetNameRef()) != fb->GetNameRef() ||
                fa->GetType() != fb->GetType() || fa->GetSubType() != fb->GetSubType() ||
                fa->GetWidth() != fb->GetWidth() || fa->GetPrecision() != fb->GetPrecision()) {
                c.note(fmt::format("{}: field {} ({}) differs from {}", name, i, fa->GetNameRef(),
                                   fb->GetNameRef()));
                schema_ok = false;
            }
        }
        if (!schema_ok)
            continue;
        GIntBig na = la->GetFeatureCount(), nb = lb->GetFeatureCount();
        if (na != nb)
            c.note(fmt::format("{}: {} vs {} features", name, na, nb));
        la->ResetReading();
        lb->ResetReading();
        for (;;) {
            OGRFeatureUniquePtr fa(la->GetNextFeature()), fb(lb->GetNextFeature());
            if (!fa || !fb) {
                if (fa || fb)
                    c.note(name + ": one file has more features");
                break;
            }
            ++c.features;
            if (fa->GetFID() != fb->GetFID())
                c.note(fmt::format("{}: FID {} vs {}", name, fa->GetFID(), fb->GetFID()));
            for (int i = 0; i < da->GetFieldCount(); ++i)
                if (!same_field(*fa, *fb, i))
                    c.note(fmt::format("{} FID {}: {} = {} vs {}", name, fa->GetFID(),
                                       da->GetFieldDefn(i)->GetNameRef(), show(*fa, i),
                                       show(*fb, i)));
            const OGRGeometry *ga = fa->GetGeometryRef(), *gb = fb->GetGeometryRef();
            if ((ga == nullptr) != (gb == nullptr)) {
                c.note(fmt::format("{} FID {}: geometry missing in one", name, fa->GetFID()));
            } else if (ga) {
                if (wkb(*ga) == wkb(*gb))
                    ++c.wkb_equal;
                else if (same_geometry(ga, gb, tol))
                    ++c.within_tolerance;
                else {
                    ++c.geometry_differences;
                    c.note(fmt::format("{} FID {}: geometry differs", name, fa->GetFID()));
                }
            }
        }
    }
    return c;
}

void report(const Comparison& c) {
    BOOST_TEST_MESSAGE(fmt::format("{} layers, {} features compared: {} geometries equal by WKB, "
                                   "{} within tolerance, {} differences",
                                   c.layers, c.features, c.wkb_equal, c.within_tolerance,
                                   c.differences));
    for (const auto& m : c.messages)
        BOOST_TEST_MESSAGE("  " << m);
}

std::size_t feature_count(const std::string& path, const std::string& layer) {
    auto ds = open_vector(path);
    OGRLayer* l = ds->GetLayerByName(layer.c_str());
    BOOST_TEST_REQUIRE(l != nullptr, "no layer " << layer << " in " << path);
    return static_cast<std::size_t>(l->GetFeatureCount());
}

} // namespace

BOOST_AUTO_TEST_SUITE(sample)

BOOST_AUTO_TEST_CASE(readme_command_regenerates_the_committed_sample) {
    auto cmd = readme_command();
    BOOST_TEST_REQUIRE(cmd.size() > 2, "no landclear-sample command found in data/README.md");
    // The command as written, with only the output path changed.
    TempDir dir;
    std::string out = dir.file("sample.gpkg");
    auto it = std::find(cmd.begin(), cmd.end(), "--out");
    BOOST_TEST_REQUIRE((it != cmd.end() && it + 1 != cmd.end()), "no --out in the command");
    BOOST_TEST(*(it + 1) == "data/sample.gpkg");
    *(it + 1) = out;
    std::vector<std::string> args(cmd.begin() + 1, cmd.end());
    BOOST_TEST_MESSAGE("landclear-sample " << fmt::format("{}", fmt::join(args, " ")));
    generate(args);

    Comparison c = compare_datasets(sample_path(), out);
    report(c);
    BOOST_TEST(c.layers == 4u);
    BOOST_TEST(c.differences == 0u);
    // Every feature of the four layers (README: 3000 parcels, 932 buildings, 5 corridors, 11
    // projects).
    BOOST_TEST(c.features == 3000u + 932u + 5u + 11u);
    BOOST_TEST(feature_count(out, "parcels") == 3000u);

    // The sha256 written in data/README.md is the committed file's; with the library versions it
    // names the regenerated file is byte-identical too.
    std::string sha = readme_sha256();
    BOOST_TEST_REQUIRE(!sha.empty(), "no sha256 in data/README.md");
    BOOST_TEST(sha256_of(sample_path()) == sha);
    std::string gdal = GDALVersionInfo("RELEASE_NAME"), geos = GEOSversion();
    if (gdal == "3.6.2" && geos.rfind("3.11.1", 0) == 0)
        BOOST_TEST(sha256_of(out) == sha);
    else
        BOOST_TEST_MESSAGE("GDAL " << gdal << ", GEOS " << geos
                                   << ": byte identity not checked (README names 3.6.2/3.11.1)");
}

BOOST_AUTO_TEST_CASE(defaults_are_the_readme_command) {
    // data/README.md: "all values shown are the defaults". Run from the repository root, as
    // there, the default districts file is data/xiangtan_districts.geojson.
    TempDir dir;
    std::string out = dir.file("defaults.gpkg");
    generate({"--out", out});
    Comparison c = compare_datasets(sample_path(), out);
    report(c);
    BOOST_TEST(c.differences == 0u);
    BOOST_TEST(c.features == 3000u + 932u + 5u + 11u);
}

BOOST_AUTO_TEST_CASE(one_seed_one_output_another_seed_another) {
    TempDir dir;
    std::string a = dir.file("a.gpkg"), b = dir.file("b.gpkg"), other = dir.file("c.gpkg");
    generate({"--parcels", "500", "--seed", "7", "--out", a});
    generate({"--parcels", "500", "--seed", "7", "--out", b});
    generate({"--parcels", "500", "--seed", "8", "--out", other});

    Comparison same = compare_datasets(a, b, 0.0);
    report(same);
    BOOST_TEST(same.differences == 0u);
    BOOST_TEST(same.within_tolerance == 0u); // not just close: the same WKB
    BOOST_TEST(feature_count(a, "parcels") == 500u);
    BOOST_TEST(same.features >= 500u);

    Comparison diff = compare_datasets(a, other, 0.0);
    BOOST_TEST_MESSAGE("seed 7 vs seed 8: " << diff.differences << " differences");
    BOOST_TEST(diff.differences > 0u);
    // Different parcels, not just different dates: geometries differ.
    BOOST_TEST(diff.geometry_differences > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
