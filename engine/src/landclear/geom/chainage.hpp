#pragma once
// Chainage (桩号): distance along a road centreline in metres, written K12+350 for 12 350 m.
#include <optional>
#include <string>
#include <string_view>

namespace landclear {

// K{km}+{metres:03}: 1200 -> "K1+200", 12350.5 -> "K12+350.5", 5.25 -> "K0+005.25". Rounded to
// the millimetre; decimals appear only when the value is not a whole metre. A negative chainage
// (before the origin of the line) keeps its sign in front: -120 -> "-K0+120".
std::string format_chainage(double metres);

// What import reads from a chainage field: "K12+350.5" (or "k12+350.5") as km × 1000 + metres,
// or plain metres "12350.5"; nullopt for other text and for values that are not finite.
std::optional<double> parse_chainage(std::string_view text);

// "K1+200–K1+300" (an en dash between the two stations).
std::string format_chainage_range(double from_m, double to_m);

} // namespace landclear
