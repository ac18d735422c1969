#pragma once
// The export's layer builder, shared by export_layers.cpp (the store's own layers, the lookups
// they use and the entry points) and export_corridor_layers.cpp (the layers `landclear
// corridor` derives). Internal to report/.
#include "landclear/analysis/corridor.hpp"
#include "landclear/geom/ellipsoidal.hpp"
#include "landclear/report/detail/export_detail.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace landclear::detail::layers {

// ---------------------------------------------------------------------------------------------
// What the store knows beyond one layer: a parcel's project and dates (for buildings and
// findings), a project's figures (for projects and corridors). Built only when needed.

// Field and value helpers (export_layers.cpp).
OutField text_field(std::string key, std::string shp, std::string zh);
OutField date_field(std::string key, std::string shp, std::string zh);
OutField real_field(std::string key, std::string shp, std::string zh, ColumnKind kind,
                    Total total = Total::sum);
OutField count_field(std::string key, std::string shp, std::string zh, Total total = Total::sum);
OutField ratio_field(std::string key, std::string shp, std::string zh, int numerator,
                     int denominator);
std::string text_of(const Value& v);
std::optional<Date> date_of(const Value& v);
Value date_value(const std::optional<Date>& d);
Value text_value(const std::string& s);
int index_of(const LayerDef& def, std::string_view name); // Error(internal) when absent

struct ParcelInfo {
    std::string project, district;
    ParcelDates dates;
};

struct ProjectInfo {
    std::string name, district;
    std::int64_t parcels = 0;
    double area_m2 = 0, acquired_m2 = 0, cleared_m2 = 0, delivered_m2 = 0;
    ParcelStage least = ParcelStage::delivered; // the stage every parcel of the project reached
};

class Lookups {
public:
    Lookups(Store& store, const Date& as_of) : m_store(store), m_as_of(as_of) {}

    const std::unordered_map<std::string, ParcelInfo>& parcels() {
        if (!m_parcels) {
            m_parcels.emplace();
            m_store.for_each_parcel([&](const ParcelRow& p) {
                (*m_parcels)[p.code] = {p.project_code, p.district, dates_of(p)};
            });
        }
        return *m_parcels;
    }

    const std::map<std::string, ProjectInfo>& projects() {
        if (!m_projects) {
            m_projects.emplace();
            for (const auto& p : m_store.projects())
                (*m_projects)[p.code] = {p.name, p.district};
            m_store.for_each_parcel([&](const ParcelRow& p) {
                auto& g = (*m_projects)[p.project_code];
                g.parcels += 1;
                g.area_m2 += p.area_m2;
                LandAreas a; // the rule of core/stage.hpp, as in `landclear status`
                a.add(dates_of(p), p.area_m2, m_as_of);
                g.acquired_m2 += a.acquired_m2;
                g.cleared_m2 += a.cleared_m2;
                g.delivered_m2 += a.delivered_m2;
                g.least = std::min(g.least, parcel_stage(p, m_as_of));
            });
            for (auto& [code, g] : *m_projects)
                if (g.parcels == 0)
                    g.least = ParcelStage::not_acquired;
        }
        return *m_projects;
    }

    const std::map<std::string, CorridorRow>& corridors() {
        if (!m_corridors) {
            m_corridors.emplace();
            for (auto& c : m_store.corridors())
                (*m_corridors)[c.code] = c;
        }
        return *m_corridors;
    }

    const std::unordered_map<std::string, std::string>& building_parcels() {
        if (!m_buildings) {
            m_buildings.emplace();
            m_store.for_each_building(
                [&](const BuildingRow& b) { (*m_buildings)[b.code] = b.parcel_code; });
        }
        return *m_buildings;
    }

    const ParcelInfo* parcel(const std::string& code) {
        auto& p = parcels();
        auto it = p.find(code);
        return it == p.end() ? nullptr : &it->second;
    }

