#include "landclear/analysis/import.hpp"

#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/detail/import_convert.hpp"
#include "landclear/analysis/detail/import_history.hpp"
#include "landclear/analysis/detail/import_pipeline.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/geom/centreline.hpp"
#include "landclear/geom/chainage.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/geom/simple_ring.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/io/digest.hpp"
#include "landclear/io/gdal_error.hpp"
#include "landclear/io/mapping.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <fmt/format.h>
#include <future>
#include <map>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace landclear {

using import_detail::ConversionPool;
using import_detail::FeatureConverter;
using import_detail::LayerInserter;

namespace {

constexpr size_t max_listed_problems = 20;

// The codes of a layer seen so far and the feature that first gave each: one open-addressing
// table of (hash, place in one text buffer, fid) instead of a node per code, since at a million
// features the node map's cache misses were a twentieth of the import.
class CodeIndex {
public:
    explicit CodeIndex(std::int64_t expected) {
        size_t n = 16;
        while (n < static_cast<size_t>(std::max<std::int64_t>(expected, 0)) * 2)
            n *= 2;
        m_slots.resize(n);
    }
    // Adds code with fid unless present; returns the fid that first gave it and whether it
    // was new.
    std::pair<std::int64_t, bool> emplace(std::string_view code, std::int64_t fid) {
        if ((m_used + 1) * 2 > m_slots.size())
            grow();
        std::uint64_t h = hash(code);
        for (size_t i = h & (m_slots.size() - 1);; i = (i + 1) & (m_slots.size() - 1)) {
            auto& slot = m_slots[i];
            if (!slot.used) {
                slot = {h, m_text.size(), code.size(), fid, true};
                m_text.append(code);
                ++m_used;
                return {fid, true};
            }
            if (slot.hash == h && text(slot) == code)
                return {slot.fid, false};
        }
    }

    // Asks the CPU for code's first slot, to be looked up soon.
    void prefetch(std::string_view code) const {
        __builtin_prefetch(&m_slots[hash(code) & (m_slots.size() - 1)]);
    }

private:
    struct Slot {
        std::uint64_t hash = 0;
        size_t offset = 0, size = 0;
        std::int64_t fid = 0;
        bool used = false;
    };
    static std::uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
    std::string_view text(const Slot& s) const {
        return std::string_view(m_text).substr(s.offset, s.size);
    }
    void grow() {
        std::vector<Slot> old(m_slots.size() * 2);
        old.swap(m_slots);
        for (const auto& s : old)
            if (s.used)
                for (size_t i = s.hash & (m_slots.size() - 1);; i = (i + 1) & (m_slots.size() - 1))
                    if (!m_slots[i].used) {
                        m_slots[i] = s;
                        break;
                    }
    }
    std::vector<Slot> m_slots;
    std::string m_text;
    size_t m_used = 0;
};

struct OpenedSource {
    LayerKind kind;
    std::unique_ptr<Source> source;
    std::vector<BoundField> bound;
    std::unique_ptr<OGRSpatialReference> srs;
    std::int64_t feature_count = -1;
};

// Parcels and buildings of thousands of features, in the working CRS already, are converted
// on worker threads (ConversionPool). Corridors stay on one thread (their alignments and arms
// are numbered as they come, and they are few); a source that needs transforming too, so that
// GDAL's and PROJ's messages name their first feature exactly as before.
bool parallel_conversion(const OpenedSource& s, const OGRCoordinateTransformation* transform) {
    return (s.kind == LayerKind::parcels || s.kind == LayerKind::buildings) && !transform &&
           s.feature_count >= 4096 && std::thread::hardware_concurrency() > 1;
}

std::string describe_feature(const Source& src, std::int64_t fid, const std::string& code) {
    return code.empty() ? fmt::format("feature {}", fid)
                        : fmt::format("feature {} ({})", fid, code);
}

// Longitude of the centre of all sources' extents, for choosing the Gauss-Krüger zone.
double centre_longitude(const std::vector<OpenedSource>& sources) {
    auto wgs = srs_from_epsg(4490);
    double min_lon = 1e9, max_lon = -1e9;
    for (const auto& s : sources) {
        OGREnvelope env;
        if (!s.srs)
            continue;
        if (s.source->layer().GetExtent(&env, TRUE) != OGRERR_NONE)
            continue;
        auto ct = make_transform(*s.srs, *wgs);
        double xs[] = {env.MinX, env.MaxX, env.MinX, env.MaxX};
        double ys[] = {env.MinY, env.MinY, env.MaxY, env.MaxY};
        GdalErrorCapture proj;
        if (ct && !ct->Transform(4, xs, ys)) {
            auto why = proj.errors();
            throw_input(fmt::format("{}: its extent cannot be converted to longitude/latitude{}",
                                    s.source->display(), why.empty() ? "" : " (" + why + ")"),
                        "check its CRS, or pass --s-crs / --crs");
        }
        for (double x : xs) {
            min_lon = std::min(min_lon, x);
            max_lon = std::max(max_lon, x);
        }
    }
    if (min_lon > max_lon)
        throw_input("cannot find where the data lies (no extent)", "pass --crs EPSG:n");
    return (min_lon + max_lon) / 2;
}

} // namespace

