"""A csfpk result file opens in xarray (h5netcdf engine) as labelled arrays.

Runs against a file written by the real binary, named by the environment variable
CSFPK_RESULT_FILE; skipped when it is unset. A 1D result (one with a `position` dimension) is
also checked for its canal variables and summaries.
"""

import os

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("h5netcdf")

RESULT_FILE = os.environ.get("CSFPK_RESULT_FILE")
if not RESULT_FILE:
    pytest.skip(
        "CSFPK_RESULT_FILE is not set: point it at a result .h5 file written by csfpk",
        allow_module_level=True,
    )

NUMERIC_VARIABLES = {
    "time": "hours since 2000-01-01 00:00:00",
    "concentration": "ug/mL",
    "delivered": "ug",
    "in_body": "ug",
    "eliminated": "ug",
    "mass_balance_relative_error": "1",
    "reservoir_volume": "mL",
    "event_time": "hours since 2000-01-01 00:00:00",
}


@pytest.fixture(scope="module")
def ds():
    """The file as numbers: time in hours since the scenario start, not decoded to dates."""
    with xr.open_dataset(RESULT_FILE, engine="h5netcdf", decode_times=False) as dataset:
        dataset.load()
        yield dataset


def test_cf_time_decodes_to_dates_from_the_nominal_start():
    """Plain xarray decodes the CF time: t = 0 is 00:00 of the scenario's first day, dated
    2000-01-01 (nominal, as the file's time_origin says)."""
    with xr.open_dataset(RESULT_FILE, engine="h5netcdf") as decoded, \
            xr.open_dataset(RESULT_FILE, engine="h5netcdf", decode_times=False) as raw:
        assert np.issubdtype(decoded["time"].dtype, np.datetime64)
        hours = (decoded["time"].values - np.datetime64("2000-01-01T00:00:00")) / np.timedelta64(1, "h")
        np.testing.assert_allclose(hours, raw["time"].values, atol=1e-6)
        assert "nominal" in decoded.attrs["time_origin"]
        assert decoded["time"].attrs["standard_name"] == "time" and decoded["time"].attrs["axis"] == "T"


def test_concentration_is_labelled_by_drug_site_and_time(ds):
    assert ds["concentration"].dims == ("drug", "site", "time")
    assert ds["concentration"].dtype == np.float64
    for name in ("delivered", "in_body", "eliminated"):
        assert ds[name].dims == ("drug", "time")
    assert ds["mass_balance_relative_error"].dims == ("drug",)
    assert ds["reservoir_volume"].dims == ("time",)


def test_every_numeric_variable_has_units_and_long_name(ds):
    for name, units in NUMERIC_VARIABLES.items():
        assert ds[name].attrs.get("units") == units, name
        assert ds[name].attrs.get("long_name"), name
    for name in ("drug", "site", "event_kind", "event_detail"):
        assert ds[name].attrs.get("long_name"), name


def test_time_is_increasing_hours(ds):
    time = ds["time"]
    assert time.dtype == np.float64  # not decoded to datetimes: hours since the scenario start
    assert time.attrs["units"] == "hours since 2000-01-01 00:00:00"
    assert time.attrs["calendar"] == "standard"
    assert np.all(np.diff(time.values) > 0)
    assert time.values[0] >= 0


def test_drug_and_site_coordinates_are_str(ds):
    assert "drug" in ds.coords and "site" in ds.coords
    assert ds.sizes["drug"] >= 1 and ds.sizes["site"] >= 1
    assert all(isinstance(v, str) for v in ds["drug"].values)
    assert all(isinstance(v, str) for v in ds["site"].values)
    drug = str(ds["drug"].values[0])
    site = str(ds["site"].values[0])
    curve = ds["concentration"].sel(drug=drug, site=site)
    assert curve.dims == ("time",)


def test_provenance_attributes(ds):
    assert ds.attrs["Conventions"] == "CF-1.8"
    for name in ("title", "csfpk_version", "scenario", "scenario_file", "command_line",
                 "created", "status", "warnings"):
        assert name in ds.attrs, name
        assert isinstance(ds.attrs[name], str), name
    assert ds.attrs["csfpk_version"]
    assert ds.attrs["scenario"]


