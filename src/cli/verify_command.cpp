#include "verify_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "csfpk/batch/sweep_file.hpp"
#include "csfpk/core/errors.hpp"
#include "csfpk/io/result_reader.hpp"

namespace csfpk::cli {
namespace {

constexpr int kOk = 0;
constexpr int kStructure = 4;
constexpr int kContent = 5;
constexpr double kMassBalanceLimit = 1e-6;

struct Problems {
  std::vector<std::string> structure;
  std::vector<std::string> content;
};

// Most negative value allowed: round-off relative to the largest magnitude in the data.
double negative_floor(double largest) {
  return -1e-9 * std::max(largest, 1e-30) - 1e-15;
}

void check_values(const std::string& what, const Eigen::MatrixXd& m, Problems& problems) {
  if (m.size() == 0) return;
  std::size_t non_finite = 0;
  double largest = 0.0;
  double smallest = 0.0;
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    const double v = m.data()[i];
    if (!std::isfinite(v)) {
      ++non_finite;
      continue;
    }
    largest = std::max(largest, std::abs(v));
    smallest = std::min(smallest, v);
  }
  if (non_finite > 0) {
    problems.content.push_back(what + ": " + std::to_string(non_finite) + " non-finite value(s)");
  }
  if (smallest < negative_floor(largest)) {
    std::ostringstream out;
    out << what << ": negative concentration " << smallest << " ug/mL";
    problems.content.push_back(out.str());
  }
}

void check_shape(const std::string& what, const Eigen::MatrixXd& m, std::size_t times,
                 Problems& problems) {
  if (m.size() != 0 && static_cast<std::size_t>(m.cols()) != times) {
    problems.structure.push_back(what + ": " + std::to_string(m.cols()) +
                                 " time points, expected " + std::to_string(times));
  }
}

void check_series(const std::string& what, const std::vector<double>& v, std::size_t times,
                  Problems& problems) {
  if (v.size() != times) {
    problems.structure.push_back(what + ": " + std::to_string(v.size()) +
                                 " time points, expected " + std::to_string(times));
  }
}

// The mass balance recomputed from the stored concentrations and the volumes behind them:
// max_t |delivered − eliminated − (Σ V c + unobserved)| / max_t delivered. NaN when the file does
// not carry the volumes (written by an older csfpk) and 1D profiles lack theirs.
double recomputed_mass_balance(const Trajectory& trajectory, const DrugTrajectory& drug) {
  const auto rows = [](const Eigen::MatrixXd& m) { return static_cast<std::size_t>(m.rows()); };
  const std::size_t times = trajectory.times_h.size();
  if (drug.site_volume_mL.size() != rows(drug.concentration_ug_per_mL) ||
      drug.unobserved_ug.size() != times ||
      drug.profile_volume_mL.size() != rows(drug.csf_profile_ug_per_mL) ||
      drug.tissue_volume_mL.size() != rows(drug.tissue_ug_per_mL) ||
      drug.delivered_ug.size() != times || drug.eliminated_ug.size() != times) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const auto amount = [](const Eigen::MatrixXd& c, const std::vector<double>& v, Eigen::Index t) {
    double sum = 0.0;
    for (Eigen::Index r = 0; r < c.rows(); ++r) sum += v[static_cast<std::size_t>(r)] * c(r, t);
    return sum;
  };
  double worst = 0.0;
  double scale = 0.0;
  for (std::size_t i = 0; i < times; ++i) {
    const auto t = static_cast<Eigen::Index>(i);
    const double in_body = amount(drug.concentration_ug_per_mL, drug.site_volume_mL, t) +
                           amount(drug.csf_profile_ug_per_mL, drug.profile_volume_mL, t) +
                           amount(drug.tissue_ug_per_mL, drug.tissue_volume_mL, t) +
                           drug.unobserved_ug[i];
    worst = std::max(worst, std::abs(drug.delivered_ug[i] - drug.eliminated_ug[i] - in_body));
    scale = std::max(scale, drug.delivered_ug[i]);
  }
  return scale > 0.0 ? worst / scale : worst;
}

class Verify final : public VerifyCommand {
 public:
  explicit Verify(CLI::App& app) {
    command_ = app.add_subcommand(
        "verify",
        "check a single-run result file: structure, status, provenance, mass balance and "
        "concentrations; exit 0 ok, 4 unreadable or malformed file, 5 content problem");
    command_->add_option("result", path_, "result HDF5 file")->required();
  }

