// Non-compartmental figures over windows, steady state and quantiles against hand calculations.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "csfpk/core/errors.hpp"
#include "csfpk/run/exposure_metrics.hpp"

using csfpk::TimeWindow;
using Catch::Matchers::Contains;

TEST_CASE("window metrics of a piecewise-linear series, window ends between samples") {
  // c = t on [0, 10]: over [2.5, 7.5] Cmax 7.5 at 7.5, Cmin 2.5, AUC (7.5² − 2.5²)/2 = 25, Cavg 5.
  std::vector<double> t;
  std::vector<double> c;
  for (int i = 0; i <= 10; ++i) {
    t.push_back(i);
    c.push_back(i);
  }
  const auto m = csfpk::window_metrics(t, c, TimeWindow{"mid", 2.5, 7.5});
  CHECK(m.cmax == Approx(7.5).epsilon(1e-14));
  CHECK(m.tmax_h == Approx(7.5).epsilon(1e-14));
  CHECK(m.cmin == Approx(2.5).epsilon(1e-14));
  CHECK(m.auc == Approx(25.0).epsilon(1e-14));
  CHECK(m.cavg == Approx(5.0).epsilon(1e-14));
  // Tmax is the first maximum; the whole run by default.
  const std::vector<double> plateau{0.0, 2.0, 2.0, 1.0};
  const std::vector<double> times{0.0, 1.0, 2.0, 3.0};
  const auto whole = csfpk::window_metrics(times, plateau, TimeWindow{"run", 0.0, std::nullopt});
  CHECK(whole.tmax_h == 1.0);
  CHECK(whole.auc == Approx(1.0 + 2.0 + 1.5));
}

TEST_CASE("window metrics refuse windows outside the run, reversed or badly placed") {
  const std::vector<double> t{0.0, 1.0, 2.0};
  const std::vector<double> c{0.0, 1.0, 0.0};
  CHECK_THROWS_WITH(csfpk::window_metrics(t, c, TimeWindow{"late", 1.0, 5.0}),
                    Contains("outside the run's output times, 0 h to 2 h"));
  CHECK_THROWS_WITH(csfpk::window_metrics(t, c, TimeWindow{"back", 1.5, 0.5}),
                    Contains("ends before it starts"));
}

TEST_CASE("steady state: a first-order approach is found once the daily means agree") {
  // c = 1 − exp(−k t), k = 0.1/h: the daily mean differs from the last one's by about
  // exp(−2.4 d)·… ; with 5 % the start is the first day boundary whose later days all agree.
  std::vector<double> t;
  std::vector<double> c;
  for (int i = 0; i <= 24 * 10; ++i) {
    t.push_back(i);
    c.push_back(1.0 - std::exp(-0.1 * i));
  }
  const auto start = csfpk::steady_state_start(t, c, 24.0, 0.05);
  REQUIRE(start.has_value());
  // Mean over day d (hours 24(d−1)..24d) is 1 − (e^{−2.4(d−1)} − e^{−2.4d})/2.4; day 1 is
  // 0.62 of the final mean, day 2 is 0.966: steady from 24 h.
  CHECK(*start == Approx(24.0));
  // A stricter tolerance pushes it a day later (day 2 differs by 3.4 %).
  CHECK(*csfpk::steady_state_start(t, c, 24.0, 0.01) == Approx(48.0));
  // Still rising at the end: no steady state.
  std::vector<double> ramp(t.begin(), t.end());
  CHECK_FALSE(csfpk::steady_state_start(t, ramp, 24.0, 0.05).has_value());
  // Shorter than two periods: none either.
  CHECK_FALSE(csfpk::steady_state_start(t, c, 200.0, 0.05).has_value());
}

TEST_CASE("quantiles follow numpy's linear definition") {
  const std::vector<double> v{3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0};
  // numpy.percentile(v, [0, 5, 50, 95, 100]) = [1, 1, 3.5, 7.95, 9]
  CHECK(csfpk::quantile(v, 0.0) == 1.0);
  CHECK(csfpk::quantile(v, 0.05) == Approx(1.0));
  CHECK(csfpk::quantile(v, 0.5) == Approx(3.5));
  CHECK(csfpk::quantile(v, 0.95) == Approx(7.95));
  CHECK(csfpk::quantile(v, 1.0) == 9.0);
  CHECK(std::isnan(csfpk::quantile({}, 0.5)));
  CHECK(csfpk::quantile({4.0}, 0.3) == 4.0);
}
