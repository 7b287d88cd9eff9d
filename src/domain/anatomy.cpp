#include "csfpk/domain/anatomy.hpp"

namespace csfpk {

std::optional<double> Anatomy::level_position(const std::string& label) const {
  for (const auto& level : levels) {
    if (level.label == label) return level.x_cm;
  }
  return std::nullopt;
}

}  // namespace csfpk