    // The parcels of `codes` only, added to `out` (codes the store does not have stay absent):
    // an export of corridor pieces names a small part of the parcels, and building a map of
    // all of them cost more than the rest of the lookup.
    void parcels_by_code(const std::vector<std::string>& codes,
                         std::unordered_map<std::string, ParcelInfo>& out) {
        if (codes.empty())
            return;
        const auto& def = layer_def(LayerKind::parcels);
        int i_code = index_of(def, "parcel_code"), i_project = index_of(def, "project_code"),
            i_district = index_of(def, "district"), i_acq = index_of(def, "acquired_on"),
            i_clr = index_of(def, "cleared_on"), i_dlv = index_of(def, "delivered_on");
        FeatureFilter filter;
        filter.codes = codes;
        filter.with_geometry = false;
        filter.fields = {"parcel_code", "project_code", "district",
                         "acquired_on", "cleared_on",   "delivered_on"};
        m_store.for_each_feature(LayerKind::parcels, filter, [&](const FeatureRow& r) {
            out[text_of(r.values[i_code])] = {
                text_of(r.values[i_project]), text_of(r.values[i_district]),
                ParcelDates{date_of(r.values[i_acq]), date_of(r.values[i_clr]),
                            date_of(r.values[i_dlv])}};
        });
    }

    const ProjectInfo* project(const std::string& code) {
        auto& p = projects();
        auto it = p.find(code);
        return it == p.end() ? nullptr : &it->second;
    }

private:
    Store& m_store;
    Date m_as_of;
    std::optional<std::unordered_map<std::string, ParcelInfo>> m_parcels;
    std::optional<std::map<std::string, ProjectInfo>> m_projects;
    std::optional<std::map<std::string, CorridorRow>> m_corridors;
    std::optional<std::unordered_map<std::string, std::string>> m_buildings;
};

// The selection the options ask for.
struct Selection {
    std::set<std::string> projects, corridors;
    std::string district;
    bool project_ok(const std::string& code) const {
        return projects.empty() || projects.count(code) > 0;
    }
    bool district_ok(const std::string& d) const { return district.empty() || d == district; }
};

// The layers: each method gives one layer's fields and the scan that assembles its features.
struct Builder {
    Store* store; // null when only the field lists are wanted (and then lookups too)
    const ExportOptions& o;
    Lookups* lookups;
    const Selection& sel;
    std::vector<std::string>* warnings = nullptr;
    std::shared_ptr<const EllipsoidalArea> ell = nullptr; // --area ellipsoidal

    Source source(ExportLayer layer);

    // The store's own layers (export_layers.cpp).
    Source parcels();
    Source buildings();
    Source projects();
    Source corridors();
    Source findings();
    // The issue list with each issue's status on the as-of day; selected by its project (a
    // corridor selects its project's issues).
    Source issues();
    // A finding is selected when the feature it is about belongs to a selected project and
    // district.
    bool finding_selected(const Finding& f);
    // A feature's land area: the store's planar measure, or with --area ellipsoidal its 32号
    // area from its geometry (working CRS).
    double measure(const FeatureRow& r) const;

    // The layers derived by `landclear corridor` (export_corridor_layers.cpp).
    Source corridor_parcels();
    Source corridor_segments();
    // The parcels the selected corridors' pieces name (for --corridor on the parcels layer).
    std::set<std::string> parcels_in_corridors();
    bool corridor_selected(const std::string& corridor, const std::string* parcel_district);
    static int derived_index(const DerivedLayerDef& def, std::string_view name);
    static DerivedLayerDef attributes_only(DerivedLayerDef def);
    void require_derived(const DerivedLayerDef& def, const std::string& what);
    // The pieces of the selected corridors (all corridors when none is selected), after
    // checking that each was analysed on the current data.
    void for_each_piece(const DerivedLayerDef& def,
                        const std::function<void(const FeatureRow&)>& fn);
    void check_analysed();
    bool m_checked = false; // check_analysed() ran (an aggregate: built with {store, o, ...})
};

} // namespace landclear::detail::layers
