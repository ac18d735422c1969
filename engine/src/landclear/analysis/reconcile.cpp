#include "landclear/analysis/reconcile.hpp"

#include "landclear/analysis/check.hpp"
#include "landclear/analysis/detail/parcel_geometries.hpp"
#include "landclear/analysis/ellipsoidal_cache.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/stage.hpp"
#include "landclear/core/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <set>
#include <unordered_map>

namespace landclear {

namespace {

constexpr double eps = 1e-9;
// A ledger figure printed to 0.01 亩 is within half of that of the true figure.
constexpr double rounding_limit = 0.005 + eps;
// 平差 nudges rounded figures by 0.01 so that they add up to a control total.
constexpr double adjustment_limit = 0.015 + eps;

// The stage a measure counts by (core/stage.hpp): the ledger's and the map's figures both count
// each date on its own. Measure::area counts by none.
std::optional<ParcelStage> measure_stage(Measure m) {
    switch (m) {
    case Measure::acquired:
        return ParcelStage::acquired;
    case Measure::cleared:
        return ParcelStage::cleared;
    case Measure::delivered:
        return ParcelStage::delivered;
    case Measure::area:
        break;
    }
    return std::nullopt;
}

std::optional<Date> measure_date(Measure m, const ParcelDates& d) {
    auto stage = measure_stage(m);
    return stage ? stage_date(d, *stage) : std::nullopt;
}

bool counted_by(Measure m, const ParcelDates& d, const Date& as_of) {
    return m == Measure::area || reached(measure_date(m, d), as_of);
}

struct MapParcel {
    std::string code, project;
    ParcelDates dates;
    double planar_mu = 0, ellipsoidal_mu = 0;
};

// The ledger's figure for one row under the measure, and whether the ledger counts the row.
struct LedgerValue {
    double mu = 0;
    bool counted = false;
};

class Reconciler {
public:
    Reconciler(Store& store, const Ledger& ledger, const ReconcileOptions& o)
        : m_store(store), m_ledger(ledger), m_o(o) {}

    ReconcileReport run() {
        m_r.key = m_o.key;
        m_r.area = m_o.area;
        m_r.as_of = m_o.as_of;
        m_r.tolerance = m_o.tolerance;
        m_r.ledger = m_ledger.display;
        m_r.ledger_encoding = m_ledger.encoding;
        m_r.unreadable = m_ledger.problems;
        choose_measure();
        load_map();
        if (m_o.key == ReconcileKey::parcel)
            by_parcel();
        else
            by_project();
        summarise();
        return std::move(m_r);
    }

private:
    void choose_measure() {
        auto column_for = [&](Measure m) -> const LedgerColumn* {
            switch (m) {
            case Measure::area:
                return m_ledger.column(LedgerField::area);
            case Measure::acquired:
                return m_ledger.column(LedgerField::acquired_area);
            case Measure::cleared:
                return m_ledger.column(LedgerField::cleared_area);
            case Measure::delivered:
                return m_ledger.column(LedgerField::delivered_area);
            }
            return nullptr;
        };
        if (m_o.measure) {
            m_measure = *m_o.measure;
        } else {
            m_measure = Measure::area;
            for (auto m : {Measure::area, Measure::acquired, Measure::cleared, Measure::delivered})
                if (column_for(m)) {
                    m_measure = m;
                    break;
                }
        }
        m_column = column_for(m_measure);
        if (!m_column)
            m_column = m_ledger.column(LedgerField::area); // its rows counted by their dates
        if (!m_column)
            throw_usage(fmt::format("{} has no column for {} and no 面积 column", m_ledger.display,
                                    measure_zh(m_measure)),
                        "choose --measure after the ledger's columns (area, acquired, cleared, "
                        "delivered)");
        m_r.measure = m_measure;
        m_r.ledger_column = m_column->header;
    }

