#pragma once
// A linear ODE system in drug amounts, dx/dt = K x + b(t), with named observable sites.
// The last state is the cumulative eliminated amount (a sink), so that mass balance
// (delivered = in body + eliminated) can be checked on the solution itself.
#include <string>
#include <vector>

#include <Eigen/SparseCore>

#include "csfpk/domain/infusion_schedule.hpp"

namespace csfpk {

struct LinearSystem {
  std::string drug;
  std::vector<std::string> state_names;
  Eigen::SparseMatrix<double> rates;  // K, per hour; column sums are zero (mass conservation)
  // Volume of each state, mL; concentration = amount / volume for observable states.
  std::vector<double> volume_mL;
  std::vector<int> site_states;         // observable sites, in output order
  std::vector<std::string> site_names;  // parallel to site_states
  int catheter_state = 0;
  int plasma_state = 0;
  int eliminated_state = 0;

  int size() const { return static_cast<int>(state_names.size()); }
  // State receiving a dose along `route`; throws InputError for an unknown site.
  int input_state(const Route& route) const;
};

}  // namespace csfpk