// Opens one source and checks it against the input contract (fields, CRS, features) before
// the store is touched.
OpenedSource open_source(LayerKind kind, const SourceSpec& spec, const Mapping& mapping,
                         const ImportOptions& options) {
    const auto& def = layer_def(kind);
    OpenedSource s;
    s.kind = kind;
    try {
        SourceOptions so;
        so.encoding = options.encoding;
        so.default_layer = std::string(def.name);
        s.source = std::make_unique<Source>(spec, so);
        auto& layer = s.source->layer();
        // An empty layer has no fields either: say it is empty, not that fields are missing.
        s.feature_count = layer.GetFeatureCount(TRUE);
        if (s.feature_count == 0)
            throw_input(fmt::format("{} has no features", s.source->display()),
                        "check the file and the layer name");
        s.bound = bind_fields(mapping, def, *layer.GetLayerDefn(), s.source->display());
        if (options.source_epsg) {
            s.srs = srs_from_epsg(*options.source_epsg);
        } else if (auto srs = declared_srs(layer.GetSpatialRef())) {
            s.srs = std::move(srs);
        } else if (layer.GetGeomType() == wkbNone && !def.geometry_required) {
            // An attribute-only table (projects without red lines) needs no CRS.
        } else if (!s.source->crs_problem().empty()) {
            throw_input(fmt::format("{}: {}", s.source->display(), s.source->crs_problem()),
                        "replace the .prj with the one the data was made with, or pass the "
                        "source CRS with --s-crs EPSG:n (e.g. EPSG:4547)");
        } else {
            const OGRSpatialReference* declared = layer.GetSpatialRef();
            throw_input(
                fmt::format("{} declares no coordinate reference system{} (no CRS)",
                            s.source->display(),
                            declared && declared->GetName()
                                ? fmt::format(": its '{}' is a placeholder that says nothing "
                                              "about where the coordinates lie",
                                              declared->GetName())
                                : ""),
                "pass the source CRS with --s-crs EPSG:n (e.g. EPSG:4547 for "
                "CGCS2000 GK zone 38, EPSG:4490 for CGCS2000 lon/lat)");
        }
    } catch (Error& e) {
        e.add_context(fmt::format("--{}", def.name));
        throw;
    }
    return s;
}

