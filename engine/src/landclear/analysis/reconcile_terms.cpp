// The reconciliation's vocabulary: measure and class names in both languages, the option
// parsers, tolerances and the breakdown of a difference. The comparison itself is reconcile.cpp.
#include "landclear/analysis/reconcile.hpp"
#include "landclear/core/error.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace landclear {

namespace {
constexpr double eps = 1e-9;
} // namespace

const char* measure_zh(Measure m) {
    switch (m) {
    case Measure::area:
        return "面积";
    case Measure::acquired:
        return "已征面积";
    case Measure::cleared:
        return "已腾面积";
    case Measure::delivered:
        return "已交面积";
    }
    return "";
}
const char* measure_en(Measure m) {
    switch (m) {
    case Measure::area:
        return "area";
    case Measure::acquired:
        return "acquired area";
    case Measure::cleared:
        return "cleared area";
    case Measure::delivered:
        return "delivered area";
    }
    return "";
}

ReconcileKey parse_reconcile_key(const std::string& text, const std::string& option) {
    if (text == "parcel")
        return ReconcileKey::parcel;
    if (text == "project")
        return ReconcileKey::project;
    throw_usage(fmt::format("{} '{}' is not parcel or project", option, text));
}

Measure parse_measure(const std::string& text, const std::string& option) {
    if (text == "area")
        return Measure::area;
    if (text == "acquired")
        return Measure::acquired;
    if (text == "cleared")
        return Measure::cleared;
    if (text == "delivered")
        return Measure::delivered;
    throw_usage(fmt::format("{} '{}' is not area, acquired, cleared or delivered", option, text));
}

const char* diff_class_name(DiffClass c) {
    switch (c) {
    case DiffClass::match:
        return "match";
    case DiffClass::rounding:
        return "rounding";
    case DiffClass::area_basis:
        return "area_basis";
    case DiffClass::overlap:
        return "overlap";
    case DiffClass::area_differs:
        return "area_differs";
    case DiffClass::within_tolerance:
        return "within_tolerance";
    case DiffClass::status_differs:
        return "status_differs";
    case DiffClass::only_ledger:
        return "only_ledger";
    case DiffClass::only_map:
        return "only_map";
    case DiffClass::duplicate:
        return "duplicate";
    }
    return "";
}

const char* diff_class_en(DiffClass c) {
    switch (c) {
    case DiffClass::match:
        return "match";
    case DiffClass::rounding:
        return "rounding (adjustment)";
    case DiffClass::area_basis:
        return "other area basis";
    case DiffClass::overlap:
        return "overlap";
    case DiffClass::area_differs:
        return "area differs";
    case DiffClass::within_tolerance:
        return "within tolerance";
    case DiffClass::status_differs:
        return "status/date differs";
    case DiffClass::only_ledger:
        return "only in ledger";
    case DiffClass::only_map:
        return "only in map";
    case DiffClass::duplicate:
        return "duplicate";
    }
    return "";
}

bool is_explained(DiffClass c) {
    return c == DiffClass::match || c == DiffClass::rounding || c == DiffClass::area_basis;
}

bool Tolerance::within(double difference_mu, double ledger_mu) const {
    double d = std::fabs(difference_mu);
    bool abs_ok = mu && d <= *mu + eps;
    bool rel_ok = relative && d <= *relative * std::fabs(ledger_mu) + eps;
    if (all)
        return (!mu || abs_ok) && (!relative || rel_ok) && given();
    return abs_ok || rel_ok;
}

Phrase Tolerance::describe() const {
    if (!given())
        return {};
    auto pct = [](double r) { return fmt::format("{}%", r * 100); };
    if (mu && relative)
        return {fmt::format("{} 亩{}{}", *mu, all ? "且" : "或", pct(*relative)),
                fmt::format("{} mu {} {}", *mu, all ? "and" : "or", pct(*relative))};
    if (mu)
        return {fmt::format("{} 亩", *mu), fmt::format("{} mu", *mu)};
    return {pct(*relative), pct(*relative)};
}

Tolerance parse_tolerance(const std::vector<std::string>& specs, const std::string& mode,
                          const std::string& option) {
    Tolerance t;
    if (mode == "all")
        t.all = true;
    else if (mode != "any")
        throw_usage(fmt::format("{}-mode '{}' is not any or all", option, mode),
                    "any: a row meets either tolerance; all: every one given");
    for (const auto& raw : specs) {
        std::string s = raw;
        bool relative = !s.empty() && s.back() == '%';
        if (relative)
            s.pop_back();
        double v = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !(v >= 0) ||
            !std::isfinite(v))
            throw_usage(fmt::format("{} '{}' is not a number of 亩 (0.05) or a percentage (0.1%)",
                                    option, raw),
                        fmt::format("give {0} 0.05 (亩) or {0} 0.1% (of the ledger's figure), "
                                    "or both",
                                    option));
        auto& slot = relative ? t.relative : t.mu;
        if (slot)
            throw_usage(
                fmt::format("{} is given twice as {}", option, relative ? "a percentage" : "亩"),
                "give at most one figure in 亩 and one percentage");
        slot = relative ? v / 100 : v;
    }
    return t;
}

const char* diff_class_zh(DiffClass c) {
    switch (c) {
    case DiffClass::match:
        return "相符";
    case DiffClass::rounding:
        return "取整/平差";
    case DiffClass::area_basis:
        return "面积基准不同";
    case DiffClass::overlap:
        return "图斑重叠";
    case DiffClass::area_differs:
        return "面积不符";
    case DiffClass::within_tolerance:
        return "容差内";
    case DiffClass::status_differs:
        return "状态/日期不符";
    case DiffClass::only_ledger:
        return "仅台账有";
    case DiffClass::only_map:
        return "仅图上有";
    case DiffClass::duplicate:
        return "重复";
    }
    return "";
}

double Breakdown::sum() const {
    return basis + rounding + overlap + area + tolerated + status + only_ledger + only_map +
           duplicate;
}

void Breakdown::add(const Breakdown& o) {
    basis += o.basis;
    rounding += o.rounding;
    overlap += o.overlap;
    area += o.area;
    tolerated += o.tolerated;
    status += o.status;
    only_ledger += o.only_ledger;
    only_map += o.only_map;
    duplicate += o.duplicate;
}

} // namespace landclear
