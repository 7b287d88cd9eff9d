#pragma once
// Content digests for provenance: which exact inputs a result came from, so that a resumed or
// merged sweep can refuse inputs that changed in between. SHA-256 (OpenSSL), as lowercase hex.
#include <string>
#include <string_view>
#include <vector>

namespace csfpk {

std::string sha256_hex(std::string_view data);

// The digest of a file's bytes; IoError when it cannot be read.
std::string file_sha256(const std::string& path);

// An input file and its digest, as stored in sweep files (`input_files`: "<sha256>  <path>" per
// line, paths absolute).
struct InputFile {
  std::string path;
  std::string sha256;
  friend bool operator==(const InputFile&, const InputFile&) = default;
};

std::vector<InputFile> digest_files(const std::vector<std::string>& paths);
std::string format_input_files(const std::vector<InputFile>& files);
// Throws IoError naming `source` for a malformed line.
std::vector<InputFile> parse_input_files(const std::string& text, const std::string& source);

}  // namespace csfpk