namespace {

// Corridors: a corridor given by several features (one per alignment), or a forked centreline
// imported as alignments, is stored one row per alignment keyed corridor_row_code
// ("G320-1~ZK"). Rekeys the record and returns the further arms of a fork (BK, CK, ...; the
// record is the longest arm, AK).
std::vector<Record> alignment_rows(Record& record, std::vector<std::pair<Wkb, double>> arms,
                                   const std::unordered_map<std::string, int>& features_of_code,
                                   const std::unordered_set<std::string>& stored_alignments,
                                   int key, int alignment_field) {
    auto code = value_text(record.values[static_cast<size_t>(key)]);
    if (code.find(alignment_separator) != std::string::npos)
        throw_input(fmt::format("corridor code '{}' holds '{}', which the store uses to join a "
                                "corridor code and an alignment",
                                code, alignment_separator),
                    "give the corridor a code without '~' (the alignment goes in the alignment "
                    "field)");
    if (arms.size() > 26)
        throw_input(fmt::format("the centreline forks into {} arms, more than the 26 alignments "
                                "AK to ZK",
                                arms.size()),
                    "split the junction into several corridors");
    auto& alignment = record.values[static_cast<size_t>(alignment_field)];
    std::vector<Record> out;
    for (size_t a = 1; a < arms.size(); ++a) {
        Record arm = record;
        std::string name = fmt::format("{}K", static_cast<char>('A' + a));
        arm.values[static_cast<size_t>(alignment_field)] = name;
        arm.values[static_cast<size_t>(key)] = corridor_row_code(code, name);
        arm.wkb = std::move(arms[a].first);
        arm.measure = arms[a].second;
        out.push_back(std::move(arm));
    }
    if (!arms.empty())
        alignment = std::string("AK");
    auto row_code = corridor_row_code(code, value_text(alignment));
    auto n = features_of_code.find(code);
    if (!arms.empty() || (n != features_of_code.end() && n->second > 1) ||
        stored_alignments.count(row_code))
        record.values[static_cast<size_t>(key)] = row_code;
    return out;
}

[[noreturn]] void refuse_alignment_twice(const Record& record, const std::string& code, int key,
                                         std::int64_t first_fid) {
    auto row = value_text(record.values[static_cast<size_t>(key)]);
    throw_input(fmt::format("corridor {} has alignment {} twice: in feature {} and feature {}",
                            code, row.substr(code.size() + 1), first_fid, record.source_fid),
                "a corridor of several alignments has one feature per alignment, each with its "
                "own prefix in the alignment field (ZK, YK, AK ...)");
}

} // namespace

