// libFuzzer target (campaigns): the HDF5 result reader (verify, export) on arbitrary
// bytes. csfpk::Error is the expected way to refuse a file; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/result_reader.hpp"
#include "temp_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = csfpk::fuzz::write_input(data, size, ".h5");
  try {
    (void)csfpk::read_result(path);
  } catch (const csfpk::Error&) {
  }
  return 0;
}
