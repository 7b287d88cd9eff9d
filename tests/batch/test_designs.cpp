// Pieces of a sweep that need no solver: random numbers, the Sobol sequence, the Sobol-index
// estimator (on the Ishigami function), designs and the sweep-file parser.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <numbers>
#include <set>

#include "csfpk/batch/random.hpp"
#include "csfpk/batch/run_plan.hpp"
#include "csfpk/batch/sensitivity.hpp"
#include "csfpk/batch/sobol_sequence.hpp"
#include "csfpk/batch/sweep_spec.hpp"
#include "csfpk/core/errors.hpp"

using namespace csfpk;
using namespace csfpk::batch;

namespace {

const std::string kData = std::string(CSFPK_SOURCE_DIR) + "/tests/batch/data/";

// A sweep file in the build tree whose base is the cheap test scenario.
SweepSpec sweep_from(const std::string& body) {
  // One file per body: ctest runs test cases in parallel processes.
  const std::string path = std::string(CSFPK_BINARY_DIR) + "/batch_test_sweep_" +
                           std::to_string(std::hash<std::string>{}(body) % 1000000) + ".yaml";
  std::ofstream(path) << "base: " << kData << "cheap_base.yaml\n" << body;
  return load_sweep(path);
}

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace

TEST_CASE("normal quantile matches reference values and inverts the CDF") {
  CHECK(normal_quantile(0.5) == 0.0);
  CHECK(normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-14));
  CHECK(normal_quantile(0.001) == Approx(-3.090232306167813).epsilon(1e-14));
  CHECK(normal_quantile(1e-10) == Approx(-6.361340902404056).epsilon(1e-13));
  for (double p : {1e-300, 1e-20, 1e-5, 0.02425, 0.3, 0.7, 0.97575, 1 - 1e-12}) {
    CHECK(normal_cdf(normal_quantile(p)) == Approx(p).epsilon(1e-12));
  }
  CHECK(std::isinf(normal_quantile(0.0)));
  CHECK(std::isnan(normal_quantile(1.5)));
}

