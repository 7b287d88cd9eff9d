"""csfpk fit end to end: the command on the published Nordberg 1984 example, the fit file in
xarray and netCDF4, the plots, per-subject fits, bad input, and a from_fit sweep whose samples
follow the fit's covariance."""
import hashlib
import os
import pathlib
import subprocess

import numpy as np
import pytest

import csfpk

EXE = os.environ["CSFPK_EXE"]
SOURCE = pathlib.Path(os.environ["CSFPK_SOURCE_DIR"])
SCENARIO = SOURCE / "scenarios/fitting/nordberg1984_morphine.yaml"
DATA = SOURCE / "scenarios/fitting/nordberg1984_morphine_csf.csv"
ESTIMATES = ["--estimate", "drugs.morphine.meningeal_permeability=0.012 cm/h,0.0001 cm/h,1 cm/h",
             "--estimate", "variability.csf_volume_factor=1,0.2,5"]
DOSES = ["--subject-set", "0.25mg:injections.0.dose.morphine=250 ug"]


def run(*args, check=True):
    result = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def fit_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "nordberg_fit.h5"
    result = run("fit", SCENARIO, "--data", DATA, *ESTIMATES, *DOSES, "--profile", "-o", path)
    assert "converged" in result.stdout and "NOT converged" not in result.stdout
    return path


def test_fit_file_in_xarray(fit_file):
    with csfpk.open_fit(fit_file) as ds:
        assert list(ds["parameter"].values) == ["drugs.morphine.meningeal_permeability",
                                                "variability.csf_volume_factor"]
        assert ds.sizes["observation"] == 12 and ds.sizes["fit"] == 1
        assert ds.attrs["data_sha256"] == hashlib.sha256(DATA.read_bytes()).hexdigest()
        assert "injections:" in ds.attrs["scenario"]
        cov = ds["covariance"].isel(fit=0).values
        np.testing.assert_allclose(cov, cov.T, rtol=1e-12)
        np.testing.assert_allclose(np.diag(ds["correlation"].isel(fit=0).values), 1.0)
        estimate = ds["estimate"].isel(fit=0).values
        assert np.all(ds["ci_lower"].isel(fit=0).values < estimate)
        assert np.all(estimate < ds["ci_upper"].isel(fit=0).values)
        # Profile-likelihood intervals bracket the estimate and agree with the Wald ones to
        # within a factor that a 2-parameter, 12-point fit allows.
        low = ds["profile_lower"].isel(fit=0).values
        high = ds["profile_upper"].isel(fit=0).values
        assert np.all(low < estimate) and np.all(estimate < high)
        wald = ds["ci_upper"].isel(fit=0).values - ds["ci_lower"].isel(fit=0).values
        assert np.all(np.abs((high - low) / wald - 1.0) < 0.5)
        # Residuals are those of the stored predictions (proportional error, scale sigma).
        obs, pred = ds["observed"].values, ds["predicted"].values
        sigma = float(ds["residual_scale"].values[0])
        np.testing.assert_allclose(ds["standardized_residual"].values,
                                   (obs - pred) / (pred * sigma), rtol=1e-6)
        assert int(ds["converged"].values[0]) == 1
        assert float(ds["collinearity"].isel(fit=0).values[0]) < 20.0
        table = csfpk.parameter_table(ds)
        assert list(table["unit"]) == ["cm/h", "1"]


def test_fit_file_in_netcdf4(fit_file):
    netCDF4 = pytest.importorskip("netCDF4")
    with netCDF4.Dataset(fit_file) as nc:
        assert nc.variables["estimate"].dimensions == ("fit", "parameter")
        assert nc.variables["observed"].units == "ug/mL"


