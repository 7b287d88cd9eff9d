#pragma once
// Per-process scratch files for targets whose code under test takes paths.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace csfpk::fuzz {

// A path in the temporary folder unique to this process, ending in `suffix`.
inline std::string scratch_path(const char* suffix) {
  return (std::filesystem::temp_directory_path() /
          ("csfpk_fuzz_" + std::to_string(::getpid()) + suffix))
      .string();
}

// Writes the fuzzer's input to this process's scratch file ending in `suffix`.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const char* suffix) {
  static const std::string path = scratch_path(suffix);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace csfpk::fuzz
