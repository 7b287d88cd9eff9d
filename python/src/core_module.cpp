// csfpk._core: run scenarios in-process from Python and get back the same xarray.Dataset the
// command line's result file gives.
//
// Route: load + solve with the GIL released (in worker threads for a batch), sharing one model
// library parsed once per call; then, holding the GIL, write the record with the project's own
// writer into an HDF5 image in memory and open that with csfpk.results (xarray + h5netcdf). The
// Dataset is therefore identical in content to `csfpk run` output, no temporary file is written
// (a dict scenario is loaded from its YAML text), and every HDF5 call (ours and h5py's) happens
// under the GIL: Debian's HDF5 is not thread-safe, and h5py holds the GIL around its HDF5 calls.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/result_writer.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"
#include "csfpk/version.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------------
// A Python dict scenario becomes YAML text (yaml-cpp emitter), so the loader, its messages and
// the provenance are exactly those of a file.

YAML::Node to_yaml(py::handle value, const std::string& where) {
  if (value.is_none()) return YAML::Node(YAML::NodeType::Null);
  if (py::isinstance<py::bool_>(value)) return YAML::Node(value.cast<bool>() ? "true" : "false");
  if (py::isinstance<py::str>(value)) return YAML::Node(value.cast<std::string>());
  if (py::isinstance<py::dict>(value)) {
    YAML::Node map(YAML::NodeType::Map);
    for (const auto& [key, item] : value.cast<py::dict>()) {
      const std::string name = py::str(key).cast<std::string>();
      map[name] = to_yaml(item, where.empty() ? name : where + "." + name);
    }
    return map;
  }
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    YAML::Node sequence(YAML::NodeType::Sequence);
    std::size_t i = 0;
    for (const auto& item : value) {
      sequence.push_back(to_yaml(item, where + "[" + std::to_string(i++) + "]"));
    }
    return sequence;
  }
  if (py::isinstance<py::float_>(value)) return YAML::Node(py::repr(value).cast<std::string>());
  // int, numpy scalars, pathlib paths, anything with a faithful str().
  if (py::isinstance<py::int_>(value) || py::hasattr(value, "__index__") ||
      py::hasattr(value, "__float__") || py::hasattr(value, "__fspath__")) {
    return YAML::Node(py::str(value).cast<std::string>());
  }
  throw py::type_error("scenario dict: cannot express " + where + " (" +
                       py::str(py::type::of(value)).cast<std::string>() + ") in YAML");
}

std::string dict_to_yaml_text(const py::dict& scenario) {
  YAML::Emitter out;
  out << to_yaml(scenario, "");
  if (!out.good()) throw py::value_error("scenario dict: " + out.GetLastError());
  return std::string("# scenario given as a Python dict to csfpk._core\n") + out.c_str() + "\n";
}

// ---------------------------------------------------------------------------------------------

// One scenario as the solver threads see it: a file on disk or YAML text, plus its overrides.
struct Job {
  std::string path;    // the file the loader reads; empty for a dict
  std::string text;    // a dict's YAML
  std::string folder;  // a dict's base directory for relative paths
  std::string label;   // how messages and provenance name it ("<dict>" for a dict)
  std::vector<std::string> overrides;
  std::string call;  // provenance command line
};

struct Outcome {
  std::optional<csfpk::RunRecord> record;
  std::string error_type;  // InputError, SolverError, IoError or Error
  std::string message;
  std::string file;
  int line = 0;
  std::string field;
  std::string drug;
  double time_h = std::numeric_limits<double>::quiet_NaN();
};

std::vector<std::string> overrides_from(const py::handle& value) {
  std::vector<std::string> result;
  if (value.is_none()) return result;
  if (py::isinstance<py::str>(value)) {
    throw py::type_error("overrides: expected a list of 'path=value' strings or a dict, got a str");
  }
  if (py::isinstance<py::dict>(value)) {
    for (const auto& [key, item] : value.cast<py::dict>()) {
      result.push_back(py::str(key).cast<std::string>() + "=" + py::str(item).cast<std::string>());
    }
    return result;
  }
  for (const auto& item : value) {
    if (!py::isinstance<py::str>(item)) {
      throw py::type_error("overrides: expected 'path=value' strings, got " +
                           py::repr(item).cast<std::string>());
    }
    result.push_back(item.cast<std::string>());
  }
  return result;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string text = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += ", ";
    text += "'" + items[i] + "'";
  }
  return text + "]";
}

Job make_job(const py::handle& scenario, std::vector<std::string> overrides,
             const fs::path& base_dir, const std::string& function) {
  Job job;
  job.overrides = std::move(overrides);
  if (py::isinstance<py::dict>(scenario)) {
    job.text = dict_to_yaml_text(scenario.cast<py::dict>());
    job.folder = base_dir.empty() ? fs::current_path().string() : base_dir.string();
    job.label = "<dict>";
  } else if (py::isinstance<py::str>(scenario) || py::hasattr(scenario, "__fspath__")) {
    job.path = py::module_::import("os").attr("fspath")(scenario).cast<std::string>();
    job.label = job.path;
  } else {
    throw py::type_error("scenario: expected a path (str or os.PathLike) or a dict, got " +
                         py::str(py::type::of(scenario)).cast<std::string>());
  }
  job.call = "csfpk._core." + function + "(" +
             (job.label == "<dict>" ? job.label : "'" + job.label + "'") +
             ", overrides=" + quoted_list(job.overrides) + ") [python]";
  return job;
}

