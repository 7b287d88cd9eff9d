#pragma once
// The per-drug figures every result holds, in single-run files and sweep files alike: one row
// per variable (name, axis, units, long name, CF attributes, and how to get one drug's values
// from a solved trajectory). Both writers and the sweep's run summaries read this table, so a
// new figure is its computation plus one row here.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "csfpk/run/site_summaries.hpp"
#include "csfpk/solve/trajectory.hpp"

namespace csfpk {

// What a figure varies along besides the drug.
enum class SummaryAxis { kNone, kSite, kLevel, kSegment };

// One drug of a solved trajectory, with its per-site figures computed once.
struct DrugFigures {
  const Trajectory& trajectory;
  const DrugTrajectory& drug;
  const SiteSummaries& sites;
};

struct SummaryVariable {
  std::string name;
  std::string long_name;
  std::string units;
  SummaryAxis axis = SummaryAxis::kNone;
  bool canal_only = false;  // 1D models only; left out of compartmental results
  std::vector<std::pair<std::string, std::string>> attributes;  // CF extras (cell_methods, …)
  // One drug's values: axis_length(axis, trajectory) of them, NaN where not computed.
  std::function<std::vector<double>(const DrugFigures&)> values;
};

const std::vector<SummaryVariable>& summary_variables();

// "site", "level", "segment"; empty for kNone.
const char* axis_name(SummaryAxis axis);
std::size_t axis_length(SummaryAxis axis, const Trajectory& trajectory);

// Whether a trajectory carries the variable (canal variables need the 1D axes).
bool carries(const SummaryVariable& variable, const Trajectory& trajectory);

// Every row's values for every drug, drug-major ([row][drug · axis entries]); rows the
// trajectory does not carry are empty.
std::vector<std::vector<double>> summary_values(const Trajectory& trajectory);

}  // namespace csfpk
