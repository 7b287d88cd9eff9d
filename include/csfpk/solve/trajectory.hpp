#pragma once
// What a solve produces for one run: concentrations at every site and output time for every
// drug, along the canal and in cord tissue for the 1D model, plus the bookkeeping that proves
// mass is conserved and the per-drug summaries.
#include <Eigen/Core>
#include <string>
#include <vector>

namespace csfpk {

// Figures a clinician reads first, per drug (1D runs; empty/zero for compartmental runs).
struct DrugSummary {
  // Per vertebral level (Trajectory::levels): peak and time-averaged CSF concentration, µg/mL.
  std::vector<double> level_peak_ug_per_mL;
  std::vector<double> level_mean_ug_per_mL;
  // Spread: the largest length of canal (cm) over which CSF concentration exceeds
  // `spread_threshold_ug_per_mL` at any output time.
  double spread_threshold_ug_per_mL = 0.0;
  double spread_cm = 0.0;
  // Cranial exposure: ∫ c_pool dt over the run, µg·h/mL.
  double cranial_auc_ug_h_per_mL = 0.0;
  // CSF concentration at the catheter tip, interpolated between cell centres.
  double tip_peak_ug_per_mL = 0.0;
  double tip_mean_ug_per_mL = 0.0;
  // Per cord segment (Trajectory::segments): fraction of the run during which the segment's
  // tissue concentration, expressed as the CSF concentration in equilibrium with it (c_t / K_p),
  // is at or above the drug's effective concentration. NaN when the drug has none.
  std::vector<double> dermatome_coverage;
  double effective_concentration_ug_per_mL = 0.0;  // 0 when the drug has none
};

// How a drug's system was solved: the method used (after `auto` was resolved) and, for CVODE,
// its work counters summed over every breakpoint interval (zero for the exact method, whose
// `steps` count the propagator applications and `matrix_exponentials` the distinct ones).
struct SolverReport {
  std::string method;
  int states = 0;
  long steps = 0;
  long rhs_evaluations = 0;
  long jacobian_evaluations = 0;
  long linear_setups = 0;
  long error_test_failures = 0;
  long nonlinear_convergence_failures = 0;
  long matrix_exponentials = 0;
};

struct DrugTrajectory {
  std::string drug;
  // Rows are sites (Trajectory::sites), columns are output times. µg/mL.
  Eigen::MatrixXd concentration_ug_per_mL;
  // 1D model only: rows are cells (Trajectory::positions_cm) / cord segments
  // (Trajectory::segments), columns are output times. µg/mL.
  Eigen::MatrixXd csf_profile_ug_per_mL;
  Eigen::MatrixXd tissue_ug_per_mL;
  // Cumulative mass delivered to the body, in the body, and eliminated, at each output time. µg.
  std::vector<double> delivered_ug;
  std::vector<double> in_body_ug;
  std::vector<double> eliminated_ug;
  // max_t |delivered − in_body − eliminated| / max(max_t delivered, tiny): the mass-balance
  // closure this run achieved.
  double mass_balance_relative_error = 0.0;
  // What lets a reader recompute the mass balance from the concentrations (csfpk verify): the
  // volume behind each concentration row (sites, 1D cells, cord segments), mL, and the mass in
  // states no concentration shows (e.g. a peripheral plasma compartment) at each output time,
  // µg. Empty when not known (e.g. a record built by hand).
  std::vector<double> site_volume_mL;
  std::vector<double> profile_volume_mL;
  std::vector<double> tissue_volume_mL;
  std::vector<double> unobserved_ug;
  DrugSummary summary;
  SolverReport solver;
};

struct Trajectory {
  std::vector<double> times_h;
  std::vector<std::string> sites;  // e.g. "lumbar", …, "plasma"; 1D: "cranial_pool", "plasma"
  // 1D model only (empty otherwise).
  std::vector<double> positions_cm;        // cell centres, from the sacral end
  std::vector<double> cell_faces_cm;       // positions_cm.size() + 1 faces
  std::vector<std::string> levels;         // vertebral levels, caudal to cranial
  std::vector<double> level_positions_cm;  // parallel to levels
  std::vector<std::string> segments;       // cord segments with a tissue compartment
  std::vector<std::string> dermatomes;     // landmark of each segment's dermatome
  double catheter_tip_cm = 0.0;
  std::vector<DrugTrajectory> drugs;
};

}  // namespace csfpk
