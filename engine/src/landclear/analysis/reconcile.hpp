#pragma once
// Reconciliation of the map against a ledger (台账): every ledger row and every map parcel in the
// ledger's scope is classified (match, rounding/平差, area basis, overlap, area differs,
// status/date differs, only in the ledger, only in the map, duplicate), and the difference of
// the totals (map − ledger) is split into the contributions of these causes, which add up to it
// exactly. docs/RECONCILE.md explains the rules.
#include "landclear/core/area_basis.hpp"
#include "landclear/core/date.hpp"
#include "landclear/io/ledger.hpp"
#include "landclear/store/store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace landclear {

enum class ReconcileKey { parcel, project };
// option: how the caller names the choice in a message (the CLI passes its flag).
ReconcileKey parse_reconcile_key(const std::string& text, const std::string& option = "key");

// Which figure is compared: a parcel's whole area, or its area once acquired/cleared/delivered
// by the as-of date.
enum class Measure { area, acquired, cleared, delivered };
Measure parse_measure(const std::string& text, const std::string& option = "measure");
const char* measure_zh(Measure m); // 面积, 已征面积, ...
const char* measure_en(Measure m);

struct ReconcileOptions {
    ReconcileKey key = ReconcileKey::parcel;
    AreaBasis area = AreaBasis::planar;
    double tolerance_mu = 0; // unexplained area differences up to this still reconcile
    Date as_of = Date::today();
    std::optional<Measure> measure; // default: from the ledger's columns
};

enum class DiffClass {
    match,          // equal after 2-decimal rounding
    rounding,       // off by more than rounding but within 平差 (±0.01 亩 nudges)
    area_basis,     // equal on the other basis (planar vs ellipsoidal)
    overlap,        // the ledger leaves out the parcel's overlap with its neighbours
    area_differs,   // unexplained
    status_differs, // dates disagree, or one side counts the parcel and the other not
    only_ledger,
    only_map,
    duplicate, // a key repeated in the ledger, or a parcel drawn twice in the map
};
const char* diff_class_name(DiffClass c); // "match", ...
const char* diff_class_zh(DiffClass c);   // 相符, ...

// Contributions of each cause to a difference, in 亩, map − ledger.
struct Breakdown {
    double basis = 0, rounding = 0, overlap = 0, area = 0, status = 0, only_ledger = 0,
           only_map = 0, duplicate = 0;
    double sum() const;
    void add(const Breakdown& o);
};

struct ReconcileItem {
    DiffClass cls = DiffClass::match;
    std::string key;                    // parcel code (or project code/name with --key project)
    std::string project;                // project code the item is counted under
    std::vector<int> rows;              // ledger rows
    std::optional<double> ledger_mu;    // the ledger's figure
    std::optional<double> map_mu;       // the map's figure on the chosen basis
    std::optional<double> map_other_mu; // on the other basis
    Breakdown parts;
    bool within_tolerance = false;
    std::string note;
    double diff_mu() const { return parts.sum(); }
};

struct ProjectReconcile {
    std::string project, name;
    double map_mu = 0, ledger_mu = 0;
    Breakdown parts;
    std::map<DiffClass, std::int64_t> counts;
    double diff_mu() const { return map_mu - ledger_mu; }
};

struct ReconcileReport {
    ReconcileKey key = ReconcileKey::parcel;
    AreaBasis area = AreaBasis::planar;
    Measure measure = Measure::area;
    Date as_of;
    double tolerance_mu = 0;
    std::string ledger, ledger_encoding, ledger_column;
    std::vector<LedgerProblem> unreadable;
    std::vector<ReconcileItem> items;
    std::vector<ProjectReconcile> projects;
    ProjectReconcile total;
    std::vector<std::string> notes;
    bool reconciled = false;
};

ReconcileReport reconcile(Store& store, const Ledger& ledger, const ReconcileOptions& options);

} // namespace landclear
