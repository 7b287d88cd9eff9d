// The 1D spinal model (issue 3, "Must show (tests)") against analytic results: the variance of a
// dispersing bolus, the exponential steady profile under uptake, manufactured-solution orders of
// the upwind and limited schemes, the graded grid against a fine uniform grid, and mass balance
// with cord tissue and the nonlinear scheme.
#include <Eigen/SparseLU>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <vector>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/models/spinal_1d.hpp"
#include "csfpk/solve/simulate.hpp"
#include "io/model_loader.hpp"

using namespace csfpk;

namespace {

constexpr double kLength = 60.0;  // cm, canal of the synthetic tests

Drug tracer() {
  Drug d;
  d.name = "tracer";
  d.csf_elimination_rate_per_h = 0.0;
  d.plasma_volume_mL = 5000.0;
  d.plasma_clearance_mL_per_h = 1000.0;
  return d;
}

// A straight canal of constant CSF cross-section, no cord, one named level.
Anatomy uniform_canal(double length_cm, double area_cm2, double level_x_cm) {
  Anatomy a;
  a.name = "uniform";
  a.canal_length_cm = length_cm;
  a.csf_area_cm2 = LinearTable::constant(area_cm2);
  a.cord_area_cm2 = LinearTable::constant(0.0);
  a.levels = {{"MID", level_x_cm}};
  return a;
}

Spinal1DSpec uniform_spec(double length_cm, double area_cm2, int cells, double dispersion,
                          double velocity, double uptake) {
  Spinal1DSpec spec;
  spec.anatomy = uniform_canal(length_cm, area_cm2, 0.5 * length_cm);
  spec.grid.cells = cells;
  spec.dispersion = DispersionTable{LinearTable::constant(dispersion), 1.0};
  spec.velocity_cm_per_h = LinearTable::constant(velocity);
  spec.uptake_per_h = uptake;
  spec.cord_tissue = false;
  return spec;
}

PumpProgram constant_infusion(double rate_mL_per_h, double concentration_ug_per_mL) {
  PumpProgram p;
  p.basal.steps = {{0.0, rate_mL_per_h}};
  p.reservoir.capacity_mL = 1000.0;
  p.reservoir.initial_volume_mL = 1000.0;
  p.reservoir.low_alarm_mL = 0.0;
  p.reservoir.blend = {{"tracer", concentration_ug_per_mL}};
  return p;
}

SolverOptions tight() {
  SolverOptions o;
  o.relative_tolerance = 1e-9;
  o.absolute_tolerance_ug_per_mL = 1e-14;
  return o;
}

std::vector<double> column(const Eigen::MatrixXd& m, Eigen::Index j) {
  std::vector<double> out(static_cast<std::size_t>(m.rows()));
  for (Eigen::Index i = 0; i < m.rows(); ++i) out[static_cast<std::size_t>(i)] = m(i, j);
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// 1. Pure dispersion. For ∂c/∂t = D ∂²c/∂x² on the line, the variance of a distribution grows as
// σ² = σ0² + 2Dt (d/dt ∫x²c = 2D∫c by two integrations by parts). The bolus enters as the
// model's Gaussian weights (sd = source width σ0) over cell centres, whose discrete variance is
// σ0² to round-off when dx ≪ σ0 (Poisson summation: error ~ exp(−2π²σ0²/dx²)).
TEST_CASE("spinal: bolus variance grows as sigma0^2 + 2Dt under pure dispersion",
          "[verification][spinal]") {
  const double area = 1.3, D = 1.5, sigma0 = 0.5, dose = 1000.0;  // cm², cm²/h, cm, µg
  Spinal1DSpec spec = uniform_spec(kLength, area, 600, D, 0.0, 0.0);
  spec.source_width_cm = sigma0;
  const SpinalSystem model = build_spinal_system(spec, tracer(), 0.5 * kLength);
  PumpProgram program;
  program.reservoir.blend = {};
  program.direct_injections = {{0.0, 0.0, {{"tracer", dose}}, "MID"}};
  const double horizon = 8.0;  // σ(8 h) = 4.9 cm: the ends, 30 cm away, are > 6σ off
  const std::vector<double> times = {0.0, 0.5, 1.0, 2.0, 4.0, 8.0};
  const DrugTrajectory r =
      simulate(model.system, compile_schedule(program, horizon), times, tight());
  const auto& x = model.grid.centres_cm;
  for (std::size_t j = 0; j < times.size(); ++j) {
    const auto c = column(r.csf_profile_ug_per_mL, static_cast<Eigen::Index>(j));
    double mass = 0.0, first = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double m = c[i] * model.system.volume_mL[i];
      mass += m;
      first += m * x[i];
    }
    const double mean = first / mass;
    double second = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      second += c[i] * model.system.volume_mL[i] * (x[i] - mean) * (x[i] - mean);
    }
    const double variance = second / mass;
    const double expected = sigma0 * sigma0 + 2.0 * D * times[j];
    INFO("t = " << times[j] << " h: variance " << variance << " cm², expected " << expected);
    CHECK(mass == Approx(dose).epsilon(1e-6));  // nothing has reached the pool
    CHECK(mean == Approx(0.5 * kLength).epsilon(1e-6));
    CHECK(std::abs(variance - expected) < 0.01 * expected);
  }
}

