#include "csfpk/models/spinal_1d.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "csfpk/core/errors.hpp"

namespace csfpk {

namespace {

double shear_dispersion(const OscillationLaw& law, const Anatomy& anatomy, double d_m, double x) {
  const double area = anatomy.csf_area_cm2(x);
  const double h = law.half_gap_cm(x);
  double shear = 0.0;
  for (const auto& oscillation : law.oscillations) {
    const double amplitude = 0.5 * oscillation.stroke_volume_mL(x) / area;  // X, cm
    const double womersley =
        h * std::sqrt(oscillation.angular_frequency_per_h / law.kinematic_viscosity_cm2_per_h);
    shear +=
        d_m * (amplitude / h) * (amplitude / h) * (1.5 + womersley / (2.0 * std::numbers::sqrt2));
  }
  return d_m + law.scale * shear + law.mixing_cm2_per_h;
}

// van Leer's harmonic mean of the one-sided slopes: second order where c is smooth and
// monotone, zero at extrema, so no new over- or undershoots.
double limited_slope(double left, double right) {
  return left * right > 0.0 ? 2.0 * left * right / (left + right) : 0.0;
}

}  // namespace

double dispersion_at(const DispersionModel& model, const Anatomy& anatomy, const Drug& drug,
                     double x_cm) {
  if (const auto* table = std::get_if<DispersionTable>(&model)) {
    return table->scale * table->dispersion_cm2_per_h(x_cm);
  }
  return shear_dispersion(std::get<OscillationLaw>(model), anatomy,
                          drug.molecular_diffusivity_cm2_per_h, x_cm);
}

SpinalGrid make_grid(const Spinal1DSpec& spec, double tip_cm) {
  const int n = spec.grid.cells;
  const double length = spec.anatomy.canal_length_cm;
  SpinalGrid grid;
  grid.faces_cm.resize(static_cast<std::size_t>(n) + 1);
  if (!spec.grid.graded) {
    for (int j = 0; j <= n; ++j) grid.faces_cm[static_cast<std::size_t>(j)] = length * j / n;
  } else {
    // Equidistribute the cell density: faces at equal steps of its integral.
    const double r = spec.grid.refinement;
    const double w = spec.grid.refinement_width_cm;
    const auto density = [&](double x) {
      return 1.0 + (r - 1.0) * std::exp(-(x - tip_cm) * (x - tip_cm) / (2.0 * w * w));
    };
    constexpr int kSamples = 200000;
    std::vector<double> cumulative(kSamples + 1, 0.0);
    const double dx = length / kSamples;
    for (int k = 1; k <= kSamples; ++k) {
      cumulative[static_cast<std::size_t>(k)] =
          cumulative[static_cast<std::size_t>(k - 1)] +
          0.5 * dx * (density((k - 1) * dx) + density(k * dx));
    }
    const double total = cumulative.back();
    for (int j = 0; j <= n; ++j) {
      const double target = total * j / n;
      const auto it = std::lower_bound(cumulative.begin(), cumulative.end(), target);
      // total·j/n may round above the last cumulative value: clamp to the last interval.
      const auto k = static_cast<std::size_t>(
          std::clamp<std::ptrdiff_t>(it - cumulative.begin(), 1, kSamples));
      const double w0 = (target - cumulative[k - 1]) / (cumulative[k] - cumulative[k - 1]);
      grid.faces_cm[static_cast<std::size_t>(j)] = (static_cast<double>(k) - 1.0 + w0) * dx;
    }
    grid.faces_cm.front() = 0.0;
    grid.faces_cm.back() = length;
  }
  grid.centres_cm.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < grid.centres_cm.size(); ++i) {
    grid.centres_cm[i] = 0.5 * (grid.faces_cm[i] + grid.faces_cm[i + 1]);
  }
  return grid;
}