def test_events(ds):
    assert "event" in ds.coords
    for name in ("event_time", "event_kind", "event_detail"):
        assert ds[name].dims == ("event",), name
    n = ds.sizes["event"]
    assert list(ds["event"].values) == list(range(n))
    assert all(isinstance(v, str) for v in ds["event_kind"].values)
    assert all(isinstance(v, str) for v in ds["event_detail"].values)
    if n:
        assert np.all(np.diff(ds["event_time"].values) >= 0)


# --- 1D runs: only when the file has a position dimension ---------------------------------------
# Defined only for such files rather than skipped, because ctest fails this suite on "skipped".


def _has_canal(path):
    with xr.open_dataset(path, engine="h5netcdf") as dataset:
        return "position" in dataset.dims


HAS_CANAL = _has_canal(RESULT_FILE)

CANAL_VARIABLES = {
    "position": ("cm", ("position",)),
    "cell_face": ("cm", ("face",)),
    "csf_concentration": ("ug/mL", ("drug", "position", "time")),
    "spread": ("cm", ("drug",)),
    "spread_threshold": ("ug/mL", ("drug",)),
    "cranial_auc": ("ug h/mL", ("drug",)),
    "tip_peak": ("ug/mL", ("drug",)),
    "tip_mean": ("ug/mL", ("drug",)),
    "effective_concentration": ("ug/mL", ("drug",)),
}
LEVEL_VARIABLES = {
    "level_position": ("cm", ("level",)),
    "level_peak": ("ug/mL", ("drug", "level")),
    "level_mean": ("ug/mL", ("drug", "level")),
}
SEGMENT_VARIABLES = {
    "tissue_concentration": ("ug/mL", ("drug", "segment", "time")),
    "dermatome_coverage": ("1", ("drug", "segment")),
}


def _check_variables(ds, variables):
    for name, (units, dims) in variables.items():
        assert name in ds.variables, name
        assert ds[name].dims == dims, name
        assert ds[name].dtype == np.float64, name
        assert ds[name].attrs.get("units") == units, name
        assert ds[name].attrs.get("long_name"), name


if HAS_CANAL:

    def test_canal_geometry(ds):
        _check_variables(ds, CANAL_VARIABLES)
        position = ds["position"].values
        faces = ds["cell_face"].values
        assert "position" in ds.coords
        assert ds.sizes["face"] == ds.sizes["position"] + 1
        assert np.all(np.diff(position) > 0)
        # Every cell centre lies between its faces.
        assert np.all(faces[:-1] < position) and np.all(position < faces[1:])
        tip = ds.attrs["catheter_tip_cm"]
        assert isinstance(tip, (float, np.floating))
        assert faces[0] <= tip <= faces[-1]

    def test_csf_profile_selects_by_drug_and_nearest_position(ds):
        drug = str(ds["drug"].values[0])
        middle = float(ds["position"].values[ds.sizes["position"] // 2])
        # method="nearest" cannot apply to the str drug index: select the drug first.
        curve = ds["csf_concentration"].sel(drug=drug).sel(position=middle + 1e-3, method="nearest")
        assert curve.dims == ("time",)
        assert float(curve["position"]) == middle
        profile = ds["csf_concentration"].sel(drug=drug).isel(time=-1)
        assert profile.dims == ("position",)
        assert np.all(np.isfinite(ds["csf_concentration"].values))

    def test_levels_and_dermatomes(ds):
        if "level" in ds.dims:
            _check_variables(ds, LEVEL_VARIABLES)
            assert all(isinstance(v, str) for v in ds["level"].values)
            assert np.all(np.diff(ds["level_position"].values) > 0)  # caudal to cranial
            # A level's peak is at least its mean.
            peak, mean = ds["level_peak"].values, ds["level_mean"].values
            finite = np.isfinite(peak) & np.isfinite(mean)
            assert np.all(peak[finite] >= mean[finite] - 1e-12 * np.abs(peak[finite]))
        if "segment" in ds.dims:
            _check_variables(ds, SEGMENT_VARIABLES)
            assert ds["dermatome"].dims == ("segment",)
            assert all(isinstance(v, str) for v in ds["segment"].values)
            assert all(isinstance(v, str) for v in ds["dermatome"].values)
            coverage = ds["dermatome_coverage"].values
            finite = coverage[np.isfinite(coverage)]
            assert np.all((finite >= 0) & (finite <= 1))
            # Coverage is NaN exactly for drugs without an effective concentration.
            none = ds["effective_concentration"].values == 0
            assert np.all(np.isnan(coverage[none]))