    std::optional<LedgerValue> ledger_value(const LedgerRow& row, Phrase& problem) const {
        auto v = ledger_area(row, m_column->field);
        LedgerField date_field = m_measure == Measure::acquired    ? LedgerField::acquired_on
                                 : m_measure == Measure::cleared   ? LedgerField::cleared_on
                                 : m_measure == Measure::delivered ? LedgerField::delivered_on
                                                                   : LedgerField::area;
        ParcelDates row_dates{row.acquired_on, row.cleared_on, row.delivered_on};
        auto date = measure_date(m_measure, row_dates);
        bool has_date = m_measure != Measure::area && m_ledger.has(date_field);
        if (m_column->field == LedgerField::area || m_measure == Measure::area) {
            if (!v) {
                problem = {fmt::format("{} 列为空", m_column->header),
                           fmt::format("column {} is empty", m_column->header)};
                return std::nullopt;
            }
            // A whole-area column counts for acquired/cleared/delivered when the row's date
            // says so (or always, for a ledger of acquired parcels without dates).
            bool counted = m_measure == Measure::area || !has_date || reached(date, m_o.as_of);
            return LedgerValue{counted ? *v : 0.0, counted};
        }
        // A column such as 征地面积: empty or 0 means not (yet).
        double x = v.value_or(0.0);
        bool counted = x != 0 && !(has_date && date && !reached(date, m_o.as_of));
        return LedgerValue{counted ? x : 0.0, counted};
    }

    void load_map() {
        auto ellipsoidal = parcel_ellipsoidal_areas(m_store);
        m_store.for_each_parcel([&](const ParcelRow& p) {
            MapParcel mp{p.code, p.project_code, dates_of(p), m2_to_mu(p.area_m2), 0};
            auto it = ellipsoidal.find(p.code);
            mp.ellipsoidal_mu = it == ellipsoidal.end() ? mp.planar_mu : m2_to_mu(it->second);
            m_by_code.emplace(p.code, m_parcels.size());
            auto norm = normalise_code(p.code);
            auto [nit, fresh] = m_by_norm.emplace(norm, m_parcels.size());
            if (!fresh)
                nit->second = SIZE_MAX; // ambiguous once normalised
            m_parcels.push_back(std::move(mp));
        });
        for (const auto& p : m_store.projects()) {
            m_project_names[p.code] = p.name;
            m_project_units[p.code] = p.unit;
            if (!p.name.empty())
                m_name_to_code.emplace(p.name, p.code);
        }
    }

    double basis_mu(const MapParcel& p) const {
        return m_o.area == AreaBasis::planar ? p.planar_mu : p.ellipsoidal_mu;
    }
    double other_mu(const MapParcel& p) const {
        return m_o.area == AreaBasis::planar ? p.ellipsoidal_mu : p.planar_mu;
    }
    bool map_counted(const MapParcel& p) const { return counted_by(m_measure, p.dates, m_o.as_of); }

    std::string resolve_project(const LedgerRow& row) const {
        if (!row.project_code.empty())
            return row.project_code;
        if (!row.project_name.empty()) {
            auto it = m_name_to_code.find(row.project_name);
            return it != m_name_to_code.end() ? it->second : row.project_name;
        }
        return {};
    }

    std::optional<size_t> find_parcel(const std::string& code) const {
        if (auto it = m_by_code.find(code); it != m_by_code.end())
            return it->second;
        if (auto it = m_by_norm.find(normalise_code(code));
            it != m_by_norm.end() && it->second != SIZE_MAX)
            return it->second;
        return std::nullopt;
    }

