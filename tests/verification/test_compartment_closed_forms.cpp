// Compartmental models against closed-form solutions, on both solver paths.
#include <catch2/catch.hpp>
#include <cmath>

#include "csfpk/models/compartment_model.hpp"
#include "csfpk/solve/simulate.hpp"

using namespace csfpk;

namespace {

Drug test_drug(double k_per_h, double plasma_volume_mL, double plasma_clearance_mL_per_h) {
  Drug d;
  d.name = "tracer";
  d.csf_elimination_rate_per_h = k_per_h;
  d.plasma_volume_mL = plasma_volume_mL;
  d.plasma_clearance_mL_per_h = plasma_clearance_mL_per_h;
  return d;
}

CompartmentModelSpec one_compartment(double volume_mL) {
  CompartmentModelSpec spec;
  spec.name = "one";
  spec.compartments = {{"csf", volume_mL, {}, {}}};
  spec.losses = {{"csf", std::nullopt}};
  spec.catheter_compartment = "csf";
  validate(spec);
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

std::vector<double> hourly(double hours) {
  std::vector<double> t;
  for (double h = 0; h <= hours; h += 1.0) t.push_back(h);
  return t;
}

SolverOptions options_for(SolverMethod method) {
  SolverOptions o;
  o.method = method;
  o.relative_tolerance = 1e-10;
  o.absolute_tolerance_ug_per_mL = 1e-14;
  return o;
}

}  // namespace

TEST_CASE("one compartment: constant infusion approaches R/(kV)", "[verification][closed-form]") {
  const double V = 60.0, k = 0.25, q = 0.05, c_res = 2000.0;  // mL, 1/h, mL/h, µg/mL
  const double Vp = 5000.0, CLp = 900.0;
  const Drug drug = test_drug(k, Vp, CLp);
  const LinearSystem sys = build_compartment_system(one_compartment(V), drug, "csf");
  const InfusionSchedule schedule = compile_schedule(constant_infusion(q, c_res), 48.0);
  const auto times = hourly(48.0);
  const double R = q * c_res;  // µg/h
  const double kp = CLp / Vp;
  for (const auto method : {SolverMethod::kCvode, SolverMethod::kExact}) {
    const DrugTrajectory result = simulate(sys, schedule, times, options_for(method));
    for (std::size_t i = 0; i < times.size(); ++i) {
      const double t = times[i];
      const double csf = R / (k * V) * (1.0 - std::exp(-k * t));
      // Plasma receives k·x_csf and clears at kp: the Bateman solution of the chain.
      const double plasma_amount = R / kp * (1.0 - std::exp(-kp * t)) -
                                   R / (kp - k) * (std::exp(-k * t) - std::exp(-kp * t));
      CHECK(result.concentration_ug_per_mL(0, static_cast<Eigen::Index>(i)) ==
            Approx(csf).epsilon(1e-8).margin(1e-15));
      CHECK(result.concentration_ug_per_mL(1, static_cast<Eigen::Index>(i)) ==
            Approx(plasma_amount / Vp).epsilon(1e-7).margin(1e-15));
    }
  }
}

TEST_CASE("one compartment: instantaneous bolus decays as D/V·exp(−kt)",
          "[verification][closed-form]") {
  const double V = 70.0, k = 0.22, D = 500.0;  // mL, 1/h, µg
  const LinearSystem sys =
      build_compartment_system(one_compartment(V), test_drug(k, 1e5, 6e4), "csf");
  PumpProgram p = constant_infusion(0.0, 0.0);
  p.basal.steps.clear();
  p.direct_injections.push_back({2.0, 0.0, {{"tracer", D}}, "csf"});
  const InfusionSchedule schedule = compile_schedule(p, 24.0);
  const auto times = hourly(24.0);
  for (const auto method : {SolverMethod::kCvode, SolverMethod::kExact}) {
    const DrugTrajectory result = simulate(sys, schedule, times, options_for(method));
    for (std::size_t i = 0; i < times.size(); ++i) {
      const double t = times[i];
      const double expected = t < 2.0 ? 0.0 : D / V * std::exp(-k * (t - 2.0));
      CHECK(result.concentration_ug_per_mL(0, static_cast<Eigen::Index>(i)) ==
            Approx(expected).epsilon(1e-8).margin(1e-14));
    }
  }
}

TEST_CASE("two CSF compartments with exchange: bolus against the eigen-solution",
          "[verification][closed-form]") {
  // Lumbar (V1) ↔ cranial (V2) exchange CL, first-order loss k from both, bulk flow Q from the
  // cranial pool to plasma. Amount equations: x' = M x with
  //   M = [[-(CL/V1 + k), CL/V2], [CL/V1, -(CL/V2 + k + Q/V2)]].
  const double V1 = 30.0, V2 = 70.0, CL = 8.0, k = 0.15, Q = 21.0, D = 100.0;
  CompartmentModelSpec spec;
  spec.name = "two";
  spec.compartments = {{"lumbar", V1, {}, {}}, {"cranial", V2, {}, {}}};
  spec.exchanges = {{"lumbar", "cranial", CL}};
  spec.flows = {{"cranial", "plasma", Q}};
  spec.losses = {{"lumbar", std::nullopt}, {"cranial", std::nullopt}};
  spec.catheter_compartment = "lumbar";
  validate(spec);
  const LinearSystem sys = build_compartment_system(spec, test_drug(k, 1e5, 6e4), "lumbar");
  PumpProgram p = constant_infusion(0.0, 0.0);
  p.basal.steps.clear();
  p.direct_injections.push_back({0.0, 0.0, {{"tracer", D}}, "lumbar"});
  const InfusionSchedule schedule = compile_schedule(p, 24.0);

  const double a = -(CL / V1 + k), b = CL / V2, c = CL / V1, d = -(CL / V2 + k + Q / V2);
  const double tr = a + d, det = a * d - b * c;
  const double l1 = 0.5 * (tr + std::sqrt(tr * tr - 4 * det));
  const double l2 = 0.5 * (tr - std::sqrt(tr * tr - 4 * det));
  // x1(t) = D[(a − l2)e^{l1 t} − (a − l1)e^{l2 t}]/(l1 − l2), x2(t) = D c (e^{l1 t} − e^{l2 t})/(l1
  // − l2)
  const auto times = hourly(24.0);
  for (const auto method : {SolverMethod::kCvode, SolverMethod::kExact}) {
    const DrugTrajectory result = simulate(sys, schedule, times, options_for(method));
    for (std::size_t i = 1; i < times.size(); ++i) {
      const double t = times[i];
      const double x1 = D * ((a - l2) * std::exp(l1 * t) - (a - l1) * std::exp(l2 * t)) / (l1 - l2);
      const double x2 = D * c * (std::exp(l1 * t) - std::exp(l2 * t)) / (l1 - l2);
      const auto col = static_cast<Eigen::Index>(i);
      CHECK(result.concentration_ug_per_mL(0, col) == Approx(x1 / V1).epsilon(1e-8));
      CHECK(result.concentration_ug_per_mL(1, col) == Approx(x2 / V2).epsilon(1e-8));
    }
  }
}

TEST_CASE("two-compartment plasma disposition: IV-equivalent dose via disconnection",
          "[verification][closed-form]") {
  // A disconnected catheter empties into the tissue: the drug reaches plasma directly. With a
  // peripheral compartment, an instantaneous plasma dose follows the biexponential
  //   x_p(t) = D[(α − k21)e^{−αt} − (β − k21)e^{−βt}]/(α − β).
  const double Vp = 10000.0, CLp = 2000.0, Vq = 30000.0, Q = 3000.0, D = 1000.0;
  Drug drug = test_drug(0.2, Vp, CLp);
  drug.peripheral = PeripheralCompartment{Vq, Q};
  const LinearSystem sys = build_compartment_system(one_compartment(50.0), drug, "csf");
  PumpProgram p = constant_infusion(0.0, 1000.0);
  p.basal.steps.clear();
  p.one_off_boluses.push_back({0.0, 1.0, 0.0});
  p.faults.push_back({FaultKind::kDisconnection, 0.0, std::nullopt});
  const InfusionSchedule schedule = compile_schedule(p, 24.0);
  const double k10 = CLp / Vp, k12 = Q / Vp, k21 = Q / Vq;
  const double sum = k10 + k12 + k21, prod = k10 * k21;
  const double alpha = 0.5 * (sum + std::sqrt(sum * sum - 4 * prod));
  const double beta = 0.5 * (sum - std::sqrt(sum * sum - 4 * prod));
  const auto times = hourly(24.0);
  for (const auto method : {SolverMethod::kCvode, SolverMethod::kExact}) {
    const DrugTrajectory result = simulate(sys, schedule, times, options_for(method));
    for (std::size_t i = 0; i < times.size(); ++i) {
      const double t = times[i];
      const double xp =
          D * ((alpha - k21) * std::exp(-alpha * t) - (beta - k21) * std::exp(-beta * t)) /
          (alpha - beta);
      CHECK(result.concentration_ug_per_mL(1, static_cast<Eigen::Index>(i)) ==
            Approx(xp / Vp).epsilon(1e-8));
      CHECK(result.concentration_ug_per_mL(0, static_cast<Eigen::Index>(i)) == 0.0);
    }
  }
}

TEST_CASE("epidural depot: absorption into blood in a fast and a slow phase (Bateman sums)",
          "[verification][closed-form]") {
  // One CSF compartment losing k = P·A/V across the meninges; a fraction f of that flux is held
  // in the epidural depot and released at kr, the rest reaches plasma at once (bupivacaine,
  // Burm 1988). A bolus D at t = 0.
  const double V = 40.0, A = 100.0, P = 0.2, f = 0.65, kr = 0.104, D = 10000.0;
  const double Vp = 70000.0, CLp = 30000.0;
  const double k = P * A / V, kp = CLp / Vp;
  Drug drug;
  drug.name = "tracer";
  drug.meningeal_permeability_cm_per_h = P;
  drug.plasma_volume_mL = Vp;
  drug.plasma_clearance_mL_per_h = CLp;
  drug.epidural_depot = EpiduralDepot{f, kr};
  CompartmentModelSpec spec;
  spec.name = "one";
  spec.compartments = {{"csf", V, {}, {}, A, 0.0}};
  spec.catheter_compartment = "csf";
  validate(spec);
  const LinearSystem sys = build_compartment_system(spec, drug, "csf");
  REQUIRE(sys.size() == 4);  // csf, plasma, epidural depot, sink
  PumpProgram program;
  program.reservoir = {0.0, 0.0, {}, 0.0, {}};
  program.direct_injections.push_back({0.0, 0.0, {{"tracer", D}}, "", 0.0});
  const InfusionSchedule schedule = compile_schedule(program, 24.0);
  const auto times = hourly(24.0);
  const double a1 = (1.0 - f) * k * D + kr * f * D * k / (kr - k);
  const double a2 = -kr * f * D * k / (kr - k);
  for (const auto method : {SolverMethod::kCvode, SolverMethod::kExact}) {
    const DrugTrajectory result = simulate(sys, schedule, times, options_for(method));
    for (std::size_t i = 0; i < times.size(); ++i) {
      const double t = times[i];
      const auto at = static_cast<Eigen::Index>(i);
      const double depot = f * D * k / (kr - k) * (std::exp(-k * t) - std::exp(-kr * t));
      const double plasma = a1 / (kp - k) * (std::exp(-k * t) - std::exp(-kp * t)) +
                            a2 / (kp - kr) * (std::exp(-kr * t) - std::exp(-kp * t));
      CHECK(result.concentration_ug_per_mL(0, at) ==
            Approx(D * std::exp(-k * t) / V).epsilon(1e-7).margin(1e-12));
      CHECK(result.concentration_ug_per_mL(1, at) == Approx(plasma / Vp).epsilon(1e-7));
      CHECK(result.unobserved_ug[i] == Approx(depot).epsilon(1e-7).margin(1e-9));
    }
  }
}
