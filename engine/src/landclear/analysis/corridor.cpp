#include "landclear/analysis/corridor.hpp"

#include "landclear/analysis/detail/corridor_clip.hpp"
#include "landclear/analysis/detail/corridor_figures.hpp"
#include "landclear/analysis/detail/corridor_stored.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/units.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/ellipsoidal.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/strtree.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace landclear {

using namespace corridor_detail;

namespace {

using namespace corridor_detail;

using FT = FieldType;

// Seconds since the last lap, for the progress messages.
class Stopwatch {
public:
    double lap() {
        auto now = std::chrono::steady_clock::now();
        double s = std::chrono::duration<double>(now - m_last).count();
        m_last = now;
        return s;
    }

private:
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

// ---- The date-independent part: red line, segments, clipped parcels, located buildings ----

Envelope envelope_of(const Geos& geos, const GEOSGeometry* g) {
    return geos.is_empty(g) ? Envelope{} : geos.bounds(g);
}

// Consecutive boxes merged while the merged box is not much bigger than its parts: fewer
// queries, few extra features read.
std::vector<Envelope> merge_boxes(const std::vector<Envelope>& boxes) {
    auto area = [](const Envelope& e) { return (e.max_x - e.min_x) * (e.max_y - e.min_y); };
    std::vector<Envelope> out;
    double parts = 0;
    for (const auto& b : boxes) {
        if (!out.empty()) {
            Envelope u{std::min(out.back().min_x, b.min_x), std::min(out.back().min_y, b.min_y),
                       std::max(out.back().max_x, b.max_x), std::max(out.back().max_y, b.max_y)};
            if (area(u) <= 1.5 * (parts + area(b))) {
                out.back() = u;
                parts += area(b);
                continue;
            }
        }
        out.push_back(b);
        parts = area(b);
    }
    return out;
}

// Features of a layer whose envelope meets one of the boxes, each once, with their facts. The
// spatial index of the store does the filtering; boxes are the pieces', so a long diagonal road
// does not pull in everything inside its overall extent.
std::vector<Candidate> read_candidates(Store& store, LayerKind kind,
                                       const std::vector<Envelope>& boxes, NearFacts& facts) {
    static const FactFields parcel_fields(LayerKind::parcels),
        building_fields(LayerKind::buildings);
    const auto& ff = kind == LayerKind::parcels ? parcel_fields : building_fields;
    const auto& def = ff.def;
    int key = ff.key;
    int parcel = field_index(def, "parcel_code");
    std::unordered_set<std::string> seen;
    std::vector<Candidate> out;
    FeatureFilter filter;
    filter.fields = {std::string(def.key)};
    if (kind == LayerKind::buildings)
        filter.fields.emplace_back("parcel_code");
    filter.fields.insert(filter.fields.end(), ff.names.begin(), ff.names.end());
    store.for_each_feature_in_boxes(kind, filter, boxes, [&](const FeatureRow& row) {
        auto code = text_value(row.values[static_cast<size_t>(key)]);
        if (row.wkb.empty() || !seen.insert(code).second)
            return;
        if (kind == LayerKind::parcels)
            facts.parcels.emplace_back(code, ff.parcel(row));
        else
            facts.buildings.emplace_back(code, ff.building(row));
        Candidate c;
        c.code = std::move(code);
        if (parcel >= 0 && kind == LayerKind::buildings)
            c.parcel_code = text_value(row.values[static_cast<size_t>(parcel)]);
        c.wkb = row.wkb;
        out.push_back(std::move(c));
    });
    return out;
}

std::optional<Wkb> feature_wkb(Store& store, LayerKind kind, const std::string& code) {
    FeatureFilter filter;
    filter.codes = {code};
    std::optional<Wkb> out;
    store.for_each_feature(kind, filter, [&](const FeatureRow& row) {
        if (!row.wkb.empty())
            out = row.wkb;
    });
    return out;
}

// One corridor whose geometry is computed, on its way through the stages: inputs read from
// the store; red line and segments (GEOS); features near it read from the store; clipping
// (GEOS); its rows written to the store.
struct Job {
    const CorridorRow* corridor = nullptr;
    // The union red line of a corridor of several alignments: these rows' red lines, one piece
    // (corridor is then a row standing for the corridor, its code the corridor's).
    std::vector<const CorridorRow*> union_of;
    std::vector<Wkb> union_lines;
    Wkb line, project;
    CorridorClip clip;
    // The store to save the clip in, when it is saved: the rows are made and encoded for it
    // (Store::encode_derived) where the clip is made, on a worker, so the thread that writes
    // only writes.
    const Store* save_to = nullptr;
    ClipRows rows;
    std::vector<Envelope> boxes;
    std::vector<Candidate> parcels, buildings;
    NearFacts facts;
    size_t near_parcels = 0, near_buildings = 0;
    double t_geometry = 0, t_read = 0, t_clip = 0;
};

void load_inputs(Store& store, Job& job, const CorridorOptions& o) {
    const auto& c = *job.corridor;
    for (const auto* row : job.union_of) {
        auto line = feature_wkb(store, LayerKind::corridors, row->code);
        if (!line)
            throw_input(fmt::format("corridor {} has no centreline in the store", row->code),
                        "import the corridor's centreline again");
        job.union_lines.push_back(std::move(*line));
    }
    if (!job.union_of.empty()) {
        if (o.red_line == RedLineSource::project && !c.project_code.empty())
            if (auto wkb = feature_wkb(store, LayerKind::projects, c.project_code))
                job.project = std::move(*wkb);
        return;
    }
    auto line = feature_wkb(store, LayerKind::corridors, c.code);
    if (!line)
        throw_input(fmt::format("corridor {} has no centreline in the store", c.code),
                    "import the corridor's centreline again");
    job.line = std::move(*line);
    if (o.red_line == RedLineSource::project && !c.project_code.empty())
        if (auto wkb = feature_wkb(store, LayerKind::projects, c.project_code))
            job.project = std::move(*wkb);
}

// The union of the alignments' red lines as one piece (segment 0): the corridor's totals.
void build_union(Job& job, Geos& geos, GeomPtr red) {
    if (!red) {
        std::vector<GeomPtr> parts;
        for (size_t i = 0; i < job.union_of.size(); ++i) {
            auto line = geos.from_wkb(job.union_lines[i]);
            parts.push_back(buffer_centreline(geos, line.get(), corridor_widths(*job.union_of[i])));
        }
        red = geos.polygonal_multi(geos.union_of(std::move(parts)).get());
    }
    SegmentClip s;
    s.area = geos.area(red.get());
    s.wkb = geos.to_wkb(red.get());
    if (!geos.is_empty(red.get()))
        job.boxes.push_back(envelope_of(geos, red.get()));
    job.clip.segments.push_back(std::move(s));
}

void build_segments(Job& job, const CorridorOptions& o) {
    Stopwatch watch;
    Geos geos;
    const auto& c = *job.corridor;
    if (!job.union_of.empty()) {
        GeomPtr red;
        if (!job.project.empty()) {
            red = geos.polygonal_multi(geos.from_wkb(job.project).get());
            if (geos.is_empty(red.get()))
                red.reset();
            else
                job.clip.source = RedLineSource::project;
        }
        build_union(job, geos, std::move(red));
        job.t_geometry = watch.lap();
        return;
    }
    auto line = geos.from_wkb(job.line);
    GeomPtr red;
    if (!job.project.empty()) {
        red = geos.polygonal_multi(geos.from_wkb(job.project).get());
        if (geos.is_empty(red.get()))
            red.reset();
        else
            job.clip.source = RedLineSource::project;
    }
    if (!red)
        red = buffer_centreline(geos, line.get(), corridor_widths(c));
    double length = geos.length(line.get());
    auto spans = corridor_stationing(c, length).segments(o.segment_m);
    std::vector<double> positions;
    for (const auto& s : spans)
        positions.push_back(s.along_from_m);
    positions.push_back(length);
    positions.front() = 0;
    auto pieces = split_red_line(geos, red.get(), line.get(), positions);
    for (size_t k = 0; k < pieces.size(); ++k) {
        SegmentClip s;
        s.index = static_cast<int>(k);
        s.from_m = spans[k].from_m;
        s.to_m = spans[k].to_m;
        s.label = format_chainage_range(s.from_m, s.to_m, alignment_prefix(c));
        s.area = geos.area(pieces[k].get());
        s.wkb = geos.to_wkb(pieces[k].get());
        if (!geos.is_empty(pieces[k].get()))
            job.boxes.push_back(envelope_of(geos, pieces[k].get()));
        job.clip.segments.push_back(std::move(s));
    }
    job.boxes = merge_boxes(job.boxes);
    job.t_geometry = watch.lap();
}

void read_near(Store& store, Job& job) {
    Stopwatch watch;
    job.parcels = read_candidates(store, LayerKind::parcels, job.boxes, job.facts);
    job.buildings = read_candidates(store, LayerKind::buildings, job.boxes, job.facts);
    job.near_parcels = job.parcels.size();
    job.near_buildings = job.buildings.size();
    job.t_read = watch.lap();
}

void clip_job(Job& job, unsigned threads) {
    Stopwatch watch;
    job.clip.parcels = clip_parcels(job.clip.segments, job.parcels, threads);
    job.clip.buildings = locate_buildings(job.clip.segments, job.buildings, threads);
    job.parcels = {};
    job.buildings = {};
    if (job.save_to)
        job.rows = clip_rows(job.corridor->code, job.clip, job.save_to);
    job.t_clip = watch.lap();
}

void report_job(const Job& job, const CorridorOptions& o) {
    if (o.progress)
        o.progress(fmt::format(
            "corridor {}: {} segments; {} parcels near the red line give {} pieces; {} of {} "
            "buildings near it lie inside (red line and segments {:.3f} s, reading {:.3f} s, "
            "clipping {:.3f} s)",
            job.corridor->code, job.clip.segments.size(), job.near_parcels, job.clip.parcels.size(),
            job.clip.buildings.size(), job.near_buildings, job.t_geometry, job.t_read, job.t_clip));
}

// Runs the jobs; done(job) is called on this thread for each one, in the jobs' order (so the
// store holds the results in the same order however the threads ran). With several jobs and
// threads, `threads` worker threads do the GEOS stages while this thread reads from and writes
// to the store, so the two overlap (clipping was the longest stage: one worker left this thread
// waiting for it); a single job clips on all threads instead.
void run_jobs(Store& store, std::vector<Job>& jobs, const CorridorOptions& o, unsigned threads,
              const std::function<void(Job&)>& done) {
    auto with_context = [&](Job& job, auto&& step) {
        try {
            step();
        } catch (Error& e) {
            e.add_context(fmt::format("corridor {}", job.corridor->code));
            throw;
        }
    };
    if (threads <= 1 || jobs.size() < 2) {
        for (auto& job : jobs) {
            with_context(job, [&] {
                load_inputs(store, job, o);
                build_segments(job, o);
                read_near(store, job);
                clip_job(job, threads);
            });
            report_job(job, o);
            done(job);
        }
        return;
    }
    enum Stage { segments, clipping };
    struct Event {
        Stage stage;
        size_t index;
        std::exception_ptr error;
    };
    std::mutex mutex;
    std::condition_variable todo_ready, event_ready;
    std::deque<std::pair<Stage, size_t>> todo;
    std::deque<Event> events;
    bool stop = false;
    auto work = [&] {
        for (;;) {
            std::pair<Stage, size_t> task;
            {
                std::unique_lock lock(mutex);
                todo_ready.wait(lock, [&] { return stop || !todo.empty(); });
                if (stop)
                    return;
                task = todo.front();
                todo.pop_front();
            }
            Event e{task.first, task.second, nullptr};
            try {
                if (task.first == segments)
                    build_segments(jobs[task.second], o);
                else
                    clip_job(jobs[task.second], 1);
            } catch (...) {
                e.error = std::current_exception();
            }
            {
                std::lock_guard lock(mutex);
                events.push_back(e);
            }
            event_ready.notify_one();
        }
    };
    std::vector<std::thread> workers;
    struct Join {
        std::mutex& mutex;
        bool& stop;
        std::condition_variable& cv;
        std::vector<std::thread>& threads;
        ~Join() {
            {
                std::lock_guard lock(mutex);
                stop = true;
            }
            cv.notify_all();
            for (auto& t : threads)
                t.join();
        }
    } join{mutex, stop, todo_ready, workers};
    for (unsigned t = 0; t < std::min<size_t>(threads, jobs.size()); ++t)
        workers.emplace_back(work);

    for (size_t i = 0; i < jobs.size(); ++i) {
        with_context(jobs[i], [&] { load_inputs(store, jobs[i], o); });
        std::lock_guard lock(mutex);
        todo.emplace_back(segments, i);
    }
    todo_ready.notify_all();
    std::vector<char> clipped(jobs.size(), 0);
    for (size_t finished = 0; finished < jobs.size();) {
        Event e;
        {
            std::unique_lock lock(mutex);
            event_ready.wait(lock, [&] { return !events.empty(); });
            e = events.front();
            events.pop_front();
        }
        auto& job = jobs[e.index];
        with_context(job, [&] {
            if (e.error)
                std::rethrow_exception(e.error);
        });
        if (e.stage == segments) {
            with_context(job, [&] { read_near(store, job); });
            {
                // Clipping first, so finished corridors keep flowing to the store.
                std::lock_guard lock(mutex);
                todo.emplace_front(clipping, e.index);
            }
            todo_ready.notify_one();
        } else {
            clipped[e.index] = 1;
            for (; finished < jobs.size() && clipped[finished]; ++finished) {
                report_job(jobs[finished], o);
                done(jobs[finished]);
            }
        }
    }
}

std::string list_codes(const std::vector<std::string>& codes) {
    constexpr size_t shown = 30;
    std::vector<std::string> head(
        codes.begin(), codes.begin() + static_cast<std::ptrdiff_t>(std::min(codes.size(), shown)));
    auto text = fmt::format("{}", fmt::join(head, ", "));
    if (codes.size() > shown)
        text += fmt::format(" … ({} in all)", codes.size());
    return text.empty() ? "(none)" : text;
}

std::vector<CorridorRow> select_corridors(const std::vector<CorridorRow>& all,
                                          const CorridorOptions& o) {
    if (o.corridors.empty() && o.projects.empty())
        return all;
    // Codes are the corridors' (an alignment row "G320-1~ZK" is chosen by its corridor G320-1).
    std::vector<std::string> codes;
    for (const auto& c : all)
        if (codes.empty() || codes.back() != corridor_of_row(c))
            codes.push_back(corridor_of_row(c));
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    std::set<std::string> wanted;
    for (const auto& code : o.corridors) {
        if (!std::binary_search(codes.begin(), codes.end(), code))
            throw_usage(fmt::format("no corridor {} in the store", code),
                        fmt::format("corridors in the store: {}", list_codes(codes)));
        wanted.insert(code);
    }
    for (const auto& project : o.projects) {
        bool any = false;
        for (const auto& c : all)
            if (c.project_code == project) {
                wanted.insert(corridor_of_row(c));
                any = true;
            }
        if (!any) {
            std::set<std::string> with;
            for (const auto& c : all)
                with.insert(c.project_code);
            throw_usage(
                fmt::format("project {} has no corridor in the store", project),
                fmt::format("projects with corridors: {}", list_codes({with.begin(), with.end()})));
        }
    }
    std::vector<CorridorRow> out;
    for (const auto& c : all)
        if (wanted.count(corridor_of_row(c)))
            out.push_back(c);
    return out;
}

} // namespace

RedLineSource parse_red_line_source(const std::string& text) {
    if (text == "buffer")
        return RedLineSource::buffer;
    if (text == "project")
        return RedLineSource::project;
    throw_usage(fmt::format("--redline '{}' is not buffer or project", text));
}

std::string corridor_row_code(const std::string& corridor_code, const std::string& alignment) {
    return corridor_code + alignment_separator + (alignment.empty() ? "K" : alignment);
}

bool is_alignment_row(const CorridorRow& row) {
    auto suffix = std::string(1, alignment_separator) + alignment_prefix(row);
    return row.code.size() > suffix.size() &&
           row.code.compare(row.code.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string corridor_of_row(const CorridorRow& row) {
    if (!is_alignment_row(row))
        return row.code;
    return row.code.substr(0, row.code.size() - 1 - alignment_prefix(row).size());
}

const DerivedLayerDef& corridor_segments_layer() {
    static const DerivedLayerDef def{"corridor_segments",
                                     {{"corridor_code", FT::text},
                                      {"segment_index", FT::integer},
                                      {"chainage_from_m", FT::real},
                                      {"chainage_to_m", FT::real},
                                      {"label", FT::text}},
                                     "MULTIPOLYGON"};
    return def;
}

const DerivedLayerDef& corridor_parcels_layer() {
    static const DerivedLayerDef def{"corridor_parcels",
                                     {{"corridor_code", FT::text},
                                      {"segment_index", FT::integer},
                                      {"chainage_from_m", FT::real},
                                      {"chainage_to_m", FT::real},
                                      {"parcel_code", FT::text},
                                      {"whole", FT::integer}},
                                     "MULTIPOLYGON"};
    return def;
}

const DerivedLayerDef& corridor_buildings_layer() {
    static const DerivedLayerDef def{"corridor_buildings",
                                     {{"corridor_code", FT::text},
                                      {"segment_index", FT::integer},
                                      {"building_code", FT::text},
                                      {"parcel_code", FT::text}},
                                     "POINT"};
    return def;
}

StoredCorridor stored_corridor(Store& store, const std::string& code) {
    auto have = store.derived_stamp(stamp_name(code));
    if (!have)
        return StoredCorridor::not_analysed;
    return have->data_version == store.data_version() ? StoredCorridor::current
                                                      : StoredCorridor::stale;
}

std::vector<CorridorReport> analyse_corridors(Store& store, const CorridorOptions& o) {
    if (o.since && *o.since >= o.as_of)
        throw_usage(
            fmt::format("--since {} is not before --as-of {}", o.since->iso(), o.as_of.iso()));
    if (!std::isfinite(o.segment_m) || o.segment_m < 1)
        throw_usage(fmt::format("--segment {} m: segments must be at least 1 m", o.segment_m));
    auto all = store.corridors();
    auto selected = select_corridors(all, o);
    // Corridors in the order of their first row; a corridor of several alignments also gets an
    // entry for its union red line (a row standing for it, after the stored rows).
    struct Group {
        std::string code;
        std::vector<size_t> members; // into selected
        size_t union_entry = SIZE_MAX;
    };
    std::vector<Group> groups;
    for (size_t i = 0; i < selected.size(); ++i) {
        auto code = corridor_of_row(selected[i]);
        auto g = std::find_if(groups.begin(), groups.end(),
                              [&](const Group& x) { return x.code == code; });
        if (g == groups.end())
            g = groups.insert(groups.end(), Group{code, {}, SIZE_MAX});
        g->members.push_back(i);
    }
    size_t stored_rows = selected.size();
    for (auto& g : groups)
        if (g.members.size() > 1) {
            CorridorRow u = selected[g.members.front()];
            u.code = g.code;
            g.union_entry = selected.size();
            selected.push_back(std::move(u));
        }
    unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());

    auto wanted = stamp(o);
    std::vector<CorridorClip> clips(selected.size());
    std::vector<std::string> how(selected.size(), "stored");
    std::vector<RedLineSource> used(selected.size());
    std::vector<std::string> matching;
    for (size_t i = 0; i < selected.size(); ++i) {
        corridor_widths(selected[i]); // a bad width is an error even when results are stored
        if (stamp_matches(store, selected[i].code, wanted, used[i]))
            matching.push_back(selected[i].code);
    }
    bool ellipsoidal = o.area == AreaBasis::ellipsoidal;
    std::unique_ptr<EllipsoidalArea> calc;
    if (ellipsoidal) {
        auto epsg = store.working_epsg();
        if (!epsg)
            throw_input(fmt::format("{} has no working CRS, so its areas cannot be measured on "
                                    "the ellipsoid",
                                    store.location()),
                        "use --area planar, or import the data with its CRS");
        calc = std::make_unique<EllipsoidalArea>(*epsg);
    }
    auto stored = read_stored(store, matching, ellipsoidal);
    std::vector<Job> jobs;
    std::vector<size_t> job_of(selected.size(), SIZE_MAX);
    for (size_t i = 0; i < selected.size(); ++i) {
        if (auto it = stored.find(selected[i].code); it != stored.end()) {
            clips[i] = std::move(it->second);
            clips[i].source = used[i];
            if (calc)
                measure_on_ellipsoid(clips[i], *calc, selected[i].code);
            continue;
        }
        job_of[i] = jobs.size();
        jobs.emplace_back().corridor = &selected[i];
    }
    for (const auto& g : groups)
        if (g.union_entry != SIZE_MAX && job_of[g.union_entry] != SIZE_MAX)
            for (size_t m : g.members)
                jobs[job_of[g.union_entry]].union_of.push_back(&selected[m]);

    // Recomputed geometry is written in one transaction as each corridor finishes; if writing
    // fails, everything is kept in memory instead and the store is left as it was.
    bool saving = !jobs.empty() && o.save && store.writable();
    std::string not_saved = !o.save             ? "saving was not asked for"
                            : !store.writable() ? "the store is read-only"
                                                : "";
    auto stop_saving = [&](const Error& e) {
        store.rollback();
        saving = false;
        not_saved = e.full_message();
    };
    if (saving) {
        try {
            store.begin_write();
        } catch (const Error& e) {
            stop_saving(e);
        }
    }
    if (saving)
        for (auto& job : jobs)
            job.save_to = &store;
    Stopwatch save_watch;
    double t_save = 0;
    try {
        run_jobs(store, jobs, o, threads, [&](Job& job) {
            save_watch.lap();
            if (saving) {
                try {
                    save_clip(store, job.corridor->code, job.rows, job.clip.source, wanted);
                } catch (const Error& e) {
                    stop_saving(e);
                }
            }
            t_save += save_watch.lap();
            if (calc)
                measure_on_ellipsoid(job.clip, *calc, job.corridor->code);
            // The figures need no geometry: free it as soon as it is written.
            job.rows = {};
            for (auto& s : job.clip.segments)
                s.wkb = {};
            for (auto& p : job.clip.parcels)
                p.wkb = {};
            for (auto& b : job.clip.buildings)
                b.wkb = {};
        });
    } catch (...) {
        if (saving)
            store.rollback();
        throw;
    }
    if (saving) {
        try {
            save_watch.lap();
            drop_removed(store, all);
            store.commit();
            t_save += save_watch.lap();
            if (o.progress)
                o.progress(fmt::format("saved the geometry of {} corridors ({:.3f} s writing)",
                                       jobs.size(), t_save));
        } catch (const Error& e) {
            stop_saving(e);
        }
    }
    for (size_t i = 0; i < selected.size(); ++i)
        if (job_of[i] != SIZE_MAX) {
            clips[i] = std::move(jobs[job_of[i]].clip);
            how[i] = saving ? "saved" : "in memory: " + not_saved;
        }

    std::unordered_map<std::string, ParcelDates> parcel_dates;
    std::unordered_map<std::string, BuildingFacts> building_facts;
    for (auto& job : jobs) {
        for (auto& [code, d] : job.facts.parcels)
            parcel_dates.insert_or_assign(std::move(code), d);
        for (auto& [code, f] : job.facts.buildings)
            building_facts.insert_or_assign(std::move(code), f);
        job.facts = {};
    }
    read_facts(store, clips, parcel_dates, building_facts);

    std::vector<CorridorReport> rows;
    for (size_t i = 0; i < stored_rows; ++i) {
        rows.push_back(make_report(selected[i], clips[i], parcel_dates, building_facts, o));
        rows.back().geometry = how[i];
    }
    std::vector<CorridorReport> reports;
    for (const auto& g : groups) {
        if (g.members.size() == 1 && !is_alignment_row(selected[g.members.front()])) {
            reports.push_back(std::move(rows[g.members.front()]));
            continue;
        }
        std::vector<CorridorReport> members;
        for (size_t m : g.members)
            members.push_back(std::move(rows[m]));
        std::sort(members.begin(), members.end(),
                  [](const auto& a, const auto& b) { return a.alignment < b.alignment; });
        const CorridorClip* u = g.union_entry == SIZE_MAX ? nullptr : &clips[g.union_entry];
        reports.push_back(group_report(
            g.code, std::move(members), u, u ? how[g.union_entry] : std::string(), g.code,
            u ? union_figures(*u, parcel_dates, building_facts, o) : StatusFigures{}));
    }
    return reports;
}

} // namespace landclear
