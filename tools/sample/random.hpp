// Deterministic random numbers and calendar days for landclear-sample.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but the std:: distributions are
// not, so every distribution here is built from the raw 64-bit integers and plain arithmetic
// (no log/sin) to keep attribute values identical across standard libraries.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace landclear::sample {

inline std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_engine(seed) {}

    // An independent stream for (seed, stream id).
    static Rng derive(std::uint64_t seed, std::uint64_t stream) {
        return Rng(splitmix64(seed ^ splitmix64(stream + 0x5851f42d4c957f2dULL)));
    }

    std::uint64_t bits() { return m_engine(); }

    // Uniform in [0, 1) from the top 53 bits.
    double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

    // Uniform integer in [lo, hi] (inclusive), unbiased by rejection.
    std::int64_t integer(std::int64_t lo, std::int64_t hi) {
        const std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;
        if (span == 0) {
            return static_cast<std::int64_t>(m_engine());
        }
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;
        std::uint64_t x = m_engine();
        while (x >= limit) {
            x = m_engine();
        }
        return lo + static_cast<std::int64_t>(x % span);
    }

    bool chance(double p) { return uniform() < p; }

    // Bell-shaped (Irwin-Hall of four uniforms, rescaled to unit variance), bounded to ±3.46 sd.
    double bell(double mean, double sd) {
        const double s = uniform() + uniform() + uniform() + uniform() - 2.0;
        return mean + sd * s * 1.7320508075688772;
    }

    // Index drawn with the given non-negative weights.
    std::size_t weighted(std::span<const double> weights) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double x = uniform() * total;
        for (std::size_t i = 0; i < weights.size(); ++i) {
            if (x < weights[i]) {
                return i;
            }
            x -= weights[i];
        }
        return weights.size() - 1;
    }

    template <class T> const T& pick(const std::vector<T>& items) {
        return items[static_cast<std::size_t>(
            integer(0, static_cast<std::int64_t>(items.size()) - 1))];
    }

    // Fisher-Yates with our own integer draws (std::shuffle's use of the engine is unspecified).
    template <class T> void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) {
            const auto j = static_cast<std::size_t>(integer(0, static_cast<std::int64_t>(i) - 1));
            std::swap(items[i - 1], items[j]);
        }
    }

private:
    std::mt19937_64 m_engine;
};

// Calendar days counted from 1970-01-01.
using Day = std::int32_t;
inline constexpr Day kNever = INT32_MAX / 2; // planned beyond any horizon: written as null

inline Day make_day(int y, unsigned m, unsigned d) {
    using namespace std::chrono;
    return static_cast<Day>(sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count());
}

struct Ymd {
    int year;
    int month;
    int day;
};

inline Ymd to_ymd(Day d) {
    using namespace std::chrono;
    const year_month_day ymd{sys_days{days{d}}};
    return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
            static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

inline std::optional<Day> parse_day(const std::string& text) {
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    char tail = 0;
    if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
        return std::nullopt;
    }
    using namespace std::chrono;
    const year_month_day ymd{year{y}, month{m}, day{d}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    return static_cast<Day>(sys_days{ymd}.time_since_epoch().count());
}

} // namespace landclear::sample