  std::optional<int> run() override {
    if (!*command_) return std::nullopt;
    if (batch::is_sweep_file(path_)) {
      throw IoError(path_ +
                    " is a sweep file, not a single-run result: `csfpk sweep-info` checks it "
                    "(header digest and every run's checksum)");
    }
    const ResultFile file = read_result(path_);  // IoError: exit 4 via main
    const RunRecord& record = file.record;
    const Trajectory& trajectory = record.trajectory;
    Problems problems;
    const std::size_t times = trajectory.times_h.size();

    if (times == 0) problems.structure.push_back("no output times");
    for (std::size_t i = 0; i < times; ++i) {
      const double t = trajectory.times_h[i];
      if (!std::isfinite(t) || (i > 0 && !(t > trajectory.times_h[i - 1]))) {
        problems.structure.push_back("times are not finite and strictly increasing (at index " +
                                     std::to_string(i) + ")");
        break;
      }
    }
    if (trajectory.drugs.empty()) problems.structure.push_back("no drugs");
    check_series("reservoir volume", file.reservoir_volume_mL, times, problems);

    const Provenance& p = record.provenance;
    const std::vector<std::pair<const char*, const std::string*>> provenance = {
        {"csfpk_version", &p.csfpk_version},
        {"scenario_text", &p.scenario_text},
        {"command_line", &p.command_line},
        {"created_utc", &p.created_utc}};
    for (const auto& [name, value] : provenance) {
      if (value->empty()) problems.structure.push_back(std::string("provenance: empty ") + name);
    }
    if (record.status != "ok") problems.content.push_back("status: " + record.status);

    double worst = 0.0;
    std::string worst_drug;
    for (const DrugTrajectory& drug : trajectory.drugs) {
      const std::string& d = drug.drug;
      if (static_cast<std::size_t>(drug.concentration_ug_per_mL.rows()) !=
          trajectory.sites.size()) {
        problems.structure.push_back(d + ": concentration has " +
                                     std::to_string(drug.concentration_ug_per_mL.rows()) +
                                     " sites, expected " + std::to_string(trajectory.sites.size()));
      }
      check_shape(d + ": concentration", drug.concentration_ug_per_mL, times, problems);
      check_shape(d + ": CSF profile", drug.csf_profile_ug_per_mL, times, problems);
      check_shape(d + ": tissue", drug.tissue_ug_per_mL, times, problems);
      check_series(d + ": delivered", drug.delivered_ug, times, problems);
      check_series(d + ": in body", drug.in_body_ug, times, problems);
      check_series(d + ": eliminated", drug.eliminated_ug, times, problems);
      check_values(d + ": concentration", drug.concentration_ug_per_mL, problems);
      check_values(d + ": CSF profile", drug.csf_profile_ug_per_mL, problems);
      check_values(d + ": tissue", drug.tissue_ug_per_mL, problems);
      const double error = drug.mass_balance_relative_error;
      if (!std::isfinite(error) || error > kMassBalanceLimit) {
        std::ostringstream out;
        out << d << ": mass-balance relative error " << error << " is above " << kMassBalanceLimit;
        problems.content.push_back(out.str());
      }
      // Recomputed, not taken from the file: doubled concentrations no longer balance.
      const double recomputed = recomputed_mass_balance(trajectory, drug);
      if (!std::isnan(recomputed) && !(recomputed <= kMassBalanceLimit)) {
        std::ostringstream out;
        out << std::setprecision(2) << d
            << ": mass balance recomputed from the stored concentrations and volumes is off "
            << "by " << recomputed << " of the delivered mass (above " << kMassBalanceLimit << ")";
        problems.content.push_back(out.str());
      }
      if (worst_drug.empty() || !(error <= worst)) {
        worst = error;
        worst_drug = d;
      }
    }

    if (problems.structure.empty() && problems.content.empty()) {
      std::cout << path_ << ": ok (" << trajectory.drugs.size() << " drug(s), " << times
                << " output times, status ok, worst mass-balance relative error " << worst << " ("
                << worst_drug << "))\n";
      // Not problems of the file, but the run's own warnings (consensus maxima) travel with it.
      for (const std::string& w : record.warnings) std::cout << "recorded warning: " << w << "\n";
      return kOk;
    }
    std::cerr << "error: " << path_ << ": " << problems.structure.size() + problems.content.size()
              << " problem(s)\n";
    for (const auto& problem : problems.structure) std::cerr << "  " << problem << "\n";
    for (const auto& problem : problems.content) std::cerr << "  " << problem << "\n";
    return problems.structure.empty() ? kContent : kStructure;
  }

 private:
  CLI::App* command_ = nullptr;
  std::string path_;
};

}  // namespace

std::unique_ptr<VerifyCommand> add_verify_command(CLI::App& app) {
  return std::make_unique<Verify>(app);
}

}  // namespace csfpk::cli