    // Per parcel: planar m² of its overlap with the other parcels (with their union, so a
    // neighbour drawn twice is not counted twice), and the parcels it duplicates.
    struct Topology {
        std::vector<double> overlap_m2;
        std::vector<std::vector<size_t>> duplicates;
    };
    const Topology& topology() {
        if (m_topology)
            return *m_topology;
        m_topology.emplace();
        auto& t = *m_topology;
        t.overlap_m2.assign(m_parcels.size(), 0);
        t.duplicates.resize(m_parcels.size());
        Geos geos;
        auto geoms = load_parcel_geometries(m_store, geos);
        std::vector<std::vector<size_t>> partners(geoms.size());
        for (const auto& o : find_parcel_overlaps(geos, geoms, CheckOptions{})) {
            partners[o.a].push_back(o.b);
            partners[o.b].push_back(o.a);
            auto a = m_by_code.find(geoms[o.a].code), b = m_by_code.find(geoms[o.b].code);
            if (o.duplicate && a != m_by_code.end() && b != m_by_code.end()) {
                t.duplicates[a->second].push_back(b->second);
                t.duplicates[b->second].push_back(a->second);
            }
        }
        for (size_t i = 0; i < geoms.size(); ++i) {
            auto it = m_by_code.find(geoms[i].code);
            if (partners[i].empty() || it == m_by_code.end())
                continue;
            std::vector<const GEOSGeometry*> others;
            for (size_t j : partners[i])
                others.push_back(geoms[j].geom.get());
            auto merged = geos.union_of(std::span<const GEOSGeometry* const>(others));
            t.overlap_m2[it->second] =
                geos.area(geos.intersection(geoms[i].geom.get(), merged.get()).get());
        }
        return t;
    }

    static std::string date_text(const std::optional<Date>& d) { return d ? d->iso() : "空"; }

    // Which dates the ledger has and the map disagrees with.
    Phrase date_differences(const LedgerRow& row, const MapParcel& p) const {
        Phrase out;
        auto compare = [&](LedgerField f, const char* zh, const char* en,
                           const std::optional<Date>& l, const std::optional<Date>& m) {
            if (m_ledger.has(f) && l != m)
                out.append({fmt::format("{}: 台账 {}，图上 {}", zh, date_text(l), date_text(m)),
                            fmt::format("{}: ledger {}, map {}", en, l ? l->iso() : "empty",
                                        m ? m->iso() : "empty")});
        };
        compare(LedgerField::acquired_on, "征地日期", "acquired on", row.acquired_on,
                p.dates.acquired_on);
        compare(LedgerField::cleared_on, "腾地日期", "cleared on", row.cleared_on,
                p.dates.cleared_on);
        compare(LedgerField::delivered_on, "交地日期", "delivered on", row.delivered_on,
                p.dates.delivered_on);
        return out;
    }

    // Splits d = map − ledger of two figures that both count into its causes. The residual
    // after the explanation goes to rounding, so the parts always add up to d. When the
    // ledger (or this project of it) is on the other basis, every row's basis part is split
    // off, however small, so that a systematic basis difference is not hidden in rounding.
    void explain_area(ReconcileItem& item, double map, double other, double ledger,
                      double allowance, std::optional<double> overlap_mu, bool ledger_on_other) {
        double d = map - ledger;
        double r_same = std::fabs(d), r_other = std::fabs(other - ledger);
        const char* other_zh = m_o.area == AreaBasis::planar ? "椭球面积" : "平面面积";
        const char* other_en = m_o.area == AreaBasis::planar ? "ellipsoidal" : "planar";
        auto basis = [&] {
            item.cls = r_same <= rounding_limit ? DiffClass::match : DiffClass::area_basis;
            item.parts.basis = map - other;
            item.parts.rounding = other - ledger;
            if (item.cls == DiffClass::area_basis)
                item.note = {
                    fmt::format("按{}为 {:.4f} 亩，与台账相符：台账按另一面积基准{}", other_zh,
                                other, r_other > rounding_limit ? "，另有取整/平差" : ""),
                    fmt::format("{:.4f} mu on the {} basis, as in the ledger: the ledger is on "
                                "the other area basis{}",
                                other, other_en,
                                r_other > rounding_limit ? ", plus rounding (adjustment)" : "")};
        };
        // The ledger leaves out the parcel's overlap with its neighbours; base is the map
        // figure on the ledger's basis.
        auto overlap = [&](double base) {
            if (!overlap_mu || *overlap_mu <= 0 || map <= 0)
                return false;
            double v = *overlap_mu * base / map;
            if (std::fabs(base - v - ledger) > allowance)
                return false;
            item.cls = DiffClass::overlap;
            item.parts.basis = map - base;
            item.parts.overlap = v;
            item.parts.rounding = base - v - ledger;
            item.note = {fmt::format("图上与相邻宗地重叠 {:.4f} 亩，台账未计重叠部分", v),
                         fmt::format("the map overlaps its neighbours by {:.4f} mu, which the "
                                     "ledger leaves out",
                                     v)};
            return true;
        };
        if (ledger_on_other) {
            if (r_other <= allowance)
                basis();
            else if (r_same <= allowance) {
                item.cls = r_same <= rounding_limit ? DiffClass::match : DiffClass::rounding;
                item.parts.rounding = d;
            } else if (!overlap(other)) {
                item.parts.basis = map - other;
                unexplained(
                    item, other - ledger, ledger,
                    {fmt::format("按{}相差 {:+.4f} 亩（图上 − 台账）", other_zh, other - ledger),
                     fmt::format("{:+.4f} mu on the {} basis (map − ledger)", other - ledger,
                                 other_en)},
                    {"无法由取整或重叠解释", "not explained by rounding or overlaps"});
            }
            return;
        }
        if (r_same <= rounding_limit) {
            item.cls = DiffClass::match;
            item.parts.rounding = d;
        } else if (r_other <= rounding_limit) {
            basis();
        } else if (r_same <= allowance) {
            item.cls = DiffClass::rounding;
            item.parts.rounding = d;
            item.note = {fmt::format("相差 {:+.4f} 亩，在取整与平差（±0.01 亩）范围内", d),
                         fmt::format("{:+.4f} mu, within rounding and adjustment (±0.01 mu)", d)};
        } else if (r_other <= allowance) {
            basis();
        } else if (!overlap(map)) {
            unexplained(item, d, ledger,
                        {fmt::format("面积相差 {:+.4f} 亩（图上 − 台账）", d),
                         fmt::format("the areas differ by {:+.4f} mu (map − ledger)", d)},
                        {"无法由面积基准、取整或重叠解释",
                         "not explained by the area basis, rounding or overlaps"});
        }
    }