InputTarget gaussian_input(const SpinalGrid& grid, double centre_cm, double sigma_cm,
                           int first_state) {
  InputTarget target;
  double total = 0.0;
  std::vector<double> raw(grid.centres_cm.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const double z = (grid.centres_cm[i] - centre_cm) / sigma_cm;
    raw[i] = std::exp(-0.5 * z * z) * (grid.faces_cm[i + 1] - grid.faces_cm[i]);
    total += raw[i];
  }
  if (!(total > 0.0)) {
    // A source narrower than the cells around it: all of it into the cell holding the centre.
    const auto it = std::upper_bound(grid.faces_cm.begin(), grid.faces_cm.end(), centre_cm);
    const auto cell = std::clamp<std::ptrdiff_t>(it - grid.faces_cm.begin() - 1, 0,
                                                 static_cast<std::ptrdiff_t>(raw.size()) - 1);
    return {{first_state + static_cast<int>(cell)}, {1.0}};
  }
  for (std::size_t i = 0; i < raw.size(); ++i) {
    // Weights below 1e-16 of the total change nothing and only widen the input.
    if (raw[i] / total < 1e-16) continue;
    target.states.push_back(first_state + static_cast<int>(i));
    target.weights.push_back(raw[i] / total);
  }
  return target;
}

double dural_perimeter_cm(const Anatomy& anatomy, double x_cm) {
  return 2.0 *
         std::sqrt(std::numbers::pi * (anatomy.csf_area_cm2(x_cm) + anatomy.cord_area_cm2(x_cm)));
}

FluidBalance fluid_balance(const Spinal1DSpec& spec, const SpinalGrid& grid,
                           const InputTarget& tip) {
  const std::size_t n = grid.centres_cm.size();
  FluidBalance fluid;
  fluid.face_flow.assign(n + 1, 0.0);
  fluid.face_flow_per_tip_flow.assign(n + 1, 0.0);
  fluid.absorption.assign(n, 0.0);
  fluid.tip_share.assign(n, 0.0);
  if (spec.velocity_cm_per_h) {
    fluid.prescribed = true;
    for (std::size_t j = 1; j <= n; ++j) {
      const double x = grid.faces_cm[j];
      fluid.face_flow[j] = spec.anatomy.csf_area_cm2(x) * (*spec.velocity_cm_per_h)(x);
    }
    fluid.cranial_absorption = spec.pool_clearance_mL_per_h;
    return fluid;
  }
  // Spinal absorption spread evenly along the canal (nerve-root sleeves at every level); the
  // closed sacral end (Q = 0 at face 0) fixes the integration constant of dQ/dx = q_in − q_abs.
  const double length = spec.anatomy.canal_length_cm;
  const double spinal = spec.physiology.spinal_absorption_mL_per_h();
  for (std::size_t i = 0; i < n; ++i) {
    fluid.absorption[i] = spinal * (grid.faces_cm[i + 1] - grid.faces_cm[i]) / length;
  }
  for (std::size_t k = 0; k < tip.states.size(); ++k) {
    fluid.tip_share[static_cast<std::size_t>(tip.states[k])] += tip.weights[k];
  }
  for (std::size_t j = 1; j <= n; ++j) {
    fluid.face_flow[j] = fluid.face_flow[j - 1] - fluid.absorption[j - 1];
    fluid.face_flow_per_tip_flow[j] = fluid.face_flow_per_tip_flow[j - 1] + fluid.tip_share[j - 1];
  }
  fluid.production = spec.physiology.production_mL_per_h;
  fluid.cranial_absorption = spec.physiology.cranial_absorption_mL_per_h();
  return fluid;
}

