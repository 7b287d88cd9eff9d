"""Shared fixtures for the csfpk Python tests.

Environment (set by tests/python/CMakeLists.txt; a test that needs a missing one fails, it is
never skipped silently):
  CSFPK_RESULTS_DIR  result files written by the real binary in the cli suite (<stem>.h5)
  CSFPK_EXE          the csfpk binary
  CSFPK_SOURCE_DIR   the source tree (scenarios/, python/notebooks/)
  PYTHONPATH         must reach build/<preset>/python (csfpk and csfpk._core)
  CSFPK_TEST_FIGURES optional: keep every figure the tests draw in this directory
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import synthetic  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through ctest (tests/python/CMakeLists.txt)")
    return value


@pytest.fixture(scope="session")
def results_dir() -> pathlib.Path:
    return pathlib.Path(_required("CSFPK_RESULTS_DIR"))


@pytest.fixture(scope="session")
def source_dir() -> pathlib.Path:
    return pathlib.Path(_required("CSFPK_SOURCE_DIR"))


@pytest.fixture(scope="session")
def exe() -> str:
    return _required("CSFPK_EXE")


@pytest.fixture(scope="session")
def result(results_dir):
    """result("p1") → path of the file the cli suite wrote for that scenario."""
    def path(stem: str) -> str:
        p = results_dir / f"{stem}.h5"
        if not p.exists():
            pytest.fail(f"{p} is missing: the cli suite's fixture result_{stem} did not run")
        return str(p)
    return path


@pytest.fixture(scope="session")
def synthetic_files(tmp_path_factory):
    """Synthetic 1D and sweep files (layouts of the coming writers): dict name → path."""
    root = tmp_path_factory.mktemp("synthetic")
    return {
        "one_d": synthetic.write(synthetic.one_d_dataset(), root / "one_d.h5"),
        "sweep": synthetic.write(synthetic.sweep_dataset(), root / "sweep.h5"),
        "sweep_int_status": synthetic.write(synthetic.sweep_dataset(int_status=True), root / "sweep_int.h5"),
        "sweep_interrupted": synthetic.write(synthetic.sweep_dataset(failed=(), not_run=(9, 10, 11)),
                                             root / "sweep_interrupted.h5"),
        "sobol": synthetic.write(synthetic.sobol_dataset(), root / "sobol.h5"),
    }


@pytest.fixture(scope="session")
def spinal_results(result, source_dir):
    """Stems of the scenarios whose results are 1D (the cli suite writes them all)."""
    import xarray as xr
    stems = []
    for path in sorted((source_dir / "scenarios").glob("*.yaml")):
        with xr.open_dataset(result(path.stem), engine="h5netcdf") as ds:
            if "position" in ds.dims:
                stems.append(path.stem)
    return stems


@pytest.fixture(scope="session")
def one_d_file(spinal_results, result, synthetic_files):
    """A 1D result written by the real binary when the tree has a 1D scenario, else synthetic."""
    preferred = [s for s in spinal_results if "bolus" in s] + spinal_results
    return result(preferred[0]) if preferred else synthetic_files["one_d"]


@pytest.fixture(scope="session")
def figure_dir(tmp_path_factory) -> pathlib.Path:
    keep = os.environ.get("CSFPK_TEST_FIGURES")
    if keep:
        path = pathlib.Path(keep)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("figures")


def assert_image_not_blank(path, min_side: int = 300):
    """A PNG that exists, has a sensible size and real content (not one flat colour)."""
    import matplotlib.image as mpimg
    path = str(path)
    assert os.path.getsize(path) > 5000, f"{path}: suspiciously small file"
    image = mpimg.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= min_side, f"{path}: {image.shape}"
    rgb = image[..., :3].astype(float)
    assert rgb.std() > 0.03, f"{path}: nearly uniform image"
    # Some ink: at least 1 % of pixels clearly darker than the white background.
    assert (rgb.mean(axis=2) < 0.7).mean() > 0.01, f"{path}: almost nothing drawn"


@pytest.fixture
def check_png():
    return assert_image_not_blank


def finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]
