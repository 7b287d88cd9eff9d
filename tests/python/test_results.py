"""csfpk.open / csfpk.summaries on files written by the real binary and on synthetic files in the
layouts of the 1D model and of sweeps."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import csfpk

SCENARIOS = ["baclofen_flex_day_night", "baclofen_reservoir_runs_dry", "baclofen_trial_bolus",
             "morphine_clonidine_patient_boluses", "morphine_concentration_change",
             "morphine_continuous", "ziconotide_slow_titration", "p1"]


@pytest.mark.parametrize("stem", SCENARIOS)
def test_open_and_summaries_on_every_scenario_result(result, stem):
    ds = csfpk.open(result(stem))
    assert ds["time"].dtype == np.float64 and ds["time"].attrs["units"].startswith("hours since ")
    assert ds["concentration"].attrs["units"] == "ug/mL"
    assert ds["reservoir_volume"].attrs["units"] == "mL"
    assert not csfpk.is_sweep(ds) and not csfpk.is_1d(ds)
    table = csfpk.summaries(result(stem))
    assert list(table["drug"]) == [str(d) for d in ds["drug"].values]
    assert (table["run"] == 0).all() and (table["status"] == "ok").all()
    for site in ds["site"].values:
        peak, mean = table[f"{site}_peak_ug_per_mL"], table[f"{site}_mean_ug_per_mL"]
        assert (peak >= mean).all() and (mean >= 0).all()
    assert (table["mass_balance_relative_error"] < 1e-6).all()
    final = ds["delivered"].isel(time=-1).values
    np.testing.assert_allclose(table["delivered_ug"], final)
    ds.close()


def test_summaries_agree_with_the_binarys_printed_summary(exe, source_dir, tmp_path):
    """The CLI prints peak and time-averaged concentration per site; summaries() computes them
    independently from the file."""
    out = tmp_path / "p1.h5"
    printed = subprocess.run([exe, "run", str(source_dir / "scenarios/reference/p1.yaml"), "-o", str(out)],
                             check=True, capture_output=True, text=True).stdout
    table = csfpk.summaries(out).set_index("drug")
    drug = None
    checked = 0
    for line in printed.splitlines():
        header = re.match(r"^  (\w+)\s+\(delivered ([\d.e+-]+) (mg|ug)", line)
        if header:
            drug = header.group(1)
            printed_ug = float(header.group(2)) * (1000 if header.group(3) == "mg" else 1)
            assert table.loc[drug, "delivered_ug"] == pytest.approx(printed_ug, rel=1e-4)
            continue
        row = re.match(r"^\s{4}(\w+)\s+peak\s+([\d.e+-]+) (ug|ng)/mL\s+mean\s+([\d.e+-]+) (ug|ng)/mL", line)
        if row and drug:
            site = row.group(1)
            peak = float(row.group(2)) / (1000 if row.group(3) == "ng" else 1)
            mean = float(row.group(4)) / (1000 if row.group(5) == "ng" else 1)
            assert table.loc[drug, f"{site}_peak_ug_per_mL"] == pytest.approx(peak, rel=1e-3)
            assert table.loc[drug, f"{site}_mean_ug_per_mL"] == pytest.approx(mean, rel=1e-3)
            checked += 1
    assert checked == 4 * 5


def test_events_and_safety_flags(result):
    boluses = csfpk.open(result("morphine_clonidine_patient_boluses"), load=True)
    table = csfpk.events(boluses)
    assert set(table["kind"]) == {"bolus_given", "bolus_denied"}
    assert table["time_h"].is_monotonic_increasing
    flags = csfpk.safety_flags(boluses)
    assert any("denied" in f["what"] and f["severity"] == "warning" for f in flags)
    summary = csfpk.summaries(boluses)
    assert (summary["n_bolus_denied"] == (table["kind"] == "bolus_denied").sum()).all()

    dry = csfpk.open(result("baclofen_reservoir_runs_dry"), load=True)
    flags = csfpk.safety_flags(dry)
    assert any(f["severity"] == "error" and "empty" in f["what"] for f in flags)
    assert any("low-reservoir" in f["what"] for f in flags)
    assert csfpk.safety_flags(csfpk.open(result("baclofen_flex_day_night"), load=True)) == []


def test_compartmental_result_has_no_levels(result):
    ds = csfpk.open(result("p1"), load=True)
    with pytest.raises(ValueError, match="no vertebral levels"):
        csfpk.level_position(ds, "T10")
    with pytest.raises(ValueError, match="csf_concentration"):
        csfpk.at_level(ds, "T10")


def test_open_reports_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such result file"):
        csfpk.open(tmp_path / "absent.h5")
    bogus = tmp_path / "bogus.h5"
    bogus.write_text("not hdf5")
    with pytest.raises(OSError):
        csfpk.open(bogus)


# ------------------------------------------------------------------------------- 1D layout

def test_one_d_file_is_labelled(synthetic_files):
    ds = csfpk.open(synthetic_files["one_d"], load=True)
    assert csfpk.is_1d(ds) and not csfpk.is_sweep(ds)
    assert "level_position" in ds.coords and ds["level_position"].attrs["units"] == "cm"
    assert ds["nearest_level"].dims == ("position",)
    tip = csfpk.level_position(ds, "T10")
    assert csfpk.nearest_level(ds, tip + 0.2) == "T10"
    assert ds.csfpk.nearest_level(tip) == "T10"
    curve = csfpk.at_level(ds, "T10")
    assert curve.dims == ("drug", "time") and curve.attrs["units"] == "ug/mL"
    # At a cell centre the interpolation returns that cell.
    x = float(ds["position"].values[10])
    exact = csfpk.results._interp_position(ds["csf_concentration"], x)
    np.testing.assert_allclose(exact.values, ds["csf_concentration"].isel(position=10).values)
    with pytest.raises(ValueError, match="no vertebral level 'X4'"):
        csfpk.level_position(ds, "X4")


def test_one_d_summaries_have_levels_and_coverage(synthetic_files):
    ds = csfpk.open(synthetic_files["one_d"], load=True)
    table = csfpk.summaries(ds).set_index("drug")
    for level in ("S5", "L2", "T10", "C1"):
        assert f"{level}_peak_ug_per_mL" in table.columns and f"{level}_mean_ug_per_mL" in table.columns
    # The tip level carries the highest CSF concentration.
    peaks = table.loc["morphine", [f"{lv}_peak_ug_per_mL" for lv in ds["level"].values]].astype(float)
    assert peaks.idxmax() in ("T10_peak_ug_per_mL", "T9_peak_ug_per_mL", "T11_peak_ug_per_mL")
    assert table.loc["morphine", "T10_dermatome_coverage"] == pytest.approx(
        float(ds["dermatome_coverage"].sel(drug="morphine", segment="T10")))
    assert table.loc["morphine", "n_bolus_denied"] == 1


def test_real_one_d_results(spinal_results, result):
    """Every 1D result of the tree: levels labelled, and summaries' level figures (from the file)
    equal what the package computes from the CSF profile by interpolation."""
    for stem in spinal_results:
        ds = csfpk.open(result(stem), load=True)
        assert csfpk.is_1d(ds)
        table = csfpk.summaries(ds).set_index("drug")
        for level in ("L2", "T10", "C5"):
            curve = csfpk.at_level(ds, level)
            for drug in map(str, ds["drug"].values):
                values = curve.sel(drug=drug).values
                assert table.loc[drug, f"{level}_peak_ug_per_mL"] == pytest.approx(values.max(), rel=1e-9)
                t = ds["time"].values
                mean = np.trapz(values, t) / (t[-1] - t[0])
                assert table.loc[drug, f"{level}_mean_ug_per_mL"] == pytest.approx(mean, rel=1e-9)
        tip = ds.attrs["catheter_tip_cm"]
        assert csfpk.nearest_level(ds, tip) in [str(v) for v in ds["level"].values]
        for column in ("tip_peak_ug_per_mL", "cranial_auc_ug_h_per_mL", "spread_cm"):
            assert column in table.columns, column


# ----------------------------------------------------------------------------- sweep layout

def test_sweep_file_one_row_per_run_and_drug(synthetic_files):
    ds = csfpk.open(synthetic_files["sweep"], load=True)
    assert csfpk.is_sweep(ds)
    assert csfpk.scenario_name(ds) == "synthetic population, morphine"  # from the sweep text
    assert "factor_catheter_tip" in ds.coords
    table = csfpk.summaries(ds)
    assert len(table) == ds.sizes["run"] * ds.sizes["drug"]
    assert list(table["run"]) == list(range(ds.sizes["run"]))
    assert {"factor_csf_elimination_rate", "factor_catheter_tip"} <= set(table.columns)
    failed = table[table["status"] != "ok"]
    assert list(failed["run"]) == [7] and failed["status"].iloc[0].startswith("solver error")
    assert failed["lumbar_peak_ug_per_mL"].isna().all()
    ok = table[table["status"] == "ok"]
    # The file's own per-run summaries come along, named with their units.
    np.testing.assert_allclose(ok["lumbar_peak_ug_per_mL"], ds["peak"].sel(site="lumbar").values[ok["run"], 0])
    assert "cranial_auc_ug_h_per_mL" in table.columns
    flags = csfpk.safety_flags(ds)
    assert flags[0]["what"] == "1 of 12 runs failed" and "run 7" in flags[0]["detail"]


def test_sweep_status_variants(synthetic_files):
    coded = csfpk.open(synthetic_files["sweep_int_status"], load=True)
    assert csfpk.run_status(coded).count("solver_failure") == 1  # CF flag_meanings decoded
    interrupted = csfpk.open(synthetic_files["sweep_interrupted"], load=True)
    assert csfpk.run_status(interrupted)[-3:] == ["not run"] * 3
    flags = csfpk.safety_flags(interrupted)
    assert [f["what"] for f in flags] == ["3 of 12 runs not run yet"]


def test_select_run_and_events_of_a_sweep(synthetic_files):
    ds = csfpk.open(synthetic_files["sweep"], load=True)
    one = csfpk.select_run(ds, 3)
    assert "run" not in one.dims
    with pytest.raises(ValueError, match="runs 0…11"):
        csfpk.select_run(ds, 12)
    assert csfpk.events(ds, 0).empty


def test_sobol_indices_of_an_additive_output(synthetic_files):
    import synthetic
    ds = csfpk.open(synthetic_files["sobol"], load=True)
    assert csfpk.has_sobol(ds)
    table = csfpk.sobol_indices(ds, "auc", "morphine", "lumbar", bootstrap=300)
    assert list(table["factor"]) == ["dispersion", "rate", "noise"]
    assert table.attrs["dropped"] == 1  # the base sample holding the failed run
    for row, exact in zip(table.itertuples(), synthetic.SOBOL_ANALYTIC):
        assert row.S1 == pytest.approx(exact, abs=0.08)
        assert row.ST == pytest.approx(exact, abs=0.08)
        assert row.S1_low <= row.S1 <= row.S1_high
    # Scaling the output (cranial = 0.1 × lumbar) leaves the indices unchanged.
    cranial = csfpk.sobol_indices(ds, "auc", label="cranial", bootstrap=0)
    np.testing.assert_allclose(cranial["S1"], table["S1"], rtol=1e-9)
    with pytest.raises(ValueError, match="no per-run summary 'spread'"):
        csfpk.sobol_indices(ds, "spread")
    with pytest.raises(ValueError, match="design type sobol"):
        csfpk.sobol_indices(csfpk.open(synthetic_files["sweep"], load=True))


# ----------------------------------------------------------------------------- combine_runs

def test_combine_runs_makes_a_sweep_layout(result):
    from csfpk.errors import InputError, RunFailure
    a = csfpk.open(result("morphine_clonidine_patient_boluses"), load=True)
    failure = RunFailure(1, "<dict>", InputError("<dict>:3: something wrong"))
    combined = csfpk.combine_runs([a, failure, a], factors={"scale": [1.0, 2.0, 3.0]})
    assert combined.sizes["run"] == 3
    assert list(combined["status"].values) == ["ok", "InputError: <dict>:3: something wrong", "ok"]
    assert combined["concentration"].dims == ("run", "drug", "site", "time")
    assert np.isnan(combined["concentration"].isel(run=1)).all()
    xr.testing.assert_equal(combined["concentration"].isel(run=2, drop=True), a["concentration"])
    table = csfpk.summaries(combined)
    assert len(table) == 3 * a.sizes["drug"] and list(table["factor_scale"].unique()) == [1.0, 2.0, 3.0]
    assert len(csfpk.events(combined, 1)) == 0 and len(csfpk.events(combined, 2)) == a.sizes["event"]
    with pytest.raises(ValueError, match="factor 'bad' has 2 values for 3 runs"):
        csfpk.combine_runs([a, failure, a], factors={"bad": [1, 2]})
    assert isinstance(csfpk.summaries([a, a]), pd.DataFrame)


def _check_cf_with_netcdf4(path):
    """The file as the netCDF-C library reads it (netCDF4-python, independent of h5netcdf and
    xarray): CF time decodes to dates from the nominal start, and every dimension has its
    coordinate variable."""
    netCDF4 = pytest.importorskip("netCDF4")
    with netCDF4.Dataset(path) as nc:
        assert nc.getncattr("Conventions") == "CF-1.8"
        assert "nominal" in nc.getncattr("time_origin")
        time = nc.variables["time"]
        assert time.units == "hours since 2000-01-01 00:00:00" and time.calendar == "standard"
        assert time.standard_name == "time" and time.axis == "T"
        hours = time[:].data
        dates = netCDF4.num2date(hours, time.units, time.calendar,
                                 only_use_cftime_datetimes=False, only_use_python_datetimes=True)
        import datetime
        start = datetime.datetime(2000, 1, 1)
        np.testing.assert_allclose([(d - start).total_seconds() / 3600 for d in dates], hours,
                                   atol=1e-6)
        for name in nc.dimensions:
            assert name in nc.variables, f"dimension {name} has no coordinate variable"
            assert nc.variables[name].dimensions == (name,)
        for name, variable in nc.variables.items():
            if variable.dtype != str and name not in nc.dimensions and variable.ndim > 0 \
                    and variable.dtype.kind == "f":
                assert hasattr(variable, "units"), name


@pytest.mark.parametrize("stem", ["p1", "spinal_morphine_tip_T10"])
def test_result_files_follow_cf_by_an_independent_reader(result, stem):
    _check_cf_with_netcdf4(result(stem))