// Reads one opened source into the store's layer, within the import's transaction: every
// feature converted and checked, written only while no feature failed; any problem throws and
// the caller's transaction is rolled back. Longer than our usual limit on purpose: the feature
// loop shares the converter, the set of codes seen, the collapsed problem list, the GDAL error
// capture and the writer thread's inserter, which would otherwise all be passed around.
LayerImportSummary import_layer(Store& store, OpenedSource& s, const OGRSpatialReference& working,
                                const ImportOptions& options, const Geos& geos,
                                ImportSummary& summary) {
    const auto& def = layer_def(s.kind);
    auto& src = *s.source;
    LayerImportSummary ls;
    ls.layer = std::string(def.name);
    ls.source = src.display();
    ls.detected_encoding = src.detected_encoding();
    ls.source_crs = s.srs ? describe_srs(*s.srs) : "no geometry";
    for (size_t i = 0; i < def.fields.size(); ++i)
        if (s.bound[i].source_index < 0 && s.bound[i].status_index < 0 &&
            !s.bound[i].rule->constant)
            ls.absent_fields.emplace_back(def.fields[i].name);

    auto transform = s.srs ? make_transform(*s.srs, working) : nullptr;
    FeatureConverter converter(src, def, s.bound, transform.get(), options.invalid, geos,
                               coordinate_bounds(working), options.fork_as_alignments);
    // Corridors: codes given by several features (one per alignment) are stored one row per
    // alignment, keyed corridor_row_code ("G320-1~ZK"); found by a first pass over the layer,
    // which is small. Features that fail here fail again, with their message, below.
    // With --update or --append, an alignment of a corridor the store keeps as several stays
    // one of them.
    std::unordered_map<std::string, int> features_of_code;
    std::unordered_set<std::string> stored_alignments;
    int alignment_field = field_index(def, "alignment");
    if (s.kind == LayerKind::corridors) {
        GdalErrorCapture quiet;
        Record r;
        int key_field = field_index(def, def.key);
        for (auto& feature : src.layer()) {
            try {
                converter.convert(*feature, r);
                ++features_of_code[value_text(r.values[static_cast<size_t>(key_field)])];
            } catch (const Error&) {
            }
        }
        src.layer().ResetReading();
        if (options.update || options.append)
            for (const auto& c : store.corridors())
                if (is_alignment_row(c))
                    stored_alignments.insert(c.code);
    }
    // Compared with what the layer holds as it is written (import_history.cpp): a replace
    // removes what the source lacks, an update or append keeps it.
    const char* mode = options.append ? "append" : options.update ? "update" : "replace";
    LayerHistory history(store, s.kind,
                         options.append || options.update ? HistoryMode::update
                                                          : HistoryMode::replace);
    if (!options.append && !options.update) {
        if (history.initial())
            store.clear_layer(s.kind);
        store.clear_findings("import", def.name);
    }
    auto import_id = store.record_import({ls.layer, ls.source, mode, ls.source_crs, 0, 0, 0});

    CodeIndex seen(s.feature_count);
    // Problems with the same message (a PROJ failure hits every feature alike) collapse
    // into one line naming the first feature and counting the rest.
    struct Problem {
        std::string message, first_feature;
        std::int64_t count = 1;
    };
    std::vector<Problem> problems;
    std::int64_t problem_count = 0;
    std::string first_hint;
    GdalErrorCapture reading;
    Record record;
    int key = field_index(def, def.key);
    auto& layer = src.layer();
    layer.ResetReading();
    // In --append mode the codes are looked up in the store as features are read: one thread.
    LayerInserter inserter(store, s.kind, !options.append,
                           [&history](const Record& r) { history.write(r); });
    std::int64_t step = std::max<std::int64_t>(50000, s.feature_count / 10);
    auto count_read = [&](std::int64_t fid) {
        ++ls.read;
        if (options.progress && ls.read % step == 0)
            options.progress(
                fmt::format("{}: {} of {} features read", ls.source, ls.read, s.feature_count));
        reading.set_context(describe_feature(src, fid, ""));
    };
    // One feature, in the layer's order: convert(record) fills the record (here, or hands over
    // what a conversion worker made) and says whether it was repaired; the checks that need the
    // features before it (codes seen, the problem list) and the write happen here.
    auto process = [&](std::int64_t fid, auto&& convert) {
        std::string code;
        try {
            auto repaired = convert(record);
            code = value_text(record.values[key]);
            std::vector<Record> arms; // a forked centreline's further arms
            if (s.kind == LayerKind::corridors)
                arms = alignment_rows(record, converter.take_arms(), features_of_code,
                                      stored_alignments, key, alignment_field);
            auto row_code = value_text(record.values[key]);
            auto [first_fid, fresh] = seen.emplace(row_code, record.source_fid);
            if (!fresh && row_code != code)
                refuse_alignment_twice(record, code, key, first_fid);
            if (!fresh)
                throw_input(fmt::format("{} {} is used twice: by feature {} and feature {}",
                                        def.key, code, first_fid, record.source_fid),
                            fmt::format("every {} must be unique", def.key));
            if (options.append)
                if (auto other = store.describe_code(s.kind, code))
                    throw_input(fmt::format("{} {} is already used by {}", def.key, code, *other),
                                "without --append the layer is replaced instead");
            bool line = def.geom == GeomKind::line; // a centreline's parts snapped together
            if (repaired) {
                ++ls.repaired;
                Finding f{"import",
                          line ? "centreline_parts_joined" : "invalid_geometry_repaired",
                          ls.layer,
                          code,
                          ls.source,
                          record.source_fid,
                          line ? fmt::format("{}; length {:.3f} m", *repaired, record.measure)
                               : fmt::format("invalid polygon ({}) repaired with GEOS MakeValid; "
                                             "area after repair {:.2f} m²",
                                             *repaired, record.measure),
                          record.measure,
                          record.wkb};
                inserter.add_finding(f);
                summary.findings.push_back(std::move(f));
            }
            ls.measure_total += record.measure;
            if (problem_count == 0)
                inserter.insert(std::move(record));
            ++ls.written;
            for (auto& arm : arms) {
                auto [arm_first, first] = seen.emplace(value_text(arm.values[key]), arm.source_fid);
                if (!first)
                    refuse_alignment_twice(arm, code, key, arm_first);
                if (options.append)
                    if (auto other = store.describe_code(s.kind, value_text(arm.values[key])))
                        throw_input(fmt::format("{} {} is already used by {}", def.key,
                                                value_text(arm.values[key]), *other),
                                    "without --append the layer is replaced instead");
                ls.measure_total += arm.measure;
                if (problem_count == 0)
                    inserter.insert(std::move(arm));
                ++ls.written;
            }
        } catch (Error& e) {
            if (e.kind() != ErrorKind::input)
                throw;
            if (code.empty() && !record.values.empty())
                code = value_text(record.values[key]);
            if (first_hint.empty())
                first_hint = e.hint();
            ++problem_count;
            auto message = e.full_message();
            auto same = std::find_if(problems.begin(), problems.end(),
                                     [&](const Problem& p) { return p.message == message; });
            if (same != problems.end())
                ++same->count;
            else if (problems.size() < max_listed_problems)
                problems.push_back({message, describe_feature(src, fid, code), 1});
        }
    };
    std::string worker_errors;
    if (parallel_conversion(s, transform.get())) {
        // Worked out here, once: an OGRSpatialReference is not safe to use from two threads
        // (GetAreaOfUse keeps its answer inside the object; ASan caught two workers racing on it).
        const auto bounds = coordinate_bounds(working);
        ConversionPool pool(
            [&](const Geos& own) {
                return std::make_unique<FeatureConverter>(src, def, s.bound, nullptr,
                                                          options.invalid, own, bounds,
                                                          options.fork_as_alignments);
            },
            [&store](Record& r) { store.encode_geometry(r); });
        auto take = [&](std::vector<ConversionPool::Converted>& batch) {
            // The codes' places in the table are fetched ahead: at a million codes nearly every
            // lookup is a cache miss.
            for (const auto& c : batch)
                if (!c.error && key < static_cast<int>(c.record.values.size()))
                    if (const auto* code = std::get_if<std::string>(&c.record.values[key]))
                        seen.prefetch(*code);
            for (auto& c : batch)
                process(c.fid, [&](Record& r) {
                    r = std::move(c.record);
                    if (c.error)
                        std::rethrow_exception(c.error);
                    return std::move(c.repaired);
                });
        };
        while (OGRFeatureUniquePtr feature{layer.GetNextFeature()}) {
            count_read(feature->GetFID());
            pool.add(std::move(feature));
            pool.drain(false, take);
        }
        pool.drain(true, take);
        worker_errors = pool.finish();
    } else {
        for (auto& feature : layer) {
            count_read(feature->GetFID());
            process(feature->GetFID(), [&](Record& r) { return converter.convert(*feature, r); });
        }
    }
    inserter.finish();
    if (problem_count > 0) {
        std::string listed;
        std::int64_t shown = 0;
        for (const auto& p : problems) {
            listed += p.count == 1 ? fmt::format("\n  {}: {}", p.first_feature, p.message)
                                   : fmt::format("\n  {} and {} more: {}", p.first_feature,
                                                 p.count - 1, p.message);
            shown += p.count;
        }
        if (problem_count > shown)
            listed += fmt::format("\n  ... and {} more", problem_count - shown);
        auto said = reading.errors();
        if (!worker_errors.empty())
            said += (said.empty() ? "" : "; ") + worker_errors;
        if (!said.empty())
            listed += "\n  GDAL said: " + said;
        throw Error(ErrorKind::input,
                    fmt::format("{} ({}): {} feature{} cannot be imported; nothing was "
                                "written{}",
                                ls.source, def.name, problem_count, problem_count > 1 ? "s" : "",
                                listed),
                    first_hint);
    }
    // A read error ends GDAL's feature loop early without any one feature failing, so a
    // truncated or damaged file would replace the layer with its first part. Any failure
    // GDAL raised while reading, or fewer features than the source declares, fails it whole.
    auto said = reading.errors();
    if (!worker_errors.empty())
        said += (said.empty() ? "" : "; ") + worker_errors;
    if (!said.empty() || (s.feature_count >= 0 && ls.read != s.feature_count))
        throw Error(ErrorKind::input,
                    fmt::format("{} ({}): the source cannot be read to its end ({} of {} "
                                "features read); nothing was written{}",
                                ls.source, def.name, ls.read, s.feature_count,
                                said.empty() ? std::string() : "\n  GDAL said: " + said),
                    "the file is damaged or truncated: copy or export it again from where "
                    "it was made");
    history.finish();
    ls.added = history.added();
    ls.removed = history.removed();
    ls.changed = history.changed();
    store.update_import(
        import_id, {ls.layer, ls.source, mode, ls.source_crs, ls.read, ls.written, ls.repaired});
    store.finish_layer(s.kind);
    if (options.progress)
        options.progress(fmt::format("{}: {} features written", ls.source, ls.written));
    return ls;
}