    // An area difference nothing explains: tolerated when within --tolerance (its own class
    // and column, so it is never counted as explained), else area_differs.
    void unexplained(ReconcileItem& item, double residual, double ledger, const Phrase& what,
                     const Phrase& why) {
        bool within = m_o.tolerance.given() && m_o.tolerance.within(residual, ledger);
        auto t = m_o.tolerance.describe();
        if (within) {
            item.cls = DiffClass::within_tolerance;
            item.parts.tolerated = residual;
            item.note = {
                fmt::format("{}，在容差（{}）内，未作解释", what.zh, t.zh),
                fmt::format("{}, within the tolerance ({}), not explained", what.en, t.en)};
        } else {
            item.cls = DiffClass::area_differs;
            item.parts.area = residual;
            item.note = {fmt::format("{}，{}{}", what.zh, why.zh,
                                     t.zh.empty() ? "" : "，超出容差（" + t.zh + "）"),
                         fmt::format("{}, {}{}", what.en, why.en,
                                     t.en.empty() ? "" : ", beyond the tolerance (" + t.en + ")")};
        }
    }

    // Which basis a ledger's figures are on: by the rows that fit only one basis within
    // 2-decimal rounding (a tie keeps the chosen basis); when no row tells them apart, by the
    // residuals of the rows that fit both (a basis shifts every row the same way, rounding
    // does not).
    struct BasisVotes {
        std::int64_t same = 0, other = 0;
        double same_residual = 0, other_residual = 0;
        void vote(double map, double other_map, double ledger) {
            bool s = std::fabs(map - ledger) <= rounding_limit;
            bool o = std::fabs(other_map - ledger) <= rounding_limit;
            same += s && !o;
            this->other += o && !s;
            if (s && o) {
                same_residual += std::fabs(map - ledger);
                other_residual += std::fabs(other_map - ledger);
            }
        }
        bool decisive() const { return same + other > 0; }
        bool on_other() const { return decisive() ? other > same : other_residual < same_residual; }
    };

