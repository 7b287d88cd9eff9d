#pragma once
#include <string>

namespace csfpk {

// The models/ data folder: $CSFPK_MODELS_DIR if set (`csfpk --models DIR` sets it), else
// share/csfpk/models beside an installed program, else the source tree's models/, else the
// install prefix's share/csfpk/models.
std::string models_directory();

}  // namespace csfpk
