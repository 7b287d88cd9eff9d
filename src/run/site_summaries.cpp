#include "csfpk/run/site_summaries.hpp"

#include <limits>

namespace csfpk {

Eigen::VectorXd trapezoid_weights(const std::vector<double>& times_h) {
  const auto n = static_cast<Eigen::Index>(times_h.size());
  Eigen::VectorXd w = Eigen::VectorXd::Zero(n);
  for (Eigen::Index i = 1; i < n; ++i) {
    const double half =
        0.5 * (times_h[static_cast<std::size_t>(i)] - times_h[static_cast<std::size_t>(i - 1)]);
    w[i - 1] += half;
    w[i] += half;
  }
  return w;
}

SiteSummaries site_summaries(const std::vector<double>& times_h,
                             const Eigen::MatrixXd& concentration) {
  const Eigen::Index sites = concentration.rows();
  SiteSummaries out;
  if (concentration.cols() == 0 || times_h.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.peak_ug_per_mL = out.auc_ug_h_per_mL = out.mean_ug_per_mL =
        Eigen::VectorXd::Constant(sites, nan);
    return out;
  }
  out.peak_ug_per_mL = concentration.rowwise().maxCoeff();
  out.auc_ug_h_per_mL = concentration * trapezoid_weights(times_h);
  const double span = times_h.back() - times_h.front();
  out.mean_ug_per_mL = span > 0.0 ? Eigen::VectorXd(out.auc_ug_h_per_mL / span)
                                  : Eigen::VectorXd(concentration.col(0));
  return out;
}

}  // namespace csfpk
