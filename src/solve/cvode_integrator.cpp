// CVODE (BDF, Newton) with the analytic Jacobian K + q K_q + (f − 1) K_P: dense LU for small
// systems (compartment models), the KLU sparse direct solver for large ones (1D grids).
// CVODES (the sensitivity-capable CVODE, same API): the one integrator library the project links.
#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>

#include <algorithm>
#include <memory>
#include <string>

#include "csfpk/core/errors.hpp"
#include "solve/linear_integrator.hpp"

namespace csfpk {
namespace {

// RAII owners for the SUNDIALS C handles.
struct ContextDeleter {
  void operator()(SUNContext ctx) const { SUNContext_Free(&ctx); }
};
struct VectorDeleter {
  void operator()(N_Vector v) const { N_VDestroy(v); }
};
struct MatrixDeleter {
  void operator()(SUNMatrix m) const { SUNMatDestroy(m); }
};
struct LinearSolverDeleter {
  void operator()(SUNLinearSolver s) const { SUNLinSolFree(s); }
};
struct CvodeDeleter {
  void operator()(void* mem) const { CVodeFree(&mem); }
};
using Context = std::unique_ptr<std::remove_pointer_t<SUNContext>, ContextDeleter>;
using Vector = std::unique_ptr<std::remove_pointer_t<N_Vector>, VectorDeleter>;
using Matrix = std::unique_ptr<std::remove_pointer_t<SUNMatrix>, MatrixDeleter>;
using LinearSolver = std::unique_ptr<std::remove_pointer_t<SUNLinearSolver>, LinearSolverDeleter>;
using CvodeMemory = std::unique_ptr<void, CvodeDeleter>;
// An N_Vector array (CVODES's sensitivities) with its length.
class VectorArray {
 public:
  VectorArray() = default;
  VectorArray(int count, N_Vector like)
      : count_(count), vectors_(N_VCloneVectorArray(count, like)) {}
  VectorArray(const VectorArray&) = delete;
  VectorArray& operator=(const VectorArray&) = delete;
  ~VectorArray() {
    if (vectors_ != nullptr) N_VDestroyVectorArray(vectors_, count_);
  }
  N_Vector* get() const { return vectors_; }
  N_Vector operator[](int i) const { return vectors_[i]; }