    void note_basis(const std::string& project, const BasisVotes& v) {
        if (v.on_other())
            m_r.notes.push_back(
                {fmt::format(
                     "{}台账面积按{}（{} 行只与它相符，{} 行只与{}相符）：面积基准差逐行分出",
                     project.empty() ? "" : fmt::format("项目 {} 的", project),
                     m_o.area == AreaBasis::planar ? "椭球面积" : "平面面积", v.other, v.same,
                     area_basis_zh(m_o.area)),
                 fmt::format("{}the ledger's areas are {} ({} rows fit only that basis, {} only "
                             "the {} one): the basis difference is split off row by row",
                             project.empty() ? "" : fmt::format("project {}: ", project),
                             m_o.area == AreaBasis::planar ? "ellipsoidal" : "planar", v.other,
                             v.same, m_o.area == AreaBasis::planar ? "planar" : "ellipsoidal")});
    }

    void unreadable(int row, const Phrase& message) {
        m_r.unreadable.push_back({row, message.zh, message.en});
    }

    // Ledger rows grouped by parcel code, in ledger order: the code as first written and the
    // rows with their values.
    using ParcelRows = std::vector<std::pair<const LedgerRow*, LedgerValue>>;
    using ParcelGroups = std::vector<std::pair<std::string, ParcelRows>>;

    void by_parcel() {
        ParcelGroups groups = group_by_parcel();
        if (!m_ledger.has(LedgerField::parcel_code))
            throw_usage(fmt::format("{} has no 宗地编号 column for --key parcel", m_ledger.display),
                        "use --key project for a ledger of project totals, or name the parcel "
                        "code column in a mapping file");
        std::map<std::string, bool> on_other = basis_by_project(groups);

        std::vector<bool> matched(m_parcels.size(), false);
        std::set<std::string> scope;
        for (const auto& [key, rows] : groups)
            compare_parcel(rows, on_other, matched, scope);
        add_missing_parcels(matched, scope);
    }

    // Grouped as a person reads the key: case and full-width ignored.
    ParcelGroups group_by_parcel() {
        ParcelGroups groups;
        std::unordered_map<std::string, size_t> group_of;
        for (const auto& row : m_ledger.rows) {
            if (row.parcel_code.empty()) {
                std::string column = m_ledger.column(LedgerField::parcel_code)
                                         ? m_ledger.column(LedgerField::parcel_code)->header
                                         : "宗地编号";
                unreadable(row.row, {fmt::format("没有宗地编号（{} 为空）", column),
                                     fmt::format("no parcel code ({} is empty)", column)});
                continue;
            }
            Phrase problem;
            auto v = ledger_value(row, problem);
            if (!v) {
                unreadable(row.row, problem);
                continue;
            }
            auto norm = normalise_code(row.parcel_code);
            auto [it, fresh] = group_of.emplace(norm, groups.size());
            if (fresh)
                groups.push_back({row.parcel_code, {}});
            groups[it->second].second.emplace_back(&row, *v);
        }
        return groups;
    }

    // The ledger's basis per project (true: the other basis); a project whose rows do not tell
    // follows the ledger.
    std::map<std::string, bool> basis_by_project(const ParcelGroups& groups) {
        std::map<std::string, BasisVotes> votes;
        BasisVotes all;
        for (const auto& [key, rows] : groups) {
            const auto& [first, value] = rows.front();
            auto pi = find_parcel(first->parcel_code);
            if (!pi || !value.counted || !map_counted(m_parcels[*pi]))
                continue;
            const auto& p = m_parcels[*pi];
            votes[p.project].vote(basis_mu(p), other_mu(p), value.mu);
            all.vote(basis_mu(p), other_mu(p), value.mu);
        }
        std::map<std::string, bool> on_other;
        for (const auto& [project, v] : votes)
            on_other[project] = v.decisive() ? v.on_other() : all.on_other();
        note_basis("", all);
        for (const auto& [project, v] : votes)
            if (on_other[project] && !all.on_other())
                note_basis(project, v);
        return on_other;
    }

