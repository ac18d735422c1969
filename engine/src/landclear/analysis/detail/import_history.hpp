#pragma once
// What an import changes in one layer, compared by code with what the store held, recorded as
// the layer is written: the old layer is read once (a digest per code), each new feature is
// compared with it on the writing thread, and only features that changed are written again.
// Private to analysis/ (import.cpp); the events go to the store's history (store.hpp).
#include "landclear/core/schema.hpp"
#include "landclear/store/store.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace landclear {

enum class HistoryMode {
    replace, // the source is the whole layer: features it lacks are removed
    update,  // the source holds changed or new features: the others stay
};

class LayerHistory {
public:
    // Reads what the store holds of the layer (one pass, no geometry kept). Runs before any
    // write to the layer.
    LayerHistory(Store& store, LayerKind kind, HistoryMode mode);
    ~LayerHistory();
    LayerHistory(const LayerHistory&) = delete;
    LayerHistory& operator=(const LayerHistory&) = delete;

    // The layer held nothing: every feature is new, written as a plain bulk load.
    bool initial() const;
    // Writes one imported feature if it is new or changed, with its change events; a feature
    // equal to the stored one (fields equal, geometry within 0.01 m²) is left as it is. Called
    // by the one thread that writes the store.
    void write(const Record& record);
    // After the last write: the removals (replace mode) and the first-load event.
    void finish();

    std::int64_t added() const;
    std::int64_t removed() const;
    std::int64_t changed() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Features whose geometries differ by at most this much (m² of symmetric difference for
// polygons, m for lines) are the same feature: a re-export that moved vertices by rounding.
inline constexpr double geometry_change_threshold = 0.01;

} // namespace landclear