ImportSummary import_layers(const ImportOptions& options) {
    if (options.sources.empty())
        throw_usage("nothing to import",
                    "give at least one of --parcels, --buildings, --corridors, --projects");
    // The sources' checksums for the batch record, taken on a thread of their own while the
    // sources and the store are opened: once per file (the four layers of one GeoPackage are
    // one file, read once, not four times). A failure is rethrown where the digests are used.
    auto digests = std::async(std::launch::async, [&options] {
        std::map<std::string, std::string> by_path;
        for (const auto& [kind, spec] : options.sources)
            if (!by_path.count(spec.path))
                by_path.emplace(spec.path, sha256_file(spec.path));
        return by_path;
    });
    auto mapping = load_mapping(options.mapping);

    // Open and check every source before the store is touched.
    std::vector<OpenedSource> sources;
    for (const auto& [kind, spec] : options.sources)
        sources.push_back(open_source(kind, spec, mapping, options));
    std::stable_sort(sources.begin(), sources.end(),
                     [](const auto& a, const auto& b) { return a.kind < b.kind; });
    for (size_t i = 1; i < sources.size(); ++i)
        if (sources[i].kind == sources[i - 1].kind)
            throw_usage(fmt::format("--{} given twice", layer_def(sources[i].kind).name));

    auto store = open_store(options.store, StoreMode::write);
    ImportSummary summary;
    summary.store = options.store;
    summary.created = store->is_new();

    int epsg = 0;
    if (auto existing = store->working_epsg()) {
        if (options.working_epsg && *options.working_epsg != *existing)
            throw_usage(fmt::format("the store's working CRS is EPSG:{}; it cannot change to "
                                    "EPSG:{}",
                                    *existing, *options.working_epsg),
                        "import into a new store to work in another CRS");
        epsg = *existing;
    } else {
        epsg = options.working_epsg ? *options.working_epsg
                                    : cgcs2000_gk3_epsg(centre_longitude(sources));
    }
    require_metric_projected(epsg);
    auto working = srs_from_epsg(epsg);
    summary.working_epsg = epsg;
    summary.working_crs = describe_srs(*working);

    if (options.append && options.update)
        throw_usage(
            "--append and --update cannot be combined",
            "--update replaces the features it holds; --append refuses codes the store has");
    BatchInfo batch;
    batch.reported_on = options.reported.value_or(Date::today());
    batch.mode = options.append ? "append" : options.update ? "update" : "replace";

    store->begin_write();
    if (store->is_new())
        store->set_working_epsg(epsg);
    auto digest_of = digests.get();
    for (const auto& [kind, spec] : options.sources)
        batch.files.push_back(
            {std::string(layer_def(kind).name), spec.display(), digest_of.at(spec.path)});
    summary.batch_id = store->begin_batch(batch);
    summary.reported_on = batch.reported_on;

    Geos geos;
    for (auto& s : sources) {
        summary.layers.push_back(import_layer(*store, s, *working, options, geos, summary));
        batch.added += summary.layers.back().added;
        batch.removed += summary.layers.back().removed;
        batch.changed += summary.layers.back().changed;
    }
    store->finish_batch(batch);
    store->commit(); // the store moves data_version() on, as the layers changed
    return summary;
}

} // namespace landclear