// What a thrown exception says, as a failed Outcome (error_type "Error" for anything that is
// not one of csfpk's own errors).
Outcome failure_of(const std::exception_ptr& thrown) {
  Outcome out;
  try {
    std::rethrow_exception(thrown);
  } catch (const csfpk::InputError& e) {
    out.error_type = "InputError";
    out.message = e.what();
    out.file = e.file();
    out.line = e.line();
    out.field = e.field();
  } catch (const csfpk::SolverError& e) {
    out.error_type = "SolverError";
    out.message = e.what();
    out.drug = e.drug();
    out.time_h = e.time_h();
  } catch (const csfpk::IoError& e) {
    out.error_type = "IoError";
    out.message = e.what();
  } catch (const std::exception& e) {
    out.error_type = "Error";
    out.message = e.what();
  }
  return out;
}

using Library = std::shared_ptr<const csfpk::ModelLibrary>;

// Runs with or without the GIL: touches no Python object.
Outcome solve(const Job& job, const Library& library) {
  Outcome out;
  try {
    const csfpk::Scenario scenario =
        job.path.empty() ? csfpk::ScenarioTemplate::from_text(job.text, job.label, job.folder,
                                                              job.overrides, library)
                               .base()
                         : csfpk::ScenarioTemplate(job.path, job.overrides, library).base();
    csfpk::Provenance provenance{csfpk::kVersion, job.label, scenario.text, job.call,
                                 csfpk::utc_now_iso8601()};
    out.record = csfpk::run_scenario(scenario, std::move(provenance));
  } catch (const std::exception&) {
    out = failure_of(std::current_exception());
  }
  return out;
}

// The model library for one call, parsed once and shared by its runs.
Library load_library() {
  py::gil_scoped_release release;
  return std::make_shared<const csfpk::ModelLibrary>(csfpk::models_directory());
}

// The Python exception (from csfpk.errors) for a failed outcome, with its details as attributes.
py::object make_exception(const Outcome& out) {
  const py::module_ errors = py::module_::import("csfpk.errors");
  const std::string type = out.error_type == "Error" ? "CsfpkError" : out.error_type;
  py::object exception = errors.attr(type.c_str())(out.message);
  if (out.error_type == "InputError") {
    exception.attr("file") = out.file;
    exception.attr("line") = out.line;
    exception.attr("field") = out.field;
  } else if (out.error_type == "SolverError") {
    exception.attr("drug") = out.drug;
    exception.attr("time_h") = out.time_h;
  }
  return exception;
}

[[noreturn]] void raise(const py::object& exception) {
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
  throw py::error_already_set();
}

// Holding the GIL: the record as an xarray.Dataset, through the result writer's HDF5 image in
// memory, or through `output` when the caller keeps the file.
py::object to_dataset(Outcome& out, std::optional<csfpk::OutputClaim>& output) {
  const py::module_ results = py::module_::import("csfpk.results");
  try {
    if (!output) {
      const std::vector<unsigned char> image = csfpk::result_image(*out.record);
      out.record.reset();
      return results.attr("from_image")(
          py::bytes(reinterpret_cast<const char*>(image.data()), image.size()));
    }
    csfpk::write_result(*output, *out.record);
  } catch (const csfpk::IoError& e) {
    out.record.reset();
    out.error_type = "IoError";
    out.message = e.what();
    return py::none();
  }
  out.record.reset();
  const std::string path = output->path();
  output.reset();  // the lock goes before the file is read back
  return results.attr("open")(path, py::arg("load") = true);
}

fs::path optional_path(const py::object& value) {
  if (value.is_none()) return {};
  return fs::path(py::module_::import("os").attr("fspath")(value).cast<std::string>());
}

// ---------------------------------------------------------------------------------------------

py::object run_scenario(const py::object& scenario, const py::object& overrides_value,
                        const py::object& output_value, const py::object& base_dir_value) {
  const Job job = make_job(scenario, overrides_from(overrides_value), optional_path(base_dir_value),
                           "run_scenario");
  // As `csfpk run`: an output that cannot be written is refused before the solve, not after.
  // Python replaces an existing file, as open(..., "w") does.
  std::optional<csfpk::OutputClaim> output;
  if (const fs::path path = optional_path(output_value); !path.empty()) {
    output.emplace(csfpk::OutputClaim::acquire(
        {.path = path.string(), .overwrite = true, .what = "result file"}));
  }
  const Library library = load_library();
  Outcome out;
  {
    py::gil_scoped_release release;
    out = solve(job, library);
  }
  if (out.record) {
    py::object dataset = to_dataset(out, output);
    if (!dataset.is_none()) return dataset;
  }
  raise(make_exception(out));
}

