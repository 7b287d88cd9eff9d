#pragma once
// Vertebral levels C1…C7, T1…T12, L1…L5, S1…S5 ordered along the canal from the head down.
#include <optional>
#include <string>
#include <string_view>

namespace csfpk {

// 0 for C1, increasing caudally (C7 = 6, T1 = 7, T12 = 18, L1 = 19, L5 = 23, S1 = 24, S5 = 28).
std::optional<int> vertebral_level_index(std::string_view label);
std::string vertebral_level_label(int index);
inline constexpr int kVertebralLevelCount = 29;

}  // namespace csfpk
