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
def grid_file(exe, source_dir, tmp_path_factory):
    """scenarios/sweeps/tip_rate_grid.yaml: 12 runs of the 1D model with time series."""
    out = tmp_path_factory.mktemp("sweeps") / "grid.h5"
    subprocess.run([exe, "sweep", str(source_dir / "scenarios/sweeps/tip_rate_grid.yaml"), "-o", str(out),
                    "--threads", "2"], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def grid(grid_file):
    return csfpk.open(grid_file, load=True)


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


def _window_metrics(t, c, start, end):
    """Cmax, Tmax, Cmin, AUC and Cavg of the piecewise-linear series over [start, end], in numpy."""
    inside = (t > start) & (t < end)
    ts = np.concatenate([[start], t[inside], [end]])
    cs = np.concatenate([[np.interp(start, t, c)], c[inside], [np.interp(end, t, c)]])
    auc = np.trapz(cs, ts)
    return {"cmax": cs.max(), "tmax": ts[np.argmax(cs)], "cmin": cs.min(), "auc": auc,
            "cavg": auc / (end - start)}


def _summary_table(exe, path, tmp_path, *args):
    csv = tmp_path / "summary.csv"
    subprocess.run([exe, "summary", str(path), "--csv", str(csv), "--overwrite", *args],
                   check=True, capture_output=True, text=True)
    import pandas as pd
    return pd.read_csv(csv, keep_default_na=False, na_values=[""])


def test_summary_quantiles_equal_numpys(exe, grid_file, grid, tmp_path):
    """`csfpk summary --quantiles` on a sweep: every quantile of a stored summary and of a windowed
    figure computed from the stored series equals numpy.percentile's on the same per-run values."""
    percentiles = [5, 50, 95]
    table = _summary_table(exe, grid_file, tmp_path, "--quantiles", "5,50,95",
                           "--window", "late=1.5d..end", "--window", "mid=10.3h..31.7h")
    assert list(table.columns[-3:]) == ["P5", "P50", "P95"]
    checked = 0
    # Stored summaries: level_peak at T10, cranial AUC, spread.
    for figure, at, values in (
            ("level_peak", "T10", grid["level_peak"].sel(drug="morphine", level="T10")),
            ("cranial_auc", np.nan, grid["cranial_auc"].sel(drug="morphine")),
            ("auc", "plasma", grid["auc"].sel(drug="morphine", site="plasma"))):
        rows = table[(table.figure == figure) & (table.window == "stored")]
        rows = rows[rows["at"].isna()] if isinstance(at, float) else rows[rows["at"] == at]
        assert len(rows) == 1, (figure, at)
        expected = np.percentile(np.asarray(values, dtype=float), percentiles)
        np.testing.assert_allclose(rows[["P5", "P50", "P95"]].to_numpy()[0], expected, rtol=1e-12)
        assert int(rows["n"].iloc[0]) == 12
        checked += 1
    # Windowed figures from the float32 series (read as float64, as csfpk reads them).
    conc = grid["concentration"].sel(drug="morphine").astype(float)
    t = np.asarray(grid["time"], dtype=float)
    sites = [str(s) for s in grid["site"].values]
    for window, start, end in (("run", t[0], t[-1]), ("late", 36.0, t[-1]), ("mid", 10.3, 31.7)):
        for site in sites:
            per_run = [_window_metrics(t, conc.sel(site=site).isel(run=r).values, start, end)
                       for r in range(grid.sizes["run"])]
            for figure in ("cmax", "tmax", "cmin", "auc", "cavg"):
                rows = table[(table.figure == figure) & (table.window == window) & (table["at"] == site)]
                assert len(rows) == 1, (figure, window, site)
                expected = np.percentile([m[figure] for m in per_run], percentiles)
                np.testing.assert_allclose(rows[["P5", "P50", "P95"]].to_numpy()[0], expected,
                                           rtol=1e-9, atol=1e-15)
                checked += 1
    assert checked == 3 + 3 * len(sites) * 5


def test_summary_of_a_single_run_matches_numpy(exe, result, tmp_path):
    import xarray as xr
    path = result("p1")
    table = _summary_table(exe, path, tmp_path, "--window", "mid=100.1h..200.05h", "--drug", "morphine")
    assert set(table["drug"]) == {"morphine"} and "value" in table.columns
    ds = xr.open_dataset(path, engine="h5netcdf", decode_times=False)
    t = ds["time"].values.astype(float)
    for site in ("lumbar", "cranial"):
        c = ds["concentration"].sel(drug="morphine", site=site).values
        expected = _window_metrics(t, c, 100.1, 200.05)
        for figure, value in expected.items():
            row = table[(table.window == "mid") & (table["at"] == site) & (table.figure == figure)]
            assert len(row) == 1
            np.testing.assert_allclose(row["value"].iloc[0], value, rtol=1e-12)
    # Quantiles need a population.
    failed = subprocess.run([exe, "summary", path, "--quantiles", "50"], capture_output=True, text=True)
    assert failed.returncode == 2 and "quantiles need a sweep file" in failed.stderr


def test_summary_steady_state_of_a_constant_infusion(exe, result, tmp_path):
    """Continuous morphine: the daily mean settles, so a start of steady state is found, after
    the first day and before the last two."""
    path = result("morphine_continuous")
    table = _summary_table(exe, path, tmp_path, "--drug", "morphine")
    rows = table[table.figure == "steady_state_from"]
    assert len(rows) > 0
    lumbar = rows[rows["at"] == "lumbar"]["value"].iloc[0]
    import xarray as xr
    end = float(xr.open_dataset(path, engine="h5netcdf", decode_times=False)["time"].values[-1])
    assert 24.0 <= lumbar <= end - 48.0


def test_sweep_exports_long_csv_with_factor_columns(exe, grid_file, grid, tmp_path):
    import pandas as pd
    summaries, series = tmp_path / "summaries.csv", tmp_path / "series.csv"
    subprocess.run([exe, "export", str(grid_file), "--csv", str(summaries)], check=True,
                   capture_output=True)
    subprocess.run([exe, "export", str(grid_file), "--csv", str(series), "--series"], check=True,
                   capture_output=True)
    table = pd.read_csv(summaries, keep_default_na=False, na_values=[""], float_precision="round_trip")
    assert list(table.columns) == ["run", "status", "factor_tip", "factor_rate", "drug", "figure",
                                   "at", "unit", "value"]
    t10 = table[(table.figure == "level_peak") & (table["at"] == "T10")].set_index("run")
    np.testing.assert_array_equal(t10["value"].to_numpy(),
                                  grid["level_peak"].sel(drug="morphine", level="T10").values)
    assert list(t10["factor_tip"]) == [str(v) for v in grid["factor_tip"].values]
    np.testing.assert_array_equal(t10["factor_rate"], grid["factor_rate"].values)
    long = pd.read_csv(series, float_precision="round_trip")
    # Sites, then the vertebral levels the sweep stored series at.
    assert len(long) == grid.sizes["run"] * (grid.sizes["site"] + grid.sizes["series_level"]) * \
        grid.sizes["time"]
    t10 = long[long.site == "T10"].set_index(["run", "time_h"])["concentration_ug_per_mL"]
    np.testing.assert_array_equal(
        t10.loc[3].to_numpy(),
        grid["level_concentration"].sel(drug="morphine", series_level="T10").isel(run=3).astype(float).values)
    cube = long.set_index(["run", "site", "time_h"])["concentration_ug_per_mL"]
    expected = grid["concentration"].sel(drug="morphine").astype(float)
    for run in (0, 7):
        for site in grid["site"].values:
            np.testing.assert_array_equal(cube.loc[(run, str(site))].to_numpy(),
                                          expected.sel(site=site).isel(run=run).values)


def test_single_run_commands_name_the_sweep_file(exe, grid_file, tmp_path):
    verify = subprocess.run([exe, "verify", str(grid_file)], capture_output=True, text=True)
    assert verify.returncode == 4 and "is a sweep file, not a single-run result" in verify.stderr
    nmtran = subprocess.run([exe, "export", str(grid_file), "--nmtran", str(tmp_path / "x.csv")],
                            capture_output=True, text=True)
    assert nmtran.returncode == 2 and "is a sweep file" in nmtran.stderr


def test_events_csv_lists_the_delivery_events(exe, result, tmp_path):
    import pandas as pd
    import xarray as xr
    path = result("p1")
    out = tmp_path / "events.csv"
    subprocess.run([exe, "export", path, "--events", str(out)], check=True, capture_output=True)
    events = pd.read_csv(out)
    assert list(events.columns) == ["time_h", "kind", "detail"]
    ds = xr.open_dataset(path, engine="h5netcdf", decode_times=False)
    assert len(events) == ds.sizes["event"]
    assert (events.kind == "bolus_given").sum() == 84


def test_sweep_file_follows_cf_by_an_independent_reader(grid_file):
    from test_results import _check_cf_with_netcdf4
    _check_cf_with_netcdf4(str(grid_file))


def test_grid_sweep_is_drawn_as_lines_per_design_point(grid):
    """A grid's runs are designed levels, not a population: one line per run (colour by the first
    factor, style by the second), one panel per site or level, no percentile bands."""
    fig = csfpk.plot_population(grid)
    panels = [ax for ax in fig.axes if ax.get_lines()]
    assert len(panels) >= 2
    for ax in panels:
        assert len(ax.get_lines()) == grid.sizes["run"]
        assert not ax.collections  # no fill_between bands
    labels = [t.get_text() for t in panels[0].get_legend().get_texts()]
    assert "tip=T8, rate=0.2" in labels


def test_1d_sweep_stores_series_at_chosen_levels(grid):
    """outputs.time_series.levels: the CSF at L2, T10, T4 and C5 every 2 h (float32), which
    peaks where the stored hourly level summaries say."""
    series = grid["level_concentration"]
    assert series.dims == ("run", "drug", "series_level", "time")
    assert [str(v) for v in grid["series_level"].values] == ["L2", "T10", "T4", "C5"]
    assert series.attrs["units"] == "ug/mL"
    for level in ("L2", "T10", "C5"):
        peak_of_series = series.sel(drug="morphine", series_level=level).max("time").values
        stored = grid["level_peak"].sel(drug="morphine", level=level).values
        assert np.all(peak_of_series <= stored * (1 + 1e-6))
        np.testing.assert_allclose(peak_of_series, stored, rtol=2e-2)


def test_level_series_need_the_1d_model(exe, source_dir, tmp_path):
    spec = tmp_path / "levels.yaml"
    spec.write_text(f"""name: levels on a compartmental base
base: {source_dir / 'scenarios/morphine_continuous.yaml'}
seed: 1
design: {{type: grid}}
factors:
  - {{name: rate, path: pump.basal, values: [0.2, 0.4], unit: mL/day}}
outputs:
  time_series: {{interval: 2 h, levels: [T10]}}
""")
    done = subprocess.run([exe, "sweep", str(spec), "-o", str(tmp_path / "x.h5")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "series at vertebral levels need the spinal_1d model" in done.stderr
