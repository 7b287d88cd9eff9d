#pragma once
#include <vector>

#include "csfpk/domain/infusion_schedule.hpp"
#include "csfpk/models/linear_system.hpp"
#include "csfpk/solve/solver_options.hpp"
#include "csfpk/solve/trajectory.hpp"

namespace csfpk {

// The method `options` asks for, with `auto` resolved for this system: the exact propagator
// for linear systems of at most kAutoExactStates states (a dense exponential per distinct step
// length is then cheaper than CVODE's steps), CVODE otherwise.
inline constexpr int kAutoExactStates = 64;
SolverMethod choose_method(const LinearSystem& system, const SolverOptions& options);

// Solves one drug's system under the compiled schedule from zero initial amounts and samples
// it at `output_times_h` (sorted, within [0, horizon]). Values at a breakpoint include the
// impulses given at that instant. Throws SolverError naming drug and time.
DrugTrajectory simulate(const LinearSystem& system, const InfusionSchedule& schedule,
                        const std::vector<double>& output_times_h, const SolverOptions& options);

}  // namespace csfpk