    // One ledger parcel against the map: its repeated rows, then its first row's figures.
    void compare_parcel(const ParcelRows& rows, std::map<std::string, bool>& on_other,
                        std::vector<bool>& matched, std::set<std::string>& scope) {
        const auto& [first, value] = rows.front();
        auto pi = find_parcel(first->parcel_code);
        std::string project = pi ? m_parcels[*pi].project : resolve_project(*first);
        if (!resolve_project(*first).empty())
            scope.insert(resolve_project(*first));
        for (size_t k = 1; k < rows.size(); ++k) {
            ReconcileItem dup;
            dup.cls = DiffClass::duplicate;
            dup.key = rows[k].first->parcel_code;
            dup.project = project;
            dup.rows = {rows[k].first->row};
            dup.ledger_mu = rows[k].second.mu;
            dup.parts.duplicate = -rows[k].second.mu;
            dup.note = {fmt::format("宗地编号与第 {} 行重复，台账重复计入", first->row),
                        fmt::format("the parcel code repeats row {}: counted twice in the ledger",
                                    first->row)};
            m_r.items.push_back(std::move(dup));
        }
        ReconcileItem item;
        item.key = first->parcel_code;
        item.project = project;
        item.rows = {first->row};
        item.ledger_mu = value.mu;
        if (!pi) {
            item.cls = DiffClass::only_ledger;
            item.parts.only_ledger = -value.mu;
            item.note = {"图上没有此宗地", "no such parcel in the map"};
            m_r.items.push_back(std::move(item));
            return;
        }
        matched[*pi] = true;
        const auto& p = m_parcels[*pi];
        scope.insert(p.project);
        bool counted = map_counted(p);
        double m = counted ? basis_mu(p) : 0.0;
        item.map_mu = m;
        item.map_other_mu = counted ? other_mu(p) : 0.0;
        auto dates = date_differences(*first, p);
        if (counted != value.counted) {
            item.cls = DiffClass::status_differs;
            item.parts.status = m - value.mu;
            item.note = {fmt::format("{}{}",
                                     counted ? "图上已计入、台账未计入" : "台账已计入、图上未计入",
                                     dates.empty() ? "" : "（" + dates.zh + "）"),
                         fmt::format("{}{}",
                                     counted ? "counted in the map, not in the ledger"
                                             : "counted in the ledger, not in the map",
                                     dates.empty() ? "" : " (" + dates.en + ")")};
        } else if (!counted) {
            item.cls = dates.empty() ? DiffClass::match : DiffClass::status_differs;
            item.note = dates;
        } else {
            std::optional<double> overlap;
            if (std::fabs(m - value.mu) > adjustment_limit &&
                std::fabs(item.map_other_mu.value() - value.mu) > adjustment_limit) {
                double ov = topology().overlap_m2[*pi];
                if (ov > 0)
                    overlap = m2_to_mu(ov) * (m / p.planar_mu);
            }
            explain_area(item, m, *item.map_other_mu, value.mu, adjustment_limit, overlap,
                         on_other[p.project]);
            if (!dates.empty()) {
                if (is_explained(item.cls) || item.cls == DiffClass::within_tolerance)
                    item.cls = DiffClass::status_differs;
                item.note.append(dates);
            }
        }
        m_r.items.push_back(std::move(item));
    }

    // Map parcels of the ledger's projects that the ledger lacks. A ledger naming no project
    // and matching nothing is compared with the whole map.
    void add_missing_parcels(const std::vector<bool>& matched, const std::set<std::string>& scope) {
        bool whole_map = scope.empty();
        std::vector<size_t> missing;
        for (size_t i = 0; i < m_parcels.size(); ++i)
            if (!matched[i] && (whole_map || scope.count(m_parcels[i].project)) &&
                map_counted(m_parcels[i]))
                missing.push_back(i);
        std::sort(missing.begin(), missing.end(), [&](size_t a, size_t b) {
            return std::tie(m_parcels[a].project, m_parcels[a].code) <
                   std::tie(m_parcels[b].project, m_parcels[b].code);
        });
        for (size_t i : missing) {
            const auto& p = m_parcels[i];
            ReconcileItem item;
            item.key = p.code;
            item.project = p.project;
            item.map_mu = basis_mu(p);
            item.map_other_mu = other_mu(p);
            std::string twin;
            for (size_t j : topology().duplicates[i])
                if (matched[j] || j < i)
                    twin = m_parcels[j].code;
            if (!twin.empty()) {
                item.cls = DiffClass::duplicate;
                item.parts.duplicate = basis_mu(p);
                item.note = {
                    fmt::format("与宗地 {} 几乎完全重合：同一地块在图上画了两次", twin),
                    fmt::format("covers parcel {} almost entirely: one plot drawn twice", twin)};
            } else {
                item.cls = DiffClass::only_map;
                item.parts.only_map = basis_mu(p);
                item.note = {"台账没有此宗地", "not in the ledger"};
            }
            m_r.items.push_back(std::move(item));
        }
    }

