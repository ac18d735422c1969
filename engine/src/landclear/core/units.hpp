#pragma once
// Area units. 1 亩 = 10000/15 m² exactly; never a rounded factor, and round only when printing.

namespace landclear {

constexpr double m2_to_mu(double m2) {
    return m2 * 3.0 / 2000.0;
}
constexpr double mu_to_m2(double mu) {
    return mu * 2000.0 / 3.0;
}
constexpr double m2_to_hectare(double m2) {
    return m2 / 10000.0;
}

// Share in percent; 0 when the whole is 0 so empty groups print 0.0 % rather than NaN.
constexpr double percent(double part, double whole) {
    return whole > 0 ? 100.0 * part / whole : 0.0;
}

} // namespace landclear
