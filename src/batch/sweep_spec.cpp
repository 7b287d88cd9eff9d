#include "csfpk/batch/sweep_spec.hpp"

#include <yaml-cpp/yaml.h>

#include <Eigen/Cholesky>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/domain/vertebral_level.hpp"
#include "csfpk/fit/fit_file.hpp"
#include "io/yaml_node.hpp"

namespace csfpk::batch {
namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  return read_text_file(path, "sweep file");
}

bool parse_double(const std::string& text, double& value) {
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [end, error] = std::from_chars(first, last, value);
  return error == std::errc() && end == last && std::isfinite(value);
}

// A YAML value as the text an override needs: scalars verbatim, anything else in flow style.
std::string override_text(const YamlNode& node) {
  if (node.is_scalar()) return node.text();
  YAML::Emitter out;
  out << YAML::Flow << node.raw();
  return out.c_str();
}

std::uint64_t parse_seed(const YamlNode& node) {
  const std::string text = node.text();
  std::uint64_t seed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (error != std::errc() || end != text.data() + text.size()) {
    node.fail("expected a whole number from 0 to 18446744073709551615, got '" + text + "'");
  }
  return seed;
}

bool valid_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

Distribution read_distribution(const YamlNode& item, const std::string& unit) {
  static const std::vector<std::string> kKinds{"values", "uniform", "normal", "lognormal",
                                               "truncated_normal"};
  std::vector<std::string> present;
  for (const auto& kind : kKinds) {
    if (item.find(kind)) present.push_back(kind);
  }
  if (present.size() != 1) {
    item.fail(present.empty()
                  ? "expected one of values, uniform, normal, lognormal or truncated_normal"
                  : "give one distribution, not both " + present[0] + " and " + present[1]);
  }
  Distribution d;
  const YamlNode spec = item.at(present.front());
  const auto parameter = [&](const char* key) { return spec.at(key).number(); };
  if (present.front() == "values") {
    d.kind = DistributionKind::kValues;
    if (!spec.is_sequence()) spec.fail("expected a list of values, e.g. [T8, T10, T12]");
    for (const YamlNode& level : spec.items()) {
      if (!level.is_scalar()) level.fail("expected a single value");
      d.levels.push_back(level.text());
      double number = 0.0;
      if (parse_double(level.text(), number)) {
        d.numbers.push_back(number);
      } else {
        d.numeric = false;
      }
    }
    if (d.levels.empty()) spec.fail("expected at least one value");
    if (!d.numeric) d.numbers.clear();
    if (!d.numeric && !unit.empty()) {
      spec.fail(
          "with a unit every value must be a plain number; write units into the values "
          "instead (e.g. [0.2 mL/day, 0.4 mL/day]) and drop 'unit'");
    }
    return d;
  }
  if (!spec.is_map()) spec.fail("expected a mapping of parameters");
  if (present.front() == "uniform") {
    spec.allow_only({"min", "max"});
    d.kind = DistributionKind::kUniform;
    d.min = parameter("min");
    d.max = parameter("max");
    if (!(d.min < d.max)) spec.at("max").fail("must be greater than min");
  } else if (present.front() == "normal") {
    spec.allow_only({"mean", "sd"});
    d.kind = DistributionKind::kNormal;
    d.mean = parameter("mean");
    d.sd = parameter("sd");
    if (!(d.sd > 0.0)) spec.at("sd").fail("must be greater than zero");
  } else if (present.front() == "lognormal") {
    spec.allow_only({"median", "sigma"});
    d.kind = DistributionKind::kLognormal;
    d.median = parameter("median");
    d.sigma = parameter("sigma");
    if (!(d.median > 0.0)) spec.at("median").fail("must be greater than zero");
    if (!(d.sigma > 0.0)) spec.at("sigma").fail("must be greater than zero");
  } else {
    spec.allow_only({"mean", "sd", "min", "max"});
    d.kind = DistributionKind::kTruncatedNormal;
    d.mean = parameter("mean");
    d.sd = parameter("sd");
    d.min = parameter("min");
    d.max = parameter("max");
    if (!(d.sd > 0.0)) spec.at("sd").fail("must be greater than zero");
    if (!(d.min < d.max)) spec.at("max").fail("must be greater than min");
  }
  return d;
}

