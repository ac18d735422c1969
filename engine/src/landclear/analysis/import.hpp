#pragma once
// Import: source layers -> the store, all-or-nothing, reprojected into the store's working CRS,
// with planar areas and repaired (or rejected) invalid polygons reported as findings.
#include "landclear/core/schema.hpp"
#include "landclear/io/source.hpp"
#include "landclear/store/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace landclear {

enum class InvalidPolicy { repair, reject };

using ProgressFn = std::function<void(const std::string&)>;

struct ImportOptions {
    std::string store;
    std::vector<std::pair<LayerKind, SourceSpec>> sources;
    std::string mapping;             // preset name or JSON file; "" = default
    std::string encoding;            // of the sources' text, "" = as declared / UTF-8
    std::optional<int> source_epsg;  // --s-crs: the sources' CRS, overriding what they declare
    std::optional<int> working_epsg; // --crs: the working CRS of a new store
    bool append = false;
    bool update = false;          // the sources hold changed or new features only
    std::optional<Date> reported; // the date the data describes (--reported); default today
    InvalidPolicy invalid = InvalidPolicy::repair;
    // --fork-as-alignments: a corridor centreline whose parts branch (a Y or T junction) is
    // imported as several alignments of that corridor (AK, BK, ... longest first) instead of
    // being refused (docs/CORRIDOR.md#twin-alignments).
    bool fork_as_alignments = false;
    ProgressFn progress;
};

struct LayerImportSummary {
    std::string layer, source, source_crs;
    std::int64_t read = 0, written = 0, repaired = 0;
    std::int64_t added = 0, removed = 0, changed = 0; // against what the store held
    double measure_total = 0;                         // m² for polygon layers, m for corridors
    std::vector<std::string> absent_fields;           // optional contract fields the source lacks
    std::string detected_encoding; // "GBK (detected, confidence 0.97)" when not declared
};

struct ImportSummary {
    std::string store;
    bool created = false;
    int working_epsg = 0;
    std::string working_crs;
    std::vector<LayerImportSummary> layers;
    std::vector<Finding> findings;
    std::int64_t batch_id = 0; // the store's history (store.hpp: BatchInfo)
    Date reported_on = Date::today();
};

ImportSummary import_layers(const ImportOptions& options);

} // namespace landclear
