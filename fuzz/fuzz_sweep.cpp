// libFuzzer target: the sweep-file readers (sweep-info, sobol) and merge on sweep files that are
// valid HDF5 with damaged csfpk content (see h5_edits.hpp), merged with themselves and with an
// intact shard. csfpk::Error is the expected way to refuse a file; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "csfpk/batch/sweep_file.hpp"
#include "csfpk/core/errors.hpp"
#include "h5_edits.hpp"
#include "temp_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string kBase = CSFPK_FUZZ_BASES "/tiny_sweep.h5";
  static const std::string path = csfpk::fuzz::scratch_path(".sweep.h5");
  static const std::string merged = csfpk::fuzz::scratch_path(".merged.h5");
  FuzzedDataProvider in(data, size);
  csfpk::fuzz::damage_copy(kBase, path, in);
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
  for (const auto& shards :
       {std::vector<std::string>{path, path}, std::vector<std::string>{kBase, path}}) {
    try {
      (void)csfpk::batch::merge_shards(merged, shards, "fuzz");
    } catch (const csfpk::Error&) {
    }
  }
  std::error_code ignored;
  std::filesystem::remove(merged, ignored);
  return 0;
}
