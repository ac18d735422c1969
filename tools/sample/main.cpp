// landclear-sample: deterministic sample data (parcels, buildings, corridors, projects) placed in
// the real district boundaries of Xiangtan.
//
// Two threads: the generator builds projects in order and hands them over through a small bounded
// queue; the main thread writes them through OGR. Output order and content do not depend on the
// threading.
#include "io.hpp"
#include "model.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <exception>
#include <filesystem>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <mutex>
#include <optional>
#include <thread>

#ifndef LANDCLEAR_SAMPLE_DISTRICTS
#define LANDCLEAR_SAMPLE_DISTRICTS "data/xiangtan_districts.geojson"
#endif

using namespace landclear::sample;

namespace {

class ProjectQueue {
public:
    explicit ProjectQueue(std::size_t capacity) : m_capacity(capacity) {}

    // False when the consumer gave up.
    bool push(ProjectData&& p) {
        std::unique_lock lock(m_mutex);
        m_not_full.wait(lock, [&] { return m_items.size() < m_capacity || m_cancelled; });
        if (m_cancelled) {
            return false;
        }
        m_items.push_back(std::move(p));
        m_not_empty.notify_one();
        return true;
    }
    // Empty when the producer is done.
    std::optional<ProjectData> pop() {
        std::unique_lock lock(m_mutex);
        m_not_empty.wait(lock, [&] { return !m_items.empty() || m_done; });
        if (m_items.empty()) {
            return std::nullopt;
        }
        ProjectData p = std::move(m_items.front());
        m_items.pop_front();
        m_not_full.notify_one();
        return p;
    }
    void done() {
        std::lock_guard lock(m_mutex);
        m_done = true;
        m_not_empty.notify_all();
    }
    void cancel() {
        std::lock_guard lock(m_mutex);
        m_cancelled = true;
        m_not_full.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_not_full;
    std::condition_variable m_not_empty;
    std::deque<ProjectData> m_items;
    std::size_t m_capacity;
    bool m_done = false;
    bool m_cancelled = false;
};

struct Cancelled {};

struct Totals {
    std::size_t projects = 0;
    std::size_t parcels = 0;
    std::size_t buildings = 0;
    std::size_t acquired = 0;
    std::size_t cleared = 0;
    std::size_t delivered = 0;
    double area = 0;

    void add(const ProjectData& p, Day as_of) {
        ++projects;
        buildings += p.buildings.size();
        for (const Parcel& parcel : p.parcels) {
            ++parcels;
            area += parcel.area;
            acquired += parcel.acquired <= as_of;
            cleared += parcel.cleared <= as_of;
            delivered += parcel.delivered <= as_of;
        }
    }
    void print() const {
        const double n = static_cast<double>(std::max<std::size_t>(parcels, 1));
        fmt::print(stderr,
                   "sample     {} projects, {} parcels ({:.2f} 亩), {} buildings; by count "
                   "acquired {:.1f} %, cleared {:.1f} %, delivered {:.1f} %\n",
                   projects, parcels, area * 3 / 2000, buildings,
                   100.0 * static_cast<double>(acquired) / n,
                   100.0 * static_cast<double>(cleared) / n,
                   100.0 * static_cast<double>(delivered) / n);
    }
};

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// CPU time of the calling thread: unlike wall time, unaffected by other load on the machine.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"landclear-sample: deterministic sample data for landclear"};
    OutputOptions out;
    GeneratorOptions gen;
    std::string districts_path;
    std::string as_of_text = "2026-11-20";
    app.add_option("--out", out.path,
                   "output file (GPKG, ...) or directory (one file per layer for single-layer "
                   "formats such as FlatGeobuf, GeoJSON, ESRI Shapefile)")
        ->required();
    app.add_option("--format", out.format, "OGR driver name")->capture_default_str();
    app.add_option("--parcels", gen.parcels,
                   "number of parcels (at least 500: fewer cannot fill the named projects)")
        ->check(CLI::Range(std::int64_t{500}, std::int64_t{50'000'000}))
        ->capture_default_str();
    app.add_option("--seed", gen.seed, "random seed")->capture_default_str();
    app.add_option("--districts", districts_path,
                   "district boundaries (default: data/xiangtan_districts.geojson in the current "
                   "directory, else " LANDCLEAR_SAMPLE_DISTRICTS ")");
    app.add_option("--as-of", as_of_text, "the data's today (YYYY-MM-DD); no date after it")
        ->capture_default_str();
    app.add_option("--crs", out.crs, "output CRS")->capture_default_str();
    app.add_flag("--overwrite", out.overwrite, "replace existing output");
    CLI11_PARSE(app, argc, argv);

    try {
        const std::optional<Day> as_of = parse_day(as_of_text);
        if (!as_of) {
            throw std::runtime_error("--as-of must be a date YYYY-MM-DD: " + as_of_text);
        }
        if (*as_of < make_day(2024, 6, 1)) {
            throw std::runtime_error("--as-of must be 2024-06-01 or later (data start 2024-01-01)");
        }
        gen.as_of = *as_of;
        out.as_of = *as_of;
        if (districts_path.empty()) {
            districts_path = std::filesystem::exists("data/xiangtan_districts.geojson")
                                 ? "data/xiangtan_districts.geojson"
                                 : LANDCLEAR_SAMPLE_DISTRICTS;
        }
        GDALAllRegister();
        const auto t0 = std::chrono::steady_clock::now();
        // GEOS: one context, used by the main thread to load, then only by the generator thread.
        GeosContext geos;
        const std::vector<District> districts = load_districts(districts_path, geos);
        std::vector<Village> villages;
        ProjectQueue queue(4);
        std::exception_ptr failure;
        double generate_s = 0;
        double generate_cpu = 0;
        SampleWriter writer(districts, villages, out);
        std::thread generator([&] {
            const auto t = std::chrono::steady_clock::now();
            try {
                generate_sample(gen, districts, geos, villages, [&](ProjectData&& p) {
                    if (!queue.push(std::move(p))) {
                        throw Cancelled{};
                    }
                });
            } catch (const Cancelled&) {
            } catch (...) {
                failure = std::current_exception();
            }
            generate_s = seconds_since(t);
            generate_cpu = thread_cpu_seconds();
            queue.done();
        });
        Totals totals;
        try {
            while (std::optional<ProjectData> p = queue.pop()) {
                writer.add(*p);
                totals.add(*p, gen.as_of);
            }
        } catch (...) {
            queue.cancel();
            generator.join();
            throw;
        }
        generator.join();
        if (failure) {
            std::rethrow_exception(failure);
        }
        fmt::print(stderr,
                   "{:<10} {:>9} parcels  {:7.2f} s  (generator thread; seed {}, as of {})\n",
                   "generate", gen.parcels, generate_s, gen.seed, as_of_text);
        writer.close();
        fmt::print(stderr,
                   "{:<10} {:>9}          {:7.2f} s  (CPU: generator {:.2f} s, writer {:.2f} s)\n",
                   "total", "", seconds_since(t0), generate_cpu, thread_cpu_seconds());
        totals.print();
    } catch (const std::exception& e) {
        fmt::print(stderr, "landclear-sample: {}\n", e.what());
        return 1;
    }
    return 0;
}
