#include "landclear/analysis/detail/import_history.hpp"

#include "landclear/geom/geos.hpp"

#include <fmt/format.h>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace landclear {

namespace {

// FNV-1a, 64 bits: a digest of a feature's fields and of its WKB. Equal digests are taken as
// equal content; a differing digest is only a reason to compare the stored row field by field.
struct Fnv {
    std::uint64_t h = 1469598103934665603ULL;
    void add(std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ULL;
        }
        h ^= 0xff; // a separator no UTF-8 text holds
        h *= 1099511628211ULL;
    }
};

std::uint64_t values_digest(const std::vector<Value>& values) {
    Fnv f;
    for (const auto& v : values) {
        f.add(std::string_view(&"-stidD"[v.index()], 1)); // the type, then the text
        f.add(value_text(v));
    }
    return f.h;
}

std::uint64_t wkb_digest(const std::vector<unsigned char>& wkb) {
    Fnv f;
    f.add(std::string_view(reinterpret_cast<const char*>(wkb.data()), wkb.size()));
    return f.h;
}

std::string measure_text(double v) {
    return fmt::format("{:.2f}", v);
}

} // namespace

struct LayerHistory::Impl {
    struct Held {
        std::uint64_t values = 0, wkb = 0;
        bool seen = false;
    };
    Store& store;
    LayerKind kind;
    const LayerDef& def;
    HistoryMode mode;
    int key = 0;
    int project_field = -1; // parcels, projects, corridors
    int parcel_field = -1;  // buildings
    std::unordered_map<std::string, Held> held;
    std::int64_t added = 0, removed = 0, changed = 0, loaded = 0;
    std::optional<Geos> geos; // the writing thread's own context, made on first use

    Impl(Store& s, LayerKind k, HistoryMode m) : store(s), kind(k), def(layer_def(k)), mode(m) {
        key = field_index(def, def.key);
        project_field = field_index(def, "project_code");
        if (kind == LayerKind::buildings)
            parcel_field = field_index(def, "parcel_code");
        auto n = store.count(kind);
        if (n == 0)
            return;
        held.reserve(static_cast<size_t>(n));
        FeatureFilter all;
        store.for_each_feature(kind, all, [&](const FeatureRow& r) {
            held.emplace(value_text(r.values[static_cast<size_t>(key)]),
                         Held{values_digest(r.values), wkb_digest(r.wkb), false});
        });
    }

    std::optional<FeatureRow> stored(const std::string& code) {
        FeatureFilter f;
        f.codes = {code};
        std::optional<FeatureRow> out;
        store.for_each_feature(kind, f, [&](const FeatureRow& r) { out = r; });
        return out;
    }

    // The project a feature belongs to, for history filters: its own field, or its parcel's.
    std::string project_of(const std::vector<Value>& values) {
        if (project_field >= 0)
            return value_text(values[static_cast<size_t>(project_field)]);
        if (kind == LayerKind::projects)
            return value_text(values[static_cast<size_t>(key)]);
        if (parcel_field < 0)
            return {};
        FeatureFilter f;
        f.codes = {value_text(values[static_cast<size_t>(parcel_field)])};
        f.with_geometry = false;
        f.fields = {"project_code"};
        std::string project;
        int p = field_index(layer_def(LayerKind::parcels), "project_code");
        store.for_each_feature(LayerKind::parcels, f, [&](const FeatureRow& r) {
            project = value_text(r.values[static_cast<size_t>(p)]);
        });
        return project;
    }

    // Polygons: the area of the symmetric difference; lines: its length.
    double geometry_difference(const std::vector<unsigned char>& a,
                               const std::vector<unsigned char>& b) {
        if (a.empty() != b.empty())
            return std::numeric_limits<double>::infinity();
        if (a.empty())
            return 0;
        if (!geos)
            geos.emplace();
        auto ga = geos->from_wkb(a), gb = geos->from_wkb(b);
        auto ab = geos->difference(ga.get(), gb.get());
        auto ba = geos->difference(gb.get(), ga.get());
        if (def.geom == GeomKind::polygon)
            return geos->area(ab.get()) + geos->area(ba.get());
        return geos->length(ab.get()) + geos->length(ba.get());
    }