 private:
  int count_ = 0;
  N_Vector* vectors_ = nullptr;
};

// Up to this many states a dense LU beats KLU's symbolic bookkeeping.
constexpr int kMostDenseStates = 40;

class CvodeIntegrator final : public LinearIntegrator, public SensitivityIntegrator {
 public:
  // `sensitivities` > 0 switches on CVODES's forward sensitivities for that many parameters.
  CvodeIntegrator(const LinearSystem& system, const SolverOptions& options, int sensitivities = 0)
      : system_(system),
        jacobian_pattern_(with_full_diagonal(system.rates_at(0.0))),
        input_(Eigen::VectorXd::Zero(system.size())) {
    SUNContext raw_context = nullptr;
    check(SUNContext_Create(nullptr, &raw_context), "SUNContext_Create");
    context_.reset(raw_context);
    const auto n = static_cast<sunindextype>(system.size());
    state_.reset(N_VNew_Serial(n, context_.get()));
    tolerances_.reset(N_VNew_Serial(n, context_.get()));
    if (!state_ || !tolerances_) fail(0.0, "cannot allocate vectors");
    N_VConst(0.0, state_.get());
    double* atol = N_VGetArrayPointer(tolerances_.get());
    for (int i = 0; i < system.size(); ++i) {
      // Amount tolerance from the concentration tolerance; the sink has no volume of its own.
      atol[i] = options.absolute_tolerance_ug_per_mL *
                std::max(system.volume_mL[static_cast<std::size_t>(i)], 1.0);
    }
    memory_.reset(CVodeCreate(CV_BDF, context_.get()));
    if (!memory_) fail(0.0, "CVodeCreate failed");
    check(CVodeInit(memory_.get(), rhs, 0.0, state_.get()), "CVodeInit");
    check(CVodeSVtolerances(memory_.get(), options.relative_tolerance, tolerances_.get()),
          "CVodeSVtolerances");
    check(CVodeSetUserData(memory_.get(), this), "CVodeSetUserData");
    check(CVodeSetMaxNumSteps(memory_.get(), options.max_steps_between_outputs),
          "CVodeSetMaxNumSteps");
    dense_ = system.size() <= kMostDenseStates;
    if (dense_) {
      jacobian_.reset(SUNDenseMatrix(n, n, context_.get()));
      if (!jacobian_) fail(0.0, "cannot allocate the dense Jacobian");
      solver_.reset(SUNLinSol_Dense(state_.get(), jacobian_.get(), context_.get()));
    } else {
      jacobian_.reset(SUNSparseMatrix(n, n, static_cast<sunindextype>(jacobian_pattern_.nonZeros()),
                                      CSC_MAT, context_.get()));
      if (!jacobian_) fail(0.0, "cannot allocate the sparse Jacobian");
      solver_.reset(SUNLinSol_KLU(state_.get(), jacobian_.get(), context_.get()));
    }
    if (!solver_) fail(0.0, "cannot create the linear solver");
    check(CVodeSetLinearSolver(memory_.get(), solver_.get(), jacobian_.get()),
          "CVodeSetLinearSolver");
    check(CVodeSetJacFn(memory_.get(), dense_ ? dense_jacobian : jacobian), "CVodeSetJacFn");
    report_.method = dense_ ? "cvode (dense LU)" : "cvode (KLU)";
    report_.states = system.size();
    if (sensitivities > 0) {
      if (system.nonlinear_correction) fail(0.0, "sensitivities need a linear system");
      sensitivity_count_ = sensitivities;
      sensitivities_ = std::make_unique<VectorArray>(sensitivities, state_.get());
      if (sensitivities_->get() == nullptr) fail(0.0, "cannot allocate the sensitivities");
      for (int j = 0; j < sensitivities; ++j) N_VConst(0.0, (*sensitivities_)[j]);
      check(CVodeSensInit1(memory_.get(), sensitivities, CV_STAGGERED, sensitivity_rhs,
                           sensitivities_->get()),
            "CVodeSensInit1");
      // The sensitivities' tolerances follow the states' (the parameters are scaled to 1: log θ).
      check(CVodeSensEEtolerances(memory_.get()), "CVodeSensEEtolerances");
      check(CVodeSetSensErrCon(memory_.get(), SUNTRUE), "CVodeSetSensErrCon");
      report_.method += " with forward sensitivities";
    }
  }

  void start_interval(double t0, double t1, const Eigen::VectorXd& x0,
                      const std::vector<Eigen::VectorXd>& s0, const Eigen::VectorXd& b,
                      const IntervalDrivers& drivers,
                      const IntervalDerivatives& derivatives) override {
    derivatives_ = &derivatives;
    for (int j = 0; j < sensitivity_count_; ++j) {
      const Eigen::VectorXd& value = s0[static_cast<std::size_t>(j)];
      std::copy(value.data(), value.data() + value.size(),
                N_VGetArrayPointer((*sensitivities_)[j]));
    }
    start_interval(t0, t1, x0, b, drivers);
    check(CVodeSensReInit(memory_.get(), CV_STAGGERED, sensitivities_->get()), "CVodeSensReInit",
          t0);
  }

  void advance_to(double t, Eigen::VectorXd& x, std::vector<Eigen::VectorXd>& s) override {
    x = advance_to(t);
    double reached = time_;
    check(CVodeGetSens(memory_.get(), &reached, sensitivities_->get()), "CVodeGetSens", t);
    s.resize(static_cast<std::size_t>(sensitivity_count_));
    for (int j = 0; j < sensitivity_count_; ++j) {
      s[static_cast<std::size_t>(j)] = Eigen::Map<const Eigen::VectorXd>(
          N_VGetArrayPointer((*sensitivities_)[j]), system_.size());
    }
  }