    void by_project() {
        if (!m_ledger.has(LedgerField::project_code) && !m_ledger.has(LedgerField::project_name))
            throw_usage(fmt::format("{} has no 项目编号 or 项目名称 column for --key project",
                                    m_ledger.display));
        struct MapProject {
            double basis = 0, other = 0;
            std::int64_t parcels = 0;
        };
        std::map<std::string, MapProject> map;
        for (const auto& p : m_parcels) {
            auto& mp = map[p.project];
            if (!map_counted(p))
                continue;
            mp.basis += basis_mu(p);
            mp.other += other_mu(p);
            mp.parcels += 1;
        }
        for (const auto& [code, name] : m_project_names)
            map[code];

        std::vector<std::pair<std::string, std::vector<std::pair<const LedgerRow*, LedgerValue>>>>
            groups;
        std::unordered_map<std::string, size_t> group_of;
        std::set<std::string> units;
        for (const auto& row : m_ledger.rows) {
            auto key = resolve_project(row);
            if (key.empty()) {
                unreadable(row.row, {"没有项目（项目编号与项目名称均为空）",
                                     "no project (项目编号 and 项目名称 are empty)"});
                continue;
            }
            Phrase problem;
            auto v = ledger_value(row, problem);
            if (!v) {
                unreadable(row.row, problem);
                continue;
            }
            if (!row.unit.empty())
                units.insert(row.unit);
            auto [it, fresh] = group_of.emplace(normalise_code(key), groups.size());
            if (fresh)
                groups.push_back({key, {}});
            groups[it->second].second.emplace_back(&row, *v);
        }
        BasisVotes votes;
        for (const auto& [key, rows] : groups)
            if (auto it = map.find(key); it != map.end() && rows.front().second.counted)
                votes.vote(it->second.basis, it->second.other, rows.front().second.mu);
        note_basis("", votes);
        std::set<std::string> seen;
        for (const auto& [key, rows] : groups) {
            const auto& [first, value] = rows.front();
            for (size_t k = 1; k < rows.size(); ++k) {
                ReconcileItem dup;
                dup.cls = DiffClass::duplicate;
                dup.key = key;
                dup.project = key;
                dup.rows = {rows[k].first->row};
                dup.ledger_mu = rows[k].second.mu;
                dup.parts.duplicate = -rows[k].second.mu;
                dup.note = {fmt::format("项目与第 {} 行重复，台账重复计入", first->row),
                            fmt::format("the project repeats row {}: counted twice in the ledger",
                                        first->row)};
                m_r.items.push_back(std::move(dup));
            }
            ReconcileItem item;
            item.key = key;
            item.project = key;
            item.rows = {first->row};
            item.ledger_mu = value.mu;
            auto it = map.find(key);
            if (it == map.end()) {
                item.cls = DiffClass::only_ledger;
                item.parts.only_ledger = -value.mu;
                item.note = {"图上没有此项目", "no such project in the map"};
                m_r.items.push_back(std::move(item));
                continue;
            }
            seen.insert(key);
            item.map_mu = it->second.basis;
            item.map_other_mu = it->second.other;
            // A project total adds up many rounded parcel figures: allow 3σ of their sum.
            double allowance =
                adjustment_limit + 0.009 * std::sqrt(static_cast<double>(it->second.parcels));
            explain_area(item, it->second.basis, it->second.other, value.mu, allowance,
                         std::nullopt, votes.on_other());
            m_r.items.push_back(std::move(item));
        }
        for (const auto& [code, mp] : map) {
            if (seen.count(code) || mp.parcels == 0)
                continue;
            if (!units.empty()) {
                auto u = m_project_units.find(code);
                if (u == m_project_units.end() || !units.count(u->second))
                    continue; // another unit's project
            }
            ReconcileItem item;
            item.cls = DiffClass::only_map;
            item.key = code;
            item.project = code;
            item.map_mu = mp.basis;
            item.map_other_mu = mp.other;
            item.parts.only_map = mp.basis;
            item.note = {"台账没有此项目", "not in the ledger"};
            m_r.items.push_back(std::move(item));
        }
    }