void read_correlation(const YamlNode& node, SweepSpec& s) {
  node.allow_only({"factors", "matrix"});
  const YamlNode names = node.at("factors");
  for (const YamlNode& name : names.items()) {
    const std::size_t index = s.factor_index(name.text());
    if (index == std::string::npos) name.fail("no factor is named '" + name.text() + "'");
    if (std::find(s.correlated.begin(), s.correlated.end(), index) != s.correlated.end()) {
      name.fail("appears twice");
    }
    const Factor& factor = s.factors[index];
    if (factor.distribution.kind == DistributionKind::kValues) {
      name.fail("factor '" + factor.name + "' takes listed values; only continuous factors " +
                "(uniform, normal, lognormal, truncated_normal) can be correlated");
    }
    s.correlated.push_back(index);
  }
  const auto n = static_cast<Eigen::Index>(s.correlated.size());
  if (n < 2) names.fail("expected at least two factors");
  const YamlNode matrix = node.at("matrix");
  const std::vector<YamlNode> rows = matrix.items();
  if (static_cast<Eigen::Index>(rows.size()) != n) {
    matrix.fail("expected " + std::to_string(n) + " rows, one per factor listed");
  }
  s.correlation.resize(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::vector<YamlNode> row = rows[static_cast<std::size_t>(i)].items();
    if (static_cast<Eigen::Index>(row.size()) != n) {
      rows[static_cast<std::size_t>(i)].fail("expected " + std::to_string(n) + " entries");
    }
    for (Eigen::Index j = 0; j < n; ++j) {
      const YamlNode& entry = row[static_cast<std::size_t>(j)];
      const double r = entry.number();
      if (i == j && r != 1.0) entry.fail("the diagonal of a correlation matrix must be 1");
      if (!(r >= -1.0 && r <= 1.0)) entry.fail("a correlation lies between -1 and 1");
      s.correlation(i, j) = r;
    }
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < i; ++j) {
      if (s.correlation(i, j) != s.correlation(j, i)) {
        rows[static_cast<std::size_t>(i)].items()[static_cast<std::size_t>(j)].fail(
            "the matrix must be symmetric: this entry differs from row " + std::to_string(j + 1) +
            ", column " + std::to_string(i + 1));
      }
    }
  }
  // The Cholesky factor maps independent normal scores to correlated ones; it exists exactly
  // when the matrix is positive definite.
  if (Eigen::LLT<Eigen::MatrixXd>(s.correlation).info() != Eigen::Success) {
    matrix.fail("the correlation matrix is not positive definite");
  }
}

// `from_fit: {file, fit}`: one factor per parameter of a fit, sampled from the estimate's
// normal approximation: log-normal for parameters estimated as log θ (median the estimate, σ its
// standard error of log θ), normal otherwise, with the fit's correlation as a Gaussian copula,
// which together is the multivariate normal of the fitted-scale values.
void read_from_fit(const YamlNode& node, const std::string& sweep_file, SweepSpec& s,
                   std::set<std::string>& names, std::set<std::string>& paths) {
  node.allow_only({"file", "fit"});
  const YamlNode file_node = node.at("file");
  fs::path path(file_node.text());
  if (path.is_relative()) path = fs::path(sweep_file).parent_path() / path;
  FitSample sample;
  try {
    sample = read_fit_sample(path.lexically_normal().string(),
                             node.find("fit") ? node.at("fit").text() : std::string());
  } catch (const Error& e) {
    file_node.fail(e.what());
  }
  const auto m = static_cast<Eigen::Index>(sample.parameters.size());
  for (Eigen::Index k = 0; k < m; ++k) {
    const double variance = sample.covariance(k, k);
    if (!(variance > 0.0) || !std::isfinite(variance)) {
      file_node.fail("the fit's covariance is undefined for '" +
                     sample.parameters[static_cast<std::size_t>(k)].path +
                     "' (the data do not identify it); nothing to sample");
    }
  }
  s.factor_files.push_back(path.lexically_normal().string());
  const std::size_t first = s.factors.size();
  for (Eigen::Index k = 0; k < m; ++k) {
    const EstimatedParameter& p = sample.parameters[static_cast<std::size_t>(k)];
    Factor f;
    f.name = p.path;
    std::replace(f.name.begin(), f.name.end(), '.', '_');
    if (!valid_name(f.name)) f.name = "fit_" + std::to_string(k);
    f.path = p.path;
    f.path_line = file_node.line();
    f.path_field = file_node.path();
    f.unit = p.unit;
    const double sd = std::sqrt(sample.covariance(k, k));
    const double estimate = sample.estimates[static_cast<std::size_t>(k)];
    if (p.log_scale) {
      f.distribution.kind = DistributionKind::kLognormal;
      f.distribution.median = estimate;
      f.distribution.sigma = sd;
    } else {
      f.distribution.kind = DistributionKind::kNormal;
      f.distribution.mean = estimate;
      f.distribution.sd = sd;
    }
    if (!names.insert(f.name).second) file_node.fail("two factors are named '" + f.name + "'");
    if (!paths.insert(f.path).second) file_node.fail("two factors set '" + f.path + "'");
    s.factors.push_back(std::move(f));
  }
  if (m >= 2) {
    s.correlation.resize(m, m);
    for (Eigen::Index a = 0; a < m; ++a) {
      s.correlated.push_back(first + static_cast<std::size_t>(a));
      for (Eigen::Index b = 0; b < m; ++b) {
        s.correlation(a, b) = a == b ? 1.0
                                     : sample.covariance(a, b) / std::sqrt(sample.covariance(a, a) *
                                                                           sample.covariance(b, b));
      }
    }
    if (Eigen::LLT<Eigen::MatrixXd>(s.correlation).info() != Eigen::Success) {
      file_node.fail(
          "the fit's correlation matrix is not positive definite (perfectly correlated "
          "estimates): fix one of the pair and fit again");
    }
  }
}

