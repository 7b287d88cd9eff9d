// Validation against published human intrathecal pharmacokinetics, with the default
// four-region model (models/compartments/four_region.yaml) and the library drug parameters,
// none of which were fitted to these data. Acceptance bands are stated with each source; where
// the model is known to miss (the lumped lumbar compartment mixes faster than the sampled
// lumbar sac), the band says so rather than hiding it.
#include <catch2/catch.hpp>

#include <cmath>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/drug_library.hpp"
#include "csfpk/io/model_loader.hpp"
#include "csfpk/solve/simulate.hpp"

using namespace csfpk;

namespace {

struct BolusResponse {
  std::vector<double> lumbar_ug_per_mL;  // hourly, t = 0 … 12 h
  double plasma_peak_ug_per_mL = 0.0;
};

BolusResponse lumbar_bolus(const std::string& drug_name, double dose_ug) {
  const DrugLibrary library = DrugLibrary::load(models_directory());
  const CompartmentModelSpec model =
      load_compartment_model(models_directory() + "/compartments/four_region.yaml");
  PumpProgram program;
  program.reservoir = {20.0, 0.0, {{drug_name, 0.0}}, 0.0, {}};
  // A lumbar-puncture injection given over one minute.
  program.direct_injections.push_back({0.0, 1.0 / 60.0, {{drug_name, dose_ug}}, "lumbar"});
  const InfusionSchedule schedule = compile_schedule(program, 12.0);
  const LinearSystem system = build_compartment_system(model, library.get(drug_name), "lumbar");
  std::vector<double> times;
  for (int h = 0; h <= 12; ++h) times.push_back(h);
  const DrugTrajectory result = simulate(system, schedule, times, SolverOptions{});
  BolusResponse response;
  for (Eigen::Index i = 0; i < result.concentration_ug_per_mL.cols(); ++i) {
    response.lumbar_ug_per_mL.push_back(result.concentration_ug_per_mL(0, i));
  }
  response.plasma_peak_ug_per_mL = result.concentration_ug_per_mL.row(4).maxCoeff();
  return response;
}

// Half-life from a log-linear fit between two sampling times.
double half_life_h(const std::vector<double>& c, int from_h, int to_h) {
  return std::log(2.0) * (to_h - from_h) / std::log(c[static_cast<std::size_t>(from_h)] /
                                                   c[static_cast<std::size_t>(to_h)]);
}

}  // namespace

TEST_CASE("morphine 0.5 mg IT: lumbar CSF at 1 h (Nordberg 1984)", "[validation][morphine]") {
  // Nordberg et al. 1984, Anesthesiology 60:448: 0.50 mg at L2–L4, lumbar CSF at 1 h
  // 10 447 ± 1538 ng/mL (mean ± SEM, about 7 patients, so SD ≈ 4100 ng/mL). Band: mean ± 2 SD.
  const BolusResponse r = lumbar_bolus("morphine", 500.0);
  CHECK(r.lumbar_ug_per_mL[1] > 10.447 - 2 * 4.07);
  CHECK(r.lumbar_ug_per_mL[1] < 10.447 + 2 * 4.07);
  // Same study, 0.25 mg: 4228 ± 361 ng/mL (SD ≈ 955 ng/mL).
  const BolusResponse low = lumbar_bolus("morphine", 250.0);
  CHECK(low.lumbar_ug_per_mL[1] > 4.228 - 2 * 0.955);
  CHECK(low.lumbar_ug_per_mL[1] < 4.228 + 2 * 0.955);
}

TEST_CASE("morphine IT: CSF half-life and plasma below 1 ng/mL (Nordberg 1984)",
          "[validation][morphine]") {
  // Terminal CSF half-life 175 ± 9 min (0.50 mg) and 196 ± 13 min (0.25 mg); plasma stayed
  // under 1 ng/mL. The four-region model gives a shorter lumbar half-life (about 2.4 h between
  // 4 and 10 h) because lumbar CSF exchanges with the thoracic region as one well-mixed pool;
  // the band is ±30 % of 3.1 h, and a model change that widens the gap fails here.
  const BolusResponse r = lumbar_bolus("morphine", 500.0);
  const double t_half = half_life_h(r.lumbar_ug_per_mL, 4, 10);
  CHECK(t_half > 0.7 * 3.1);
  CHECK(t_half < 1.3 * 3.1);
  CHECK(r.plasma_peak_ug_per_mL < 0.001);
  CHECK(r.plasma_peak_ug_per_mL > 0.0);
}

TEST_CASE("baclofen IT bolus: CSF half-life over the first 4 h (Lioresal label)",
          "[validation][baclofen]") {
  // Lioresal Intrathecal label, Clinical Pharmacology: after 50–100 ug lumbar bolus, mean CSF
  // half-life 1.51 h over the first 4 h (7 patients); Sallerin-Caute 1991 (Eur J Clin Pharmacol)
  // found 0.9–5 h in 4 patients. Band: within the published range and ±25 % of the mean.
  const BolusResponse r = lumbar_bolus("baclofen", 50.0);
  const double t_half = half_life_h(r.lumbar_ug_per_mL, 1, 4);
  CHECK(t_half > 0.75 * 1.51);
  CHECK(t_half < 1.25 * 1.51);
}

TEST_CASE("ziconotide IT: CSF half-life (Prialt label)", "[validation][ziconotide]") {
  // Prialt US label, Table 2: CSF half-life 4.6 ± 0.9 h (mean ± SD, 23 patients) after a 1-h IT
  // infusion of 1–10 ug. Band: mean ± 2 SD.
  const BolusResponse r = lumbar_bolus("ziconotide", 5.0);
  const double t_half = half_life_h(r.lumbar_ug_per_mL, 2, 8);
  CHECK(t_half > 4.6 - 2 * 0.9);
  CHECK(t_half < 4.6 + 2 * 0.9);
}
