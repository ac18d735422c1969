#pragma once
// 平差: a ledger's figures rounded to its decimals and nudged by one unit of the last decimal,
// by the largest-remainder method, so that they add up exactly to an approved control total.
// The unrounded figure of a row is the map's area of its parcel (on the chosen basis, in the
// column's unit); a row whose parcel is not in the map keeps the ledger's own figure.
//
// Rule (reproducible): every row is first cut down to `decimals` (floor); the k = total − Σ
// floors units left are given, one each, to the k rows with the largest remainders; equal
// remainders go to the row higher up in the ledger. Every row therefore differs from its
// unrounded figure by less than one unit of the last decimal; a total that would need more is
// refused. docs/RECONCILE.md has the rule and an example.
#include "landclear/core/area_basis.hpp"
#include "landclear/core/phrase.hpp"
#include "landclear/io/ledger.hpp"
#include "landclear/store/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace landclear {

struct AdjustOptions {
    AreaBasis area = AreaBasis::planar;
    int decimals = 2;
    double total = 0; // the control total, in the area column's unit
};

struct AdjustedRow {
    size_t index = 0; // into Ledger::rows / cells
    int row = 0;      // spreadsheet row
    std::string key;
    bool from_map = false;    // the unrounded figure is the map's
    double unrounded = 0;     // in the column's unit
    std::int64_t rounded = 0; // half-up rounding, in units of the last decimal
    std::int64_t adjusted = 0;
    std::int64_t adjustment() const { return adjusted - rounded; } // −1, 0 or +1
};

struct AdjustResult {
    const LedgerColumn* column = nullptr; // the area column adjusted
    int decimals = 2;
    std::int64_t total = 0; // the control total in units of the last decimal
    std::vector<AdjustedRow> rows;
    std::int64_t moved_up = 0, moved_down = 0; // rows off their plain rounding by one unit
    std::int64_t from_ledger = 0;              // rows not in the map
    std::vector<Phrase> notes;
};

AdjustResult adjust_ledger(Store& store, const Ledger& ledger, const AdjustOptions& options);

// "12.30" from 1230 units at 2 decimals: exact, from the integer.
std::string format_units(std::int64_t units, int decimals);

} // namespace landclear
