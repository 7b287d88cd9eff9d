#include "sweep_commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "csfpk/batch/executor.hpp"
#include "csfpk/batch/mpi_session.hpp"
#include "csfpk/batch/sensitivity.hpp"
#include "csfpk/batch/sweep_file.hpp"
#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/version.hpp"

namespace csfpk::cli {
namespace {

namespace fs = std::filesystem;
using namespace csfpk::batch;

// CLI11's PositiveNumber lets "nan" through (NaN <= 0 is false): a limit of NaN would switch the
// guard it sets off. Numbers must be finite and above zero.
const CLI::Validator kFinitePositive(
    [](std::string& text) -> std::string {
      double value = 0.0;
      std::istringstream in(text);
      in >> value;
      if (in.fail() || !in.eof() || !std::isfinite(value) || value <= 0.0) {
        return "expected a finite number above zero, got '" + text + "'";
      }
      return "";
    },
    "POSITIVE");

// Same mapping as main(): 2 input, 3 solver, 4 file I/O, 70 internal.
int exit_code_for(const std::exception& e) {
  if (dynamic_cast<const InputError*>(&e) != nullptr) return 2;
  if (dynamic_cast<const SolverError*>(&e) != nullptr) return 3;
  if (dynamic_cast<const IoError*>(&e) != nullptr) return 4;
  return 70;
}

std::string shard_path(const std::string& output, int rank, int size) {
  return output + ".shard-" + std::to_string(rank) + "-of-" + std::to_string(size);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

class Commands final : public SweepCommands {
 public:
  Commands(CLI::App& app, std::string command_line) : command_line_(std::move(command_line)) {
    sweep_ = app.add_subcommand("sweep",
                                "run a sweep (grid, Latin hypercube, Monte Carlo or "
                                "Sobol design) into one HDF5 file");
    sweep_->add_option("sweep", sweep_file_, "sweep YAML file")->required();
    sweep_->add_option("-o,--output", output_, "result file (default: <sweep>.h5)");
    sweep_->add_option("--set", sets_,
                       "override a sweep-file field: PATH=VALUE (repeatable), "
                       "e.g. design.runs=16");
    sweep_
        ->add_option("--threads", threads_,
                     "worker threads (default: OMP_NUM_THREADS or all "
                     "cores)")
        ->check(CLI::NonNegativeNumber);
    sweep_->add_flag("--resume", resume_,
                     "complete an interrupted sweep file: run only the "
                     "runs it lacks");
    sweep_->add_flag("--overwrite", overwrite_, "replace an existing result file");
    sweep_->add_option("--shard", shard_,
                       "run only runs r with r mod N = i, into this file: "
                       "i/N (default from SLURM_ARRAY_TASK_ID/COUNT)");
    sweep_->add_flag("--force", force_,
                     "start even if the estimated size is above the limit or the free disk "
                     "space, and accept scenario grid and output sizes above their limits");
    sweep_
        ->add_option("--progress", progress_,
                     "auto (default: a line rewritten in place on a terminal, else a line per "
                     "--progress-every for logs), terminal, lines or none")
        ->check(CLI::IsMember({"auto", "terminal", "lines", "none"}));
    sweep_
        ->add_option("--progress-every", progress_every_s_,
                     "seconds between progress lines when not on a terminal (default 60)")
        ->check(kFinitePositive);
    sweep_
        ->add_option("--flush-every", flush_interval_s_,
                     "seconds between flushes; a killed sweep loses at most this much work "
                     "(default 2)")
        ->check(kFinitePositive);
    sweep_
        ->add_option("--size-limit", size_limit_gb_,
                     "largest estimated output, GB (default "
                     "50)")
        ->check(kFinitePositive);

    merge_ = app.add_subcommand("merge", "join the shard files of one sweep into one file");
    merge_->add_option("output", merge_output_, "merged result file")->required();
    merge_->add_option("shards", shards_, "shard files")->required();
    merge_->add_flag("--overwrite", merge_overwrite_, "replace an existing merged file");

    sobol_ = app.add_subcommand("sobol",
                                "first-order and total Sobol indices of a summary "
                                "from a Sobol sweep");
    sobol_->add_option("result", sobol_file_, "sweep result file (design type sobol)")->required();
    sobol_
        ->add_option("--output", sobol_output_,
                     "summary and labels, e.g. auc,morphine,cranial or cranial_auc,morphine")
        ->required();
    sobol_->add_option("--bootstrap", bootstrap_, "bootstrap resamples (default 1000)")
        ->check(CLI::NonNegativeNumber);
    sobol_->add_option("--confidence", confidence_, "confidence level (default 0.95)")
        ->check(CLI::Range(0.5, 0.999));

    info_ = app.add_subcommand("sweep-info",
                               "how far a sweep file is: runs done, failed, "
                               "missing");
    info_->add_option("result", info_file_, "sweep result file")->required();
  }

  std::optional<int> run() override {
    if (*sweep_) return sweep();
    if (*merge_) return merge();
    if (*sobol_) return sobol();
    if (*info_) return info();
    return std::nullopt;
  }

 private:
  SweepOptions options() const {
    SweepOptions o;
    o.sweep_path = sweep_file_;
    o.sweep_overrides = sets_;
    o.output = output_.empty() ? fs::path(sweep_file_).stem().string() + ".h5" : output_;
    o.threads = threads_;
    o.resume = resume_;
    o.overwrite = overwrite_;
    o.force = force_;
    o.shard = shard_.empty() ? shard_from_slurm() : std::optional(parse_shard(shard_));
    o.command_line = command_line_;
    o.created_utc = utc_now_iso8601();
    o.csfpk_version = kVersion;
    o.models_dir = models_directory();
    const bool terminal = isatty(STDERR_FILENO) != 0;
    o.progress = progress_ == "none"       ? ProgressStyle::kNone
                 : progress_ == "terminal" ? ProgressStyle::kTerminal
                 : progress_ == "lines"    ? ProgressStyle::kLines
                 : terminal                ? ProgressStyle::kTerminal
                                           : ProgressStyle::kLines;
    o.progress_interval_s = progress_every_s_;
    o.size_limit_bytes = size_limit_gb_ * 1e9;
    o.flush_interval_s = flush_interval_s_;
    return o;
  }

  static void report(const SweepOutcome& outcome, const SweepOptions& o, std::ostream& out) {
    out << "solved " << outcome.completed << " run(s) in " << std::setprecision(3) << outcome.wall_s
        << " s";
    if (outcome.wall_s > 0) {
      out << " (" << static_cast<double>(outcome.completed) / outcome.wall_s << " runs/s)";
    }
    out << ", " << outcome.failed << " failed";
    if (outcome.already_done > 0) out << "; " << outcome.already_done << " were already done";
    out << "\n";
    const std::uint64_t left = outcome.assigned - outcome.already_done - outcome.completed;
    if (outcome.signal != 0 && !outcome.unfinished_replacement.empty()) {
      out << "stopped by " << signal_name(outcome.signal) << " with " << left << " run(s) left; "
          << o.output << " is unchanged and the new sweep so far is in "
          << outcome.unfinished_replacement << ": complete it with -o "
          << outcome.unfinished_replacement << " --resume\n";
      return;
    }
    if (outcome.signal != 0) {
      out << "stopped by " << signal_name(outcome.signal) << " with " << left
          << " run(s) left; the file is valid: complete it with the same command and --resume\n";
    }
    out << "result: " << fs::absolute(o.output).string() << "\n";
  }

  int sweep() {
    SweepOptions o = options();
    const auto mpi = MpiSession::start_if_launched();
    if (!mpi || mpi->size() == 1) {
      const SweepOutcome outcome = run_sweep(o, std::cout);
      report(outcome, o, std::cout);
      return outcome.signal != 0 ? 128 + outcome.signal : 0;
    }
    // One shard per rank, each into its own file; rank 0 joins them once every rank is done.
    // Exceptions cannot cross ranks, so each rank turns its own into an exit code and the
    // ranks agree on the worst one.
    const int rank = mpi->rank();
    const int size = mpi->size();
    const std::string final_output = o.output;
    int code = 0;
    std::ostream silent(nullptr);
    try {
      if (o.shard) {
        throw InputError("--shard", 0, "",
                         "under mpirun every rank is a shard; drop --shard "
                         "(and SLURM_ARRAY_* variables)");
      }
      if (fs::exists(final_output) && !o.overwrite) {
        throw IoError(final_output + ": the output file exists; pass --overwrite to replace it");
      }
      o.shard = Shard{static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(size)};
      o.output = shard_path(final_output, rank, size);
      if (rank != 0) o.progress = ProgressStyle::kNone;
      const SweepOutcome outcome = run_sweep(o, rank == 0 ? std::cout : silent);
      if (outcome.signal != 0) {
        code = 128 + outcome.signal;
        std::cerr << "rank " << rank << ": stopped by " << signal_name(outcome.signal)
                  << "; shard file " << o.output << " kept for --resume\n";
      }
      if (rank == 0) report(outcome, o, std::cout);
    } catch (const std::exception& e) {
      std::cerr << "error (rank " << rank << "): " << e.what() << "\n";
      code = exit_code_for(e);
    }
    const int worst = mpi->max_over_ranks(code);
    if (worst != 0) return code != 0 ? code : worst;
    if (rank == 0) {
      std::vector<std::string> shards;
      for (int r = 0; r < size; ++r) shards.push_back(shard_path(final_output, r, size));
      try {
        const std::uint64_t missing = merge_shards(final_output, shards, command_line_);
        for (const auto& shard : shards) fs::remove(shard);
        std::cout << "merged " << size << " rank shards into " << final_output;
        if (missing > 0) std::cout << " (" << missing << " run(s) missing)";
        std::cout << "\n";
      } catch (const std::exception& e) {
        std::cerr << "error: " << printable_message(e.what()) << "\n";
        code = exit_code_for(e);
      }
    }
    return mpi->max_over_ranks(code);
  }

  int merge() {
    OutputRequest request{.path = merge_output_, .overwrite = merge_overwrite_};
    for (const std::string& shard : shards_) request.inputs.push_back({shard, "shard file"});
    std::uint64_t missing = 0;
    {
      OutputClaim claim = OutputClaim::acquire(request);
      missing = merge_shards(claim, shards_, command_line_);
    }
    const SweepFileInfo info = read_sweep_info(merge_output_);
    std::cout << "merged " << shards_.size() << " shard(s) into " << merge_output_ << ": "
              << info.runs - missing << " of " << info.runs << " runs done";
    if (missing > 0) {
      std::cout << "; complete the rest with csfpk sweep " << info.sweep_file << " -o "
                << merge_output_ << " --resume";
    }
    std::cout << "\n";
    return 0;
  }

  int sobol() {
    const SweepFileInfo info = read_sweep_info(sobol_file_);
    if (info.design != "sobol") {
      throw InputError(sobol_file_, 0, "design",
                       "is a " + info.design +
                           " sweep; Sobol indices need a sweep with design "
                           "type sobol (Saltelli's N x (k+2) runs)");
    }
    const std::vector<std::string> parts = split(sobol_output_, ',');
    if (parts.empty() || parts.front().empty()) {
      throw InputError("--output", 0, "",
                       "expected SUMMARY[,DRUG[,SITE]], e.g. auc,morphine,lumbar");
    }
    const std::vector<std::string> labels(parts.begin() + 1, parts.end());
    const std::vector<double> values = read_summary(sobol_file_, parts.front(), labels);
    const std::size_t k = info.factors.size();
    const std::uint64_t n = info.sobol_base_samples;
    std::vector<double> f_a;
    std::vector<double> f_b;
    std::vector<std::vector<double>> f_ab(k);
    std::uint64_t dropped = 0;
    for (std::uint64_t j = 0; j < n; ++j) {
      const std::uint64_t first = j * (k + 2);
      bool usable = true;
      for (std::uint64_t r = first; r < first + k + 2; ++r) {
        usable = usable && r < values.size() && info.done[r] == 1 && std::isfinite(values[r]);
      }
      if (!usable) {
        ++dropped;
        continue;
      }
      f_a.push_back(values[first]);
      f_b.push_back(values[first + 1]);
      for (std::size_t i = 0; i < k; ++i) f_ab[i].push_back(values[first + 2 + i]);
    }
    if (f_a.size() < 2) {
      throw InputError(sobol_file_, 0, parts.front(),
                       "fewer than two complete base samples (" + std::to_string(dropped) + " of " +
                           std::to_string(n) + " lack a finished, finite run)");
    }
    SobolEstimate estimate;
    try {
      estimate = estimate_sobol(f_a, f_b, f_ab, bootstrap_, 0, confidence_);
    } catch (const std::invalid_argument& e) {
      throw InputError(sobol_file_, 0, sobol_output_, e.what());
    }
    std::cout << "Sobol indices of " << sobol_output_ << " from " << sobol_file_ << "\n"
              << "  " << estimate.samples << " base samples x " << k + 2 << " runs";
    if (dropped > 0)
      std::cout << " (" << dropped << " base sample(s) dropped: failed or missing runs)";
    std::cout << "; mean " << std::setprecision(4) << estimate.mean << ", variance "
              << estimate.variance << "\n  first order: Saltelli 2010; total: Jansen 1999; "
              << bootstrap_ << " bootstrap resamples, " << confidence_ * 100 << " % intervals\n\n";
    std::size_t width = 6;
    for (const auto& f : info.factors) width = std::max(width, f.size());
    std::cout << "  " << std::left << std::setw(static_cast<int>(width)) << "factor" << std::right
              << "      S1           interval        ST           interval\n";
    const auto cell = [](double v) {
      std::ostringstream out;
      out << std::fixed << std::setprecision(3) << std::setw(7) << v;
      return out.str();
    };
    for (std::size_t i = 0; i < k; ++i) {
      const SobolIndex& s = estimate.factors[i];
      std::cout << "  " << std::left << std::setw(static_cast<int>(width)) << info.factors[i]
                << std::right << "  " << cell(s.first) << "  [" << cell(s.first_low) << ", "
                << cell(s.first_high) << "]  " << cell(s.total) << "  [" << cell(s.total_low)
                << ", " << cell(s.total_high) << "]\n";
    }
    return 0;
  }

  int info() {
    const SweepFileInfo info = read_sweep_info(info_file_);
    std::uint64_t done = 0;
    std::uint64_t failed = 0;
    std::vector<std::uint64_t> failures;
    for (std::uint64_t r = 0; r < info.runs; ++r) {
      if (info.done[r] != 1) continue;
      ++done;
      if (info.status[r] != "ok") {
        ++failed;
        if (failures.size() < 10) failures.push_back(r);
      }
    }
    std::cout << info_file_ << ": " << info.design << " sweep of " << info.runs << " runs ("
              << info.sweep_file << ")\n"
              << "  done " << done << ", failed " << failed << ", missing " << info.runs - done
              << "\n";
    for (std::uint64_t r : failures) std::cout << "  run " << r << ": " << info.status[r] << "\n";
    return 0;
  }

  std::string command_line_;
  CLI::App* sweep_ = nullptr;
  CLI::App* merge_ = nullptr;
  CLI::App* sobol_ = nullptr;
  CLI::App* info_ = nullptr;

  std::string sweep_file_;
  std::string output_;
  std::vector<std::string> sets_;
  int threads_ = 0;
  bool resume_ = false;
  bool overwrite_ = false;
  bool force_ = false;
  std::string shard_;
  double size_limit_gb_ = 50.0;
  double flush_interval_s_ = 2.0;
  std::string progress_ = "auto";
  double progress_every_s_ = 60.0;

  std::string merge_output_;
  std::vector<std::string> shards_;
  bool merge_overwrite_ = false;

  std::string sobol_file_;
  std::string sobol_output_;
  int bootstrap_ = 1000;
  double confidence_ = 0.95;

  std::string info_file_;
};

}  // namespace

std::unique_ptr<SweepCommands> add_sweep_commands(CLI::App& app, std::string command_line) {
  return std::make_unique<Commands>(app, std::move(command_line));
}

}  // namespace csfpk::cli
