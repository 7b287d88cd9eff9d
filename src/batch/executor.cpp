#include "csfpk/batch/executor.hpp"

#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/result_writer.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"
#include "direct_setter.hpp"
#include "io/yaml_node.hpp"
#include "sweep_writer.hpp"

namespace csfpk::batch {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Set by the handler, read by workers and the writer. sig_atomic_t is the only type a handler
// may write; the value is the signal number.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int signal) {
  g_signal = signal;
  // A second Ctrl-C means "now": the default action kills the process, and the file, whose
  // metadata never changes during a sweep, stays resumable.
  std::signal(signal, SIG_DFL);
}

// Installs the handlers for the duration of a sweep and puts the previous ones back.
class StopSignals {
 public:
  StopSignals() {
    g_signal = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// Producer/consumer queue with a fixed capacity: a full queue blocks the workers, which is
// what keeps memory flat when the writer is the bottleneck.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  // False when the queue was closed (the writer gave up): the item is dropped.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  enum class Pop { kItem, kTimeout, kClosed };
  // Waits up to `timeout`; after close, drains what is left before reporting kClosed.
  Pop pop(T& item, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; })) {
      return Pop::kTimeout;
    }
    if (items_.empty()) return Pop::kClosed;
    item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return Pop::kItem;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  std::size_t capacity_;
  bool closed_ = false;
};

// The values of a factor tried on the base scenario before any run: the listed levels (up to 64
// of them), the
// median and bounds of a bounded distribution, the median of an unbounded one (whose far tails
// may fail, and are then recorded as failed runs).
std::vector<std::string> values_to_check(const Factor& factor) {
  const Distribution& d = factor.distribution;
  std::vector<double> quantiles{0.5};
  switch (d.kind) {
    case DistributionKind::kValues: {
      // Every level of a short list; of a long one (a million levels would take as many loads)
      // the first, the last and evenly spaced ones in between.
      constexpr std::size_t kMostChecked = 64;
      const std::size_t n = d.levels.size();
      std::vector<std::string> levels;
      for (std::size_t i = 0; i < std::min(n, kMostChecked); ++i) {
        const std::size_t at = n <= kMostChecked ? i : i * (n - 1) / (kMostChecked - 1);
        const std::string& level = d.levels[at];
        levels.push_back(factor.unit.empty() ? level : level + " " + factor.unit);
      }
      return levels;
    }
    case DistributionKind::kUniform:
    case DistributionKind::kTruncatedNormal:
      quantiles = {0.5, 0.0, 1.0};
      break;
    case DistributionKind::kNormal:
    case DistributionKind::kLognormal:
      break;
  }
  std::vector<std::string> values;
  for (const double u : quantiles) values.push_back(transform(factor, u, 0.0).text);
  return values;
}

std::string human_duration(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  std::ostringstream out;
  if (s >= 3600)
    out << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << "m";
  else if (s >= 60)
    out << s / 60 << "m" << std::setw(2) << std::setfill('0') << s % 60 << "s";
  else
    out << s << "s";
  return out.str();
}

std::string failure_message(const std::exception& e) {
  // The kind first, so a status column can be grouped by cause.
  if (dynamic_cast<const InputError*>(&e) != nullptr)
    return std::string("input error: ") + e.what();
  if (dynamic_cast<const SolverError*>(&e) != nullptr)
    return std::string("solver error: ") + e.what();
  if (dynamic_cast<const IoError*>(&e) != nullptr) return std::string("i/o error: ") + e.what();
  return std::string("error: ") + e.what();
}

}  // namespace

RunMaker::RunMaker(const RunPlan& plan, const ScenarioTemplate& base) : plan_(plan), base_(base) {
  bool all_direct = true;
  for (const Factor& factor : plan.spec().factors) {
    setters_.push_back(direct_setter(factor, base));
    all_direct = all_direct && setters_.back().has_value();
  }
  if (all_direct) {
    // Direct setters never touch the pump program or the duration.
    base_delivery_ = std::make_shared<const InfusionSchedule>(delivery_schedule(base.base()));
  }
}

Problem RunMaker::problem(std::uint64_t run) const {
  return compile((*this)(run), base_delivery_);
}