SweepSpec read_sweep(const YamlNode& root, const std::string& file, const std::string& text) {
  SweepSpec s;
  s.file = file;
  s.text = text;
  root.allow_only({"name", "description", "base", "set", "seed", "design", "factors", "from_fit",
                   "correlation", "outputs"});
  const YamlNode base = root.at("base");
  fs::path base_path(base.text());
  if (base_path.is_relative()) base_path = fs::path(file).parent_path() / base_path;
  s.base_path = base_path.lexically_normal().string();
  if (!fs::exists(s.base_path)) base.fail("no scenario file at " + s.base_path);
  if (const auto set = root.find("set")) {
    for (const auto& [key, value] : set->entries()) {
      s.base_overrides.push_back(key + "=" + override_text(value));
    }
  }
  s.seed = parse_seed(root.at("seed"));

  const YamlNode design = root.at("design");
  design.allow_only({"type", "runs"});
  const YamlNode type = design.at("type");
  const std::string t = type.text();
  if (t == "grid") {
    s.design = DesignType::kGrid;
  } else if (t == "latin_hypercube") {
    s.design = DesignType::kLatinHypercube;
  } else if (t == "monte_carlo") {
    s.design = DesignType::kMonteCarlo;
  } else if (t == "sobol") {
    s.design = DesignType::kSobol;
  } else {
    type.fail("expected grid, latin_hypercube, monte_carlo or sobol, got '" + t + "'");
  }
  if (const auto runs = design.find("runs")) {
    const int n = runs->integer();
    if (n < 1) runs->fail("expected at least one run");
    s.runs = static_cast<std::uint64_t>(n);
  } else if (s.design != DesignType::kGrid) {
    design.at("runs");  // required: reports the missing field
  }

  std::set<std::string> names;
  std::set<std::string> paths;
  const auto from_fit = root.find("from_fit");
  if (from_fit) {
    if (s.design != DesignType::kMonteCarlo && s.design != DesignType::kLatinHypercube) {
      from_fit->fail(
          "from_fit samples a fit's uncertainty: use a monte_carlo or latin_hypercube "
          "design");
    }
    if (root.find("correlation")) {
      root.at("correlation").fail("from_fit brings the fit's own correlation; remove this section");
    }
    read_from_fit(*from_fit, file, s, names, paths);
  }
  const auto factors_node = root.find("factors");
  const std::vector<YamlNode> factor_items =
      factors_node || !from_fit ? root.at("factors").items() : std::vector<YamlNode>{};
  for (const YamlNode& item : factor_items) {
    item.allow_only(
        {"name", "path", "unit", "values", "uniform", "normal", "lognormal", "truncated_normal"});
    Factor f;
    const YamlNode name = item.at("name");
    f.name = name.text();
    if (!valid_name(f.name)) name.fail("names are letters, digits and '_' (they name datasets)");
    if (!names.insert(f.name).second) name.fail("two factors are named '" + f.name + "'");
    const YamlNode path = item.at("path");
    f.path = path.text();
    f.path_line = path.line();
    f.path_field = path.path();
    if (f.path.empty() || f.path.find('=') != std::string::npos) {
      path.fail("expected a dotted scenario field, e.g. catheter.tip");
    }
    if (!paths.insert(f.path).second) path.fail("two factors set '" + f.path + "'");
    if (const auto unit = item.find("unit")) f.unit = unit->text();
    f.distribution = read_distribution(item, f.unit);
    if (s.design == DesignType::kGrid && f.distribution.kind != DistributionKind::kValues) {
      item.fail("a grid design takes listed values for every factor ('values: [...]')");
    }
    s.factors.push_back(std::move(f));
  }
  if (s.factors.empty()) root.at("factors").fail("expected at least one factor");
  if (s.design == DesignType::kSobol && 2 * s.factors.size() > 32) {
    root.at("factors").fail("a Sobol design supports at most 16 factors (32 Sobol dimensions)");
  }

  if (const auto correlation = root.find("correlation")) {
    if (s.design == DesignType::kGrid || s.design == DesignType::kSobol) {
      correlation->fail(
          "correlation applies to monte_carlo and latin_hypercube designs only "
          "(Sobol indices assume independent factors)");
    }
    read_correlation(*correlation, s);
  }

  if (const auto outputs = root.find("outputs")) {
    outputs->allow_only({"summaries", "time_series"});
    if (const auto summaries = outputs->find("summaries")) {
      s.outputs.summaries = summaries->boolean();
    }
    if (const auto series = outputs->find("time_series")) {
      if (series->is_scalar()) {
        s.outputs.time_series = series->boolean();
      } else {
        series->allow_only({"interval", "precision", "levels"});
        if (const auto levels = series->find("levels")) {
          for (const auto& level : levels->items()) {
            const std::string name = level.text();
            if (!vertebral_level_index(name)) {
              level.fail("expected a vertebral level (C1–C7, T1–T12, L1–L5, S1–S5), got '" + name +
                         "'");
            }
            if (std::find(s.outputs.levels.begin(), s.outputs.levels.end(), name) !=
                s.outputs.levels.end()) {
              level.fail("level " + name + " is listed twice");
            }
            s.outputs.levels.push_back(name);
          }
          if (s.outputs.levels.empty()) levels->fail("expected at least one vertebral level");
        }
        s.outputs.time_series = true;
        if (const auto interval = series->find("interval")) {
          s.outputs.interval_h = interval->positive_quantity(units::kTime);
        }
        if (const auto precision = series->find("precision")) {
          const std::string p = precision->text();
          if (p != "float32" && p != "float64") {
            precision->fail("expected float32 or float64, got '" + p + "'");
          }
          s.outputs.float32 = p == "float32";
        }
      }
    }
    if (!s.outputs.summaries && !s.outputs.time_series) {
      outputs->fail("keeps nothing: set summaries: true and/or give time_series");
    }
  }
  return s;
}

}  // namespace