  void start_interval(double t0, double t1, const Eigen::VectorXd& x0, const Eigen::VectorXd& b,
                      const IntervalDrivers& drivers) override {
    input_ = b;
    if ((system_.has_tip_flow() || system_.has_circadian()) && drivers != drivers_) {
      // Same pattern for every interval (rates_at keeps K_q's and K_P's entries), so KLU's
      // storage still fits; CVODE re-evaluates the Jacobian after the re-initialisation below.
      drivers_ = drivers;
      jacobian_pattern_ = with_full_diagonal(
          system_.rates_at(drivers.tip_flow_mL_per_h, drivers.production_factor));
    }
    std::copy(x0.data(), x0.data() + x0.size(), N_VGetArrayPointer(state_.get()));
    // CVodeReInit zeroes CVODE's counters: bank this interval's first.
    add_counters(report_);
    check(CVodeReInit(memory_.get(), t0, state_.get()), "CVodeReInit", t0);
    check(CVodeSetStopTime(memory_.get(), t1), "CVodeSetStopTime", t0);
    time_ = t0;
  }

  const Eigen::VectorXd& advance_to(double t) override {
    if (t > time_) {
      double reached = time_;
      const int flag = CVode(memory_.get(), t, state_.get(), &reached, CV_NORMAL);
      if (flag < 0) fail(reached, CVodeGetReturnFlagName(flag));
      time_ = reached;
    }
    const double* x = N_VGetArrayPointer(state_.get());
    result_ = Eigen::Map<const Eigen::VectorXd>(x, system_.size());
    return result_;
  }

  SolverReport report() const override {
    SolverReport total = report_;
    add_counters(total);
    return total;
  }

 private:
  // Adds the counters of the current interval (since the last CVodeInit/ReInit) to `report`.
  void add_counters(SolverReport& report) const {
    long value = 0;
    void* mem = memory_.get();
    if (CVodeGetNumSteps(mem, &value) == CV_SUCCESS) report.steps += value;
    if (CVodeGetNumRhsEvals(mem, &value) == CV_SUCCESS) report.rhs_evaluations += value;
    if (CVodeGetNumJacEvals(mem, &value) == CV_SUCCESS) report.jacobian_evaluations += value;
    if (CVodeGetNumLinSolvSetups(mem, &value) == CV_SUCCESS) report.linear_setups += value;
    if (CVodeGetNumErrTestFails(mem, &value) == CV_SUCCESS) report.error_test_failures += value;
    if (CVodeGetNumNonlinSolvConvFails(mem, &value) == CV_SUCCESS) {
      report.nonlinear_convergence_failures += value;
    }
  }

  // Dense counterpart of `jacobian`: scatter the sparse matrix into CVODE's column-major array.
  static int dense_jacobian(double /*t*/, N_Vector /*y*/, N_Vector /*fy*/, SUNMatrix jac,
                            void* user_data, N_Vector, N_Vector, N_Vector) {
    const auto& rates = static_cast<const CvodeIntegrator*>(user_data)->jacobian_pattern_;
    SUNMatZero(jac);
    for (Eigen::Index j = 0; j < rates.outerSize(); ++j) {
      double* column = SUNDenseMatrix_Column(jac, static_cast<sunindextype>(j));
      for (Eigen::SparseMatrix<double>::InnerIterator it(rates, j); it; ++it) {
        column[it.row()] = it.value();
      }
    }
    return 0;
  }

  // s_j' = M s_j + ∂M_j x + ∂b_j.
  static int sensitivity_rhs(int /*count*/, double /*t*/, N_Vector y, N_Vector /*ydot*/, int j,
                             N_Vector s, N_Vector sdot, void* user_data, N_Vector, N_Vector) {
    const auto& self = *static_cast<const CvodeIntegrator*>(user_data);
    const Eigen::Index n = self.system_.size();
    Eigen::Map<const Eigen::VectorXd> x(N_VGetArrayPointer(y), n);
    Eigen::Map<const Eigen::VectorXd> sj(N_VGetArrayPointer(s), n);
    Eigen::Map<Eigen::VectorXd> out(N_VGetArrayPointer(sdot), n);
    const auto k = static_cast<std::size_t>(j);
    out.noalias() = self.jacobian_pattern_ * sj;
    out.noalias() += self.derivatives_->matrix[k] * x;
    out += self.derivatives_->input[k];
    return 0;
  }

