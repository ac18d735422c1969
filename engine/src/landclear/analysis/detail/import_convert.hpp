#pragma once
// The import's conversion of one OGR feature into a store record (analysis/import_convert.cpp):
// used by the import loop (analysis/import.cpp) and by the conversion workers
// (detail/import_pipeline.hpp), one converter per thread.
#include "landclear/analysis/import.hpp"
#include "landclear/geom/centreline.hpp"
#include "landclear/geom/geos.hpp"
#include "landclear/io/crs.hpp"
#include "landclear/io/mapping.hpp"

#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace landclear::import_detail {

// Turns one OGR feature into a store record, or throws an Error describing the feature's
// problem (the caller adds which feature).
class FeatureConverter {
public:
    FeatureConverter(const Source& source, const LayerDef& def, std::vector<BoundField> bound,
                     OGRCoordinateTransformation* transform, InvalidPolicy policy, const Geos& geos,
                     CoordinateBounds bounds, bool fork_as_alignments = false)
        : m_source(source), m_def(def), m_bound(std::move(bound)), m_transform(transform),
          m_policy(policy), m_geos(geos), m_bounds(std::move(bounds)),
          m_fork_as_alignments(fork_as_alignments) {}

    // After convert(): a forked centreline's arms (--fork-as-alignments), longest first, as
    // WKB and length; the record holds the first. Empty for every other feature.
    std::vector<std::pair<Wkb, double>> take_arms() { return std::move(m_arms); }

    // Fills record; returns a repair note if the geometry was repaired.
    // The key is the first field of every layer, so it is known when a later field fails.
    std::optional<std::string> convert(OGRFeature& feature, Record& record);

private:
    std::optional<std::string> raw_text(OGRFeature& f, int index);
    Value value(OGRFeature& f, const FieldDef& def, const BoundField& b);
    Value typed_from_text(const FieldDef& def, const std::string& s);
    Value typed(OGRFeature& f, const FieldDef& def, const BoundField& b);
    Value apply_status(OGRFeature& f, const FieldDef& def, const BoundField& b, const Value& v);
    std::optional<std::string> geometry(OGRFeature& feature, Record& record);
    [[noreturn]] void throw_centreline_parts(const CentrelineMerge& m, const Record& record);
    bool certainly_simple(const OGRGeometry& g);
    bool is_plain_multipolygon(const GEOSGeometry* g) const;

    const Source& m_source;
    const LayerDef& m_def;
    std::vector<BoundField> m_bound;
    OGRCoordinateTransformation* m_transform;
    InvalidPolicy m_policy;
    const Geos& m_geos;
    CoordinateBounds m_bounds;
    bool m_fork_as_alignments = false;
    std::vector<std::pair<Wkb, double>> m_arms;
    std::vector<XY> m_ring; // certainly_simple()'s points, kept for the next feature

    static constexpr const char* coordinates_hint =
        "fix or redraw the feature's vertices in QGIS; if the coordinates are right, check the "
        "source CRS (--s-crs)";
    static const CoordinateBounds& finite_only();
};

} // namespace landclear::import_detail
