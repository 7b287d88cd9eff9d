// Peak, AUC and mean by site: the one implementation `csfpk run` and sweeps share.
#include <catch2/catch.hpp>
#include <cmath>

#include "csfpk/run/site_summaries.hpp"

using namespace csfpk;

TEST_CASE("site summaries: trapezoidal AUC, its time average and the sampled peak", "[summaries]") {
  // Uneven times; row 0 is linear in time (trapezoid exact), row 1 a spike.
  const std::vector<double> t{0.0, 1.0, 3.0, 4.0};
  Eigen::MatrixXd c(2, 4);
  c << 0.0, 2.0, 6.0, 8.0,  //
      0.0, 5.0, 0.0, 0.0;
  const SiteSummaries s = site_summaries(t, c);
  CHECK(s.auc_ug_h_per_mL[0] == Approx(16.0).epsilon(1e-15));  // ∫ 2t dt on [0, 4]
  CHECK(s.mean_ug_per_mL[0] == Approx(4.0).epsilon(1e-15));
  CHECK(s.peak_ug_per_mL[0] == 8.0);
  CHECK(s.auc_ug_h_per_mL[1] == Approx(0.5 * 5.0 * 1.0 + 0.5 * 5.0 * 2.0).epsilon(1e-15));
  CHECK(s.peak_ug_per_mL[1] == 5.0);
  const Eigen::VectorXd w = trapezoid_weights(t);
  CHECK(w.sum() == Approx(4.0).epsilon(1e-15));
}

TEST_CASE("site summaries: one output time and no output times", "[summaries]") {
  Eigen::MatrixXd one(1, 1);
  one << 3.0;
  const SiteSummaries single = site_summaries({2.0}, one);
  CHECK(single.mean_ug_per_mL[0] == 3.0);
  CHECK(single.auc_ug_h_per_mL[0] == 0.0);
  const SiteSummaries none = site_summaries({}, Eigen::MatrixXd(2, 0));
  REQUIRE(none.peak_ug_per_mL.size() == 2);
  CHECK(std::isnan(none.peak_ug_per_mL[0]));
  CHECK(std::isnan(none.mean_ug_per_mL[1]));
}
