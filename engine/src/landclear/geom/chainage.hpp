#pragma once
// Chainage (桩号): distance along a road centreline in metres, written K12+350 for 12 350 m.
#include <optional>
#include <string>
#include <string_view>

namespace landclear {

// K{km}+{metres:03}: 1200 -> "K1+200", 12350.5 -> "K12+350.5", 5.25 -> "K0+005.25". Rounded to
// the millimetre; decimals appear only when the value is not a whole metre. A negative chainage
// (before the origin of the line) keeps its sign in front: -120 -> "-K0+120".
// `prefix` names the alignment: "ZK" gives ZK1+200 (左线), "YK" YK1+200 (右线).
std::string format_chainage(double metres, std::string_view prefix = "K");

// "K1+200–K1+300" (an en dash between the two stations).
std::string format_chainage_range(double from_m, double to_m, std::string_view prefix = "K");

} // namespace landclear

#include <vector>

namespace landclear {

// What import reads from a chainage field: "K12+350.5" (or "k12+350.5") as km × 1000 + metres,
// "-K0+120" (a station before the origin, as format_chainage writes it) as −120, or plain
// metres "12350.5"; nullopt for other text, for values that are not finite, and for metres of
// 1000 or more after the '+' ("K1+1500": chainage_problem says why).
std::optional<double> parse_chainage(const std::string& text);
// Why K-notation that parse_chainage refuses is not a station, when the reason is more than
// "not a number": "'K1+1500' has 1500 m after the '+' ... (written K2+500)". nullopt otherwise.
std::optional<std::string> chainage_problem(const std::string& text);

// A chainage break (断链) where re-alignment changed the length of a road: walking the
// centreline, the stationing reads `back_m` and from there on continues from `ahead_m`
// ("K12+345.6 = K12+300"). ahead < back is a long chain (长链: the stretch ahead .. back is
// stationed twice), ahead > back a short chain (短链: those chainages are skipped).
struct ChainageBreak {
    double back_m = 0, ahead_m = 0;
    bool long_chain() const { return ahead_m < back_m; }
};

// Breaks as the corridors layer's `chainage_breaks` field holds them: "back=ahead" entries in
// the order they occur along the line, separated by ';' (also '；', ',', '，' or a new line),
// each side K-notation or metres: "K12+345.6=K12+300; K13+100=K13+150". Empty text: none.
// Error(input) naming the entry that does not parse.
std::vector<ChainageBreak> parse_chainage_breaks(const std::string& text);
// The same breaks written back in K-notation ("K12+345.6=K12+300;K13+100=K13+150").
std::string format_chainage_breaks(const std::vector<ChainageBreak>& breaks);

// One stretch of a segmented line: distance along the centreline from its first vertex
// (along_*) and the chainage of both ends as the stationing reads them.
struct StationSpan {
    double along_from_m = 0, along_to_m = 0;
    double from_m = 0, to_m = 0; // chainage
};

// The stationing of a centreline: the start chainage plus the distance along it, jumping at
// each break. Between breaks the stationing runs continuously ("runs").
class Stationing {
public:
    // Error(input) when a break lies outside the line (its back chainage is not reached after
    // the previous one, or lies beyond the line's end), breaks closer than 1 mm to each other or
    // to an end, or the numbers are not finite.
    Stationing(double start_chainage_m, double length_m, std::vector<ChainageBreak> breaks = {});

    double start() const { return m_start; }
    double length() const { return m_length; }
    const std::vector<ChainageBreak>& breaks() const { return m_breaks; }
    // The runs between breaks (one when there is none), in order along the line.
    const std::vector<StationSpan>& runs() const { return m_runs; }
    // Chainage at distance s along the line; at a break, the chainage ahead of it.
    double chainage_at(double along_m) const;
    // Σ (ahead − back): the end chainage minus (start + length).
    double total_jump() const;

    // Segments: within each run, boundaries at every multiple of segment_m strictly inside it
    // (as segment_chainages), and each break is a boundary. Error(usage) unless segment_m >= 1.
    std::vector<StationSpan> segments(double segment_m) const;

private:
    double m_start = 0, m_length = 0;
    std::vector<ChainageBreak> m_breaks;
    std::vector<StationSpan> m_runs;
};

} // namespace landclear
