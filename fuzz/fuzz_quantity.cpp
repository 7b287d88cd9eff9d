// libFuzzer target: the unit/quantity and clock-time parsers. UnitError (any csfpk::Error) is the
// expected way to refuse a string; anything else, or a sanitizer report, is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)csfpk::units::parse_quantity(text);
  } catch (const csfpk::Error&) {
  }
  try {
    (void)csfpk::units::parse_clock_time(text);
  } catch (const csfpk::Error&) {
  }
  return 0;
}
