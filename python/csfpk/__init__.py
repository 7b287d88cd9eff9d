"""csfpk for notebooks: labelled results, plots, reports and in-process runs.

csfpk is a research tool, not a dosing device.

>>> import csfpk
>>> ds = csfpk.open("p1.h5")                       # xarray.Dataset, time in hours
>>> table = csfpk.summaries("p1.h5")               # pandas.DataFrame, one row per (run, drug)
>>> fig = csfpk.plot_overview(ds)                  # concentration by site + the pump underneath
>>> ds = csfpk.run_scenario("scenarios/reference/p1.yaml", overrides=["catheter.tip=T6"])
>>> runs = csfpk.run_batch([path] * 20, threads=4) # Datasets, or RunFailure for failed runs

Command line: ``python3 -m csfpk plot OUT.h5 -o FIG.png`` and
``python3 -m csfpk report OUT.h5 -o REPORT.html``.
"""

from __future__ import annotations

from .errors import CsfpkError, InputError, IoError, RunFailure, SolverError
from .fit import open_fit, parameter_table, plot_fit
from .interop import read_nmtran
from .plots import (plot_concentration, plot_dermatome_coverage, plot_kymograph, plot_overview,
                    plot_population, plot_profiles, plot_pump, plot_sobol,
                    plot_summary_distribution)
from .results import (LEVELS, at_level, combine_runs, events, has_sobol, is_1d, is_sweep,
                      level_position, nearest_level, open, run_status, safety_flags, scenario_name,
                      select_run, sobol_indices, summaries)

try:
    from ._build_info import VERSION as __version__
except ImportError:  # running from the source tree without a build
    __version__ = "unknown"


def _use_bundled_models() -> None:
    """A pip-installed package carries models/ inside it; the extension reads them from there
    unless the user chose others with $CSFPK_MODELS_DIR."""
    import os
    try:
        from ._build_info import MODELS_DIR
    except ImportError:  # a build tree: the extension knows the source tree's models/
        return
    if MODELS_DIR and os.path.isdir(MODELS_DIR) and not os.environ.get("CSFPK_MODELS_DIR"):
        os.environ["CSFPK_MODELS_DIR"] = MODELS_DIR


_use_bundled_models()

try:
    from ._core import run_batch, run_scenario
    _core_error = None
except ImportError as _error:  # pure-Python use (open/summaries/plots) still works
    _core_error = _error

    def run_scenario(*args, **kwargs):
        """Unavailable: csfpk._core (the compiled extension) could not be imported."""
        raise ImportError(_missing_core_message()) from _core_error

    def run_batch(*args, **kwargs):
        """Unavailable: csfpk._core (the compiled extension) could not be imported."""
        raise ImportError(_missing_core_message()) from _core_error


def _missing_core_message() -> str:
    return (f"csfpk._core is not importable ({_core_error}). Build it (cmake --build build/release) "
            "and put build/release/python on PYTHONPATH, using Debian's /usr/bin/python3; "
            "see python/README.md")


def executable() -> str:
    """Path of the ``csfpk`` command-line program: $CSFPK_EXE, this build's binary, or the one on
    PATH. Raises FileNotFoundError when none exists."""
    import os
    import shutil
    candidates = [os.environ.get("CSFPK_EXE")]
    try:
        from ._build_info import EXECUTABLE
        candidates.append(EXECUTABLE)
    except ImportError:
        pass
    candidates.append(shutil.which("csfpk"))
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("no csfpk executable: build it, or set CSFPK_EXE")


def source_dir():
    """The csfpk source tree (scenarios/, models/, python/notebooks/): $CSFPK_SOURCE_DIR, the tree
    this package was built from, or the first parent of the working directory holding
    ``scenarios/``. Raises FileNotFoundError when none is found."""
    import os
    import pathlib
    candidates = [os.environ.get("CSFPK_SOURCE_DIR")]
    try:
        from ._build_info import SOURCE_DIR
        candidates.append(SOURCE_DIR)
    except ImportError:
        pass
    cwd = pathlib.Path.cwd()
    candidates += [str(p) for p in (cwd, *cwd.parents)]
    for candidate in candidates:
        if candidate and (pathlib.Path(candidate) / "scenarios").is_dir():
            return pathlib.Path(candidate)
    raise FileNotFoundError("csfpk source tree not found: set CSFPK_SOURCE_DIR")


__all__ = [
    "CsfpkError", "InputError", "SolverError", "IoError", "RunFailure", "LEVELS",
    "open", "summaries", "combine_runs", "events", "safety_flags", "run_status",
    "at_level", "level_position", "nearest_level", "is_1d", "is_sweep", "select_run",
    "scenario_name", "has_sobol", "sobol_indices",
    "plot_overview", "plot_concentration", "plot_profiles", "plot_kymograph", "plot_pump",
    "plot_dermatome_coverage", "plot_population", "plot_summary_distribution", "plot_sobol",
    "run_scenario", "run_batch", "executable", "source_dir", "read_nmtran",
    "open_fit", "parameter_table", "plot_fit",
]
