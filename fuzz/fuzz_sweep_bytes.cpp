// libFuzzer target (campaigns): the sweep-file readers (merge, sobol) on arbitrary
// bytes. csfpk::Error is the expected way to refuse a file; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "csfpk/batch/sweep_file.hpp"
#include "csfpk/core/errors.hpp"
#include "temp_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = csfpk::fuzz::write_input(data, size, ".sweep.h5");
  static const std::string merged = path + ".merged.h5";
  try {
    (void)csfpk::batch::read_sweep_info(path);
  } catch (const csfpk::Error&) {
  }
  for (const char* variable : {"peak", "mass_balance_relative_error", "level_peak"}) {
    try {
      (void)csfpk::batch::read_summary(path, variable, {});
    } catch (const csfpk::Error&) {
    }
  }
  try {
    // Two copies of one shard: merge reads every per-run variable of both.
    (void)csfpk::batch::merge_shards(merged, {path, path}, "fuzz");
  } catch (const csfpk::Error&) {
  }
  std::error_code ignored;
  std::filesystem::remove(merged, ignored);
  return 0;
}
