#include "csfpk/io/data_paths.hpp"

#include <cstdlib>

#include "csfpk/version.hpp"

namespace csfpk {

std::string models_directory() {
  if (const char* env = std::getenv("CSFPK_MODELS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return kSourceModelsDir;
}

}  // namespace csfpk
