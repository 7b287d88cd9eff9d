"""NM-TRAN interop: a result's delivery written as an event table (`csfpk export --nmtran`), read
back by pandas with its NM-TRAN columns, and replayed by a scenario (`dosing: {nmtran: …}`) to the
same concentrations."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import xarray as xr
import yaml

import csfpk


def _export(exe, result, out):
    subprocess.run([exe, "export", str(result), "--nmtran", str(out)], check=True,
                   capture_output=True, text=True)
    return out


def _replay(exe, source_dir, scenario, table, tmp_path, name):
    """The scenario with its pump and injections replaced by the table; returns the result."""
    spec = yaml.safe_load((source_dir / scenario).read_text())
    for key in ("pump", "injections"):
        spec.pop(key, None)
    spec["dosing"] = {"nmtran": str(table)}
    spec["name"] = spec["name"] + " (replayed from its NM-TRAN table)"
    # Written beside the table, never into the source tree (other tests list scenarios/); the
    # scenarios replayed here name their models, which do not depend on the file's folder.
    path = tmp_path / f"replay_{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    out = tmp_path / f"{name}_replayed.h5"
    done = subprocess.run([exe, "run", str(path), "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("stem, scenario", [
    ("p1", "scenarios/reference/p1.yaml"),
    ("spinal_morphine_clonidine_boluses", "scenarios/spinal_morphine_clonidine_boluses.yaml"),
    ("baclofen_pocket_fill", "scenarios/clinical/baclofen_pocket_fill.yaml"),
])
def test_nmtran_round_trip_reproduces_the_result(exe, source_dir, result, tmp_path, stem, scenario):
    original = result(stem)
    table = _export(exe, original, tmp_path / f"{stem}.csv")
    replayed = _replay(exe, source_dir, scenario, table, tmp_path, stem)
    a = xr.open_dataset(original, engine="h5netcdf", decode_times=False)
    b = xr.open_dataset(replayed, engine="h5netcdf", decode_times=False)
    np.testing.assert_array_equal(a["time"], b["time"])
    for variable in ("concentration", "delivered"):
        x, y = a[variable].values, b[variable].values
        scale = np.abs(x).max(axis=-1, keepdims=True) + 1e-300
        assert np.max(np.abs(x - y) / scale) < 1e-6, variable
    if "csf_concentration" in a:
        x, y = a["csf_concentration"].values, b["csf_concentration"].values
        assert np.max(np.abs(x - y)) <= 1e-6 * np.abs(x).max()


def test_nmtran_table_reads_into_pandas_with_nmtran_columns(exe, result, tmp_path):
    path = result("p1")
    table = csfpk.read_nmtran(_export(exe, path, tmp_path / "p1.csv"))
    assert tuple(table.columns) == csfpk.interop.NMTRAN_COLUMNS
    assert table.attrs["units"] == {"TIME": "h", "AMT": "ug", "RATE": "ug/h", "II": "h",
                                    "DV": "ug/mL", "FLOW": "mL/h"}
    assert table.attrs["compartments"][1] == "catheter_tip"
    ds = xr.open_dataset(path, engine="h5netcdf", decode_times=False)
    # Every observation is the file's concentration at that site and time.
    obs = table[table.EVID == 0]
    assert len(obs) == ds.sizes["drug"] * ds.sizes["site"] * ds.sizes["time"]
    site_of = {n: s for n, s in table.attrs["compartments"].items()}
    sample = obs.iloc[:: max(1, len(obs) // 500)]
    for _, row in sample.iterrows():
        expected = ds["concentration"].sel(drug=row.DRUG, site=site_of[row.CMT]).sel(time=row.TIME)
        assert row.DV == float(expected)
    # Doses add up to what the file says was delivered, ADDL repeats included.
    doses = table[table.EVID == 1]
    end = float(ds["time"].values[-1])
    for drug in ds["drug"].values:
        d = doses[doses.DRUG == drug]
        total = 0.0
        for _, row in d.iterrows():
            for k in range(int(row.ADDL) + 1):
                start = row.TIME + k * row.II
                if start > end:
                    break
                length = row.AMT / row.RATE if row.RATE > 0 else 0.0
                total += row.AMT if length == 0.0 else row.RATE * min(length, end - start)
        np.testing.assert_allclose(total, float(ds["delivered"].sel(drug=drug).values[-1]), rtol=1e-9)
    # The repeated daily program folds into II/ADDL records.
    assert (doses.ADDL > 0).any() and set(doses[doses.ADDL > 0].II) <= {24.0}
