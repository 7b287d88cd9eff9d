#include "csfpk/io/digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "csfpk/core/errors.hpp"

namespace csfpk {
namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) {
      throw Error("internal: cannot start a SHA-256 digest (OpenSSL)");
    }
  }
  void add(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(context_.get(), data, size) != 1) {
      throw Error("internal: SHA-256 digest update failed (OpenSSL)");
    }
  }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context_.get(), digest.data(), &size) != 1) {
      throw Error("internal: SHA-256 digest failed (OpenSSL)");
    }
    std::string out;
    char byte[3];
    for (unsigned int i = 0; i < size; ++i) {
      std::snprintf(byte, sizeof byte, "%02x", digest[i]);
      out += byte;
    }
    return out;
  }

 private:
  DigestContext context_;
};

}  // namespace

std::string sha256_hex(std::string_view data) {
  Sha256 digest;
  digest.add(data.data(), data.size());
  return digest.hex();
}

std::string file_sha256(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw IoError(path + ": cannot read: no such file, or not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot read");
  Sha256 digest;
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    if (in.gcount() > 0) digest.add(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw IoError(path + ": read error");
  return digest.hex();
}

std::vector<InputFile> digest_files(const std::vector<std::string>& paths) {
  std::set<std::string> unique;
  for (const std::string& path : paths) {
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    unique.insert(absolute.lexically_normal().string());
  }
  std::vector<InputFile> files;
  for (const std::string& path : unique) files.push_back({path, file_sha256(path)});
  return files;
}

std::string format_input_files(const std::vector<InputFile>& files) {
  std::string out;
  for (const InputFile& f : files) out += f.sha256 + "  " + f.path + "\n";
  return out;
}

std::vector<InputFile> parse_input_files(const std::string& text, const std::string& source) {
  std::vector<InputFile> files;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const std::size_t split = line.find("  ");
    if (split != 64 || line.size() <= 66) {
      throw IoError(source + ": attribute 'input_files' is damaged (line '" + line.substr(0, 80) +
                    "')");
    }
    files.push_back({line.substr(66), line.substr(0, 64)});
  }
  return files;
}

}  // namespace csfpk
