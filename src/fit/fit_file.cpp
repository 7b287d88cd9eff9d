#include "csfpk/fit/fit_file.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/version.hpp"
#include "io/h5_file.hpp"

namespace csfpk {
namespace {

using Strings = std::vector<std::string>;

std::string subset_name(const FitReport& report, const CollinearitySubset& subset) {
  std::string name;
  for (const int k : subset.members) {
    if (!name.empty()) name += " + ";
    name += report.parameters[static_cast<std::size_t>(k)].path;
  }
  return name;
}

class Writer {
 public:
  explicit Writer(hid_t root) : root_(root) {}

  hid_t dimension(const char* name, const Strings& values, std::string_view long_name) {
    h5::Dataset scale = h5::create_string_dataset(root_, name, values);
    return keep(std::move(scale), name, long_name, "");
  }
  hid_t dimension(const char* name, const std::vector<double>& values, std::string_view long_name,
                  std::string_view units) {
    const std::array<hsize_t, 1> dims{values.size()};
    h5::Dataset scale = h5::create_dataset(root_, name, H5T_IEEE_F64LE, dims);
    h5::write(scale.get(), values);
    return keep(std::move(scale), name, long_name, units);
  }
  hid_t variable(const char* name, std::initializer_list<hid_t> scales,
                 const std::vector<double>& values, std::string_view long_name,
                 std::string_view units) {
    std::vector<hsize_t> dims;
    for (hid_t scale : scales) dims.push_back(h5::shape(scale).front());
    h5::Dataset v = h5::create_dataset(root_, name, H5T_IEEE_F64LE, dims);
    h5::write(v.get(), values);
    return attach(std::move(v), name, scales, long_name, units);
  }
  hid_t integers(const char* name, std::initializer_list<hid_t> scales,
                 const std::vector<std::int64_t>& values, std::string_view long_name) {
    std::vector<hsize_t> dims;
    for (hid_t scale : scales) dims.push_back(h5::shape(scale).front());
    h5::Dataset v = h5::create_dataset(root_, name, H5T_STD_I64LE, dims);
    h5::write(v.get(), values);
    return attach(std::move(v), name, scales, long_name, "");
  }
  hid_t strings(const char* name, hid_t scale, const Strings& values, std::string_view long_name) {
    h5::Dataset v = h5::create_string_dataset(root_, name, values);
    return attach(std::move(v), name, {scale}, long_name, "");
  }

 private:
  hid_t keep(h5::Dataset scale, const char* name, std::string_view long_name,
             std::string_view units) {
    h5::make_dimension(scale.get(), name, next_dimension_++);
    h5::describe(scale.get(), long_name, units);
    held_.push_back(std::move(scale));
    return held_.back().get();
  }
  hid_t attach(h5::Dataset v, const char* name, std::initializer_list<hid_t> scales,
               std::string_view long_name, std::string_view units) {
    const std::vector<hid_t> list(scales);
    h5::attach_dimensions(v.get(), name, list);
    h5::describe(v.get(), long_name, units);
    held_.push_back(std::move(v));
    return held_.back().get();
  }

