// libFuzzer target: the scenario loader on arbitrary bytes. csfpk::Error is the expected way to
// refuse an input; anything else, or a sanitizer report, is a bug.
#include <cstddef>
#include <cstdint>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "temp_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string models = csfpk::models_directory();
  const std::string path = csfpk::fuzz::write_input(data, size, ".yaml");
  try {
    (void)csfpk::load_scenario(path, {}, models);
  } catch (const csfpk::Error&) {
  }
  return 0;
}
