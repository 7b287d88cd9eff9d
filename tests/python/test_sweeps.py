"""Sweep files written by the real binary (`csfpk sweep`): labelled, summarised, drawn and
reported, and Sobol indices equal to those `csfpk sobol` prints."""

from __future__ import annotations

import re
import subprocess

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import csfpk  # noqa: E402
from csfpk import plots  # noqa: E402
from csfpk.report import render  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def grid(exe, source_dir, tmp_path_factory):
    """scenarios/sweeps/tip_rate_grid.yaml: 12 runs of the 1D model with time series."""
    out = tmp_path_factory.mktemp("sweeps") / "grid.h5"
    subprocess.run([exe, "sweep", str(source_dir / "scenarios/sweeps/tip_rate_grid.yaml"), "-o", str(out),
                    "--threads", "2"], check=True, capture_output=True)
    return csfpk.open(out, load=True)


SOBOL_SWEEP = """name: morphine Sobol test
base: {base}
set:
  duration: 2 day
  output.interval: 1 h
seed: 7
design: {{type: sobol, runs: 32}}
factors:
  - name: clearance
    path: drugs.morphine.meningeal_permeability
    unit: cm/h
    uniform: {{min: 0.005, max: 0.05}}
  - name: rate
    path: pump.basal
    unit: mL/day
    uniform: {{min: 0.2, max: 0.8}}
outputs:
  summaries: true
"""


@pytest.fixture(scope="module")
def sobol(exe, source_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("sobol")
    spec = root / "sobol.yaml"
    spec.write_text(SOBOL_SWEEP.format(base=source_dir / "scenarios/morphine_continuous.yaml"))
    out = root / "sobol.h5"
    subprocess.run([exe, "sweep", str(spec), "-o", str(out), "--threads", "2"], check=True,
                   capture_output=True)
    return out


def test_grid_sweep_summaries(grid):
    assert csfpk.is_sweep(grid) and grid.sizes["run"] == 12
    assert csfpk.scenario_name(grid) == "tip level x basal rate, morphine, 1D"
    assert set(grid["factor_tip"].values) == {"T8", "T10", "T12"}
    table = csfpk.summaries(grid)
    assert len(table) == 12 and (table["status"] == "ok").all()
    assert {"factor_tip", "factor_rate", "T10_mean_ug_per_mL", "cranial_auc_ug_h_per_mL"} <= set(table.columns)
    # csfpk's own per-run summaries are the ones reported.
    np.testing.assert_allclose(table["T10_peak_ug_per_mL"], grid["level_peak"].sel(drug="morphine", level="T10"))
    # At a fixed tip, doubling the rate doubles the drug delivered; the pump's fluid (0.2 vs
    # 0.4 mL/day against 21 mL/h of CSF production) carries it a little further, so the tip
    # concentration almost, but not exactly, doubles.
    t10 = table[table["factor_tip"] == "T10"].set_index("factor_rate")["tip_mean_ug_per_mL"]
    assert t10[0.4] / t10[0.2] == pytest.approx(2.0, rel=5e-3)
    assert t10[0.4] / t10[0.2] < 2.0
    assert csfpk.safety_flags(grid) == []


def test_grid_sweep_figures_and_report(grid, figure_dir, check_png):
    for name, fig in (("sweep_bands", csfpk.plot_population(grid)),
                      ("sweep_levels", csfpk.plot_summary_distribution(grid, "level_mean")),
                      ("sweep_run5", csfpk.plot_overview(grid, run=5))):
        path = figure_dir / f"{name}.png"
        plots.save(fig, path, dpi=100)
        check_png(path, min_side=250)
    with pytest.raises(ValueError, match="delivered"):
        csfpk.plot_pump(grid)
    text = render(grid)
    assert text.count("data:image/png;base64,") >= 2
    assert "12 of 12 runs finished" in text and "Sweep text" in text and "factor_tip" in text


def test_sobol_indices_equal_the_binarys(exe, sobol):
    ds = csfpk.open(sobol, load=True)
    assert csfpk.has_sobol(ds) and ds.sizes["run"] == 32 * 4
    printed = subprocess.run([exe, "sobol", str(sobol), "--output", "auc,morphine,lumbar"],
                             check=True, capture_output=True, text=True).stdout
    table = csfpk.sobol_indices(ds, "auc", "morphine", "lumbar", bootstrap=200).set_index("factor")
    rows = re.findall(r"^\s+(clearance|rate)\s+(-?[\d.]+)\s+\[\s*(-?[\d.]+),\s*(-?[\d.]+)\]\s+(-?[\d.]+)",
                      printed, flags=re.MULTILINE)
    assert len(rows) == 2, printed
    for factor, s1, low, high, st in rows:
        assert table.loc[factor, "S1"] == pytest.approx(float(s1), abs=6e-4)  # printed to 3 decimals
        assert table.loc[factor, "ST"] == pytest.approx(float(st), abs=6e-4)
    assert (table["ST"] > 0).all()  # both factors move the lumbar exposure
    fig = csfpk.plot_sobol(table.reset_index())
    assert len(fig.axes[0].patches) == 4


ONE_RUN_SWEEP = """name: one run
base: {base}
seed: 1
design: {{type: grid}}
factors:
  - name: volume
    path: variability.csf_volume_factor
    values: [1]
"""


@pytest.mark.parametrize("scenario", ["scenarios/morphine_continuous.yaml",
                                      "scenarios/spinal_morphine_tip_T10.yaml"])
def test_a_single_run_is_a_sweep_of_one_run(exe, source_dir, tmp_path, scenario):
    """Single-run files and sweep files hold the same per-drug figures, from one table: every
    summary variable of the sweep, with its units and long name, equals the run file's."""
    base = source_dir / scenario
    run_file = tmp_path / "run.h5"
    subprocess.run([exe, "run", str(base), "-o", str(run_file)], check=True, capture_output=True)
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(ONE_RUN_SWEEP.format(base=base))
    swept = tmp_path / "sweep.h5"
    subprocess.run([exe, "sweep", str(sweep_file), "-o", str(swept)], check=True,
                   capture_output=True)
    run = csfpk.open(run_file, load=True)
    sweep = csfpk.open(swept, load=True).isel(run=0)
    summaries = [name for name in sweep.data_vars
                 if name not in ("status", "done", "row_checksum") and not name.startswith("factor_")]
    assert {"peak", "mean", "auc", "mass_balance_relative_error"} <= set(summaries)
    for name in summaries:
        assert name in run, name
        assert run[name].dims == sweep[name].dims, name
        assert run[name].attrs["units"] == sweep[name].attrs["units"], name
        assert run[name].attrs["long_name"] == sweep[name].attrs["long_name"], name
        np.testing.assert_array_equal(run[name].values, sweep[name].values, err_msg=name)
    # peak and AUC are those of the stored concentration curve.
    np.testing.assert_array_equal(run["peak"].values, run["concentration"].max("time").values)