    ChangeEvent event(const std::string& code, const std::string& project, ChangeKind k) {
        ChangeEvent e;
        e.layer = kind;
        e.code = code;
        e.project_code = project;
        e.kind = k;
        return e;
    }

    void write(const Record& r) {
        if (held.empty()) {
            store.insert(kind, r);
            ++loaded;
            return;
        }
        auto code = value_text(r.values[static_cast<size_t>(key)]);
        auto it = held.find(code);
        if (it == held.end()) {
            store.insert(kind, r);
            store.add_change(event(code, project_of(r.values), ChangeKind::added));
            ++added;
            return;
        }
        it->second.seen = true;
        bool same_values = it->second.values == values_digest(r.values);
        bool same_wkb = it->second.wkb == wkb_digest(r.wkb);
        if (same_values && same_wkb)
            return;
        auto old = stored(code);
        if (!old)
            return; // cannot happen: held was read from the store in this transaction
        std::vector<ChangeEvent> events;
        auto project = project_of(r.values);
        for (size_t i = 0; i < def.fields.size(); ++i) {
            auto before = value_text(old->values[i]), after = value_text(r.values[i]);
            if (before == after)
                continue;
            auto e = event(code, project, ChangeKind::changed);
            e.field = std::string(def.fields[i].name);
            e.old_value = before;
            e.new_value = after;
            e.correction = !before.empty();
            events.push_back(std::move(e));
        }
        if (!same_wkb && geometry_difference(old->wkb, r.wkb) > geometry_change_threshold) {
            auto e = event(code, project, ChangeKind::changed);
            e.field = "geometry";
            e.old_value = measure_text(old->measure);
            e.new_value = measure_text(r.measure);
            e.correction = true;
            events.push_back(std::move(e));
        }
        if (events.empty())
            return; // the geometry moved by less than the threshold: keep the stored version
        store.supersede(kind, code);
        store.insert(kind, r);
        for (const auto& e : events)
            store.add_change(e);
        ++changed;
    }

    void finish() {
        if (held.empty()) {
            if (loaded > 0) {
                auto e = event("", "", ChangeKind::loaded);
                e.new_value = std::to_string(loaded);
                store.add_change(e);
            }
            added = loaded;
            return;
        }
        if (mode != HistoryMode::replace)
            return;
        // Codes in a stable order, so the events of a batch read the same every time.
        std::vector<std::string> gone;
        for (const auto& [code, h] : held)
            if (!h.seen)
                gone.push_back(code);
        std::sort(gone.begin(), gone.end());
        for (const auto& code : gone) {
            auto old = stored(code);
            auto e =
                event(code, old ? project_of(old->values) : std::string(), ChangeKind::removed);
            if (old && !old->wkb.empty())
                e.old_value = measure_text(old->measure);
            e.correction = true;
            store.supersede(kind, code);
            store.add_change(e);
            ++removed;
        }
    }
};

LayerHistory::LayerHistory(Store& store, LayerKind kind, HistoryMode mode)
    : m_impl(std::make_unique<Impl>(store, kind, mode)) {}
LayerHistory::~LayerHistory() = default;
bool LayerHistory::initial() const {
    return m_impl->held.empty();
}
void LayerHistory::write(const Record& record) {
    m_impl->write(record);
}
void LayerHistory::finish() {
    m_impl->finish();
}
std::int64_t LayerHistory::added() const {
    return m_impl->added;
}
std::int64_t LayerHistory::removed() const {
    return m_impl->removed;
}
std::int64_t LayerHistory::changed() const {
    return m_impl->changed;
}

} // namespace landclear