  hid_t root_;
  std::int32_t next_dimension_ = 0;
  std::vector<h5::Dataset> held_;
};

std::string number(double v, int digits = 4) {
  if (!std::isfinite(v)) return std::isnan(v) ? "-" : (v > 0 ? "inf" : "-inf");
  std::ostringstream out;
  out << std::setprecision(digits) << v;
  return out.str();
}

}  // namespace

void write_fit_file(const std::string& path, const FitReport& report) {
  if (report.fits.empty()) throw IoError(path + ": no fit to write");
  const std::size_t m = report.parameters.size();
  h5::File file = h5::create_file(path);
  const hid_t root = file.get();
  const FitProvenance& p = report.provenance;
  h5::set_attribute(root, "title", "csfpk fit of " + p.scenario_file + " to " + p.data_file);
  h5::set_attribute(root, "Conventions", "CF-1.8");
  h5::set_attribute(root, "source", std::string("csfpk ") + kVersion);
  h5::set_attribute(root, "csfpk_version", kVersion);
  h5::set_attribute(root, "created", utc_now_iso8601());
  h5::set_attribute(root, "command", p.command);
  h5::set_attribute(root, "scenario_file", p.scenario_file);
  h5::set_attribute(root, "scenario", p.scenario_text);
  h5::set_attribute(root, "data_file", p.data_file);
  h5::set_attribute(root, "data_sha256", p.data_sha256);
  h5::set_attribute(root, "error_model", report.options.error.describe());
  h5::set_attribute(root, "gradient",
                    report.options.gradient == GradientMethod::kSensitivity
                        ? "sensitivity equations"
                        : "finite differences");
  h5::set_attribute(root, "confidence", report.options.confidence);
  h5::set_attribute(root, "fitted_scale",
                    "covariance and correlation are of the fitted values: log of the parameter "
                    "where log_scale is 1, the parameter itself otherwise");

  Writer w(root);
  Strings paths, units_text, labels;
  std::vector<std::int64_t> log_scale;
  std::vector<double> lower, upper;
  for (const auto& e : report.parameters) {
    paths.push_back(e.path);
    units_text.push_back(e.unit.empty() ? "1" : e.unit);
    log_scale.push_back(e.log_scale ? 1 : 0);
    lower.push_back(e.lower);
    upper.push_back(e.upper);
  }
  for (const auto& f : report.fits) labels.push_back(f.label);
  const hid_t parameter = w.dimension("parameter", paths, "estimated parameter (scenario path)");
  const hid_t parameter_b = w.dimension("parameter_b", paths, "estimated parameter (second axis)");
  const hid_t fit = w.dimension("fit", labels, "fit: pooled, or one subject");
  Strings subsets;
  std::vector<double> subset_size;
  for (const auto& s : report.fits.front().collinearity) {
    subsets.push_back(subset_name(report, s));
    subset_size.push_back(static_cast<double>(s.members.size()));
  }
  const hid_t subset =
      subsets.empty() ? -1 : w.dimension("subset", subsets, "parameter subset (collinearity)");

  w.strings("unit", parameter, units_text, "unit of the parameter's values");
  w.integers("log_scale", {parameter}, log_scale, "1: estimated as log of the parameter");
  w.variable("lower", {parameter}, lower, "lower bound", "");
  w.variable("upper", {parameter}, upper, "upper bound", "");
  Strings gradients;
  for (const auto& e : report.fits.front().parameters) gradients.push_back(e.gradient);
  w.strings("gradient", parameter, gradients, "how the derivatives were computed");

  const auto per_parameter = [&](const char* name, auto get, std::string_view long_name) {
    std::vector<double> values;
    for (const auto& f : report.fits) {
      for (std::size_t k = 0; k < m; ++k) values.push_back(get(f, k));
    }
    w.variable(name, {fit, parameter}, values, long_name, "");
  };
  per_parameter(
      "start", [](const FitResult& f, std::size_t k) { return f.start[k]; }, "initial value");
  per_parameter(
      "estimate", [](const FitResult& f, std::size_t k) { return f.parameters[k].estimate; },
      "estimate");
  per_parameter(
      "standard_error",
      [](const FitResult& f, std::size_t k) { return f.parameters[k].standard_error; },
      "standard error (delta method for log-scale parameters)");
  per_parameter(
      "ci_lower", [](const FitResult& f, std::size_t k) { return f.parameters[k].ci_lower; },
      "lower end of the Wald confidence interval (fitted scale, back-transformed)");
  per_parameter(
      "ci_upper", [](const FitResult& f, std::size_t k) { return f.parameters[k].ci_upper; },
      "upper end of the Wald confidence interval");
  per_parameter(
      "rse_percent", [](const FitResult& f, std::size_t k) { return f.parameters[k].rse_percent; },
      "relative standard error, %");
  per_parameter(
      "profile_lower",
      [](const FitResult& f, std::size_t k) { return f.parameters[k].profile_lower; },
      "lower end of the profile-likelihood interval (NaN: not computed or unbounded)");
  per_parameter(
      "profile_upper",
      [](const FitResult& f, std::size_t k) { return f.parameters[k].profile_upper; },
      "upper end of the profile-likelihood interval");
  const auto matrices = [&](const char* name, auto get, std::string_view long_name) {
    std::vector<double> values;
    for (const auto& f : report.fits) {
      const Eigen::MatrixXd& matrix = get(f);
      for (Eigen::Index a = 0; a < matrix.rows(); ++a) {
        for (Eigen::Index b = 0; b < matrix.cols(); ++b) values.push_back(matrix(a, b));
      }
    }
    w.variable(name, {fit, parameter, parameter_b}, values, long_name, "");
  };
  matrices(
      "covariance", [](const FitResult& f) -> const Eigen::MatrixXd& { return f.covariance; },
      "covariance of the fitted-scale values");
  matrices(
      "correlation", [](const FitResult& f) -> const Eigen::MatrixXd& { return f.correlation; },
      "correlation of the fitted-scale values");
  if (subset >= 0) {
    std::vector<double> values;
    for (const auto& f : report.fits) {
      for (const auto& s : f.collinearity) values.push_back(s.index);
    }
    w.variable("collinearity", {fit, subset}, values,
               "collinearity index (Brun et al. 2001); above 20: not identifiable", "");
    w.variable("subset_size", {subset}, subset_size, "parameters in the subset", "");
  }
  const auto per_fit = [&](const char* name, auto get, std::string_view long_name) {
    std::vector<double> values;
    for (const auto& f : report.fits) values.push_back(static_cast<double>(get(f)));
    w.variable(name, {fit}, values, long_name, "");
  };
  per_fit(
      "weighted_rss", [](const FitResult& f) { return f.weighted_rss; },
      "weighted residual sum of squares");
  per_fit(
      "residual_scale", [](const FitResult& f) { return f.residual_scale; },
      "residual scale sigma (1: the stated error model fits)");
  per_fit(
      "minus2_log_likelihood", [](const FitResult& f) { return f.minus2_log_likelihood; },
      "-2 log likelihood");
  per_fit(
      "aic", [](const FitResult& f) { return f.aic; }, "Akaike information criterion");
  per_fit(
      "bic", [](const FitResult& f) { return f.bic; }, "Bayesian information criterion");
  per_fit(
      "degrees_of_freedom", [](const FitResult& f) { return f.degrees_of_freedom; },
      "observations minus parameters");
  per_fit(
      "iterations", [](const FitResult& f) { return f.iterations; },
      "Levenberg-Marquardt iterations");
  per_fit(
      "solves", [](const FitResult& f) { return f.solves; }, "model solves");
  per_fit(
      "converged", [](const FitResult& f) { return f.converged ? 1 : 0; },
      "1: the optimiser reports convergence");
  Strings messages;
  for (const auto& f : report.fits) messages.push_back(f.message.empty() ? "-" : f.message);
  w.strings("message", fit, messages, "the optimiser's termination message");

  std::vector<double> index, time, observed, predicted, residual, weight;
  std::vector<std::int64_t> which;
  Strings subject, drug, site;
  for (std::size_t f = 0; f < report.fits.size(); ++f) {
    const FitResult& r = report.fits[f];
    for (std::size_t i = 0; i < r.observations.rows.size(); ++i) {
      const Observation& o = r.observations.rows[i];
      index.push_back(static_cast<double>(index.size()));
      which.push_back(static_cast<std::int64_t>(f));
      subject.push_back(o.subject);
      drug.push_back(o.drug);
      site.push_back(o.site);
      time.push_back(o.time_h);
      observed.push_back(o.value_ug_per_mL);
      weight.push_back(o.weight);
      predicted.push_back(r.predicted[i]);
      residual.push_back(r.standardized_residual[i]);
    }
  }
  const hid_t observation = w.dimension("observation", index, "observation number", "");
  w.integers("observation_fit", {observation}, which, "index of the fit the observation is in");
  w.strings("subject", observation, subject, "subject");
  w.strings("drug", observation, drug, "drug");
  w.strings("site", observation, site, "site or vertebral level");
  w.variable("time", {observation}, time, "time of the sample after the scenario start", "h");
  w.variable("observed", {observation}, observed, "observed concentration", "ug/mL");
  w.variable("predicted", {observation}, predicted, "predicted concentration at the estimate",
             "ug/mL");
  w.variable("standardized_residual", {observation}, residual,
             "(observed - predicted) / (sigma g), or of log concentrations", "1");
  w.variable("weight", {observation}, weight, "observation weight", "1");
  h5::close_file(file, path);
}

std::string format_fit(const FitReport& report) {
  std::ostringstream out;
  out << "csfpk fit: " << report.provenance.scenario_file << " to " << report.provenance.data_file
      << "\nerror model: " << report.options.error.describe() << "\n";
  for (const FitResult& f : report.fits) {
    out << "\n== " << f.label << ": " << f.observations.rows.size() << " observations, "
        << (f.converged ? "converged" : "NOT converged") << " after " << f.iterations
        << " iterations, " << f.solves << " solves\n";
    if (!f.converged && !f.message.empty()) out << f.message << "\n";
    out << std::left << std::setw(44) << "parameter" << std::setw(12) << "estimate" << std::setw(10)
        << "unit" << std::setw(11) << "SE" << std::setw(8) << "RSE%"
        << "95% CI\n";
    for (std::size_t k = 0; k < report.parameters.size(); ++k) {
      const EstimatedParameter& p = report.parameters[k];
      const ParameterEstimate& e = f.parameters[k];
      out << std::left << std::setw(44) << p.path << std::setw(12) << number(e.estimate, 5)
          << std::setw(10) << (p.unit.empty() ? "1" : p.unit) << std::setw(11)
          << number(e.standard_error, 3) << std::setw(8) << number(e.rse_percent, 3) << "["
          << number(e.ci_lower, 4) << ", " << number(e.ci_upper, 4) << "]";
      if (!std::isnan(e.profile_lower) || !std::isnan(e.profile_upper)) {
        out << " profile [" << number(e.profile_lower, 4) << ", " << number(e.profile_upper, 4)
            << "]";
      }
      if (e.at_bound) out << " AT BOUND";
      if (e.gradient != "sensitivity equations") out << " (" << e.gradient << ")";
      out << "\n";
    }
    out << "residual scale " << number(f.residual_scale) << ", weighted RSS "
        << number(f.weighted_rss, 6) << ", -2LL " << number(f.minus2_log_likelihood, 6) << ", AIC "
        << number(f.aic, 6) << ", BIC " << number(f.bic, 6) << "\n";
    if (report.parameters.size() > 1) {
      out << "correlation (fitted scale):\n";
      for (Eigen::Index a = 0; a < f.correlation.rows(); ++a) {
        out << "  ";
        for (Eigen::Index b = 0; b < f.correlation.cols(); ++b) {
          out << std::right << std::setw(8) << number(f.correlation(a, b), 3);
        }
        out << "\n";
      }
      out << "collinearity index (above " << kCollinearityLimit << ": not identifiable):\n";
      for (const CollinearitySubset& s : f.collinearity) {
        out << "  " << std::left << std::setw(70) << subset_name(report, s) << " "
            << number(s.index, 4) << (s.index > kCollinearityLimit ? "  NOT IDENTIFIABLE" : "")
            << "\n";
      }
    }
  }
  return out.str();
}

FitSample read_fit_sample(const std::string& path, const std::string& label) {
  h5::File file = h5::open_file(path);
  const auto dataset = [&](const char* name) {
    h5::Dataset d = h5::open_dataset_if_exists(file.get(), name);
    if (!d) throw IoError(path + ": not a csfpk fit file (no '" + name + "')");
    return d;
  };
  const Strings labels = h5::read_strings(dataset("fit").get());
  const Strings paths = h5::read_strings(dataset("parameter").get());
  const Strings units_text = h5::read_strings(dataset("unit").get());
  const std::vector<double> log_scale = h5::read_doubles(dataset("log_scale").get());
  const std::vector<double> lower = h5::read_doubles(dataset("lower").get());
  const std::vector<double> upper = h5::read_doubles(dataset("upper").get());
  const std::vector<double> estimate = h5::read_doubles(dataset("estimate").get());
  const std::vector<double> covariance = h5::read_doubles(dataset("covariance").get());
  const std::size_t m = paths.size();
  std::size_t f = 0;
  if (label.empty()) {
    if (labels.size() != 1) {
      throw IoError(path + " holds " + std::to_string(labels.size()) +
                    " fits; name one with fit: (" + join_alternatives(labels) + ")");
    }
  } else {
    const auto found = std::find(labels.begin(), labels.end(), label);
    if (found == labels.end()) {
      throw IoError(path + " has no fit '" + label + "' (it has " + join_alternatives(labels) +
                    ")");
    }
    f = static_cast<std::size_t>(found - labels.begin());
  }
  if (units_text.size() != m || estimate.size() != labels.size() * m ||
      covariance.size() != labels.size() * m * m) {
    throw IoError(path + ": the fit file's arrays do not match its parameters");
  }
  FitSample sample;
  sample.label = labels[f];
  sample.covariance.resize(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(m));
  for (std::size_t k = 0; k < m; ++k) {
    EstimatedParameter p;
    p.path = paths[k];
    p.unit = units_text[k] == "1" ? "" : units_text[k];
    p.log_scale = log_scale[k] != 0.0;
    p.lower = lower[k];
    p.upper = upper[k];
    p.initial = estimate[f * m + k];
    sample.parameters.push_back(p);
    sample.estimates.push_back(estimate[f * m + k]);
    for (std::size_t b = 0; b < m; ++b) {
      sample.covariance(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(b)) =
          covariance[(f * m + k) * m + b];
    }
  }
  return sample;
}

}  // namespace csfpk
