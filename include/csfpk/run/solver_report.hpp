#pragma once
// One line of text per drug saying how its system was solved, for result files and the terminal.
#include <string>

#include "csfpk/solve/trajectory.hpp"

namespace csfpk {

// "morphine: auto: exact, 6 states, 2772 steps, 4 matrix exponentials" or, for CVODE,
// "… cvode (KLU), 203 states, 1843 steps, 2210 RHS, 98 Jacobian evaluations, 150 linear
// setups, 12 error-test failures, 0 convergence failures".
std::string describe(const DrugTrajectory& drug);

}  // namespace csfpk
