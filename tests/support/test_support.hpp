#pragma once
// Helpers for tests: temporary folders, fixtures written through OGR, the CLI run as a process,
// and SQL run by GDAL's SQLite/SpatiaLite dialect as an independent check of our numbers.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace landclear::test {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return m_path; }
    std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
    fs::path m_path;
};

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs a program (argv[0] is its path; no shell involved) in folder cwd (empty: this one), its
// standard output and error captured in full. A run longer than timeout_s is killed and
// reported as exit code 124 with a note in err, so that a hang fails its test instead of the
// whole suite's time limit.
CliResult run_program(const std::vector<std::string>& argv, const std::string& cwd = {},
                      int timeout_s = 400);

// Runs the built landclear with these arguments (no shell involved).
CliResult run_cli(const std::vector<std::string>& args);

struct FixtureField {
    std::string name;
    enum Type { text, integer, real, date } type = text;
};

struct FixtureFeature {
    std::string wkt;                 // empty: no geometry
    std::vector<std::string> values; // "" = null; dates as YYYY-MM-DD
};

struct FixtureLayer {
    std::string name;
    int epsg = 4547; // 0: no CRS
    std::vector<FixtureField> fields;
    std::vector<FixtureFeature> features;
    std::string geometry = "Polygon"; // Polygon, LineString, MultiPolygon, None
};

// Writes one layer with an OGR driver ("GeoJSON", "GPKG", "ESRI Shapefile", "CSV", ...).
// Creation options such as ENCODING=CP936 go through layer_options.
void write_layer(const std::string& path, const std::string& driver, const FixtureLayer& layer,
                 const std::vector<std::string>& layer_options = {});

// Runs SQL with GDAL's SQLite dialect (SpatiaLite functions available) and returns the rows as
// text; this is our independent check, not our own code.
std::vector<std::vector<std::string>> ogr_sql(const std::string& path, const std::string& sql);
double ogr_sql_number(const std::string& path, const std::string& sql);

std::string read_file(const std::string& path);
std::string source_dir();
// The committed sample (data/sample.gpkg).
std::string sample_path();

// A square of side metres with its lower-left corner at (x, y), as WKT.
std::string square_wkt(double x, double y, double side);

} // namespace landclear::test
