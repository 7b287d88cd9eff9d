// libFuzzer target: the result reader (verify, export) and the CSV export on result files that
// are valid HDF5 with damaged csfpk content (see h5_edits.hpp). csfpk::Error is the expected way
// to refuse a file; anything else, or a sanitizer report, is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/csv_export.hpp"
#include "csfpk/io/result_reader.hpp"
#include "h5_edits.hpp"
#include "temp_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string kBases[] = {CSFPK_FUZZ_BASES "/tiny.h5", CSFPK_FUZZ_BASES "/tiny_1d.h5"};
  static const std::string path = csfpk::fuzz::scratch_path(".h5");
  static const std::string csv = csfpk::fuzz::scratch_path(".csv");
  FuzzedDataProvider in(data, size);
  csfpk::fuzz::damage_copy(kBases[in.ConsumeBool() ? 1 : 0], path, in);
  try {
    (void)csfpk::read_result(path);
  } catch (const csfpk::Error&) {
  }
  try {
    csfpk::export_csv(path, csv);
  } catch (const csfpk::Error&) {
  }
  return 0;
}
