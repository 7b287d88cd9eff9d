#include "csfpk/io/data_paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "csfpk/version.hpp"

namespace csfpk {

namespace fs = std::filesystem;

std::string models_directory() {
  if (const char* env = std::getenv("CSFPK_MODELS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  // An installed program: <prefix>/bin/csfpk next to <prefix>/share/csfpk/models, wherever the
  // prefix was moved.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = exe.parent_path().parent_path() / "share" / "csfpk" / "models";
    if (fs::is_directory(beside, ec)) return beside.string();
  }
  // A build tree, then a program linked against an installed csfpk.
  if (fs::is_directory(kSourceModelsDir, ec)) return kSourceModelsDir;
  return kInstallModelsDir;
}

}  // namespace csfpk