def test_plot_fit(fit_file):
    figures = pathlib.Path(os.environ["CSFPK_TEST_FIGURES"])
    figures.mkdir(parents=True, exist_ok=True)
    with csfpk.open_fit(fit_file) as ds:
        fig = csfpk.plot_fit(ds)
        out = figures / "fit_nordberg.png"
        fig.savefig(out)
    assert out.stat().st_size > 10_000
    left = fig.axes[0]
    # One site (lumbar), two dose groups: one marker set each.
    assert left.get_xscale() == "log" and len(left.collections) == 2


def test_individual_fits(tmp_path):
    out = tmp_path / "each.h5"
    result = run("fit", SCENARIO, "--data", DATA, *ESTIMATES, *DOSES, "--subjects", "individual",
                 "-o", out)
    assert "== 0.50mg" in result.stdout and "== 0.25mg" in result.stdout
    with csfpk.open_fit(out) as ds:
        assert list(ds["fit"].values) == ["0.50mg", "0.25mg"]
        assert list(np.bincount(ds["observation_fit"].values)) == [6, 6]
        assert list(ds["converged"].values) == [1, 1]


def test_a_failed_subject_is_recorded_and_the_others_go_on(tmp_path):
    out = tmp_path / "each.h5"
    # The 0.25 mg group's scenario ends at 6 h, before its 8 h and 12 h samples.
    result = run("fit", SCENARIO, "--data", DATA, *ESTIMATES, *DOSES, "--subjects", "individual",
                 "--subject-set", "0.25mg:duration=6 h", "-o", out)
    assert "subject 0.25mg failed" in result.stderr
    assert "is after the end of the scenario" in result.stderr
    assert "1 of 2 subject fit(s) failed" in result.stdout
    with csfpk.open_fit(out) as ds:
        assert list(ds["converged"].values) == [1, 0]
        assert str(ds["message"].values[1]).startswith("failed: ")
        assert np.all(np.isfinite(ds["estimate"].sel(fit="0.50mg").values))
        assert np.all(np.isnan(ds["estimate"].sel(fit="0.25mg").values))


@pytest.mark.parametrize("args, message", [
    (["--estimate", "drugs.morphine.meningeal_permeability"],
     "error: --estimate: 'drugs.morphine.meningeal_permeability': no initial value"),
    (["--estimate", "drugs.morphine.meningeal_permeability=0.01 cm/h,1 cm/h,2 cm/h"],
     "the initial value lies outside its bounds"),
    (["--estimate", "drugs.morphine.meningeal_permeability=0.01 cm/h,0 mL,1 cm/h"],
     "bound '0 mL' is not a velocity"),
    (["--estimate", "variability.csf_volume_factor=1", "--error", "combined:0.1"],
     "combined needs both an SD and a CV"),
    (["--estimate", "variability.csf_volume_factor=1", "--subject-set", "9:duration=1 h"],
     "subject '9' has no observations"),
])
def test_bad_arguments(args, message):
    result = run("fit", SCENARIO, "--data", DATA, *args, "-o", "/nonexistent/x.h5", check=False)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("rows, message", [
    ("subject,time,drug,site,valeu,unit\n", ":1: valeu: unknown column 'valeu'; did you mean 'value'?"),
    ("time,drug,site,value,unit\n1 h,morphine,lumbar,1,ug\n", ":2: value: "),
    ("time,drug,site,value,unit\n1,morphine,lumbar,1,ug/mL\n", ":2: time: "),
    ("time,drug,site,value,unit\n1 h,morphine,sacral,1,ug/mL\n",
     ":2: site: 'sacral' is not a site of the compartmental model; expected lumbar"),
    ("time,drug,site,value,unit\n1 h,baclofen,lumbar,1,ug/mL\n",
     ":2: drug: 'baclofen' is not delivered by the scenario"),
    ("time,drug,site,value,unit\n13 h,morphine,lumbar,1,ug/mL\n",
     ":2: time: is after the end of the scenario (12 h)"),
    ("time,drug,site,value,unit\n1 h,morphine,lumbar,-1,ug/mL\n", ":2: value: a concentration cannot be negative"),
    ("time,drug,site,value,unit\n", "the file has no observations"),
])
def test_bad_observations(tmp_path, rows, message):
    data = tmp_path / "obs.csv"
    data.write_text(rows)
    result = run("fit", SCENARIO, "--data", data, "--estimate", "variability.csf_volume_factor=1",
                 "-o", tmp_path / "x.h5", check=False)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "x.h5").exists()


