"""A csfpk result file opens in xarray (h5netcdf engine) as labelled arrays.

Runs against a file written by the real binary, named by the environment variable
CSFPK_RESULT_FILE; skipped when it is unset.
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
    "time": "h",
    "concentration": "ug/mL",
    "delivered": "ug",
    "in_body": "ug",
    "eliminated": "ug",
    "mass_balance_relative_error": "1",
    "reservoir_volume": "mL",
    "event_time": "h",
}


@pytest.fixture(scope="module")
def ds():
    with xr.open_dataset(RESULT_FILE, engine="h5netcdf") as dataset:
        dataset.load()
        yield dataset


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
    assert time.dtype == np.float64  # not decoded to datetimes: hours since program start
    assert time.attrs["units"] == "h"
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
