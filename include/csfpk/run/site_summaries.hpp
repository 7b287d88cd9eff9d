#pragma once
// Peak, AUC and time average of every site's concentration for one drug: the figures `csfpk run`
// prints and every sweep stores, computed here only. Between output times the concentration is
// taken as linear (trapezoidal rule), as in solve/summaries.hpp.
#include <Eigen/Core>
#include <vector>

namespace csfpk {

struct SiteSummaries {
  Eigen::VectorXd peak_ug_per_mL;   // maximum over the output times
  Eigen::VectorXd auc_ug_h_per_mL;  // ∫ c dt over the run
  // AUC / (t_end − t_0); the value at the single output time of a one-sample run.
  Eigen::VectorXd mean_ug_per_mL;
};

// Trapezoidal weights w with ∫ c dt = Σ w_i c(t_i) for c linear between the times.
Eigen::VectorXd trapezoid_weights(const std::vector<double>& times_h);

// `concentration` has one row per site and one column per entry of `times_h`. With no output
// times every figure is NaN.
SiteSummaries site_summaries(const std::vector<double>& times_h,
                             const Eigen::MatrixXd& concentration);

}  // namespace csfpk