std::string to_string(DesignType type) {
  switch (type) {
    case DesignType::kGrid:
      return "grid";
    case DesignType::kLatinHypercube:
      return "latin_hypercube";
    case DesignType::kMonteCarlo:
      return "monte_carlo";
    case DesignType::kSobol:
      return "sobol";
  }
  return "?";
}

std::string format_number(double value) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : std::string("nan");
}

std::string Distribution::describe() const {
  const auto f = format_number;
  switch (kind) {
    case DistributionKind::kValues: {
      std::string out = "values(";
      for (std::size_t i = 0; i < levels.size(); ++i) out += (i ? ", " : "") + levels[i];
      return out + ")";
    }
    case DistributionKind::kUniform:
      return "uniform(min=" + f(min) + ", max=" + f(max) + ")";
    case DistributionKind::kNormal:
      return "normal(mean=" + f(mean) + ", sd=" + f(sd) + ")";
    case DistributionKind::kLognormal:
      return "lognormal(median=" + f(median) + ", sigma=" + f(sigma) + ")";
    case DistributionKind::kTruncatedNormal:
      return "truncated_normal(mean=" + f(mean) + ", sd=" + f(sd) + ", min=" + f(min) +
             ", max=" + f(max) + ")";
  }
  return "?";
}

std::size_t SweepSpec::factor_index(const std::string& name) const {
  for (std::size_t i = 0; i < factors.size(); ++i) {
    if (factors[i].name == name) return i;
  }
  return std::string::npos;
}

std::string apply_overrides(const std::string& text, const std::vector<std::string>& overrides,
                            const std::string& file) {
  if (overrides.empty()) return text;
  auto source = std::make_shared<YamlSource>();
  source->file = file;
  YAML::Node tree = YamlNode::load_string(text, source).raw();
  for (const auto& assignment : overrides) apply_yaml_override(tree, assignment, "design.runs=16");
  YAML::Emitter out;
  out << tree;
  return std::string(out.c_str()) + "\n";
}

SweepSpec parse_sweep(const std::string& text, const std::string& file) {
  auto source = std::make_shared<YamlSource>();
  source->file = file;
  const YamlNode root = YamlNode::load_string(text, source);
  if (!root.is_map()) root.fail("expected a sweep: base, seed, design and factors");
  return read_sweep(root, file, text);
}

SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  const std::string text = read_text(path);
  if (overrides.empty()) return parse_sweep(text, path);
  auto source = std::make_shared<YamlSource>();
  source->file = path;
  YAML::Node tree = YamlNode::load_string(text, source).raw();
  for (const auto& assignment : overrides) {
    source->overridden_paths.insert(apply_yaml_override(tree, assignment, "design.runs=16"));
  }
  // Line numbers still point into the user's file for fields that were not overridden.
  const YamlNode root(tree, source, "");
  if (!root.is_map()) root.fail("expected a sweep: base, seed, design and factors");
  YAML::Emitter out;
  out << tree;
  return read_sweep(root, path, std::string(out.c_str()) + "\n");
}

}  // namespace csfpk::batch
