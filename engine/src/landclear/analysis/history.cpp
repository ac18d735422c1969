#include "landclear/analysis/history.hpp"

#include "landclear/analysis/corridor.hpp"
#include "landclear/core/error.hpp"

#include <fmt/format.h>

namespace landclear {

HistoryReport compute_history(Store& store, const HistoryOptions& o) {
    if (o.since && o.until && *o.until < *o.since)
        throw_usage(fmt::format("--until {} is before --since {}", o.until->iso(), o.since->iso()));
    HistoryReport r;
    r.batches = store.batches();
    ChangeFilter f;
    f.since = o.since;
    f.until = o.until;
    if (o.layer && !o.code.empty()) {
        f.layer = o.layer;
        f.codes = {o.code};
    } else if (!o.project.empty()) {
        f.project_codes = {o.project};
    } else if (!o.corridor.empty()) {
        auto corridors = store.corridors();
        auto it = std::find_if(corridors.begin(), corridors.end(), [&](const CorridorRow& c) {
            // A corridor of several alignments by its code (G320-1~ZK is one of G320-1's rows).
            return c.code == o.corridor || corridor_of_row(c) == o.corridor;
        });
        std::string project;
        if (it != corridors.end()) {
            project = it->project_code;
        } else {
            // A corridor removed since: its own events still name its project.
            ChangeFilter mine;
            mine.layer = LayerKind::corridors;
            mine.codes = {o.corridor};
            bool found = false;
            store.for_each_change(mine, [&](const ChangeEvent& c) {
                found = true;
                if (project.empty())
                    project = c.project_code;
            });
            if (!found)
                throw_usage(fmt::format("{} has no corridor {}", store.display_name(), o.corridor),
                            "list the corridors with: landclear corridor STORE");
        }
        if (project.empty()) {
            f.layer = LayerKind::corridors;
            f.codes = {o.corridor};
        } else {
            f.project_codes = {project};
        }
    }
    store.for_each_change(f, [&](const ChangeEvent& c) {
        // The first load of a layer is one event for the whole layer: it belongs to no one
        // feature, so a feature's history starts with the batch its row came from.
        if (c.kind == ChangeKind::loaded && !(f.codes.empty() && f.project_codes.empty()))
            return;
        r.changes.push_back(c);
    });
    return r;
}

} // namespace landclear