// Runs every scenario on `threads` worker threads (0: one per core). Results come back in input
// order; a run that fails is returned as a csfpk.errors.RunFailure and the others go on.
py::list run_batch(const py::iterable& scenarios, const py::object& overrides_value,
                   unsigned threads, const py::object& base_dir_value) {
  const std::vector<std::string> common = overrides_from(overrides_value);
  const fs::path base_dir = optional_path(base_dir_value);
  std::vector<Job> jobs;
  for (const auto& item : scenarios) {
    std::vector<std::string> overrides = common;
    py::handle scenario = item;
    if (py::isinstance<py::tuple>(item)) {
      const auto pair = item.cast<py::tuple>();
      if (pair.size() != 2) {
        throw py::type_error("run_batch: a tuple item must be (scenario, overrides), item " +
                             std::to_string(jobs.size()) + " has " + std::to_string(pair.size()) +
                             " elements");
      }
      scenario = pair[0];
      for (auto& o : overrides_from(pair[1])) overrides.push_back(std::move(o));
    }
    jobs.push_back(make_job(scenario, std::move(overrides), base_dir, "run_batch"));
  }

  const py::module_ errors = py::module_::import("csfpk.errors");
  py::list results;
  const std::size_t n = jobs.size();
  if (n == 0) return results;
  std::size_t workers = threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
  workers = std::min(workers, n);
  const Library library = load_library();

  std::vector<Outcome> outcomes(n);
  std::vector<char> done(n, 0);
  std::mutex mutex;
  std::condition_variable finished;
  std::atomic<std::size_t> next{0};
  {
    py::gil_scoped_release release;
    // Declared after `release`: joined (stop requested first) before the GIL comes back, also
    // when an exception (KeyboardInterrupt, a failed import) leaves this block.
    std::vector<std::jthread> pool;
    pool.reserve(workers);
    for (std::size_t w = 0; w < workers; ++w) {
      pool.emplace_back([&](const std::stop_token& stop) {
        for (std::size_t i = next++; i < n && !stop.stop_requested(); i = next++) {
          Outcome outcome = solve(jobs[i], library);
          const std::lock_guard lock(mutex);
          outcomes[i] = std::move(outcome);
          done[i] = 1;
          finished.notify_all();
        }
      });
    }
    // Hand finished runs to Python in input order, checking for Ctrl-C while waiting.
    for (std::size_t i = 0; i < n; ++i) {
      Outcome outcome;
      {
        std::unique_lock lock(mutex);
        while (!finished.wait_for(lock, std::chrono::milliseconds(100),
                                  [&] { return done[i] != 0; })) {
          lock.unlock();
          {
            py::gil_scoped_acquire acquire;
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();
          }
          lock.lock();
        }
        outcome = std::move(outcomes[i]);
      }
      py::gil_scoped_acquire acquire;
      std::optional<csfpk::OutputClaim> in_memory;
      py::object dataset = outcome.record ? to_dataset(outcome, in_memory) : py::none();
      if (!dataset.is_none()) {
        results.append(dataset);
      } else {
        results.append(errors.attr("RunFailure")(i, jobs[i].label, make_exception(outcome)));
      }
    }
  }
  return results;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "csfpk in-process runs: scenarios from files or dicts, returned as xarray Datasets.";
  m.attr("__version__") = csfpk::kVersion;
  // csfpk errors thrown outside a solve (an unwritable output, a model library that cannot be
  // made) reach Python as the same csfpk.errors classes as those from a run.
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const csfpk::Error&) {
      const py::object exception = make_exception(failure_of(std::current_exception()));
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
    }
  });

  m.def("run_scenario", &run_scenario, py::arg("scenario"), py::arg("overrides") = py::none(),
        py::arg("output") = py::none(), py::arg("base_dir") = py::none(),
        R"doc(Run one scenario in-process and return its result as an xarray.Dataset.

scenario   path to a scenario YAML file, or a dict with the same structure
overrides  ["path=value", ...] or {"path": "value"}, as `csfpk run --set`
output     also keep the result file here (replaced if it exists); default: none kept
base_dir   dict scenarios only: the directory their relative paths refer to (default: the
           current working directory)

The Dataset has exactly the content of `csfpk run`'s result file. The GIL is released while the
scenario is loaded and solved. Raises csfpk.InputError (a ValueError), csfpk.SolverError (a
RuntimeError) or csfpk.IoError (an OSError) with the command line's message.)doc");

  m.def("run_batch", &run_batch, py::arg("scenarios"), py::arg("overrides") = py::none(),
        py::arg("threads") = 0u, py::arg("base_dir") = py::none(),
        R"doc(Run many scenarios in parallel and return their results in input order.

scenarios  iterable of paths, dicts, or (path_or_dict, overrides) tuples
overrides  applied to every scenario before its own
threads    worker threads (0: one per core); runs are independent, so results do not depend on it

Each element of the returned list is an xarray.Dataset, or a csfpk.RunFailure (index, scenario,
error) for a run that failed; the other runs are unaffected. Ctrl-C stops the batch.)doc");
}