// ------------------------------------------------------------------------------------------------
// 2. Steady infusion with uptake. At steady state D c'' − k c = −s/A with s a Gaussian of sd σ at
// the tip; away from the source the solution is the Green's function convolved with the
// Gaussian, (1/2)e^{σ²/2ℓ²}[e^{−z/ℓ} erfc((σ²/ℓ − z)/(σ√2)) + e^{z/ℓ} erfc((σ²/ℓ + z)/(σ√2))]
// ∝ e^{−z/ℓ} to < 2e-4 for z = |x − x_tip| ≥ 4σ, with ℓ = √(D/k). The discrete decay rate μ
// solves cosh(μ dx) = 1 + k dx²/(2D), μ = (1/ℓ)(1 − dx²/(24ℓ²) + …): 5e-5 off over 2ℓ here.
TEST_CASE("spinal: steady infusion with uptake decays as exp(-|x - tip| sqrt(k/D))",
          "[verification][spinal]") {
  const double area = 1.3, D = 4.0, k = 0.25;  // cm², cm²/h, 1/h
  const double ell = std::sqrt(D / k);         // 4 cm
  const double tip = 0.5 * kLength, sigma = 0.5;
  Spinal1DSpec spec = uniform_spec(kLength, area, 600, D, 0.0, k);
  spec.source_width_cm = sigma;
  const SpinalSystem model = build_spinal_system(spec, tracer(), tip);
  // The slowest mode relaxes as e^{−kt}: after 80 h, e^{−20} ≈ 2e-9 of the steady state.
  const std::vector<double> times = {70.0, 80.0};
  const DrugTrajectory r =
      simulate(model.system, compile_schedule(constant_infusion(0.1, 100.0), 80.0), times, tight());
  const auto before = column(r.csf_profile_ug_per_mL, 0);
  const auto c = column(r.csf_profile_ug_per_mL, 1);
  const auto& x = model.grid.centres_cm;
  double drift = 0.0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (std::abs(x[i] - tip) <= 4.0 * sigma + 2.0 * ell + 1.0) {
      drift = std::max(drift, std::abs(c[i] - before[i]) / c[i]);
    }
  }
  INFO("relative change over the last 10 h: " << drift);
  CHECK(drift < 1e-6);  // steady

  const double z_ref = 4.0 * sigma;  // start of the exponential region
  for (const double side : {-1.0, 1.0}) {
    // Reference: the value at z_ref on this side, interpolated between the two bracketing cells.
    const auto at = [&](double xp) {
      const auto it = std::upper_bound(x.begin(), x.end(), xp);
      const auto i = static_cast<std::size_t>(it - x.begin());
      const double w = (xp - x[i - 1]) / (x[i] - x[i - 1]);
      return std::exp((1.0 - w) * std::log(c[i - 1]) + w * std::log(c[i]));
    };
    const double c_ref = at(tip + side * z_ref);
    double worst = 0.0;
    int compared = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double z = side * (x[i] - tip);
      if (z < z_ref || z > z_ref + 2.0 * ell) continue;
      const double expected = std::exp(-(z - z_ref) / ell);
      worst = std::max(worst, std::abs(c[i] / c_ref - expected) / expected);
      ++compared;
    }
    INFO("side " << side << ": worst relative deviation " << worst << " over " << compared);
    CHECK(compared >= 70);
    CHECK(worst < 0.01);
  }
}

