#include "csfpk/core/units.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <vector>

#include "csfpk/core/errors.hpp"

namespace csfpk::units {
namespace {

struct UnitSymbol {
  std::string_view symbol;
  double scale;  // internal units per one of this unit
  Dimension dimension;
};

// Conversion factors to the internal system (µg, cm, mL, h).
constexpr std::array kSymbols{
    UnitSymbol{"ug", 1.0, kMass},         UnitSymbol{"µg", 1.0, kMass},
    UnitSymbol{"μg", 1.0, kMass},         UnitSymbol{"mcg", 1.0, kMass},
    UnitSymbol{"ng", 1e-3, kMass},        UnitSymbol{"pg", 1e-6, kMass},
    UnitSymbol{"mg", 1e3, kMass},         UnitSymbol{"g", 1e6, kMass},
    UnitSymbol{"kg", 1e9, kMass},         UnitSymbol{"mL", 1.0, kVolume},
    UnitSymbol{"ml", 1.0, kVolume},       UnitSymbol{"uL", 1e-3, kVolume},
    UnitSymbol{"µL", 1e-3, kVolume},      UnitSymbol{"μL", 1e-3, kVolume},
    UnitSymbol{"ul", 1e-3, kVolume},      UnitSymbol{"dL", 100.0, kVolume},
    UnitSymbol{"L", 1000.0, kVolume},     UnitSymbol{"l", 1000.0, kVolume},
    UnitSymbol{"cc", 1.0, kVolume},       UnitSymbol{"cm", 1.0, kLength},
    UnitSymbol{"mm", 0.1, kLength},       UnitSymbol{"um", 1e-4, kLength},
    UnitSymbol{"µm", 1e-4, kLength},      UnitSymbol{"μm", 1e-4, kLength},
    UnitSymbol{"m", 100.0, kLength},      UnitSymbol{"h", 1.0, kTime},
    UnitSymbol{"hr", 1.0, kTime},         UnitSymbol{"hour", 1.0, kTime},
    UnitSymbol{"hours", 1.0, kTime},      UnitSymbol{"min", 1.0 / 60.0, kTime},
    UnitSymbol{"s", 1.0 / 3600.0, kTime}, UnitSymbol{"sec", 1.0 / 3600.0, kTime},
    UnitSymbol{"d", 24.0, kTime},         UnitSymbol{"day", 24.0, kTime},
    UnitSymbol{"days", 24.0, kTime},      UnitSymbol{"week", 168.0, kTime},
    UnitSymbol{"weeks", 168.0, kTime},
};

// Edits between two words, a swap of neighbours counting as one ("dya" is one from "day").
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The units a typo most likely meant: those fewest edits away ("dya" → day; "dd" → d or dL),
// none when nothing is close.
std::string closest_symbol(std::string_view typed) {
  std::size_t best = std::max<std::size_t>(1, typed.size() / 3) + 1;
  std::vector<std::string> matches;
  for (const auto& candidate : kSymbols) {
    if (candidate.symbol.find_first_of("\xc2\xce") != std::string_view::npos) continue;  // µ, μ
    const std::size_t d = edit_distance(typed, candidate.symbol);
    if (d < best) {
      best = d;
      matches.clear();
    }
    if (d == best) matches.emplace_back(candidate.symbol);
  }
  if (matches.empty() || matches.size() > 3) return {};
  std::string out;
  for (std::size_t k = 0; k < matches.size(); ++k) {
    out += (k == 0 ? "'" : k + 1 == matches.size() ? " or '" : ", '") + matches[k] + "'";
  }
  return out;
}

Dimension combine(Dimension a, Dimension b, int sign) {
  return {a.mass + sign * b.mass, a.length + sign * b.length, a.time + sign * b.time};
}
Dimension power(Dimension a, int p) {
  return {a.mass * p, a.length * p, a.time * p};
}

bool is_unit_char(unsigned char c) {
  // Letters plus the UTF-8 bytes of µ/μ (lead bytes 0xC2/0xCE and their continuations).
  return std::isalpha(c) != 0 || c >= 0x80;
}

class UnitExpressionParser {
 public:
  explicit UnitExpressionParser(std::string_view text) : text_(text) {}

  Quantity parse() {
    Quantity result{1.0, kDimensionless};
    int sign = +1;
    bool expect_term = true;
    while (true) {
      skip_spaces();
      if (pos_ == text_.size()) break;
      if (!expect_term && (peek() == '/' || peek() == '*')) {
        sign = peek() == '/' ? -1 : +1;
        ++pos_;
        expect_term = true;
        continue;
      }
      if (!expect_term) sign = +1;  // "mg mL^-1" style juxtaposition multiplies
      const Quantity term = parse_term();
      result.value = sign > 0 ? result.value * term.value : result.value / term.value;
      result.dimension = combine(result.dimension, term.dimension, sign);
      expect_term = false;
    }
    if (expect_term && pos_ != 0) throw UnitError("unit expression ends with an operator");
    return result;
  }

 private:
  char peek() const { return text_[pos_]; }
  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }

