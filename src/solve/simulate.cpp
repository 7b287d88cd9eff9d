#include "csfpk/solve/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>

#include "csfpk/core/errors.hpp"
#include "solve/interval_plan.hpp"
#include "solve/linear_integrator.hpp"

namespace csfpk {
namespace {

// The matrix exponential is dense in the state count; beyond this it is slower than CVODE and
// its memory grows quadratically.
constexpr int kMaxExactStates = 400;

// The uniform-step plan of a run (uniform_propagator.cpp), or nothing when the run has no
// common step or the plan would cost more than solving with CVODE: its exponentials cost about
// 30 (n + m)³ flops each and its steps 2 n² each, and it is taken when that total stays under
// 1e9 flops, about what CVODE spends on reference problem P2 at 200 cells (0.15 s on the build
// VM). So P2 at N = 200 goes this way and N = 400 (8x the exponential) stays with CVODE.
std::optional<UniformStepPlan> uniform_plan(const LinearSystem& system,
                                            const std::vector<double>& breaks,
                                            const std::vector<double>& outputs,
                                            const std::vector<Eigen::VectorXd>& inputs,
                                            const std::vector<IntervalDrivers>& drivers) {
  constexpr double kBudgetFlops = 1e9;
  constexpr std::size_t kMostInputs = 16;
  constexpr int kMostStates = 400;
  if (system.size() > kMostStates) return std::nullopt;
  // The steps the driver loop below will take: breakpoint, the outputs strictly inside the
  // interval, next breakpoint.
  std::vector<double> steps;
  std::size_t next_output = 0;
  for (std::size_t k = 0; k + 1 < breaks.size(); ++k) {
    double t = breaks[k];
    const double t_end = breaks[k + 1];
    while (next_output < outputs.size() && outputs[next_output] <= t + 1e-12 * std::max(1.0, t)) {
      ++next_output;
    }
    for (; next_output < outputs.size() && outputs[next_output] < t_end &&
           !same_time(outputs[next_output], t_end);
         ++next_output) {
      steps.push_back(outputs[next_output] - t);
      t = outputs[next_output];
    }
    steps.push_back(t_end - t);
  }
  double step = std::numeric_limits<double>::infinity();
  for (const double s : steps) {
    if (s > 0.0) step = std::min(step, s);
  }
  if (!std::isfinite(step)) return std::nullopt;
  UniformStepPlan plan;
  plan.step_h = step;
  for (const double s : steps) {
    const double ratio = s / step;
    const double whole = std::round(ratio);
    if (std::abs(ratio - whole) > UniformStepPlan::kTolerance * std::max(1.0, whole)) {
      return std::nullopt;
    }
    plan.substeps += static_cast<long>(whole);
  }
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (plan.input_index(inputs[k]) < 0) {
      if (plan.inputs.size() == kMostInputs) return std::nullopt;
      plan.inputs.push_back(inputs[k]);
    }
    if (std::find(plan.drivers.begin(), plan.drivers.end(), drivers[k]) == plan.drivers.end()) {
      plan.drivers.push_back(drivers[k]);
    }
  }
  const double n = system.size();
  const double size = n + static_cast<double>(plan.inputs.size());
  const double flops = static_cast<double>(plan.drivers.size()) * 30.0 * size * size * size +
                       static_cast<double>(plan.substeps) * 2.0 * n * n;
  if (flops > kBudgetFlops) return std::nullopt;
  return plan;
}

class TrajectoryRecorder {
 public:
  TrajectoryRecorder(const LinearSystem& system, const InfusionSchedule& schedule,
                     std::size_t output_count)
      : system_(system), schedule_(schedule) {
    for (const double v : system.volume_mL) inverse_volume_.push_back(v > 0.0 ? 1.0 / v : 0.0);
    result_.drug = system.drug;
    const auto columns = static_cast<Eigen::Index>(output_count);
    result_.concentration_ug_per_mL.resize(static_cast<Eigen::Index>(system.site_states.size()),
                                           columns);
    result_.csf_profile_ug_per_mL.resize(static_cast<Eigen::Index>(system.profile_states.size()),
                                         columns);
    result_.tissue_ug_per_mL.resize(static_cast<Eigen::Index>(system.tissue_states.size()),
                                    columns);
    const auto volumes = [&](const std::vector<int>& states, std::vector<double>& out) {
      for (const int state : states) {
        out.push_back(system.volume_mL[static_cast<std::size_t>(state)]);
        observed_.push_back(state);
      }
    };
    volumes(system.site_states, result_.site_volume_mL);
    volumes(system.profile_states, result_.profile_volume_mL);
    volumes(system.tissue_states, result_.tissue_volume_mL);
    std::sort(observed_.begin(), observed_.end());
    observed_.erase(std::unique(observed_.begin(), observed_.end()), observed_.end());
  }

  void record(std::size_t column, double t, const Eigen::VectorXd& x) {
    const auto col = static_cast<Eigen::Index>(column);
    fill(result_.concentration_ug_per_mL, system_.site_states, col, x);
    fill(result_.csf_profile_ug_per_mL, system_.profile_states, col, x);
    fill(result_.tissue_ug_per_mL, system_.tissue_states, col, x);
    const double eliminated = x[system_.eliminated_state];
    result_.eliminated_ug.push_back(eliminated);
    result_.in_body_ug.push_back(x.sum() - eliminated);
    double observed = 0.0;
    for (const int state : observed_) observed += x[state];
    result_.unobserved_ug.push_back(x.sum() - eliminated - observed);
    times_h_.push_back(t);
  }

