#pragma once
// The fit file (HDF5, netCDF-4 compatible, opened by csfpk.open_fit in Python) and the text
// report `csfpk fit` prints.
#include <Eigen/Core>
#include <string>
#include <vector>

#include "csfpk/fit/estimation.hpp"

namespace csfpk {

struct FitProvenance {
  std::string scenario_file;
  std::string scenario_text;
  std::string data_file;
  std::string data_sha256;
  std::string command;
};

struct FitReport {
  std::vector<EstimatedParameter> parameters;
  FitOptions options;
  std::vector<FitResult> fits;  // one pooled fit, or one per subject
  FitProvenance provenance;
};

// Writes atomically-enough for a single writer: the whole file or an IoError.
void write_fit_file(const std::string& path, const FitReport& report);

// The report as text: estimates with SE, CI and RSE, correlations, collinearity, fit figures.
std::string format_fit(const FitReport& report);

// What a sweep needs to sample one fit's uncertainty (`from_fit:`): the parameters, their
// estimates (in each parameter's unit) and the covariance of the fitted-scale values.
struct FitSample {
  std::string label;
  std::vector<EstimatedParameter> parameters;
  std::vector<double> estimates;
  Eigen::MatrixXd covariance;
};
// `label` picks a subject's fit; empty takes the file's only fit (IoError when it has several).
FitSample read_fit_sample(const std::string& path, const std::string& label);

}  // namespace csfpk