  Quantity parse_term() {
    if (peek() == '1') {  // the "1" of "1/h"
      ++pos_;
      return {1.0, kDimensionless};
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_unit_char(static_cast<unsigned char>(text_[pos_]))) {
      // "²"/"³" are UTF-8 too; stop before them so they read as exponents.
      if (text_.substr(pos_, 2) == "²" || text_.substr(pos_, 2) == "³") break;
      ++pos_;
    }
    const std::string_view symbol = text_.substr(start, pos_ - start);
    if (symbol.empty()) {
      throw UnitError("unexpected '" + std::string(1, peek()) + "' in unit");
    }
    const UnitSymbol* found = nullptr;
    for (const auto& candidate : kSymbols) {
      if (candidate.symbol == symbol) found = &candidate;
    }
    if (found == nullptr) {
      const std::string guess = closest_symbol(symbol);
      throw UnitError("unknown unit '" + std::string(symbol) + "'" +
                      (guess.empty() ? std::string() : "; did you mean " + guess + "?"));
    }
    const int exponent = parse_exponent();
    return {std::pow(found->scale, exponent), power(found->dimension, exponent)};
  }

  int parse_exponent() {
    if (text_.substr(pos_, 2) == "²") {
      pos_ += 2;
      return 2;
    }
    if (text_.substr(pos_, 2) == "³") {
      pos_ += 2;
      return 3;
    }
    if (pos_ < text_.size() && text_[pos_] == '^') ++pos_;
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])) != 0) {
      ++pos_;
    }
    if (start == pos_) return 1;
    int exponent = 0;
    const auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, exponent);
    if (ec != std::errc{} || end != text_.data() + pos_ || exponent == 0 || exponent > 4 ||
        exponent < -4) {
      throw UnitError("bad exponent in unit");
    }
    return exponent;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

}  // namespace

Quantity parse_quantity(std::string_view text) {
  const std::string_view s = trim(text);
  if (s.empty()) throw UnitError("empty value");
  double number = 0.0;
  const char* begin = s.data();
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), number);
  if (ec == std::errc::result_out_of_range) throw UnitError("number out of range");
  if (ec != std::errc{}) throw UnitError("does not start with a number");
  if (!std::isfinite(number)) throw UnitError("is not a finite number");
  const std::string_view unit_text = s.substr(static_cast<std::size_t>(end - begin));
  if (!unit_text.empty() && unit_text.front() != ' ' && unit_text.front() != '\t' &&
      !is_unit_char(static_cast<unsigned char>(unit_text.front())) && unit_text.front() != '/') {
    throw UnitError("malformed number");
  }
  const Quantity unit = UnitExpressionParser(unit_text).parse();
  const double value = number * unit.value;
  if (!std::isfinite(value)) throw UnitError("is out of range after unit conversion");
  return {value, unit.dimension};
}

std::string describe(Dimension d) {
  struct Named {
    Dimension dimension;
    std::string_view text;
  };
  static constexpr std::array kNames{
      Named{kDimensionless, "a plain number"},
      Named{kMass, "a mass (e.g. 50 ug)"},
      Named{kLength, "a length (e.g. 12 cm)"},
      Named{kArea, "an area (e.g. 1.2 cm^2)"},
      Named{kVolume, "a volume (e.g. 0.05 mL)"},
      Named{kTime, "a duration (e.g. 5 min, 28 day)"},
      Named{kRateConstant, "a rate constant (e.g. 0.36 1/h)"},
      Named{kVolumeRate, "a volume rate (e.g. 0.5 mL/day)"},
      Named{kMassRate, "a mass rate (e.g. 1 mg/day)"},
      Named{kConcentration, "a concentration (e.g. 10 mg/mL)"},
      Named{kDiffusivity, "a dispersion coefficient (e.g. 18 cm^2/h)"},
      Named{kVelocity, "a velocity (e.g. 0.36 cm/h)"},
  };
  for (const auto& named : kNames) {
    if (named.dimension == d) return std::string(named.text);
  }
  std::ostringstream out;
  out << "mass^" << d.mass << " length^" << d.length << " time^" << d.time;
  return out.str();
}

double parse_as(std::string_view text, Dimension expected) {
  const Quantity q = parse_quantity(text);
  if (q.dimension != expected) {
    throw UnitError("expected " + describe(expected) + ", got '" + std::string(trim(text)) +
                    "' which is " + describe(q.dimension));
  }
  return q.value;
}

double parse_clock_time(std::string_view text) {
  const std::string_view s = trim(text);
  const auto colon = s.find(':');
  int hours = -1;
  int minutes = -1;
  // from_chars takes a sign: "-0:30" must not read as 00:30.
  if (colon != std::string_view::npos && colon > 0 && s.size() - colon == 3 && s[0] >= '0' &&
      s[0] <= '9' && s[colon + 1] >= '0' && s[colon + 1] <= '9') {
    const auto h = std::from_chars(s.data(), s.data() + colon, hours);
    const auto m = std::from_chars(s.data() + colon + 1, s.data() + s.size(), minutes);
    if (h.ec != std::errc{} || h.ptr != s.data() + colon || m.ec != std::errc{} ||
        m.ptr != s.data() + s.size()) {
      hours = -1;
    }
  }
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) {
    throw UnitError("expected a time of day HH:MM between 00:00 and 23:59, got '" + std::string(s) +
                    "'");
  }
  return hours + minutes / 60.0;
}

}  // namespace csfpk::units
