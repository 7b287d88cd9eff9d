// libFuzzer target: the fit's text inputs on arbitrary bytes: the observations CSV reader, and
// the --estimate, --error and --subject-set parsers on the same bytes as one argument.
// csfpk::Error is the expected way to refuse an input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "csfpk/core/errors.hpp"
#include "csfpk/fit/estimation.hpp"
#include "csfpk/fit/observations.hpp"
#include "temp_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = csfpk::fuzz::write_input(data, size, ".csv");
  try {
    (void)csfpk::read_observations(path);
  } catch (const csfpk::Error&) {
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)csfpk::parse_estimate(text);
  } catch (const csfpk::Error&) {
  }
  try {
    (void)csfpk::parse_error_model(text);
  } catch (const csfpk::Error&) {
  }
  try {
    (void)csfpk::parse_subject_override(text);
  } catch (const csfpk::Error&) {
  }
  return 0;
}
