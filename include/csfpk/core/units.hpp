#pragma once
// The one internal unit system of csfpk, declared here and nowhere else:
//
//   mass µg · length cm · volume mL (= cm³) · time h
//   so concentration µg/mL, mass rate µg/h, volume rate mL/h, clearance mL/h, rate constant 1/h,
//   dispersion cm²/h, velocity cm/h.
//
// Every number that enters csfpk from a file or the command line carries a unit and is
// converted here; every number that leaves is labelled with one of the unit strings below.
#include <compare>
#include <string>
#include <string_view>

namespace csfpk::units {

// Physical dimension as exponents of mass, length and time (volume is length³).
struct Dimension {
  int mass = 0;
  int length = 0;
  int time = 0;
  friend constexpr bool operator==(const Dimension&, const Dimension&) = default;
};

inline constexpr Dimension kDimensionless{0, 0, 0};
inline constexpr Dimension kMass{1, 0, 0};
inline constexpr Dimension kLength{0, 1, 0};
inline constexpr Dimension kArea{0, 2, 0};
inline constexpr Dimension kVolume{0, 3, 0};
inline constexpr Dimension kTime{0, 0, 1};
inline constexpr Dimension kRateConstant{0, 0, -1};
inline constexpr Dimension kVolumeRate{0, 3, -1};  // pump rates and clearances
inline constexpr Dimension kMassRate{1, 0, -1};
inline constexpr Dimension kConcentration{1, -3, 0};
inline constexpr Dimension kDiffusivity{0, 2, -1};
inline constexpr Dimension kVelocity{0, 1, -1};

// Labels written next to internal values in result files and exports.
inline constexpr std::string_view kMassUnit = "ug";
inline constexpr std::string_view kVolumeUnit = "mL";
inline constexpr std::string_view kTimeUnit = "h";
inline constexpr std::string_view kLengthUnit = "cm";
inline constexpr std::string_view kConcentrationUnit = "ug/mL";
inline constexpr std::string_view kMassRateUnit = "ug/h";
inline constexpr std::string_view kVolumeRateUnit = "mL/h";

struct Quantity {
  double value = 0.0;  // in internal units
  Dimension dimension;
};

// Parses "0.5 mL/day", "10 mg/mL", "5 min", "0.36 1/h", "7.6e-6 cm^2/s", "250 L".
// Throws UnitError for a malformed number, an unknown unit or a non-finite value.
Quantity parse_quantity(std::string_view text);

// Parses and checks the dimension; the error names what was expected with an example.
double parse_as(std::string_view text, Dimension expected);

// "09:00" or "9:30" → hours after midnight, in [0, 24).
double parse_clock_time(std::string_view text);

// "a volume rate (e.g. 0.5 mL/day)" for messages.
std::string describe(Dimension dimension);

}  // namespace csfpk::units
