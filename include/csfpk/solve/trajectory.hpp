#pragma once
// What a solve produces for one run: concentrations at every site and output time for every
// drug, plus the bookkeeping that proves mass is conserved.
#include <string>
#include <vector>

#include <Eigen/Core>

namespace csfpk {

struct DrugTrajectory {
  std::string drug;
  // Rows are sites (Trajectory::sites), columns are output times. µg/mL.
  Eigen::MatrixXd concentration_ug_per_mL;
  // Cumulative mass delivered to the body, in the body, and eliminated, at each output time. µg.
  std::vector<double> delivered_ug;
  std::vector<double> in_body_ug;
  std::vector<double> eliminated_ug;
  // max_t |delivered − in_body − eliminated| / max(max_t delivered, tiny): the mass-balance
  // closure this run achieved.
  double mass_balance_relative_error = 0.0;
};

struct Trajectory {
  std::vector<double> times_h;
  std::vector<std::string> sites;  // e.g. "lumbar", "thoracic", ..., "plasma"
  std::vector<DrugTrajectory> drugs;
};

}  // namespace csfpk
