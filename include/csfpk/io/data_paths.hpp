#pragma once
#include <string>

namespace csfpk {

// The models/ data folder: $CSFPK_MODELS_DIR if set, else the source tree's models/ folder.
std::string models_directory();

}  // namespace csfpk
