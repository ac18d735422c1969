#pragma once
// Reconciliation of the map against a ledger (台账): every ledger row and every map parcel in the
// ledger's scope is classified (match, rounding/平差, area basis, overlap, area differs,
// status/date differs, only in the ledger, only in the map, duplicate), and the difference of
// the totals (map − ledger) is split into the contributions of these causes, which add up to it
// exactly. docs/RECONCILE.md explains the rules.
#include "landclear/core/area_basis.hpp"
#include "landclear/core/date.hpp"
#include "landclear/core/phrase.hpp"
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

// How far an unexplained area difference may go and still be tolerated (never explained): an
// absolute 亩 figure, a share of the ledger's figure, or both (a row is within when it meets
// either, or with `all` every one given). Applied to each row (each project with --key project).
struct Tolerance {
    std::optional<double> mu;       // 亩
    std::optional<double> relative; // 0.001 for 0.1 %
    bool all = false;
    bool given() const { return mu || relative; }
    bool within(double difference_mu, double ledger_mu) const;
    Phrase describe() const; // "0.05 亩 或 0.1%" / "0.05 mu or 0.1%"
};
// Each spec is "0.05" (亩) or "0.1%"; mode "any" (default) or "all". option: how the caller
// names the choice in a message (the CLI passes its flag).
Tolerance parse_tolerance(const std::vector<std::string>& specs, const std::string& mode = "any",
                          const std::string& option = "tolerance");

struct ReconcileOptions {
    ReconcileKey key = ReconcileKey::parcel;
    AreaBasis area = AreaBasis::planar;
    Tolerance tolerance; // unexplained area differences within it are tolerated
    Date as_of = Date::today();
    std::optional<Measure> measure; // default: from the ledger's columns
};

enum class DiffClass {
    match,            // equal after 2-decimal rounding
    rounding,         // off by more than rounding but within 平差 (±0.01 亩 nudges)
    area_basis,       // equal on the other basis (planar vs ellipsoidal)
    overlap,          // the ledger leaves out the parcel's overlap with its neighbours
    area_differs,     // unexplained, beyond the tolerance (or no tolerance given)
    within_tolerance, // unexplained, but within --tolerance: tolerated, not explained
    status_differs,   // dates disagree, or one side counts the parcel and the other not
    only_ledger,
    only_map,
    duplicate, // a key repeated in the ledger, or a parcel drawn twice in the map
};
const char* diff_class_name(DiffClass c); // "match", ...
const char* diff_class_zh(DiffClass c);   // 相符, ...
const char* diff_class_en(DiffClass c);   // match, rounding (adjustment), ...
// match, rounding, area_basis: the difference is explained.
bool is_explained(DiffClass c);

// Contributions of each cause to a difference, in 亩, map − ledger.
struct Breakdown {
    double basis = 0, rounding = 0, overlap = 0, area = 0, tolerated = 0, status = 0,
           only_ledger = 0, only_map = 0, duplicate = 0;
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
    Phrase note;
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
    Tolerance tolerance;
    std::string ledger, ledger_encoding, ledger_column;
    std::vector<LedgerProblem> unreadable;
    std::vector<ReconcileItem> items;
    std::vector<ProjectReconcile> projects;
    ProjectReconcile total;
    std::vector<Phrase> notes;
    std::int64_t tolerated = 0; // items within tolerance
    std::int64_t problems = 0;  // items neither explained nor tolerated
    // Nothing beyond tolerance: every difference explained or tolerated, every row read.
    bool reconciled = false;
};

ReconcileReport reconcile(Store& store, const Ledger& ledger, const ReconcileOptions& options);

} // namespace landclear