    void summarise() {
        std::map<std::string, ProjectReconcile> projects;
        for (const auto& item : m_r.items) {
            auto key = item.project.empty() ? std::string("(未登记项目)") : item.project;
            auto& p = projects[key];
            p.project = key;
            p.map_mu += item.map_mu.value_or(0);
            p.ledger_mu += item.ledger_mu.value_or(0);
            p.parts.add(item.parts);
            p.counts[item.cls] += 1;
            if (item.cls == DiffClass::within_tolerance)
                ++m_r.tolerated;
            else if (!is_explained(item.cls))
                ++m_r.problems;
        }
        for (auto& [key, p] : projects) {
            if (auto n = m_project_names.find(key); n != m_project_names.end())
                p.name = n->second;
            m_r.total.map_mu += p.map_mu;
            m_r.total.ledger_mu += p.ledger_mu;
            m_r.total.parts.add(p.parts);
            for (const auto& [c, n] : p.counts)
                m_r.total.counts[c] += n;
            m_r.projects.push_back(p);
        }
        // Per row, as the tolerance is: a total of tolerated rows is not checked again.
        m_r.reconciled = m_r.unreadable.empty() && m_r.problems == 0;

        for (const auto& n : m_ledger.notes)
            m_r.notes.push_back(n);
        // The ledger's own 合计 row against its rows (the rows as read, before any is left out).
        for (const auto& t : m_ledger.totals_checks) {
            if (std::fabs(t.stated_mu - t.sum_mu) > rounding_limit)
                m_r.notes.push_back(
                    {fmt::format("台账第 {} 行合计（{}）{:.2f} 亩，而 {} 行相加为 {:.2f} 亩，相差 "
                                 "{:+.2f} 亩",
                                 t.row, t.column, t.stated_mu, t.rows, t.sum_mu,
                                 t.stated_mu - t.sum_mu),
                     fmt::format("the ledger's total in row {} ({}) is {:.2f} mu, but its {} rows "
                                 "add up to {:.2f} mu, {:+.2f} mu apart",
                                 t.row, t.column, t.stated_mu, t.rows, t.sum_mu,
                                 t.stated_mu - t.sum_mu)});
            else
                m_r.notes.push_back(
                    {fmt::format("台账第 {} 行合计（{}）{:.2f} 亩，与 {} 行之和相符", t.row,
                                 t.column, t.stated_mu, t.rows),
                     fmt::format("the ledger's total in row {} ({}), {:.2f} mu, equals the sum "
                                 "of its {} rows",
                                 t.row, t.column, t.stated_mu, t.rows)});
        }
        if (m_ledger.encoding != "UTF-8" && m_ledger.encoding.find("detected") == std::string::npos)
            m_r.notes.push_back({fmt::format("台账文字编码: {}", m_ledger.encoding),
                                 fmt::format("ledger text encoding: {}", m_ledger.encoding)});
    }

    Store& m_store;
    const Ledger& m_ledger;
    const ReconcileOptions& m_o;
    ReconcileReport m_r;
    Measure m_measure = Measure::area;
    const LedgerColumn* m_column = nullptr;
    std::vector<MapParcel> m_parcels;
    std::unordered_map<std::string, size_t> m_by_code, m_by_norm;
    std::map<std::string, std::string> m_project_names, m_project_units, m_name_to_code;
    std::optional<Topology> m_topology;
};

} // namespace

ReconcileReport reconcile(Store& store, const Ledger& ledger, const ReconcileOptions& options) {
    return Reconciler(store, ledger, options).run();
}

} // namespace landclear