// ------------------------------------------------------------------------------------------------
// 3. Manufactured solution. c_m(x) = 1 + erf((x − x0)/λ) (smooth, strictly monotone: no extrema
// for the limiter to clip) on a canal of constant area A with constant D, u > 0 and k. At steady
// state the source that makes c_m exact is
//   s(x) = d/dx F(x) + k A c_m(x),   F = A u c_m − A D c_m'   (mass flux, µg/h),
// entered per cell as its integral over the cell, S_i = F(x_{i+1/2}) − F(x_{i−1/2}) + k A ∫c_m,
// with ∫(1 + erf(z))λ dz = λ(z + z erf z + e^{−z²}/√π): exact, no quadrature error.
// Boundary conditions consistent with the model:
//  - sacral face (closed, zero flux in the model): the exact flux there, F(0), is added to cell
//    0's source (S_0 = F(x_{1/2}) + k A ∫c_m), i.e. c_m is the exact solution of the closed problem
//    with the inflow delivered into the first cell;
//  - cranial face: the pool, which the model places at x = L, half a cell beyond the last centre,
//    is held at c_m(L) (a Dirichlet value): it leaves the unknowns and its coupling
//    K(i, pool)·V_pool·c_m(L) moves to the right-hand side.
// With x0 = L/2 and L/λ = 10, c_m' ≈ 1e-11 /cm at both ends, so the one-sided end treatments (the
// upwind value and half-cell gradient at the cranial face, the zero limited slope in the end
// cells) contribute ~1e-11, far below the finest-grid errors (≥ 1e-6), and the error norms cover
// every cell. The steady semi-discrete system K_cc m + r + g(m) = 0 (K_cc: the CSF block of
// `rates`; g: the limited correction, absent for upwind) is solved with SparseLU on K_cc, and for
// the limited scheme by the fixed point m ← −K_cc⁻¹(r + g(m)) (Newton with the K Jacobian; a
// contraction, since g is the anti-diffusive part ≈ u dx/2 against D + u dx/2 in K).
// Expected orders: the upwind face value c_i misses c(x_{i+1/2}) by c' dx/2, so first order
// (1.0); the limited face value c_i + σ_i dx/2 uses van Leer's slope σ_i = c' + O(dx²) where c is
// smooth and monotone, which with central dispersion is second order (2.0).
namespace {

struct Manufactured {
  double length, area, D, u, k, x0, lambda;
  double c(double x) const { return 1.0 + std::erf((x - x0) / lambda); }
  double dc(double x) const {
    const double z = (x - x0) / lambda;
    return 2.0 / std::sqrt(std::numbers::pi) * std::exp(-z * z) / lambda;
  }
  double flux(double x) const { return area * (u * c(x) - D * dc(x)); }
  // ∫ c_m dx, from ∫erf(z)dz = z erf(z) + e^{−z²}/√π.
  double antiderivative(double x) const {
    const double z = (x - x0) / lambda;
    return x + lambda * (z * std::erf(z) + std::exp(-z * z) / std::sqrt(std::numbers::pi));
  }
  double integral(double a, double b) const { return antiderivative(b) - antiderivative(a); }
};

struct SteadyError {
  double max_norm = 0.0;
  double l1_norm = 0.0;  // Σ|e_i| dx_i / L
  int iterations = 0;
  double residual = 0.0;  // max |K m + r + g(m)| / max |r|
};

SteadyError steady_error(const Manufactured& mf, AdvectionScheme scheme, int n) {
  Spinal1DSpec spec = uniform_spec(mf.length, mf.area, n, mf.D, mf.u, mf.k);
  spec.scheme = scheme;
  const SpinalSystem model = build_spinal_system(spec, tracer(), 0.5 * mf.length);
  const LinearSystem& sys = model.system;
  const auto& faces = model.grid.faces_cm;
  const int pool = sys.site_inputs.at("cranial_pool").states.at(0);
  const double pool_amount = mf.c(mf.length) * sys.volume_mL[static_cast<std::size_t>(pool)];
  const Eigen::SparseMatrix<double> K = sys.rates.block(0, 0, n, n);
  Eigen::VectorXd r(n);
  for (int i = 0; i < n; ++i) {
    const auto lo = faces[static_cast<std::size_t>(i)], hi = faces[static_cast<std::size_t>(i) + 1];
    r[i] = (mf.flux(hi) - (i == 0 ? 0.0 : mf.flux(lo))) + mf.k * mf.area * mf.integral(lo, hi) +
           sys.rates.coeff(i, pool) * pool_amount;
  }
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
  lu.compute(K);
  REQUIRE(lu.info() == Eigen::Success);
  Eigen::VectorXd full = Eigen::VectorXd::Zero(sys.size());
  full[pool] = pool_amount;
  const auto correction = [&](const Eigen::VectorXd& m) {
    Eigen::VectorXd g = Eigen::VectorXd::Zero(sys.size());
    if (sys.nonlinear_correction) {
      full.head(n) = m;
      sys.nonlinear_correction(full, g);
    }
    return Eigen::VectorXd(g.head(n));
  };
  SteadyError out;
  Eigen::VectorXd m = lu.solve(-r);
  if (sys.nonlinear_correction) {
    for (out.iterations = 1; out.iterations < 2000; ++out.iterations) {
      const Eigen::VectorXd next = lu.solve(-(r + correction(m)));
      const double change = (next - m).cwiseAbs().maxCoeff();
      m = next;
      if (change <= 1e-15 * m.cwiseAbs().maxCoeff()) break;
    }
  }
  out.residual = (K * m + r + correction(m)).cwiseAbs().maxCoeff() / r.cwiseAbs().maxCoeff();
  for (int i = 0; i < n; ++i) {
    const auto s = static_cast<std::size_t>(i);
    const double e = std::abs(m[i] / sys.volume_mL[s] - mf.c(model.grid.centres_cm[s]));
    out.max_norm = std::max(out.max_norm, e);
    out.l1_norm += e * (faces[s + 1] - faces[s]) / mf.length;
  }
  return out;
}

}  // namespace

