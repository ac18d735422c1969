#pragma once
// Chainage (桩号): distance along a road centreline in metres, written K12+350 for 12 350 m.
#include <string>

namespace landclear {

// K{km}+{metres:03}: 1200 -> "K1+200", 12350.5 -> "K12+350.5", 5.25 -> "K0+005.25". Rounded to
// the millimetre; decimals appear only when the value is not a whole metre. A negative chainage
// (before the origin of the line) keeps its sign in front: -120 -> "-K0+120".
std::string format_chainage(double metres);

// "K1+200–K1+300" (an en dash between the two stations).
std::string format_chainage_range(double from_m, double to_m);

} // namespace landclear
