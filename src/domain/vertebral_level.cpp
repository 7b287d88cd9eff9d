#include "csfpk/domain/vertebral_level.hpp"

#include <array>
#include <charconv>

namespace csfpk {
namespace {
struct Region {
  char letter;
  int first_index;
  int count;
};
constexpr std::array kRegions{Region{'C', 0, 7}, Region{'T', 7, 12}, Region{'L', 19, 5},
                              Region{'S', 24, 5}};
}  // namespace

std::optional<int> vertebral_level_index(std::string_view label) {
  if (label.size() < 2) return std::nullopt;
  const char letter = static_cast<char>(label[0] & ~0x20);  // upper case
  int number = 0;
  const auto [end, ec] = std::from_chars(label.data() + 1, label.data() + label.size(), number);
  if (ec != std::errc{} || end != label.data() + label.size()) return std::nullopt;
  for (const auto& region : kRegions) {
    if (region.letter == letter && number >= 1 && number <= region.count) {
      return region.first_index + number - 1;
    }
  }
  return std::nullopt;
}

std::string vertebral_level_label(int index) {
  for (const auto& region : kRegions) {
    if (index >= region.first_index && index < region.first_index + region.count) {
      std::string label(1, region.letter);
      label += std::to_string(index - region.first_index + 1);
      return label;
    }
  }
  return "?";
}

}  // namespace csfpk
