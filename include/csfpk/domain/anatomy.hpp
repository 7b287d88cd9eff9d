#pragma once
// The spinal canal as the 1D model sees it: coordinate x from the sacral end of the dural sac
// (x = 0) to the foramen magnum (x = canal length), CSF cross-section A(x) with the cord
// removed, cord cross-section, vertebral levels placed along x, and cord segments with the
// dermatomes they serve. Data: models/anatomy/*.yaml, each value with its source.
#include <optional>
#include <string>
#include <vector>

#include "csfpk/core/table.hpp"

namespace csfpk {

struct LevelPosition {
  std::string label;  // "T10"
  double x_cm = 0.0;
};

struct CordSegment {
  std::string label;       // "T10" (cord segment, not vertebra)
  double bottom_cm = 0.0;  // caudal end
  double top_cm = 0.0;     // cranial end
  std::string dermatome;   // "umbilicus"
};

struct Anatomy {
  std::string name;
  double canal_length_cm = 60.0;
  LinearTable csf_area_cm2;           // A(x)
  LinearTable cord_area_cm2;          // 0 below the conus
  std::vector<LevelPosition> levels;  // sorted by x (caudal → cranial)
  std::vector<CordSegment> segments;  // sorted by x

  // Position of a vertebral level; nullopt if the anatomy does not place it.
  std::optional<double> level_position(const std::string& label) const;
};

}  // namespace csfpk
