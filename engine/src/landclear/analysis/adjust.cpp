#include "landclear/analysis/adjust.hpp"

#include "landclear/analysis/check.hpp"
#include "landclear/analysis/ellipsoidal_cache.hpp"
#include "landclear/core/error.hpp"
#include "landclear/core/text.hpp"
#include "landclear/core/units.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>
#include <unordered_map>

namespace landclear {

namespace {

// A figure scaled to units of the last decimal is cut into its whole units and the remainder;
// float noise (3.27 × 100 = 327.00000000000006) is not a remainder.
constexpr double noise = 1e-7;

std::pair<std::int64_t, double> split_units(double scaled) {
    double f = std::floor(scaled);
    double rem = scaled - f;
    if (rem > 1 - noise)
        return {static_cast<std::int64_t>(f) + 1, 0.0};
    if (rem < noise)
        return {static_cast<std::int64_t>(f), 0.0};
    return {static_cast<std::int64_t>(f), rem};
}

const LedgerColumn* area_column(const Ledger& ledger) {
    for (auto f : {LedgerField::area, LedgerField::acquired_area, LedgerField::cleared_area,
                   LedgerField::delivered_area})
        if (const auto* c = ledger.column(f))
            return c;
    return nullptr;
}

std::optional<double> value_in(const LedgerRow& r, LedgerField f) {
    switch (f) {
    case LedgerField::area:
        return r.area_mu;
    case LedgerField::acquired_area:
        return r.acquired_mu;
    case LedgerField::cleared_area:
        return r.cleared_mu;
    case LedgerField::delivered_area:
        return r.delivered_mu;
    default:
        return std::nullopt;
    }
}

} // namespace

std::string format_units(std::int64_t units, int decimals) {
    std::int64_t scale = 1;
    for (int i = 0; i < decimals; ++i)
        scale *= 10;
    std::int64_t a = units < 0 ? -units : units;
    std::string s = fmt::format("{}{}", units < 0 ? "-" : "", a / scale);
    if (decimals > 0)
        s += fmt::format(".{:0{}d}", a % scale, decimals);
    return s;
}

AdjustResult adjust_ledger(Store& store, const Ledger& ledger, const AdjustOptions& o) {
    if (o.decimals < 0 || o.decimals > 6)
        throw_usage(fmt::format("--decimals {} is not between 0 and 6", o.decimals));
    AdjustResult r;
    r.decimals = o.decimals;
    r.column = area_column(ledger);
    if (!r.column)
        throw_usage(fmt::format("{} has no area column to adjust", ledger.display));
    if (!ledger.has(LedgerField::parcel_code))
        throw_usage(
            fmt::format("{} has no 宗地编号 column: 平差 adjusts parcel rows", ledger.display),
            "name the parcel code column in a mapping file (--map)");
    double scale = std::pow(10.0, o.decimals);
    double total_scaled = o.total * scale;
    if (!std::isfinite(o.total) || std::fabs(total_scaled - std::round(total_scaled)) > 1e-6)
        throw_usage(fmt::format("--to {} has more than {} decimals", o.total, o.decimals),
                    "give the approved total as printed, or raise --decimals");
    r.total = std::llround(total_scaled);

    // The map's unrounded areas, by code and by code as a person reads it.
    std::unordered_map<std::string, double> by_code, by_norm;
    std::unordered_map<std::string, int> norm_count;
    std::unordered_map<std::string, double> ellipsoidal;
    if (o.area == AreaBasis::ellipsoidal)
        ellipsoidal = parcel_ellipsoidal_areas(store);
    store.for_each_parcel([&](const ParcelRow& p) {
        double m2 = p.area_m2;
        if (o.area == AreaBasis::ellipsoidal)
            if (auto it = ellipsoidal.find(p.code); it != ellipsoidal.end())
                m2 = it->second;
        double mu = m2_to_mu(m2);
        by_code[p.code] = mu;
        auto n = normalise_code(p.code);
        by_norm[n] = mu;
        ++norm_count[n];
    });

    std::vector<double> rems;
    std::int64_t floors = 0;
    for (size_t i = 0; i < ledger.rows.size(); ++i) {
        const auto& row = ledger.rows[i];
        AdjustedRow a;
        a.index = i;
        a.row = row.row;
        a.key = row.parcel_code;
        std::optional<double> mu;
        if (auto it = by_code.find(row.parcel_code); it != by_code.end())
            mu = it->second;
        else if (auto n = normalise_code(row.parcel_code); norm_count[n] == 1)
            mu = by_norm[n];
        a.from_map = mu.has_value();
        if (!mu) {
            mu = value_in(row, r.column->field);
            ++r.from_ledger;
        }
        if (!mu)
            throw_input(fmt::format("{} row {}: parcel {} is not in the map and its {} is empty",
                                    ledger.display, row.row, row.parcel_code, r.column->header),
                        "平差 needs a figure for every row: fill it in or remove the row");
        a.unrounded = from_mu(*mu, r.column->unit);
        double scaled = a.unrounded * scale;
        auto [f, rem] = split_units(scaled);
        a.adjusted = f;
        a.rounded = rem >= 0.5 ? f + 1 : f;
        floors += f;
        rems.push_back(rem);
        r.rows.push_back(a);
    }
    std::int64_t k = r.total - floors;
    std::int64_t fractional =
        std::count_if(rems.begin(), rems.end(), [](double x) { return x > 0; });
    if (k < 0 || k > fractional) {
        double sum = 0;
        for (const auto& a : r.rows)
            sum += a.unrounded;
        throw_usage(
            fmt::format("--to {} cannot be met by rounding: the {} rows add up to {:.{}f} "
                        "unrounded, {} when cut to {} decimals; that needs {} units of {} "
                        "rounded up, but only {} rows have a remainder to round up",
                        format_units(r.total, o.decimals), r.rows.size(), sum, o.decimals + 2,
                        format_units(floors, o.decimals), o.decimals, k,
                        format_units(1, o.decimals), fractional),
            "平差 only distributes rounding (each row by less than one unit of its last decimal): "
            "check the control total and the ledger's rows");
    }
    // Largest remainders first; equal remainders: the row higher up in the ledger first.
    std::vector<size_t> order(r.rows.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return rems[a] > rems[b]; });
    for (std::int64_t j = 0; j < k; ++j)
        r.rows[order[static_cast<size_t>(j)]].adjusted += 1;
    for (const auto& a : r.rows) {
        r.moved_up += a.adjustment() > 0;
        r.moved_down += a.adjustment() < 0;
    }
    if (r.from_ledger > 0)
        r.notes.push_back(
            {fmt::format("{} 行的宗地不在图上，以台账原值为未取整值", r.from_ledger),
             fmt::format("{} rows name parcels not in the map: their ledger figures are taken "
                         "as unrounded",
                         r.from_ledger)});
    return r;
}

} // namespace landclear