SpinalSystem build_spinal_system(const Spinal1DSpec& spec, const Drug& drug, double tip_cm) {
  const Anatomy& anatomy = spec.anatomy;
  const double length = anatomy.canal_length_cm;
  if (spec.grid.cells < 3 || spec.grid.cells > 200000) {
    throw InputError("the 1D model needs between 3 and 200000 cells, got " +
                     std::to_string(spec.grid.cells));
  }
  if (!(tip_cm >= 0.0 && tip_cm <= length)) {
    throw InputError("catheter tip at " + std::to_string(tip_cm) + " cm is outside the canal (0–" +
                     std::to_string(length) + " cm)");
  }
  SpinalSystem out;
  out.grid = make_grid(spec, tip_cm);
  const SpinalGrid& grid = out.grid;
  LinearSystem& sys = out.system;
  sys.drug = drug.name;
  const int n = spec.grid.cells;
  const auto centre = [&](int i) { return grid.centres_cm[static_cast<std::size_t>(i)]; };
  const auto face = [&](int j) { return grid.faces_cm[static_cast<std::size_t>(j)]; };

  for (int i = 0; i < n; ++i) {
    sys.state_names.push_back("csf[" + std::to_string(i) + "]");
    sys.volume_mL.push_back(anatomy.csf_area_cm2(centre(i)) * (face(i + 1) - face(i)));
    sys.profile_states.push_back(i);
  }
  if (spec.cord_tissue) {
    for (const auto& segment : anatomy.segments) {
      const double volume = anatomy.cord_area_cm2(0.5 * (segment.bottom_cm + segment.top_cm)) *
                            (segment.top_cm - segment.bottom_cm);
      if (!(volume > 0.0)) continue;
      out.tissue_segments.push_back(&segment);
      sys.tissue_states.push_back(sys.size());
      sys.state_names.push_back("tissue[" + segment.label + "]");
      sys.volume_mL.push_back(volume);
    }
  }
  const int pool = sys.add_state("cranial_pool", spec.pool_volume_mL);
  const DispositionStates disposition = add_disposition_states(sys, drug);

  RateMatrixBuilder rates;
  RateMatrixBuilder flow_rates;        // K_q: per mL/h of tip inflow
  RateMatrixBuilder production_rates;  // K_P: what CSF production drives (also in K)
  const auto volume = [&](int s) { return sys.volume_mL[static_cast<std::size_t>(s)]; };
  const auto transfer = [&](int from, int to, double per_hour) {
    rates.transfer(from, to, per_hour);
  };
  const auto D = [&](double x) { return dispersion_at(spec.dispersion, anatomy, drug, x); };
  sys.catheter_input = gaussian_input(grid, tip_cm, spec.source_width_cm, 0);
  out.fluid = fluid_balance(spec, grid, sys.catheter_input);
  const FluidBalance& fluid = out.fluid;

  // Face j joins cell j−1 (below) and cell j, or the last cell and the pool (j = N). The flow
  // is split into its part towards the head and its part towards the tail, each carrying the
  // concentration of the cell it leaves (upwind); both are linear in q.
  const auto carry = [&](RateMatrixBuilder& builder, int below, int above, double flow) {
    if (flow >= 0.0) {
      builder.transfer(below, above, flow / volume(below));
    } else {
      builder.transfer(above, below, -flow / volume(above));
    }
  };
  const double tip_area = anatomy.csf_area_cm2(tip_cm);
  const double mixing_length = spec.physiology.injection_mixing_length_cm;
  for (int j = 1; j <= n; ++j) {
    const int below = j - 1;
    const int above = j < n ? j : pool;
    const double x = face(j);
    const double area = anatomy.csf_area_cm2(x);
    const double distance = (j < n ? centre(j) : face(n)) - centre(j - 1);
    const double conductance = area * D(x) / distance;  // mL/h
    transfer(below, above, conductance / volume(below));
    transfer(above, below, conductance / volume(above));
    carry(rates, below, above, fluid.face_flow[static_cast<std::size_t>(j)]);
    if (fluid.prescribed) continue;
    carry(production_rates, below, above, fluid.face_flow[static_cast<std::size_t>(j)]);
    carry(flow_rates, below, above, fluid.face_flow_per_tip_flow[static_cast<std::size_t>(j)]);
    // Injection mixing per mL/h of inflow: D_inj = ℓ/A_tip · exp(−(x − tip)²/(2ℓ²)).
    if (mixing_length > 0.0) {
      const double z = (x - tip_cm) / mixing_length;
      const double mixing = area * mixing_length / tip_area * std::exp(-0.5 * z * z) / distance;
      flow_rates.transfer(below, above, mixing / volume(below));
      flow_rates.transfer(above, below, mixing / volume(above));
    }
  }

  // Losses from every cell: with absorbed CSF (every solute alike; none under a prescribed flow)
  // and across the meninges (drug-specific), or a prescribed uniform uptake in their place.
  for (int i = 0; i < n; ++i) {
    const double width = face(i + 1) - face(i);
    const double absorbed = fluid.absorption[static_cast<std::size_t>(i)];
    if (spec.uptake_per_h) {
      transfer(i, sys.plasma_state, (absorbed + *spec.uptake_per_h * volume(i)) / volume(i));
    } else {
      const double across_meninges =
          drug.meningeal_permeability_cm_per_h * dural_perimeter_cm(anatomy, centre(i)) * width;
      transfer(i, sys.plasma_state, absorbed / volume(i));
      add_meningeal_loss(rates, sys, drug, disposition, i, across_meninges / volume(i));
    }
    production_rates.transfer(i, sys.plasma_state, absorbed / volume(i));
  }

  // Cord tissue: conductance P·perimeter·overlap with every cell the segment overlaps.
  for (std::size_t s = 0; s < out.tissue_segments.size(); ++s) {
    const CordSegment& segment = *out.tissue_segments[s];
    const int tissue = sys.tissue_states[s];
    for (int i = 0; i < n; ++i) {
      const double overlap =
          std::min(face(i + 1), segment.top_cm) - std::max(face(i), segment.bottom_cm);
      if (overlap <= 0.0) continue;
      const double perimeter = 2.0 * std::sqrt(std::numbers::pi * anatomy.cord_area_cm2(centre(i)));
      const double conductance = drug.cord_permeability_cm_per_h * perimeter * overlap;
      transfer(i, tissue, conductance / volume(i));
      transfer(tissue, i, conductance / (drug.cord_partition * volume(tissue)));
    }
    transfer(tissue, sys.plasma_state, drug.cord_clearance_per_h);
  }
  // The pool drains with the CSF absorbed in the head; the tip inflow leaves there too.
  transfer(pool, sys.plasma_state, fluid.cranial_absorption / volume(pool));
  if (!fluid.prescribed) {
    flow_rates.transfer(pool, sys.plasma_state, 1.0 / volume(pool));
    production_rates.transfer(pool, sys.plasma_state, fluid.cranial_absorption / volume(pool));
  }
  add_disposition_transfers(rates, sys, drug, disposition);
  sys.rates = rates.build(sys.size());
  sys.tip_flow_rates = flow_rates.build(sys.size());
  sys.production_rates = production_rates.build(sys.size());
  if (!fluid.prescribed) sys.circadian = spec.physiology.circadian;

  sys.site_states = {pool, sys.plasma_state};
  sys.site_names = {"cranial_pool", "plasma"};
  sys.site_inputs["cranial_pool"] = {{pool}, {1.0}};
  for (const auto& level : anatomy.levels) {
    sys.site_inputs[level.label] = gaussian_input(grid, level.x_cm, spec.source_width_cm, 0);
  }

  if (spec.scheme == AdvectionScheme::kLimited) {
    // Anti-diffusive correction to the upwind face flux: A u σ (x_face − x_upwind), with σ the
    // limited slope in the upwind cell (zero in the end cells).
    struct Face {
      int left;
      double flow;  // A u, mL/h
    };
    std::vector<Face> faces;
    for (int j = 1; j < n; ++j)
      faces.push_back({j - 1, fluid.face_flow[static_cast<std::size_t>(j)]});
    std::vector<double> centres = grid.centres_cm;
    std::vector<double> faces_x = grid.faces_cm;
    std::vector<double> volumes(sys.volume_mL.begin(), sys.volume_mL.begin() + n);
    sys.nonlinear_correction = [faces, centres, faces_x, volumes, n](const Eigen::VectorXd& m,
                                                                     Eigen::VectorXd& dm) {
      const auto c = [&](int i) { return m[i] / volumes[static_cast<std::size_t>(i)]; };
      const auto x = [&](int i) { return centres[static_cast<std::size_t>(i)]; };
      const auto slope = [&](int i) {
        if (i <= 0 || i >= n - 1) return 0.0;
        return limited_slope((c(i) - c(i - 1)) / (x(i) - x(i - 1)),
                             (c(i + 1) - c(i)) / (x(i + 1) - x(i)));
      };
      for (const Face& f : faces) {
        const int upwind = f.flow >= 0.0 ? f.left : f.left + 1;
        const double offset = faces_x[static_cast<std::size_t>(f.left) + 1] - x(upwind);
        const double correction = f.flow * slope(upwind) * offset;
        dm[f.left] -= correction;
        dm[f.left + 1] += correction;
      }
    };
  }
  return out;
}

}  // namespace csfpk
