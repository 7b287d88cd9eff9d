#include <catch2/catch.hpp>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/units.hpp"

using namespace csfpk;
using namespace csfpk::units;
using Catch::Matchers::Contains;

TEST_CASE("volume rates convert to mL/h", "[units]") {
  CHECK(parse_as("0.5 mL/day", kVolumeRate) == Approx(0.5 / 24.0));
  CHECK(parse_as("0.35 mL/min", kVolumeRate) == Approx(21.0));
  CHECK(parse_as("60 L/h", kVolumeRate) == Approx(60000.0));
  CHECK(parse_as("20 uL/h", kVolumeRate) == Approx(0.02));
}

TEST_CASE("concentrations, masses and times convert to µg/mL, µg and h", "[units]") {
  CHECK(parse_as("10 mg/mL", kConcentration) == Approx(10000.0));
  CHECK(parse_as("500 µg/mL", kConcentration) == Approx(500.0));
  CHECK(parse_as("25 mcg/mL", kConcentration) == Approx(25.0));
  CHECK(parse_as("4228 ng/mL", kConcentration) == Approx(4.228));
  CHECK(parse_as("50 ug", kMass) == Approx(50.0));
  CHECK(parse_as("5 min", kTime) == Approx(5.0 / 60.0));
  CHECK(parse_as("28 day", kTime) == Approx(672.0));
  CHECK(parse_as("2 weeks", kTime) == Approx(336.0));
}

TEST_CASE("compound units with exponents", "[units]") {
  CHECK(parse_as("7.6e-6 cm^2/s", kDiffusivity) == Approx(7.6e-6 * 3600.0));
  CHECK(parse_as("18 cm²/h", kDiffusivity) == Approx(18.0));
  CHECK(parse_as("0.36 1/h", kRateConstant) == Approx(0.36));
  CHECK(parse_as("2 um/s", kVelocity) == Approx(0.72));
  CHECK(parse_as("1.2 cm2", kArea) == Approx(1.2));
  CHECK(parse_as("3", kDimensionless) == Approx(3.0));
}

TEST_CASE("wrong dimension names what was expected", "[units]") {
  CHECK_THROWS_WITH(parse_as("0.5 mg/day", kVolumeRate),
                    "expected a volume rate (e.g. 0.5 mL/day), got '0.5 mg/day' which is a mass "
                    "rate (e.g. 1 mg/day)");
  CHECK_THROWS_WITH(parse_as("0.5", kVolumeRate), Contains("which is a plain number"));
}

TEST_CASE("malformed values are rejected", "[units]") {
  CHECK_THROWS_WITH(parse_quantity("fast mL/h"), "does not start with a number");
  CHECK_THROWS_WITH(parse_quantity("1 furlong"), "unknown unit 'furlong'");
  CHECK_THROWS_WITH(parse_quantity("nan mL"), "is not a finite number");
  CHECK_THROWS_WITH(parse_quantity("inf mL"), "is not a finite number");
  CHECK_THROWS_WITH(parse_quantity("1e999 mL"), "number out of range");
  CHECK_THROWS_WITH(parse_quantity("1 mL/"), "unit expression ends with an operator");
  CHECK_THROWS_WITH(parse_quantity(""), "empty value");
  CHECK_THROWS_AS(parse_quantity("1.2.3 mL"), UnitError);
}

TEST_CASE("clock times", "[units]") {
  CHECK(parse_clock_time("07:00") == Approx(7.0));
  CHECK(parse_clock_time("22:30") == Approx(22.5));
  CHECK_THROWS_WITH(parse_clock_time("24:00"), Contains("between 00:00 and 23:59"));
  CHECK_THROWS_AS(parse_clock_time("7"), UnitError);
}