TEST_CASE("counter-based uniforms depend only on (seed, stream, counter)") {
  CHECK(uniform(1, 2, 3) == uniform(1, 2, 3));
  CHECK(uniform(1, 2, 3) != uniform(1, 2, 4));
  CHECK(uniform(1, 2, 3) != uniform(2, 2, 3));
  double sum = 0.0;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    const double u = uniform(5, i, 0);
    REQUIRE(u > 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  CHECK(sum / 100000 == Approx(0.5).margin(0.005));
}

TEST_CASE("Sobol sequence: known points and the (0, m, 2)-net property") {
  const SobolSequence sobol(2);
  // Joe & Kuo's generator in Gray-code order.
  const std::vector<std::vector<double>> expected{{0, 0},       {0.5, 0.5},     {0.75, 0.25},
                                                  {0.25, 0.75}, {0.375, 0.375}, {0.875, 0.875}};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(sobol.point(i) == expected[i]);
  // Every 2^m points split the square into 2^m boxes of every shape 2^-a × 2^-(m-a), one
  // point per box; a digital shift keeps this.
  const SobolSequence eight(8);
  const auto shift = eight.shift_for_seed(11);
  for (int m = 2; m <= 8; ++m) {
    const std::uint64_t n = std::uint64_t{1} << m;
    for (int a = 0; a <= m; ++a) {
      std::set<std::pair<std::uint64_t, std::uint64_t>> boxes;
      for (std::uint64_t i = 0; i < n; ++i) {
        const auto p = eight.point(i, shift);
        boxes.insert({static_cast<std::uint64_t>(p[0] * std::ldexp(1.0, a)),
                      static_cast<std::uint64_t>(p[1] * std::ldexp(1.0, m - a))});
      }
      CHECK(boxes.size() == n);
    }
  }
  CHECK_THROWS_AS(SobolSequence(33), std::invalid_argument);
}

TEST_CASE("Sobol estimator recovers the Ishigami indices") {
  // f = sin x1 + a sin² x2 + b x3⁴ sin x1 on [−π, π]³, a = 7, b = 0.1 (Ishigami & Homma 1990).
  constexpr double kA = 7.0;
  constexpr double kB = 0.1;
  const auto ishigami = [](const std::vector<double>& u) {
    std::vector<double> x(3);
    for (int i = 0; i < 3; ++i) x[i] = std::numbers::pi * (2.0 * u[i] - 1.0);
    return std::sin(x[0]) + kA * std::sin(x[1]) * std::sin(x[1]) +
           kB * std::pow(x[2], 4) * std::sin(x[0]);
  };
  const std::size_t n = 8192;
  const SobolSequence sobol(6);
  const auto shift = sobol.shift_for_seed(2024);
  std::vector<double> f_a, f_b;
  std::vector<std::vector<double>> f_ab(3);
  for (std::size_t j = 0; j < n; ++j) {
    const auto p = sobol.point(j, shift);
    const std::vector<double> a(p.begin(), p.begin() + 3);
    const std::vector<double> b(p.begin() + 3, p.end());
    f_a.push_back(ishigami(a));
    f_b.push_back(ishigami(b));
    for (int i = 0; i < 3; ++i) {
      auto ab = a;
      ab[i] = b[i];
      f_ab[i].push_back(ishigami(ab));
    }
  }
  const SobolEstimate e = estimate_sobol(f_a, f_b, f_ab, 200, 1);
  const std::vector<double> s1{0.3139, 0.4424, 0.0};
  const std::vector<double> st{0.5576, 0.4424, 0.2437};
  for (int i = 0; i < 3; ++i) {
    INFO("factor " << i + 1);
    CHECK(e.factors[i].first == Approx(s1[i]).margin(0.02));
    CHECK(e.factors[i].total == Approx(st[i]).margin(0.02));
    CHECK(e.factors[i].first_low <= e.factors[i].first);
    CHECK(e.factors[i].first_high >= e.factors[i].first);
    CHECK(e.factors[i].total_high - e.factors[i].total_low < 0.1);
  }
  // Variance of the Ishigami function: a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2.
  const double pi4 = std::pow(std::numbers::pi, 4);
  CHECK(e.variance ==
        Approx(kA * kA / 8 + kB * pi4 / 5 + kB * kB * pi4 * pi4 / 18 + 0.5).epsilon(0.02));
  CHECK_THROWS_AS(estimate_sobol({1, 1}, {1, 1}, {{1, 1}}), std::invalid_argument);
}

TEST_CASE("Latin hypercube puts exactly one run in every stratum of every factor") {
  const SweepSpec spec = sweep_from(R"(seed: 17
design: {type: latin_hypercube, runs: 200}
factors:
  - {name: v, path: variability.csf_volume_factor, lognormal: {median: 1, sigma: 0.3}}
  - {name: r, path: pump.basal, unit: mL/day, uniform: {min: 0.2, max: 0.8}}
)");
  const RunPlan plan(spec);
  REQUIRE(plan.size() == 200);
  for (std::size_t f = 0; f < 2; ++f) {
    std::set<std::size_t> strata;
    for (std::uint64_t i = 0; i < plan.size(); ++i) {
      strata.insert(static_cast<std::size_t>(plan.unit_sample(i)[f] * 200.0));
    }
    CHECK(strata.size() == 200);
  }
  // Values through the quantile transform, units appended to the override.
  const auto v = plan.values(3);
  CHECK(v[1].number >= 0.2);
  CHECK(v[1].number <= 0.8);
  CHECK(plan.overrides(3).back() == "pump.basal=" + format_number(v[1].number) + " mL/day");
  // Same seed, same plan; another seed, another plan.
  CHECK(RunPlan(spec).values(3)[0].number == v[0].number);
  SweepSpec other = spec;
  other.seed = 18;
  CHECK(RunPlan(other).values(3)[0].number != v[0].number);
}

TEST_CASE("a large Monte Carlo sample reproduces the requested correlation and marginals") {
  const SweepSpec spec = sweep_from(R"(seed: 5
design: {type: monte_carlo, runs: 20000}
factors:
  - {name: v, path: variability.csf_volume_factor, lognormal: {median: 1, sigma: 0.3}}
  - {name: k, path: variability.csf_elimination_factor, lognormal: {median: 1, sigma: 0.3}}
  - {name: t, path: catheter.tip, values: [T8, T10, T12]}
correlation:
  factors: [v, k]
  matrix: [[1, -0.6], [-0.6, 1]]
)");
  const RunPlan plan(spec);
  std::vector<double> log_v, log_k;
  std::map<std::string, int> tips;
  for (std::uint64_t i = 0; i < plan.size(); ++i) {
    const auto v = plan.values(i);
    log_v.push_back(std::log(v[0].number));
    log_k.push_back(std::log(v[1].number));
    ++tips[v[2].text];
  }
  CHECK(correlation(log_v, log_k) == Approx(-0.6).margin(0.02));
  double sd = 0.0;
  for (double x : log_v) sd += x * x / 20000.0;
  CHECK(std::sqrt(sd) == Approx(0.3).margin(0.01));
  CHECK(tips.size() == 3);
  for (const auto& [tip, count] : tips) CHECK(count == Approx(20000 / 3.0).margin(300));
}

TEST_CASE("grid designs enumerate every combination in C order; Sobol designs use k+2 runs") {
  const SweepSpec grid = load_sweep(kData + "failing_tip.yaml");
  const RunPlan plan(grid);
  REQUIRE(plan.size() == 6);
  CHECK(plan.values(0)[0].text == "L2");
  CHECK(plan.values(1)[1].text == "0.5 mL/day");
  CHECK(plan.values(2)[0].text == "X99");
  CHECK(plan.values(5)[0].text == "T10");
  const RunPlan sobol(load_sweep(kData + "sobol_cheap.yaml", {"design.runs=8"}));
  CHECK(sobol.size() == 8 * 5);
  // A_j and B_j differ everywhere; AB_i^j takes factor i from B_j and the rest from A_j.
  const auto a = sobol.unit_sample(10);
  const auto b = sobol.unit_sample(11);
  const auto ab1 = sobol.unit_sample(13);
  CHECK(ab1[0] == a[0]);
  CHECK(ab1[1] == b[1]);
  CHECK(ab1[2] == a[2]);
}

TEST_CASE("sweep-file errors name file, line and field") {
  const auto message = [](const std::string& body) {
    try {
      sweep_from(body);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("seed: 1\ndesign: {type: lattice, runs: 4}\nfactors: []\n"),
             Catch::Contains(".yaml:3") &&
                 Catch::Contains("expected grid, latin_hypercube, monte_carlo or sobol"));
  CHECK_THAT(message("seed: 1\ndesign: {type: monte_carlo, runs: 4}\nfactors:\n"
                     "  - {name: v, path: a.b, normal: {mean: 1, sd: -1}}\n"),
             Catch::Contains(":5") && Catch::Contains("sd") &&
                 Catch::Contains("must be greater than zero"));
  CHECK_THAT(message("seed: 1\ndesign: {type: grid}\nfactors:\n"
                     "  - {name: v, path: a.b, uniform: {min: 0, max: 1}}\n"),
             Catch::Contains("a grid design takes listed values"));
  CHECK_THAT(message("seed: 1\ndesign: {type: monte_carlo, runs: 4}\nfactors:\n"
                     "  - {name: v, path: a.b, uniform: {min: 0, max: 1}}\n"
                     "  - {name: w, path: a.c, uniform: {min: 0, max: 1}}\n"
                     "correlation: {factors: [v, w], matrix: [[1, 1.2], [1.2, 1]]}\n"),
             Catch::Contains("between -1 and 1"));
  CHECK_THAT(message("seed: 1\ndesign: {type: monte_carlo, runs: 4}\nfactors:\n"
                     "  - {name: v, path: a.b, uniform: {min: 0, max: 1}}\n"
                     "  - {name: w, path: a.c, uniform: {min: 0, max: 1}}\n"
                     "  - {name: x, path: a.d, uniform: {min: 0, max: 1}}\n"
                     "correlation: {factors: [v, w, x], matrix: [[1, 0.9, -0.9], [0.9, 1, 0.9], "
                     "[-0.9, 0.9, 1]]}\n"),
             Catch::Contains("not positive definite"));
  CHECK_THAT(message("seed: 1\ndesign: {type: monte_carlo, runs: 4}\nfactors:\n"
                     "  - {name: v, path: a.b, values: [T8, T10], unit: mL}\n"),
             Catch::Contains("every value must be a plain number"));
  CHECK_THAT(message("seed: -3\ndesign: {type: monte_carlo, runs: 4}\nfactors: []\n"),
             Catch::Contains("seed") && Catch::Contains("expected a whole number"));
}
