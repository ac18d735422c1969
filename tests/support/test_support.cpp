#include "support/test_support.hpp"

#include "landclear/io/crs.hpp"
#include "landclear/io/gdal_util.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace landclear::test {

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "landclear-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed");
    m_path = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!std::getenv("LANDCLEAR_KEEP_TEST_FILES"))
        fs::remove_all(m_path, ec);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

CliResult run_program(const std::vector<std::string>& argv_in, const std::string& cwd,
                      int timeout_s) {
    TempDir dir;
    std::string out_path = dir.file("out"), err_path = dir.file("err");
    // posix_spawn, not fork + exec: the tests run servers and warm-up threads in this process,
    // and a forked child that allocates (building argv) before exec can block forever on an
    // allocator lock another thread held at the fork (seen under AddressSanitizer).
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    if (!cwd.empty())
        posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    std::vector<std::string> copy = argv_in;
    std::vector<char*> argv;
    for (auto& a : copy)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, copy.at(0).c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    CliResult r;
    if (rc != 0) {
        r.exit_code = 127;
        r.err = fmt::format("cannot run {}: {}", copy[0], std::strerror(rc));
        return r;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    int status = 0;
    bool timed_out = false;
    auto pause = std::chrono::microseconds(200);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            timed_out = true;
            break;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(20000));
    }
    r.exit_code = timed_out           ? 124
                  : WIFEXITED(status) ? WEXITSTATUS(status)
                                      : 128 + WTERMSIG(status);
    r.out = read_file(out_path);
    r.err = read_file(err_path);
    if (timed_out)
        r.err += fmt::format("\n[test support: {} killed after {} s]\n", copy[0], timeout_s);
    return r;
}

CliResult run_cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv{LANDCLEAR_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv);
}

void write_layer(const std::string& path, const std::string& driver_name, const FixtureLayer& layer,
                 const std::vector<std::string>& layer_options) {
    ensure_gdal_registered();
    auto* driver = GetGDALDriverManager()->GetDriverByName(driver_name.c_str());
    if (!driver)
        throw std::runtime_error("no driver " + driver_name);
    GDALDatasetUniquePtr ds;
    if (fs::exists(path) && driver_name == "GPKG")
        ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    else
        ds.reset(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds)
        throw std::runtime_error("cannot create " + path);
    std::unique_ptr<OGRSpatialReference> srs;
    if (layer.epsg)
        srs = srs_from_epsg(layer.epsg);
    OGRwkbGeometryType gtype = layer.geometry == "Polygon"        ? wkbPolygon
                               : layer.geometry == "MultiPolygon" ? wkbMultiPolygon
                               : layer.geometry == "LineString"   ? wkbLineString
                               : layer.geometry == "None"         ? wkbNone
                                                                  : wkbUnknown;
    CPLStringList opts;
    for (const auto& o : layer_options)
        opts.AddString(o.c_str());
    OGRLayer* l = ds->CreateLayer(layer.name.c_str(), srs.get(), gtype, opts.List());
    if (!l)
        throw std::runtime_error("cannot create layer " + layer.name);
    for (const auto& f : layer.fields) {
        OGRFieldType t = f.type == FixtureField::integer ? OFTInteger64
                         : f.type == FixtureField::real  ? OFTReal
                         : f.type == FixtureField::date  ? OFTDate
                                                         : OFTString;
        OGRFieldDefn fd(f.name.c_str(), t);
        if (l->CreateField(&fd) != OGRERR_NONE)
            throw std::runtime_error("cannot create field " + f.name);
    }
    for (const auto& feat : layer.features) {
        OGRFeatureUniquePtr f(OGRFeature::CreateFeature(l->GetLayerDefn()));
        for (size_t i = 0; i < layer.fields.size() && i < feat.values.size(); ++i)
            if (!feat.values[i].empty())
                f->SetField(static_cast<int>(i), feat.values[i].c_str());
        if (!feat.wkt.empty()) {
            OGRGeometry* g = nullptr;
            if (OGRGeometryFactory::createFromWkt(feat.wkt.c_str(), srs.get(), &g) != OGRERR_NONE)
                throw std::runtime_error("bad WKT " + feat.wkt);
            f->SetGeometryDirectly(g);
        }
        if (l->CreateFeature(f.get()) != OGRERR_NONE)
            throw std::runtime_error("cannot write feature to " + path);
    }
}

std::vector<std::vector<std::string>> ogr_sql(const std::string& path, const std::string& sql) {
    ensure_gdal_registered();
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds)
        throw std::runtime_error("cannot open " + path);
    OGRLayer* result = ds->ExecuteSQL(sql.c_str(), nullptr, "SQLite");
    if (!result)
        throw std::runtime_error("SQL failed: " + sql + ": " + CPLGetLastErrorMsg());
    std::vector<std::vector<std::string>> rows;
    for (auto& f : *result) {
        std::vector<std::string> row;
        for (int i = 0; i < f->GetFieldCount(); ++i)
            row.emplace_back(f->IsFieldSetAndNotNull(i) ? f->GetFieldAsString(i) : "");
        rows.push_back(std::move(row));
    }
    ds->ReleaseResultSet(result);
    return rows;
}

double ogr_sql_number(const std::string& path, const std::string& sql) {
    auto rows = ogr_sql(path, sql);
    if (rows.empty() || rows[0].empty() || rows[0][0].empty())
        throw std::runtime_error("no value from: " + sql);
    return std::stod(rows[0][0]);
}

std::string source_dir() {
    return LANDCLEAR_SOURCE_DIR;
}
std::string sample_path() {
    return source_dir() + "/data/sample.gpkg";
}

std::string square_wkt(double x, double y, double side) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + side,
                       y + side);
}

} // namespace landclear::test
