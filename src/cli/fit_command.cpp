#include "fit_command.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/fit/estimation.hpp"
#include "csfpk/fit/fit_file.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/digest.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/io/output_file.hpp"
#include "csfpk/io/scenario_loader.hpp"

namespace csfpk::cli {
namespace {

constexpr int kOk = 0;

class Fit final : public FitCommand {
 public:
  Fit(CLI::App& app, std::string command_line) : command_line_(std::move(command_line)) {
    command_ = app.add_subcommand(
        "fit", "estimate scenario parameters from observed concentrations (docs/fitting.md)");
    command_->add_option("scenario", scenario_, "scenario YAML file")->required();
    command_
        ->add_option("--data", data_,
                     "observations CSV: subject,time,drug,site,value,unit[,weight]")
        ->required();
    command_
        ->add_option("--estimate", estimates_,
                     "a parameter to estimate: PATH=INITIAL[,LOWER,UPPER] with units, e.g. "
                     "drugs.morphine.csf_clearance=0.3 mL/min,0.01 mL/min,10 mL/min (repeatable)")
        ->required();
    command_
        ->add_option("--error", error_,
                     "residual error: additive[:SD], proportional[:CV], combined:SD,CV or log")
        ->default_val("proportional");
    command_->add_option("--subjects", subjects_, "fit all subjects together or each alone")
        ->check(CLI::IsMember({"pooled", "individual"}))
        ->default_val("pooled");
    command_
        ->add_option("--gradient", gradient_,
                     "derivatives: sensitivity equations, or central finite differences")
        ->check(CLI::IsMember({"sensitivity", "fd"}))
        ->default_val("sensitivity");
    command_->add_flag("--profile", profile_, "also profile-likelihood confidence intervals");
    command_->add_option("--max-iterations", max_iterations_, "Levenberg-Marquardt iterations")
        ->check(CLI::Range(1, 100000))
        ->default_val(200);
    command_->add_option("--set", overrides_, "override a scenario field: PATH=VALUE (repeatable)");
    command_->add_option("--subject-set", subject_overrides_,
                         "override a field for one subject: SUBJECT:PATH=VALUE (repeatable), e.g. "
                         "a subject's dose");
    command_->add_option("-o,--output", output_, "fit file to write (default: <data>_fit.h5)");
    command_->add_flag("--overwrite", overwrite_, "replace an existing fit file");
  }

  std::optional<int> run() override {
    if (!*command_) return std::nullopt;
    FitReport report;
    for (const std::string& text : estimates_) report.parameters.push_back(parse_estimate(text));
    for (std::size_t a = 0; a < report.parameters.size(); ++a) {
      for (std::size_t b = a + 1; b < report.parameters.size(); ++b) {
        if (report.parameters[a].path == report.parameters[b].path) {
          throw InputError("--estimate", 0, "",
                           "'" + report.parameters[a].path + "' is given twice");
        }
      }
    }
    report.options.error = parse_error_model(error_);
    report.options.gradient =
        gradient_ == "fd" ? GradientMethod::kFiniteDifference : GradientMethod::kSensitivity;
    report.options.profile = profile_;
    report.options.max_iterations = max_iterations_;
    const ObservationSet observations = read_observations(data_);
    const ScenarioTemplate scenario(scenario_, overrides_,
                                    std::make_shared<const ModelLibrary>(models_directory()));
    std::vector<SubjectScenario> per_subject;
    const std::vector<std::string> subjects = observations.subjects();
    for (const std::string& text : subject_overrides_) {
      per_subject.push_back(parse_subject_override(text));
      if (std::find(subjects.begin(), subjects.end(), per_subject.back().subject) ==
          subjects.end()) {
        throw InputError("--subject-set", 0, "",
                         "subject '" + per_subject.back().subject + "' has no observations in " +
                             data_ + " (subjects: " + join_alternatives(subjects) + ")");
      }
    }
    std::string output = output_;
    if (output.empty()) output = std::filesystem::path(data_).stem().string() + "_fit.h5";
    OutputClaim claim = OutputClaim::acquire({.path = output,
                                              .overwrite = overwrite_,
                                              .inputs = {{scenario_, "scenario"}, {data_, "data"}},
                                              .what = "fit file"});
    std::size_t failures = 0;
    if (subjects_ == "pooled") {
      report.fits.push_back(
          fit(scenario, report.parameters, observations, report.options, per_subject));
    } else {
      // One subject's failure is recorded and the others go on.
      for (const std::string& subject : observations.subjects()) {
        std::vector<SubjectScenario> own;
        for (const SubjectScenario& s : per_subject) {
          if (s.subject == subject) own.push_back(s);
        }
        const ObservationSet rows = observations.of_subject(subject);
        try {
          FitResult result = fit(scenario, report.parameters, rows, report.options, own);
          result.label = subject;
          report.fits.push_back(std::move(result));
        } catch (const Error& e) {
          std::cerr << "csfpk fit: subject " << subject
                    << " failed: " << printable_message(e.what()) << "\n";
          report.fits.push_back(failed_fit(report.parameters, rows, subject, e.what()));
          ++failures;
        }
      }
    }
    std::ifstream in(scenario_);
    std::ostringstream text;
    text << in.rdbuf();
    report.provenance = {scenario_, text.str(), data_, file_sha256(data_), command_line_};
    const std::string temporary = claim.temporary_name();
    write_fit_file(temporary, report);
    claim.commit(temporary);
    std::cout << format_fit(report) << "\nfit file: " << std::filesystem::absolute(output).string()
              << "\n";
    if (failures > 0) {
      std::cout << failures << " of " << report.fits.size()
                << " subject fit(s) failed; recorded in the fit file (converged 0, message)\n";
    }
    return kOk;
  }

 private:
  std::string command_line_;
  CLI::App* command_ = nullptr;
  std::string scenario_;
  std::string data_;
  std::vector<std::string> estimates_;
  std::string error_;
  std::string subjects_;
  std::string gradient_;
  bool profile_ = false;
  int max_iterations_ = 200;
  std::vector<std::string> overrides_;
  std::vector<std::string> subject_overrides_;
  std::string output_;
  bool overwrite_ = false;
};

}  // namespace

std::unique_ptr<FitCommand> add_fit_command(CLI::App& app, std::string command_line) {
  return std::make_unique<Fit>(app, std::move(command_line));
}

}  // namespace csfpk::cli
