#include "csfpk/run/solver_report.hpp"

namespace csfpk {

std::string describe(const DrugTrajectory& drug) {
  const SolverReport& r = drug.solver;
  std::string line = drug.drug + ": " + r.method + ", " + std::to_string(r.states) + " states, " +
                     std::to_string(r.steps) + " steps";
  if (r.method.find("exact") != std::string::npos) {
    return line + ", " + std::to_string(r.matrix_exponentials) + " matrix exponentials";
  }
  return line + ", " + std::to_string(r.rhs_evaluations) + " RHS, " +
         std::to_string(r.jacobian_evaluations) + " Jacobian evaluations, " +
         std::to_string(r.linear_setups) + " linear setups, " +
         std::to_string(r.error_test_failures) + " error-test failures, " +
         std::to_string(r.nonlinear_convergence_failures) + " convergence failures";
}

}  // namespace csfpk