Scenario RunMaker::operator()(std::uint64_t run) const {
  const std::vector<FactorValue> values = plan_.values(run);
  const std::vector<Factor>& factors = plan_.spec().factors;
  std::vector<std::string> through_yaml;
  for (std::size_t f = 0; f < factors.size(); ++f) {
    if (!setters_[f]) through_yaml.push_back(factors[f].path + "=" + values[f].text);
  }
  Scenario scenario = base_.with(through_yaml);
  for (std::size_t f = 0; f < factors.size(); ++f) {
    if (setters_[f] && !(*setters_[f])(scenario, values[f].text)) {
      // A value the direct path does not take: the YAML path gives the error (or, should the
      // two ever disagree, the authoritative result).
      return base_.with(plan_.overrides_without_base(run));
    }
  }
  return scenario;
}

// Where a stopped --overwrite sweep keeps its runs: OUT.incomplete.h5 beside OUT.h5.
static std::string incomplete_name(const std::string& output) {
  const fs::path path(output);
  fs::path name = path;
  name.replace_filename(path.stem().string() + ".incomplete" + path.extension().string());
  return name.string();
}

std::string human_bytes(double bytes) {
  std::ostringstream out;
  out << std::setprecision(3);
  if (bytes >= 1e9) {
    out << bytes / 1e9 << " GB";
  } else if (bytes >= 1e6) {
    out << bytes / 1e6 << " MB";
  } else {
    out << bytes / 1e3 << " kB";
  }
  return out.str();
}

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Shard shard;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used = 0;
    shard.index = std::stoull(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    const std::string count = text.substr(slash + 1);
    shard.count = std::stoull(count, &used);
    if (used != count.size()) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    throw InputError("--shard", 0, "", "expected i/N (e.g. 0/4), got '" + text + "'");
  }
  if (shard.count == 0 || shard.index >= shard.count) {
    throw InputError("--shard", 0, "", "expected 0 <= i < N in i/N, got '" + text + "'");
  }
  return shard;
}

std::optional<Shard> shard_from_slurm() {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (id == nullptr || count == nullptr) return std::nullopt;
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  try {
    // Arrays may start at 1 (--array=1-8): count from the first task id.
    // Whole digits only: std::stoull would read "1abc" as 1.
    const auto whole = [](const char* text) {
      const std::string s = text;
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
        throw std::invalid_argument("not a task number");
      }
      return std::stoull(s);
    };
    const std::uint64_t first = min != nullptr ? whole(min) : 0;
    const std::uint64_t task = whole(id);
    if (task < first) throw std::invalid_argument("task below min");
    return parse_shard(std::to_string(task - first) + "/" + count);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception&) {
    throw InputError("SLURM_ARRAY_TASK_ID", 0, "",
                     std::string("cannot derive a shard from SLURM_ARRAY_TASK_ID=") + id +
                         " and SLURM_ARRAY_TASK_COUNT=" + count + "; pass --shard i/N");
  }
}

CheckedSweep check_sweep(const std::string& sweep_path, const std::vector<std::string>& overrides,
                         const std::string& models_dir, const LoadLimits& limits) {
  SweepSpec spec = load_sweep(sweep_path, overrides);
  const RunPlan plan(spec);
  // The base scenario, loaded once up front: a broken base is an input error before any run,
  // and it fixes the drugs, sites and time grid every run shares.
  auto base = std::make_shared<const ScenarioTemplate>(
      spec.base_path, spec.base_overrides, std::make_shared<const ModelLibrary>(models_dir),
      limits);
  std::vector<std::string> warnings;
  for (const Factor& factor : spec.factors) {
    std::vector<std::string> failures;
    const std::vector<std::string> values = values_to_check(factor);
    for (const std::string& value : values) {
      try {
        (void)base->with({factor.path + "=" + value});
      } catch (const InputError& e) {
        // The factor arrives as an override: name the field it reached, not the override.
        const std::string cause =
            e.file() == kOverrideFile ? e.field() + ": " + e.message() : std::string(e.what());
        failures.push_back("at " + value + ": " + cause);
      }
    }
    // Failing everywhere is a mistake in the sweep (a misspelt path, a wrong unit); failing at
    // some values is a design that will record those runs as failed, which may be intended.
    if (!failures.empty() && failures.size() == values.size()) {
      throw InputError(spec.file, factor.path_line, factor.path_field,
                       "factor '" + factor.name +
                           "' cannot be applied to the base scenario (every run would fail); " +
                           failures.front());
    }
    for (const std::string& failure : failures) {
      warnings.push_back("factor '" + factor.name + "' makes the base scenario invalid " + failure +
                         " (runs at such values are recorded as failed)");
    }
  }
  SweepShape shape = probe_shape(base->base(), spec.outputs);
  const double bytes = estimate_file_bytes(spec, shape, plan.size());
  return CheckedSweep{std::move(spec), std::move(base), std::move(shape),
                      plan.size(),     bytes,           std::move(warnings)};
}