  static int rhs(double /*t*/, N_Vector y, N_Vector ydot, void* user_data) {
    const auto& self = *static_cast<const CvodeIntegrator*>(user_data);
    const Eigen::Index n = self.system_.size();
    Eigen::Map<const Eigen::VectorXd> x(N_VGetArrayPointer(y), n);
    Eigen::Map<Eigen::VectorXd> dx(N_VGetArrayPointer(ydot), n);
    dx.noalias() = self.jacobian_pattern_ * x;
    dx += self.input_;
    if (self.system_.nonlinear_correction) {
      self.state_copy_ = x;
      self.correction_ = Eigen::VectorXd::Zero(n);
      self.system_.nonlinear_correction(self.state_copy_, self.correction_);
      dx += self.correction_;
    }
    return 0;
  }

  // The Jacobian is the interval's K + q K_q + (f − 1) K_P itself: copy its compressed columns into
  // CVODE's CSC matrix.
  static int jacobian(double /*t*/, N_Vector /*y*/, N_Vector /*fy*/, SUNMatrix jac, void* user_data,
                      N_Vector, N_Vector, N_Vector) {
    const auto& rates = static_cast<const CvodeIntegrator*>(user_data)->jacobian_pattern_;
    sunindextype* column_starts = SUNSparseMatrix_IndexPointers(jac);
    sunindextype* row_indices = SUNSparseMatrix_IndexValues(jac);
    double* values = SUNSparseMatrix_Data(jac);
    for (Eigen::Index j = 0; j <= rates.outerSize(); ++j) {
      column_starts[j] = rates.outerIndexPtr()[j];
    }
    for (Eigen::Index k = 0; k < rates.nonZeros(); ++k) {
      row_indices[k] = rates.innerIndexPtr()[k];
      values[k] = rates.valuePtr()[k];
    }
    return 0;
  }

  // CVODE forms I − γJ in place; a column without a stored diagonal makes it reallocate the
  // matrix (and KLU re-analyse it) at every setup, so store every diagonal, zeros included.
  static Eigen::SparseMatrix<double> with_full_diagonal(const Eigen::SparseMatrix<double>& rates) {
    std::vector<Eigen::Triplet<double>> entries;
    entries.reserve(static_cast<std::size_t>(rates.nonZeros() + rates.rows()));
    for (Eigen::Index j = 0; j < rates.outerSize(); ++j) {
      entries.emplace_back(j, j, 0.0);
      for (Eigen::SparseMatrix<double>::InnerIterator it(rates, j); it; ++it) {
        entries.emplace_back(it.row(), it.col(), it.value());
      }
    }
    Eigen::SparseMatrix<double> pattern(rates.rows(), rates.cols());
    pattern.setFromTriplets(entries.begin(), entries.end());
    pattern.makeCompressed();
    return pattern;
  }

  void check(int flag, const char* call, double t = 0.0) const {
    if (flag < 0) fail(t, std::string(call) + " returned " + std::to_string(flag));
  }
  [[noreturn]] void fail(double t, const std::string& cause) const {
    throw SolverError(system_.drug, t, cause);
  }

  const LinearSystem& system_;
  Eigen::SparseMatrix<double> jacobian_pattern_;  // K + q K_q + (f − 1) K_P, every diagonal stored
  IntervalDrivers drivers_;                       // q and f of the current matrix
  Eigen::VectorXd input_;
  mutable Eigen::VectorXd state_copy_;  // scratch for the nonlinear correction
  mutable Eigen::VectorXd correction_;
  Eigen::VectorXd result_;  // what advance_to returns
  double time_ = 0.0;
  bool dense_ = false;
  SolverReport report_;
  int sensitivity_count_ = 0;
  const IntervalDerivatives* derivatives_ = nullptr;  // of the current interval
  // Declaration order is destruction order in reverse: CVODE memory goes before its solver,
  // matrix and vectors, and the context last.
  Context context_;
  Vector state_;
  Vector tolerances_;
  Matrix jacobian_;
  LinearSolver solver_;
  std::unique_ptr<VectorArray> sensitivities_;
  CvodeMemory memory_;
};

}  // namespace

std::unique_ptr<LinearIntegrator> make_cvode_integrator(const LinearSystem& system,
                                                        const SolverOptions& options) {
  return std::make_unique<CvodeIntegrator>(system, options);
}

std::unique_ptr<SensitivityIntegrator> make_cvodes_sensitivity_integrator(
    const LinearSystem& system, int parameters, const SolverOptions& options) {
  return std::make_unique<CvodeIntegrator>(system, options, parameters);
}

}  // namespace csfpk