TEST_CASE(
    "spinal: manufactured solution converges at first order (upwind) and second order "
    "(limited)",
    "[verification][spinal]") {
  // L = 20 cm, A = 1.3 cm², D = 0.5 cm²/h, u = 5 cm/h, k = 0.1 1/h, x0 = 10 cm, λ = 2 cm:
  // cell Péclet u dx/D = 4 at N = 50 down to 0.25 at N = 800 (dx/λ = 0.2 … 0.0125); at the ends
  // z = ±5, so c_m' ≈ 1e-11 /cm there.
  const Manufactured mf{20.0, 1.3, 0.5, 5.0, 0.1, 10.0, 2.0};
  const std::vector<int> cells = {50, 100, 200, 400, 800};
  std::vector<SteadyError> upwind, limited;
  for (const int n : cells) {
    upwind.push_back(steady_error(mf, AdvectionScheme::kUpwind, n));
    limited.push_back(steady_error(mf, AdvectionScheme::kLimited, n));
  }
  for (std::size_t j = 0; j < cells.size(); ++j) {
    INFO("N = " << cells[j] << ": upwind max " << upwind[j].max_norm << ", L1 " << upwind[j].l1_norm
                << "; limited max " << limited[j].max_norm << ", L1 " << limited[j].l1_norm << " ("
                << limited[j].iterations << " fixed-point iterations)");
    CHECK(upwind[j].residual < 1e-12);
    CHECK(limited[j].residual < 1e-12);
    CHECK(limited[j].iterations < 200);  // converged, not stopped at the cap
    if (j == 0) continue;
    const auto order = [&](const std::vector<SteadyError>& e, double SteadyError::*norm) {
      return std::log2(e[j - 1].*norm / e[j].*norm);
    };
    const double upwind_max = order(upwind, &SteadyError::max_norm);
    const double upwind_l1 = order(upwind, &SteadyError::l1_norm);
    const double limited_max = order(limited, &SteadyError::max_norm);
    const double limited_l1 = order(limited, &SteadyError::l1_norm);
    INFO("observed orders " << cells[j - 1] << " → " << cells[j] << ": upwind max " << upwind_max
                            << ", L1 " << upwind_l1 << "; limited max " << limited_max << ", L1 "
                            << limited_l1);
    // First order for upwind: 0.9–1.1 in both norms (measured 0.99–1.00).
    CHECK(upwind_max > 0.9);
    CHECK(upwind_max < 1.1);
    CHECK(upwind_l1 > 0.9);
    CHECK(upwind_l1 < 1.1);
    // Second order for the limited scheme: 1.9–2.1 in L1 on every pair (measured 2.00–2.02); in
    // the max norm from N = 100 on (the 50 → 100 pair, dx/λ = 0.2, is still pre-asymptotic at
    // 2.13, the later pairs approach 2 from above: 2.08, 2.04, 2.02).
    CHECK(limited_l1 > 1.9);
    CHECK(limited_l1 < 2.1);
    if (cells[j - 1] >= 100) {
      CHECK(limited_max > 1.9);
      CHECK(limited_max < 2.1);
    }
  }
  // The second-order scheme is worth it: > 100× smaller error at N = 800 (measured 360×).
  CHECK(limited.back().max_norm < 0.01 * upwind.back().max_norm);
}