  DrugTrajectory finish() {
    result_.delivered_ug = schedule_.delivered_ug(system_.drug, times_h_);
    double worst = 0.0;
    double scale = 0.0;
    for (std::size_t i = 0; i < result_.delivered_ug.size(); ++i) {
      worst = std::max(worst, std::abs(result_.delivered_ug[i] - result_.in_body_ug[i] -
                                       result_.eliminated_ug[i]));
      scale = std::max(scale, result_.delivered_ug[i]);
    }
    result_.mass_balance_relative_error = scale > 0.0 ? worst / scale : worst;
    return std::move(result_);
  }

 private:
  void fill(Eigen::MatrixXd& out, const std::vector<int>& states, Eigen::Index col,
            const Eigen::VectorXd& x) const {
    // Multiplying by 1/V (one rounding more than x / V) keeps a division, tens of cycles long,
    // out of the per-output loop.
    for (std::size_t s = 0; s < states.size(); ++s) {
      const auto state = static_cast<std::size_t>(states[s]);
      out(static_cast<Eigen::Index>(s), col) =
          x[static_cast<Eigen::Index>(state)] * inverse_volume_[state];
    }
  }

  const LinearSystem& system_;
  const InfusionSchedule& schedule_;
  DrugTrajectory result_;
  std::vector<double> times_h_;
  std::vector<int> observed_;           // every state a concentration row shows
  std::vector<double> inverse_volume_;  // 1/V per state (0 for the volume-less sink)
};

}  // namespace

const char* to_string(SolverMethod method) {
  switch (method) {
    case SolverMethod::kAuto:
      return "auto";
    case SolverMethod::kCvode:
      return "cvode";
    case SolverMethod::kExact:
      return "exact";
  }
  return "unknown";
}

SolverMethod choose_method(const LinearSystem& system, const SolverOptions& options) {
  if (options.method != SolverMethod::kAuto) return options.method;
  const bool linear = !system.nonlinear_correction;
  return linear && system.size() <= kAutoExactStates ? SolverMethod::kExact : SolverMethod::kCvode;
}

DrugTrajectory simulate(const LinearSystem& system, const InfusionSchedule& schedule,
                        const std::vector<double>& output_times_h, const SolverOptions& options) {
  const SolverMethod method = choose_method(system, options);
  if (schedule.breakpoints_h.size() < 2) {
    throw SolverError(system.drug, 0.0, "the schedule has no time span");
  }
  if (!std::is_sorted(output_times_h.begin(), output_times_h.end()) ||
      (!output_times_h.empty() && (output_times_h.front() < 0.0 ||
                                   output_times_h.back() > schedule.horizon_h * (1 + 1e-12)))) {
    throw SolverError(system.drug, 0.0, "output times must be sorted and within the run");
  }
  if (method == SolverMethod::kExact && system.nonlinear_correction) {
    throw SolverError(system.drug, 0.0,
                      "the exact (matrix exponential) method needs a linear system; the limited "
                      "advection scheme is nonlinear: use cvode");
  }
  if (method == SolverMethod::kExact && system.size() > kMaxExactStates) {
    throw SolverError(system.drug, 0.0,
                      "the exact (matrix exponential) method is limited to " +
                          std::to_string(kMaxExactStates) + " states; use cvode");
  }
  RouteTargets targets(system);
  const IntervalPlan plan = plan_intervals(system, schedule, targets);
  const std::vector<double>& breaks = plan.breaks;
  const std::vector<Eigen::VectorXd>& inputs = plan.inputs;
  const std::vector<IntervalDrivers>& drivers = plan.drivers;

  // Larger linear systems under `auto`: exact propagation on a uniform step when the run's steps
  // allow one and its cost stays below CVODE's (see uniform_plan).
  std::optional<UniformStepPlan> uniform;
  if (options.method == SolverMethod::kAuto && method == SolverMethod::kCvode &&
      !system.nonlinear_correction) {
    uniform = uniform_plan(system, breaks, output_times_h, inputs, drivers);
  }
  const auto integrator = uniform ? make_uniform_exact_integrator(system, *uniform)
                          : method == SolverMethod::kExact ? make_exact_integrator(system)
                                                           : make_cvode_integrator(system, options);

  TrajectoryRecorder recorder(system, schedule, output_times_h.size());
  Eigen::VectorXd x = Eigen::VectorXd::Zero(system.size());
  std::size_t next_output = 0;
  std::size_t next_impulse = 0;
  const auto& impulses = schedule.impulses;
  for (std::size_t k = 0; k < breaks.size(); ++k) {
    const double t = breaks[k];
    impulses_at(schedule, system.drug, t, next_impulse, [&](std::size_t i) {
      add_dose(x, targets.of(impulses[i].route), impulses[i].mass_ug);
    });
    while (next_output < output_times_h.size() && same_time(output_times_h[next_output], t)) {
      recorder.record(next_output, output_times_h[next_output], x);
      ++next_output;
    }
    if (k + 1 == breaks.size()) break;
    const double t_end = breaks[k + 1];
    integrator->start_interval(t, t_end, x, inputs[k], drivers[k]);
    while (next_output < output_times_h.size() && output_times_h[next_output] < t_end &&
           !same_time(output_times_h[next_output], t_end)) {
      recorder.record(next_output, output_times_h[next_output],
                      integrator->advance_to(output_times_h[next_output]));
      ++next_output;
    }
    x = integrator->advance_to(t_end);
  }
  DrugTrajectory result = recorder.finish();
  result.solver = integrator->report();
  if (options.method == SolverMethod::kAuto) result.solver.method = "auto: " + result.solver.method;
  return result;
}

}  // namespace csfpk
