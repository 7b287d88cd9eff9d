#pragma once
// An ODE system in drug amounts, dx/dt = (K + q(t) K_q + (f(t) − 1) K_P) x + b(t) [+ g(x)],
// with named observables. K is sparse and constant; q is the fluid entering the CSF at the
// catheter tip (mL/h, piecewise constant like b) and K_q the transport it adds per mL/h (the
// flow it drives to the cranial outlet and the mixing it causes around the tip); f is CSF
// production relative to its mean (circadian, piecewise constant) and K_P the part of K that
// the production drives (CSF flows and absorption); g is an optional nonlinear
// correction (the limited second-order advection flux of the 1D model) whose Jacobian is
// approximated by K's. The last state is the cumulative eliminated amount (a sink), so that mass
// balance (delivered = in body + eliminated) can be checked on the solution itself.
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "csfpk/domain/csf_physiology.hpp"
#include "csfpk/domain/drug.hpp"
#include "csfpk/domain/infusion_schedule.hpp"

namespace csfpk {

// Where a dose lands: a distribution over states (weights sum to 1), e.g. a Gaussian over the
// cells around the catheter tip.
struct InputTarget {
  std::vector<int> states;
  std::vector<double> weights;
};

struct LinearSystem {
  std::string drug;
  std::vector<std::string> state_names;
  Eigen::SparseMatrix<double> rates;  // K, per hour; column sums are zero (mass conservation)
  // K_q, per hour per mL/h of tip inflow; column sums zero. Empty (no non-zeros) when the
  // model ignores the volume of what is infused.
  Eigen::SparseMatrix<double> tip_flow_rates;
  // K_P, the production-driven part of K (at mean production); with `circadian` set the solvers
  // scale it by f(t) − 1 on each interval.
  Eigen::SparseMatrix<double> production_rates;
  std::optional<Circadian> circadian;
  // Volume of each state, mL; concentration = amount / volume for observable states.
  std::vector<double> volume_mL;
  std::vector<int> site_states;         // named observable sites, in output order
  std::vector<std::string> site_names;  // parallel to site_states
  std::vector<int> profile_states;      // 1D: CSF cells, caudal to cranial
  std::vector<int> tissue_states;       // 1D: cord tissue segments
  InputTarget catheter_input;
  std::map<std::string, InputTarget> site_inputs;  // direct-injection sites by name
  int plasma_state = 0;
  int eliminated_state = 0;
  int subcutaneous_state = -1;  // the pump pocket's depot; -1 when the drug has no SC absorption
  // Adds g(x) to dx; must conserve mass (sum of g is zero). Empty for linear systems.
  std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd& dx)> nonlinear_correction;

  int size() const { return static_cast<int>(state_names.size()); }
  bool has_tip_flow() const { return tip_flow_rates.nonZeros() > 0; }
  bool has_circadian() const { return circadian && production_rates.nonZeros() > 0; }
  // K + q K_q + (f − 1) K_P, keeping K_q's and K_P's patterns even where their factor is zero
  // (so that every interval shares one pattern).
  Eigen::SparseMatrix<double> rates_at(double tip_flow_mL_per_h,
                                       double production_factor = 1.0) const;
  int add_state(std::string name, double volume);
  // Distribution of a dose along `route`; throws InputError for an unknown site.
  InputTarget input(const Route& route) const;
};

// Collects first-order transfers "amount moves from state a to state b at rate r·x_a" into K,
// which keeps every column sum zero by construction.
class RateMatrixBuilder {
 public:
  void transfer(int from, int to, double per_hour);
  Eigen::SparseMatrix<double> build(int size) const;

 private:
  std::vector<Eigen::Triplet<double>> entries_;
};

// Plasma disposition shared by every model: appends the plasma state (and the drug's peripheral
// compartment, if any) and the elimination sink to `system`; `add_disposition_transfers` then
// adds plasma clearance to the sink and the peripheral exchange.
struct DispositionStates {
  int peripheral = -1;
  int epidural_depot = -1;
};
DispositionStates add_disposition_states(LinearSystem& system, const Drug& drug);
void add_disposition_transfers(RateMatrixBuilder& rates, const LinearSystem& system,
                               const Drug& drug, DispositionStates states);
// Drug crossing the meninges from CSF state `from` at `per_hour`: into blood, less the part the
// epidural fat holds (Drug::epidural_depot).
void add_meningeal_loss(RateMatrixBuilder& rates, const LinearSystem& system, const Drug& drug,
                        DispositionStates states, int from, double per_hour);

}  // namespace csfpk
