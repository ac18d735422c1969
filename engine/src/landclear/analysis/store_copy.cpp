#include "landclear/analysis/store_copy.hpp"

#include "landclear/analysis/corridor.hpp"
#include "landclear/analysis/ellipsoidal_cache.hpp"
#include "landclear/analysis/issue_list.hpp"
#include "landclear/analysis/plan.hpp"
#include "landclear/core/error.hpp"
#include "landclear/store/store.hpp"

#include <fmt/format.h>
#include <map>
#include <unordered_map>

namespace landclear {

namespace {

// What a feature holds, to tell whether it changed between two dates.
std::string digest(const FeatureRow& r) {
    std::string d;
    for (const auto& v : r.values) {
        d += std::to_string(v.index());
        d += ':';
        d += value_text(v);
        d += '\x1f';
    }
    d += fmt::format("{}", r.measure);
    d += '\x1f';
    d.append(r.wkb.begin(), r.wkb.end());
    return d;
}

using Held = std::unordered_map<std::string, std::string>; // code -> digest, as DST holds it

// Brings DST's layer to SRC's layer as SRC reads it now (its known-on date set by the caller):
// new features inserted, changed ones superseded and inserted, missing ones superseded, in
// SRC's order, so the features read back in the same order.
std::int64_t write_layer(Store& src, Store& dst, LayerKind kind, Held& held,
                         const std::string& src_name, const std::string& mode) {
    const auto& def = layer_def(kind);
    auto key = static_cast<size_t>(field_index(def, def.key));
    std::vector<FeatureRow> rows;
    src.for_each_feature(kind, {}, [&](const FeatureRow& r) { rows.push_back(r); });
    Held next;
    next.reserve(rows.size());
    bool recorded = false;
    std::int64_t written = 0;
    auto record = [&] {
        if (!recorded)
            dst.record_import({std::string(def.name), fmt::format("landclear copy of {}", src_name),
                               mode, "", 0, 0, 0});
        recorded = true;
    };
    for (const auto& r : rows) {
        auto code = value_text(r.values[key]);
        auto d = digest(r);
        auto it = held.find(code);
        if (it == held.end() || it->second != d) {
            record();
            if (it != held.end())
                dst.supersede(kind, code);
            Record rec;
            rec.values = r.values;
            rec.wkb = r.wkb;
            rec.measure = r.measure;
            dst.insert(kind, rec);
            ++written;
        }
        next.emplace(std::move(code), std::move(d));
    }
    for (const auto& [code, d] : held)
        if (!next.count(code)) {
            record();
            dst.supersede(kind, code);
        }
    if (recorded)
        dst.finish_layer(kind);
    held = std::move(next);
    return written;
}

void write_layers(Store& src, Store& dst, std::map<LayerKind, Held>& held,
                  const std::string& src_name, const std::string& mode) {
    for (const auto& def : all_layers())
        write_layer(src, dst, def.kind, held[def.kind], src_name, mode);
}

} // namespace

CopySummary copy_store(const std::string& src_location, const std::string& dst_location,
                       const std::function<void(const std::string&)>& progress) {
    auto say = [&](const std::string& m) {
        if (progress)
            progress(m);
    };
    auto src = open_store(src_location, StoreMode::read);
    if (store_exists(dst_location))
        throw_usage(fmt::format("{} exists already: copy makes a new store", dst_location),
                    "pass a location where no store is, or remove that store first");
    auto epsg = src->working_epsg();
    if (!epsg)
        throw_input(
            fmt::format("{} has no working CRS: it holds no layer to copy", src->location()));
    auto src_name = src->location();
    CopySummary summary;
    summary.working_epsg = *epsg;

    // Read before any known-on date is set: all batches, all changes (by batch, as recorded).
    auto batches = src->batches();
    std::map<std::int64_t, std::vector<ChangeEvent>> changes;
    src->for_each_change({}, [&](const ChangeEvent& c) { changes[c.batch_id].push_back(c); });
    auto findings = src->findings();
    auto corridors = src->corridors();

    auto dst = open_store(dst_location, StoreMode::write);
    std::map<LayerKind, Held> held;
    // What was there before any batch (a store older than history): known on every date.
    dst->begin_write();
    dst->set_working_epsg(*epsg);
    src->set_known_on(batches.empty() ? std::nullopt : std::optional<Date>(Date(1900, 1, 1)));
    write_layers(*src, *dst, held, src_name, "replace");

    for (size_t i = 0; i < batches.size(); ++i) {
        const auto& b = batches[i];
        auto id = dst->begin_batch(b);
        // The layers change with the last batch of a date: known-on reads go by date.
        bool last_of_date = i + 1 == batches.size() || batches[i + 1].reported_on != b.reported_on;
        if (last_of_date) {
            src->set_known_on(i + 1 == batches.size() ? std::nullopt
                                                      : std::optional<Date>(b.reported_on));
            write_layers(*src, *dst, held, src_name, b.mode);
        }
        auto it = changes.find(b.id);
        if (it != changes.end()) {
            // for_each_change gives them newest batch first but, within a batch, as recorded.
            for (auto c : it->second) {
                c.batch_id = id;
                dst->add_change(c);
                ++summary.changes;
            }
        }
        dst->finish_batch(b);
        ++summary.batches;
        say(fmt::format("batch {} ({}, {})", b.id, b.reported_on.iso(), b.mode));
    }
    src->set_known_on(std::nullopt);
    for (const auto& [kind, h] : held)
        summary.features += static_cast<std::int64_t>(h.size());

    // Findings; derived layers and the stamps that are current (a stale one would name a data
    // version DST never had: left out, so the result is computed again when asked for).
    for (const auto& f : findings) {
        dst->add_finding(f);
        ++summary.findings;
    }
    // The office's own tables (plans with every revision, the issue list with its events) are
    // kept as derived tables but are data, never computed again: in the data's transaction.
    for (const auto* def :
         {&plan_revisions_layer(), &plan_targets_layer(), &issues_layer(), &issue_events_layer()}) {
        if (!src->has_derived(def->name))
            continue;
        std::vector<FeatureRow> rows;
        src->for_each_derived(*def, "", "", [&](const FeatureRow& r) { rows.push_back(r); });
        dst->replace_derived(*def, "", "", rows);
        summary.derived_rows += static_cast<std::int64_t>(rows.size());
    }
    dst->commit();
    // Then the derived results, stamped with the version that commit gave DST (a second write:
    // should it fail, DST holds all the data and computes them again when asked).
    dst->begin_write();
    auto version = src->data_version();
    std::vector<std::string> stamp_names{parcel_ellipsoidal_area_layer().name};
    for (const auto& c : corridors)
        stamp_names.push_back("corridor:" + c.code);
    for (const auto* def : {&corridor_segments_layer(), &corridor_parcels_layer(),
                            &corridor_buildings_layer(), &parcel_ellipsoidal_area_layer()}) {
        if (!src->has_derived(def->name))
            continue;
        std::vector<FeatureRow> rows;
        src->for_each_derived(*def, "", "", [&](const FeatureRow& r) { rows.push_back(r); });
        dst->replace_derived(*def, "", "", rows);
        summary.derived_rows += static_cast<std::int64_t>(rows.size());
    }
    for (const auto& name : stamp_names)
        if (auto st = src->derived_stamp(name); st && st->data_version == version) {
            dst->set_derived_stamp(name, st->params);
            ++summary.stamps;
        }
    dst->commit();
    return summary;
}

} // namespace landclear