def test_from_fit_sweep_samples_the_covariance(fit_file, tmp_path):
    sweep = tmp_path / "band.yaml"
    sweep.write_text(f"""name: prediction band
base: {SCENARIO}
seed: 5
design: {{type: monte_carlo, runs: 400}}
from_fit: {{file: {fit_file}}}
outputs:
  time_series: {{interval: 1 h}}
""")
    out = tmp_path / "band.h5"
    run("sweep", sweep, "-o", out)
    with csfpk.open_fit(fit_file) as fit, csfpk.open(out) as ds:
        cov = fit["covariance"].isel(fit=0).values
        se = np.sqrt(np.diag(cov))
        corr = cov[0, 1] / (se[0] * se[1])
        a = np.log(ds["factor_drugs_morphine_meningeal_permeability"].values)
        b = np.log(ds["factor_variability_csf_volume_factor"].values)
        estimate = fit["estimate"].isel(fit=0).values
        np.testing.assert_allclose([np.std(a), np.std(b)], se, rtol=0.15)
        np.testing.assert_allclose([np.median(a), np.median(b)], np.log(estimate),
                                   atol=4 * se.max() / np.sqrt(400))
        assert abs(np.corrcoef(a, b)[0, 1] - corr) < 0.15
        band = ds["concentration"].sel(drug="morphine", site="lumbar")
        assert int((ds["status"] == "ok").sum()) == 400
        assert np.all(np.isfinite(band.values))
    # The fit file is an input of the sweep: a changed fit cannot be resumed into it.
    refit = tmp_path / "refit.h5"
    run("fit", SCENARIO, "--data", DATA, *ESTIMATES, "-o", refit)
    sweep.write_text(sweep.read_text().replace(str(fit_file), str(refit)))
    out2 = tmp_path / "band2.h5"
    run("sweep", sweep, "-o", out2)
    refit.write_bytes(refit.read_bytes() + b"\0")
    result = run("sweep", sweep, "-o", out2, "--resume", check=False)
    assert result.returncode == 2
    assert "has changed since" in result.stderr


def test_nmtran_table_as_data_round_trip(tmp_path):
    """A run exported as an NM-TRAN table is data for `fit`: noise-free, the scenario's own
    values come back from other starts."""
    result = tmp_path / "run.h5"
    table = tmp_path / "table.csv"
    run("run", SCENARIO, "-o", result)
    run("export", result, "--nmtran", table)
    out = tmp_path / "fit.h5"
    run("fit", SCENARIO, "--data", table,
        "--estimate", "drugs.morphine.meningeal_permeability=0.03 cm/h,0.0001 cm/h,1 cm/h",
        "--estimate", "variability.csf_volume_factor=1.4,0.2,5", "-o", out)
    with csfpk.open_fit(out) as ds:
        np.testing.assert_allclose(ds["estimate"].isel(fit=0).values, [0.012, 1.0], rtol=1e-6)
        assert set(ds["site"].values.astype(str)) == {"lumbar", "thoracic", "cervical", "cranial",
                                                      "plasma"}


def test_nmtran_observation_without_named_compartment(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("# units: TIME h, DV ng/mL\nID,TIME,EVID,CMT,DRUG,DV\n1,1,0,11,morphine,5\n")
    result = run("fit", SCENARIO, "--data", table, "--estimate", "variability.csf_volume_factor=1",
                 "-o", tmp_path / "x.h5", check=False)
    assert result.returncode == 2
    assert ":3: CMT: compartment 11 has no name; known: 1 catheter_tip, 2 plasma, 3 subcutaneous" \
        in result.stderr