SweepOutcome run_sweep(const SweepOptions& options, std::ostream& log) {
  const auto started = Clock::now();
  const LoadLimits limits = options.force ? LoadLimits::forced() : LoadLimits{};
  const CheckedSweep checked =
      check_sweep(options.sweep_path, options.sweep_overrides, options.models_dir, limits);
  const SweepSpec& spec = checked.spec;
  const RunPlan plan(spec);
  const ScenarioTemplate& base = *checked.base;
  const SweepShape& shape = checked.shape;
  const RunMaker make_run(plan, base);

  SweepOutcome outcome;
  outcome.runs = plan.size();
  std::vector<std::uint64_t> assigned;
  for (std::uint64_t run = 0; run < plan.size(); ++run) {
    if (!options.shard || options.shard->owns(run)) assigned.push_back(run);
  }
  outcome.assigned = assigned.size();
  outcome.estimated_bytes = checked.estimated_bytes;

  log << "sweep " << spec.file << ": " << to_string(spec.design) << " design, " << plan.size()
      << " runs of " << spec.base_path << " over " << spec.factors.size() << " factor(s)";
  if (options.shard) log << "; shard " << options.shard->label() << " runs " << assigned.size();
  log << "\nestimated output size: " << human_bytes(outcome.estimated_bytes) << " ("
      << shape.drugs.size() << " drug(s) x " << shape.sites.size() << " site(s)"
      << (spec.outputs.summaries ? ", summaries" : "")
      << (spec.outputs.time_series
              ? ", time series of " + std::to_string(shape.times_h.size()) + " samples"
              : std::string())
      << ")\n";
  for (const std::string& warning : checked.warnings) log << "warning: " << warning << "\n";
  if (!options.force) {
    if (outcome.estimated_bytes > options.size_limit_bytes) {
      throw IoError(options.output + ": the sweep would write about " +
                    human_bytes(outcome.estimated_bytes) + ", above the limit of " +
                    human_bytes(options.size_limit_bytes) +
                    "; coarsen outputs.time_series, keep summaries only, or pass --force");
    }
    std::error_code ec;
    const fs::path folder = fs::absolute(options.output).parent_path();
    const auto space = fs::space(folder, ec);
    if (!ec && static_cast<double>(space.available) < outcome.estimated_bytes &&
        !(options.resume && fs::exists(options.output))) {
      throw IoError(options.output + ": the sweep would write about " +
                    human_bytes(outcome.estimated_bytes) + " but only " +
                    human_bytes(static_cast<double>(space.available)) +
                    " are free there; pass --force to start anyway");
    }
  }

  // --resume writes into the existing file; --overwrite writes the new sweep beside it and
  // replaces it only once complete, so a kill meanwhile leaves the old file whole.
  OutputClaim claim = OutputClaim::acquire(
      {.path = options.output,
       .overwrite = options.overwrite || options.resume,
       .inputs = {{spec.file, "sweep file"}, {spec.base_path, "base scenario"}},
       .what = "output file",
       .overwrite_hint = "pass --resume to complete it or --overwrite to replace it"});
  std::optional<SweepFile> file;
  std::string replacement;  // the temporary that replaces an existing file once complete
  if (claim.existed() && options.resume) {
    file.emplace(SweepFile::reopen(options.output, spec, options.shard));
  } else {
    std::vector<std::string> inputs = base.library().files_read();
    inputs.push_back(spec.file);
    inputs.push_back(spec.base_path);
    inputs.insert(inputs.end(), spec.factor_files.begin(), spec.factor_files.end());
    SweepProvenance provenance{options.csfpk_version, options.command_line, options.created_utc,
                               base.base().text, digest_files(inputs)};
    const std::string temporary = claim.temporary_name();
    SweepFile::create(temporary, plan, shape, provenance, options.shard);
    if (claim.existed()) {
      replacement = temporary;
      file.emplace(SweepFile::open(temporary));
    } else {
      claim.commit(temporary);
      file.emplace(SweepFile::open(options.output));
    }
  }

  std::vector<std::uint64_t> todo;
  {
    const std::vector<std::int8_t> done = file->read_done();
    for (std::uint64_t run : assigned) {
      if (done[run] == 1) {
        ++outcome.already_done;
      } else {
        todo.push_back(run);
      }
    }
  }
  if (options.resume && outcome.already_done > 0) {
    log << "resuming: " << outcome.already_done << " run(s) already done, " << todo.size()
        << " to go\n";
  }
  log.flush();

  // More threads than cores only adds contention (and libgomp fails on absurd counts).
  const int cores = std::max(1, omp_get_num_procs());
  if (options.threads > cores) {
    log << "warning: --threads " << options.threads << " is more than the " << cores
        << " core(s) here; using " << cores << "\n";
  }
  const int threads =
      options.threads > 0 ? std::min(options.threads, cores) : omp_get_max_threads();
  BoundedQueue<RunResult> queue(options.queue_capacity > 0 ? options.queue_capacity
                                                           : 4 * static_cast<std::size_t>(threads));
  std::atomic<bool> stop{false};
  std::exception_ptr writer_error;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  const StopSignals signals;

  // The one thread that touches HDF5 from here until the file is closed.
  std::thread writer([&] {
    try {
      auto last_flush = Clock::now();
      auto last_progress = Clock::now();
      std::uint64_t since_flush = 0;
      const bool lines = options.progress == ProgressStyle::kLines;
      const auto progress_every =
          std::chrono::duration<double>(lines ? std::max(options.progress_interval_s, 0.001) : 0.5);
      const auto progress = [&](bool final) {
        if (options.progress == ProgressStyle::kNone) return;
        const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        const double rate = static_cast<double>(completed) / std::max(elapsed, 1e-9);
        const double left = static_cast<double>(todo.size() - completed);
        std::fprintf(stderr, "%s%llu/%zu runs done (%llu failed)  %.3g runs/s  ETA %s%s",
                     lines ? "csfpk sweep: " : "\r", static_cast<unsigned long long>(completed),
                     todo.size(), static_cast<unsigned long long>(failed), rate,
                     human_duration(completed > 0 ? left / rate : NAN).c_str(),
                     lines || final ? "\n" : "   ");
        std::fflush(stderr);
      };
      for (;;) {
        RunResult result;
        const auto popped = queue.pop(result, std::chrono::milliseconds(200));
        if (popped == BoundedQueue<RunResult>::Pop::kClosed) break;
        if (popped == BoundedQueue<RunResult>::Pop::kItem) {
          file->write(result);
          ++completed;
          ++since_flush;
          if (result.status != "ok") ++failed;
        }
        const auto now = Clock::now();
        if (since_flush > 0 &&
            (since_flush >= options.flush_every_runs ||
             std::chrono::duration<double>(now - last_flush).count() >= options.flush_interval_s)) {
          file->flush();
          since_flush = 0;
          last_flush = now;
        }
        if (now - last_progress >= progress_every) {
          progress(false);
          last_progress = now;
        }
      }
      file->flush();
      progress(true);
    } catch (...) {
      writer_error = std::current_exception();
      stop = true;
      queue.close();  // releases workers blocked on a full queue
    }
  });

  const auto count = static_cast<std::int64_t>(todo.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t k = 0; k < count; ++k) {
    // OpenMP loops cannot break: once stopped, the remaining iterations do nothing.
    if (g_signal != 0 || stop.load(std::memory_order_relaxed)) continue;
    const std::uint64_t run = todo[static_cast<std::size_t>(k)];
    const auto t0 = Clock::now();
    RunResult result;
    try {
      result = summarize_run(run, solve_trajectory(make_run.problem(run)), shape);
    } catch (const std::exception& e) {
      result = failed_result(run, failure_message(e), shape);
    }
    result.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!queue.push(std::move(result))) stop = true;
  }
  queue.close();
  writer.join();
  if (writer_error) std::rethrow_exception(writer_error);
  file->close();
  if (!replacement.empty()) {
    if (g_signal == 0) {
      claim.commit(replacement);
    } else {
      outcome.unfinished_replacement =
          claim.keep_aside(replacement, incomplete_name(options.output));
    }
  }

  outcome.completed = completed;
  outcome.failed = failed;
  outcome.signal = static_cast<int>(g_signal);
  outcome.wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  return outcome;
}

}  // namespace csfpk::batch