// ------------------------------------------------------------------------------------------------
// 4. Graded grid. A P2-like problem: the adult anatomy with its tabulated A(x), D(x) (7 → 108
// cm²/h, caudal → cranial), u(x) and pool, uptake 0.36 1/h, no cord tissue, upwind, tip at 12 cm,
// source sd 0.5 cm, a constant 0.5 mL/day of 10 mg/mL for 24 h, output hourly. Reference: the
// uniform grid of 800 cells (second order in dx for this dispersion-dominated problem, so its own
// error is ~1/16 of a 200-cell grid's). Compared, wherever the reference is at least 1 % of its
// peak at that time: (a) the CSF concentration at every vertebral level inside the centre range
// of both grids, and the cranial pool; (b) the profile on a 1 mm set of points (linear
// interpolation between cell centres). The largest relative differences sit in the low tails of
// the spreading front, in the lumbosacral canal where D is smallest.
// Two gradings, both with 200 cells (4× fewer than 800):
//  - for the day-long infusion, refinement 3 over a width of 8 cm: the error of the uniform grid
//    lies in the lumbosacral canal around the tip, where D is small, and this mild, broad
//    refinement puts the cells there. (The GridSpec defaults, 8× over 3 cm, spend about half the
//    cells within ±6 cm of the tip and coarsen the rest 1.9×: over the day they measured 1.7 %
//    (levels and pool) and 2.3 % (points), worse than the uniform grid's 0.81 % and 1.17 %.)
//  - the defaults (8× over 3 cm) for the first 15 minutes, while the profile is still narrow
//    around the tip, compared on the 1 mm points within ±3 cm of the tip.
namespace {

struct GridRun {
  std::vector<double> centres;
  Eigen::MatrixXd profile;  // cells × times
  Eigen::VectorXd pool;     // by time
};

GridRun p2_like(int cells, bool graded, const std::vector<double>& times, double refinement,
                double width_cm) {
  const AnatomyFile file = load_anatomy(models_directory() + "/anatomy/adult.yaml");
  Spinal1DSpec spec;
  spec.anatomy = file.anatomy;
  spec.grid.cells = cells;
  spec.grid.graded = graded;
  spec.grid.refinement = refinement;
  spec.grid.refinement_width_cm = width_cm;
  spec.dispersion = DispersionTable{file.dispersion_cm2_per_h, 1.0};
  // Reference problem P2's prescribed velocity, uniform uptake and pool clearance.
  spec.velocity_cm_per_h =
      LinearTable({0.0, 10.0, 30.0, 50.0, 60.0}, {0.0, 0.36, 0.72, 0.36, 0.18});
  spec.uptake_per_h = 0.36;
  spec.pool_volume_mL = file.pool_volume_mL;
  spec.pool_clearance_mL_per_h = 21.0;
  spec.cord_tissue = false;
  spec.source_width_cm = 0.5;
  const SpinalSystem model = build_spinal_system(spec, tracer(), 12.0);
  const InfusionSchedule schedule =
      compile_schedule(constant_infusion(0.5 / 24.0, 10000.0), times.back());
  const DrugTrajectory r = simulate(model.system, schedule, times, tight());
  REQUIRE(r.concentration_ug_per_mL.rows() == 2);  // cranial pool, plasma
  return {model.grid.centres_cm, r.csf_profile_ug_per_mL, r.concentration_ug_per_mL.row(0)};
}

// Linear interpolation between cell centres (x inside the centre range).
double interpolate(const GridRun& run, Eigen::Index time, double x) {
  const auto& xs = run.centres;
  const auto it = std::upper_bound(xs.begin(), xs.end(), x);
  const auto i = static_cast<std::size_t>(
      std::clamp<std::ptrdiff_t>(it - xs.begin(), 1, static_cast<std::ptrdiff_t>(xs.size()) - 1));
  const double w = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
  return (1.0 - w) * run.profile(static_cast<Eigen::Index>(i) - 1, time) +
         w * run.profile(static_cast<Eigen::Index>(i), time);
}

// Largest relative difference from the reference at `points` (and in the pool if asked), where
// the reference is ≥ 1 % of its peak at that time.
double worst_difference(const GridRun& run, const GridRun& reference,
                        const std::vector<double>& points, bool with_pool) {
  double worst = 0.0;
  for (Eigen::Index t = 0; t < reference.profile.cols(); ++t) {
    const double peak = reference.profile.col(t).maxCoeff();
    for (const double x : points) {
      if (x < run.centres.front() || x > run.centres.back()) continue;
      if (x < reference.centres.front() || x > reference.centres.back()) continue;
      const double ref = interpolate(reference, t, x);
      if (ref < 0.01 * peak) continue;
      worst = std::max(worst, std::abs(interpolate(run, t, x) - ref) / ref);
    }
    if (with_pool && reference.pool[t] >= 0.01 * peak) {
      worst = std::max(worst, std::abs(run.pool[t] - reference.pool[t]) / reference.pool[t]);
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("spinal: the graded grid reaches the N = 800 uniform result with 4x fewer cells",
          "[verification][spinal]") {
  const Anatomy anatomy = load_anatomy(models_directory() + "/anatomy/adult.yaml").anatomy;
  const double tip = 12.0;
  std::vector<double> levels, fine_points, near_tip;
  for (const auto& level : anatomy.levels) levels.push_back(level.x_cm);
  for (int k = 0; k <= 600; ++k) fine_points.push_back(0.1 * k);
  for (const double x : fine_points) {
    if (std::abs(x - tip) <= 3.0) near_tip.push_back(x);
  }
  const GridSpec defaults;

  SECTION("over a day of infusion, mildly graded") {
    std::vector<double> times;
    for (int h = 1; h <= 24; ++h) times.push_back(h);
    const GridRun reference = p2_like(800, false, times, 1.0, 1.0);
    const GridRun graded = p2_like(200, true, times, 3.0, 8.0);
    const GridRun uniform = p2_like(200, false, times, 1.0, 1.0);
    // The grading is real: cells at the tip are narrower than at the foramen magnum.
    const auto at_tip = static_cast<std::size_t>(
        std::upper_bound(graded.centres.begin(), graded.centres.end(), tip) -
        graded.centres.begin());
    CHECK(graded.centres[at_tip] - graded.centres[at_tip - 1] <
          0.5 * (graded.centres[199] - graded.centres[198]));

    const double graded_levels = worst_difference(graded, reference, levels, true);
    const double uniform_levels = worst_difference(uniform, reference, levels, true);
    const double graded_points = worst_difference(graded, reference, fine_points, false);
    const double uniform_points = worst_difference(uniform, reference, fine_points, false);
    INFO("levels and pool: graded " << graded_levels << ", uniform " << uniform_levels);
    INFO("1 mm points: graded " << graded_points << ", uniform " << uniform_points);
    // Measured: levels and pool 0.51 % graded, 0.81 % uniform; points 0.75 % graded, 1.17 %
    // uniform.
    CHECK(graded_levels < 0.01);
    CHECK(graded_points < 0.01);
    // The grading matters: the uniform grid of the same size is clearly worse on both measures.
    CHECK(graded_levels < 0.75 * uniform_levels);
    CHECK(graded_points < 0.75 * uniform_points);
  }

  SECTION("in the first minutes, with the default grading") {
    const std::vector<double> times = {5.0 / 60.0, 10.0 / 60.0, 15.0 / 60.0};
    const GridRun reference = p2_like(800, false, times, 1.0, 1.0);
    const GridRun graded =
        p2_like(200, true, times, defaults.refinement, defaults.refinement_width_cm);
    const GridRun uniform = p2_like(200, false, times, 1.0, 1.0);
    const double graded_near = worst_difference(graded, reference, near_tip, false);
    const double uniform_near = worst_difference(uniform, reference, near_tip, false);
    INFO("within 3 cm of the tip: graded " << graded_near << ", uniform " << uniform_near);
    // Measured: 0.11 % graded, 1.67 % uniform.
    CHECK(graded_near < 0.01);
    CHECK(uniform_near > 0.01);
  }
}

// ------------------------------------------------------------------------------------------------
// 5. Mass balance with everything on: the limited (nonlinear) scheme, cord tissue on the adult
// anatomy, a two-compartment plasma, a velocity that changes sign (both upwind directions, flow
// into the canal from the pool at the cranial face), on the uniform and the graded grid; delivery
// by basal infusion, periodic boluses, an instantaneous lumbar puncture at L3 and a 30-minute
// injection into the cranial pool. K's columns sum to zero and g sums to zero, so
// delivered = in body + eliminated holds to round-off and solver convergence (issue 3: 1e-8).
TEST_CASE("spinal: mass balance closes to 1e-8 with cord tissue and the limited scheme",
          "[verification][spinal]") {
  const AnatomyFile file = load_anatomy(models_directory() + "/anatomy/adult.yaml");
  Drug drug = tracer();
  drug.meningeal_permeability_cm_per_h = 0.05;
  drug.peripheral = PeripheralCompartment{20000.0, 2000.0};
  drug.cord_permeability_cm_per_h = 0.05;
  drug.cord_partition = 2.0;
  drug.cord_clearance_per_h = 0.3;

  PumpProgram program = constant_infusion(0.5 / 24.0, 2000.0);
  program.periodic_boluses = {{0.05, 10.0 / 60.0, 6.0, 3.0, std::nullopt}};
  program.direct_injections = {{2.0, 0.0, {{"tracer", 500.0}}, "L3"},
                               {30.0, 0.5, {{"tracer", 100.0}}, "cranial_pool"},
                               {20.0, 0.1, {{"tracer", 50.0}}, "", 2.0}};
  const double horizon = 48.0;
  const InfusionSchedule schedule = compile_schedule(program, horizon);
  std::vector<double> times;
  for (int h = 0; h <= 48; ++h) times.push_back(h);

  REQUIRE(schedule.tip_flows.size() > 10);  // the pump, its boluses and the 2 mL injection
  for (const bool graded : {false, true}) {
    for (const bool prescribed : {false, true}) {
      Spinal1DSpec spec;
      spec.anatomy = file.anatomy;
      spec.grid.cells = 150;
      spec.grid.graded = graded;
      spec.scheme = AdvectionScheme::kLimited;
      spec.dispersion = DispersionTable{file.dispersion_cm2_per_h, 1.0};
      if (prescribed) {
        spec.velocity_cm_per_h = LinearTable({0.0, 15.0, 35.0, 60.0}, {0.0, 3.0, -2.0, -1.0});
        spec.pool_clearance_mL_per_h = 21.0;
      }
      spec.pool_volume_mL = file.pool_volume_mL;
      spec.cord_tissue = true;
      const SpinalSystem model = build_spinal_system(spec, drug, 18.0);
      REQUIRE(model.system.nonlinear_correction);
      REQUIRE(model.system.tissue_states.size() == file.anatomy.segments.size());
      const DrugTrajectory r = simulate(model.system, schedule, times, SolverOptions{});
      INFO((graded ? "graded" : "uniform")
           << " grid, " << (prescribed ? "prescribed flow" : "fluid balance")
           << ": mass balance relative error " << r.mass_balance_relative_error);
      CHECK(r.mass_balance_relative_error < 1e-8);
      // The bookkeeping is not trivial: everything was delivered, a good part has left the body,
      // and the cord tissue took up drug.
      const double delivered = r.delivered_ug.back();
      // 0.5 mL/day × 2 days + 8 boluses (3 h, 9 h, …, 45 h) of 0.05 mL, at 2 mg/mL, + 600 µg.
      CHECK(delivered == Approx(2000.0 + 8 * 0.05 * 2000.0 + 650.0).epsilon(1e-12));
      CHECK(r.eliminated_ug.back() > 0.1 * delivered);
      CHECK(r.in_body_ug.back() > 0.1 * delivered);
      CHECK(r.tissue_ug_per_mL.maxCoeff() > 0.0);
    }
  }
}

// The graded grid's last face comes from total·n/n, which can round above the cumulative
// density's last value (it did for 120 cells and a tip at 10 cm, reading past the table).
TEST_CASE("spinal: graded grids have increasing faces from 0 to the canal length at any tip",
          "[verification][spinal]") {
  const AnatomyFile file = load_anatomy(models_directory() + "/anatomy/adult.yaml");
  Spinal1DSpec spec;
  spec.anatomy = file.anatomy;
  spec.grid.graded = true;
  for (const int cells : {40, 120, 160, 333}) {
    for (double tip = 0.0; tip <= 60.0; tip += 2.5) {
      spec.grid.cells = cells;
      const SpinalGrid grid = make_grid(spec, tip);
      INFO(cells << " cells, tip at " << tip << " cm");
      REQUIRE(grid.faces_cm.size() == static_cast<std::size_t>(cells) + 1);
      CHECK(grid.faces_cm.front() == 0.0);
      CHECK(grid.faces_cm.back() == spec.anatomy.canal_length_cm);
      for (std::size_t j = 1; j < grid.faces_cm.size(); ++j)
        CHECK(grid.faces_cm[j] > grid.faces_cm[j - 1]);
    }
  }
}
