"""Synthetic result files in the layouts csfpk will write next (1D spinal model, sweeps), built
with xarray + h5netcdf, so the Python package can be tested against them before the C++ writers
exist. The numbers are smooth and plausible, not physics.

    /usr/bin/python3 synthetic.py OUT_DIR     writes one_d.h5 and sweep.h5 there
"""

from __future__ import annotations

import sys

import numpy as np
import xarray as xr

LEVELS_CAUDAL_TO_CRANIAL = ([f"S{i}" for i in range(5, 0, -1)] + [f"L{i}" for i in range(5, 0, -1)]
                            + [f"T{i}" for i in range(12, 0, -1)] + [f"C{i}" for i in range(7, 0, -1)])
SEGMENTS = ([f"C{i}" for i in range(2, 9)] + [f"T{i}" for i in range(1, 13)]
            + [f"L{i}" for i in range(1, 6)] + [f"S{i}" for i in range(1, 6)])
LANDMARKS = {"C6": "thumb", "T4": "nipple", "T10": "umbilicus", "L1": "inguinal ligament",
             "L4": "medial malleolus", "S1": "lateral foot"}

SCENARIO_1D = """# synthetic 1D result for the Python tests
name: synthetic 1D morphine + clonidine
description: continuous infusion at T10 with two patient boluses a day
duration: 2 day
model:
  type: spinal_1d
pump:
  reservoir: {capacity: 20 mL, volume: 20 mL, blend: {morphine: 10 mg/mL, clonidine: 200 ug/mL}}
  basal: 0.3 mL/day
catheter:
  tip: T10
"""


def _str(values):
    return np.array(list(values), dtype=object)


def one_d_dataset() -> xr.Dataset:
    time = np.arange(0.0, 48.0 + 1e-9, 0.5)
    position = np.arange(0.5, 60.0, 1.0)
    faces = np.arange(0.0, 60.5, 1.0)
    level_position = np.linspace(1.0, 58.5, len(LEVELS_CAUDAL_TO_CRANIAL))
    level_of = dict(zip(LEVELS_CAUDAL_TO_CRANIAL, level_position))
    tip = level_of["T10"]
    segment_position = np.array([level_of.get(s if s != "C8" else "C7", 30.0) for s in SEGMENTS])
    segment_position = np.clip(segment_position + 3.0, 0, 60)  # cord segments sit above their vertebrae
    drugs = ["clonidine", "morphine"]
    strength = {"morphine": 20.0, "clonidine": 0.4}  # µg/mL near the tip at steady state
    effective = {"morphine": 1.0, "clonidine": 0.02}
    rise = 1.0 - np.exp(-time / 4.0)
    bolus = sum(np.where(time >= tb, np.exp(-(time - tb) / 1.5), 0.0) for tb in (9.0, 21.0, 33.0, 45.0))
    csf = np.empty((len(drugs), len(position), len(time)))
    tissue = np.empty((len(drugs), len(SEGMENTS), len(time)))
    for d, drug in enumerate(drugs):
        length = np.where(position[:, None] >= tip, 9.0, 4.0) * (1.0 + 0.15 * bolus[None, :])
        shape = np.exp(-np.abs(position[:, None] - tip) / length)
        csf[d] = strength[drug] * shape * (rise + 0.6 * bolus)[None, :]
        s_len = np.where(segment_position[:, None] >= tip, 9.0, 4.0)
        tissue[d] = 0.3 * strength[drug] * np.exp(-np.abs(segment_position[:, None] - tip) / s_len) \
            * (1 - np.exp(-time / 8.0))[None, :]
    coverage = (tissue / 0.3 >= np.array([effective[d] for d in drugs])[:, None, None]).mean(axis=2)
    pool = csf[:, -1, :] * 0.5
    plasma = 1e-4 * np.array([strength[d] for d in drugs])[:, None] * rise[None, :]
    concentration = np.stack([pool, plasma], axis=1)
    rate = np.array([60.0, 3000.0]) / 24.0  # µg/h: clonidine, morphine
    delivered = rate[:, None] * time[None, :]
    eliminated = delivered * (1 - np.exp(-time / 6.0))[None, :]
    event_time = np.array([9.0, 21.0, 22.0, 33.0, 45.0, 46.0])
    event_kind = ["bolus_given", "bolus_given", "bolus_denied", "bolus_given", "bolus_given", "reservoir_low"]
    event_detail = ["patient bolus 0.02 mL over 10 min"] * 2 + ["lockout"] + \
        ["patient bolus 0.02 mL over 10 min"] * 2 + ["2 mL left"]
    ds = xr.Dataset(
        data_vars={
            "concentration": (("drug", "site", "time"), concentration,
                              {"units": "ug/mL", "long_name": "drug concentration at a site"}),
            "csf_concentration": (("drug", "position", "time"), csf,
                                  {"units": "ug/mL", "long_name": "CSF concentration along the canal"}),
            "tissue_concentration": (("drug", "segment", "time"), tissue,
                                     {"units": "ug/mL", "long_name": "cord tissue concentration"}),
            "dermatome_coverage": (("drug", "segment"), coverage,
                                   {"units": "1", "long_name": "fraction of time above the effective concentration"}),
            "effective_concentration": (("drug",), np.array([effective[d] for d in drugs]),
                                        {"units": "ug/mL", "long_name": "effective concentration"}),
            "level_position": (("level",), level_position, {"units": "cm", "long_name": "vertebral level position"}),
            "cell_face": (("face",), faces, {"units": "cm", "long_name": "cell faces"}),
            "dermatome": (("segment",), _str(LANDMARKS.get(s, "") for s in SEGMENTS),
                          {"long_name": "dermatome landmark"}),
            "delivered": (("drug", "time"), delivered, {"units": "ug", "long_name": "cumulative mass delivered"}),
            "in_body": (("drug", "time"), delivered - eliminated, {"units": "ug", "long_name": "mass in the body"}),
            "eliminated": (("drug", "time"), eliminated, {"units": "ug", "long_name": "cumulative mass eliminated"}),
            "mass_balance_relative_error": (("drug",), np.array([1e-14, 2e-14]),
                                            {"units": "1", "long_name": "mass balance relative error"}),
            "reservoir_volume": (("time",), 20.0 - 0.3 * time / 24.0, {"units": "mL", "long_name": "reservoir volume"}),
            "event_time": (("event",), event_time, {"units": "h", "long_name": "event time"}),
            "event_kind": (("event",), _str(event_kind), {"long_name": "event kind"}),
            "event_detail": (("event",), _str(event_detail), {"long_name": "event detail"}),
        },
        coords={
            "time": ("time", time, {"units": "h", "long_name": "time since start of simulation"}),
            "drug": ("drug", _str(drugs), {"long_name": "drug"}),
            "site": ("site", _str(["cranial_pool", "plasma"]), {"long_name": "sampling site"}),
            "position": ("position", position, {"units": "cm", "long_name": "cell centre from the sacral end"}),
            "level": ("level", _str(LEVELS_CAUDAL_TO_CRANIAL), {"long_name": "vertebral level"}),
            "segment": ("segment", _str(SEGMENTS), {"long_name": "cord segment"}),
            "event": ("event", np.arange(len(event_time)), {"long_name": "event index"}),
        },
        attrs={"title": "synthetic 1D result", "Conventions": "CF-1.8", "csfpk_version": "0.1.0",
               "scenario_file": "synthetic_1d.yaml", "scenario": SCENARIO_1D,
               "command_line": "synthetic.py", "created": "2024-01-01T00:00:00Z", "status": "ok",
               "warnings": "", "catheter_tip_position": float(tip)},
    )
    return ds


SWEEP_TEXT = """# synthetic sweep for the Python tests
name: synthetic population, morphine
base: ../morphine_continuous.yaml
seed: 5
design: {type: monte_carlo, runs: 12}
factors:
  - {name: csf_elimination_rate, path: drugs.morphine.csf_elimination_rate, lognormal: {median: 0.36, sigma: 0.3}}
  - {name: catheter_tip, path: catheter.tip, levels: [T10, T6, L2]}
outputs: {summaries: true, time_series: true}
"""

SITES = ["lumbar", "thoracic", "cervical", "cranial", "plasma"]


def _sweep_attrs(text, design, runs, factors, **extra):
    return {"Conventions": "CF-1.8", "title": "csfpk sweep", "csfpk_version": "0.1.0",
            "command_line": "synthetic.py", "created_utc": "2024-01-01T00:00:00Z",
            "sweep_file": "synthetic_sweep.yaml", "sweep_text": text,
            "base_scenario_file": "../morphine_continuous.yaml",
            "base_scenario_text": "name: morphine continuous, T10 tip\n", "seed": 5, "design": design,
            "runs": runs, "factors": ",".join(factors), **extra}


def _summaries(conc, time):
    """peak, mean, auc over time (NaN for failed runs)."""
    peak = np.max(conc, axis=-1)
    auc = np.trapz(conc, time, axis=-1)
    return peak, auc / (time[-1] - time[0]), auc


def sweep_dataset(n: int = 12, failed: tuple[int, ...] = (7,), int_status: bool = False,
                  not_run: tuple[int, ...] = ()) -> xr.Dataset:
    """A Monte Carlo sweep with time series, in the layout of csfpk's sweep writer
    (include/csfpk/batch/sweep_file.hpp): status(run) str, done(run), factor_<name>(run),
    peak/mean/auc(run, drug, site), optional concentration(run, drug, site, time)."""
    rng = np.random.default_rng(5)
    time = np.arange(0.0, 72.0 + 1e-9, 1.0)
    drugs = ["morphine"]
    k = 0.36 * rng.lognormal(0.0, 0.3, n)
    tips = np.array(["T10", "T6", "L2"] * (n // 3) + ["T10"] * (n % 3), dtype=object)
    gradient = np.array([1.0, 0.3, 0.08, 0.012, 1e-4])
    conc = np.empty((n, len(drugs), len(SITES), len(time)))
    for r in range(n):
        shift = {"T10": 1.0, "T6": 1.15, "L2": 0.85}[tips[r]]
        level = 2.5 / k[r] * (1 - np.exp(-k[r] * time)) * (1 + 0.2 * np.sin(2 * np.pi * time / 24))
        conc[r, 0] = gradient[:, None] ** (1.0 / shift) * level[None, :]
        conc[r, 0, -1] = gradient[-1] * level * k[r] / 0.36
    delivered = np.broadcast_to(125.0 * time, (n, len(drugs), len(time))).copy()
    mb = np.full((n, len(drugs)), 1e-14)
    reservoir = np.broadcast_to(20.0 - 0.5 * time / 24, (n, len(time))).copy()
    status = np.array(["ok"] * n, dtype=object)
    done = np.ones(n, dtype=np.int8)
    for r in failed:
        conc[r] = np.nan
        delivered[r] = np.nan
        mb[r] = np.nan
        reservoir[r] = np.nan
        status[r] = "solver error: morphine at t = 3.5 h: CVODE failed (synthetic)"
    for r in not_run:
        conc[r] = np.nan
        status[r] = ""
        done[r] = 0
    peak, mean, auc = _summaries(conc, time)
    summary = {"units": "ug/mL"}
    data_vars = {
        "factor_csf_elimination_rate": (("run",), k, {"long_name": "drugs.morphine.csf_elimination_rate"}),
        "factor_catheter_tip": (("run",), tips, {"long_name": "catheter.tip"}),
        "done": (("run",), done, {"long_name": "run finished and flushed", "units": "1"}),
        "peak": (("run", "drug", "site"), peak, {**summary, "long_name": "peak concentration"}),
        "mean": (("run", "drug", "site"), mean, {**summary, "long_name": "time-averaged concentration"}),
        "auc": (("run", "drug", "site"), auc, {"units": "ug h/mL", "long_name": "area under the curve"}),
        "mass_balance_relative_error": (("run", "drug"), mb, {"units": "1", "long_name": "mass balance"}),
        "concentration": (("run", "drug", "site", "time"), conc, {"units": "ug/mL", "long_name": "concentration"}),
        "delivered": (("run", "drug", "time"), delivered, {"units": "ug", "long_name": "delivered"}),
        "reservoir_volume": (("run", "time"), reservoir, {"units": "mL", "long_name": "reservoir volume"}),
    }
    if int_status:  # the CF flag variant some writers use
        codes = np.array([0 if s == "ok" else 1 for s in status], dtype=np.int8)
        data_vars["status"] = (("run",), codes, {"long_name": "run status", "flag_values": np.array([0, 1], dtype=np.int8),
                                                 "flag_meanings": "ok solver_failure"})
    else:
        data_vars["status"] = (("run",), status, {"long_name": "run status"})
    return xr.Dataset(
        data_vars=data_vars,
        coords={
            "run": ("run", np.arange(n), {"long_name": "run index"}),
            "time": ("time", time, {"units": "h", "long_name": "time since start of simulation"}),
            "drug": ("drug", _str(drugs), {"long_name": "drug"}),
            "site": ("site", _str(SITES), {"long_name": "sampling site"}),
        },
        attrs=_sweep_attrs(SWEEP_TEXT, "monte_carlo", n, ["csf_elimination_rate", "catheter_tip"]),
    )


SOBOL_TEXT = """# synthetic Saltelli sweep for the Python tests
name: synthetic Sobol sweep
design: {type: sobol, runs: 1024}
factors:
  - {name: dispersion, path: anatomy.dispersion.scale, uniform: [0, 1]}
  - {name: rate, path: pump.basal, uniform: [0, 1]}
  - {name: noise, path: drugs.morphine.csf_elimination_rate, uniform: [0, 1]}
outputs: {summaries: true}
"""

# auc = 1 + 4 x1 + 2 x2 + 0 x3 with x uniform on [0, 1]: Var = (16 + 4) / 12, so
# S1 = ST = 16/20, 4/20 and 0 for the three factors.
SOBOL_COEFFICIENTS = np.array([4.0, 2.0, 0.0])
SOBOL_ANALYTIC = SOBOL_COEFFICIENTS ** 2 / (SOBOL_COEFFICIENTS ** 2).sum()


def sobol_dataset(base_samples: int = 1024, failed_run: int | None = 5) -> xr.Dataset:
    """A summaries-only Saltelli sweep (run j*(k+2)+r: r = 0 A, 1 B, 2+i A with column i from B)
    of an additive output with known Sobol indices."""
    rng = np.random.default_rng(11)
    k = len(SOBOL_COEFFICIENTS)
    a = rng.uniform(size=(base_samples, k))
    b = rng.uniform(size=(base_samples, k))
    points = []
    for j in range(base_samples):
        points.append(a[j])
        points.append(b[j])
        for i in range(k):
            ab = a[j].copy()
            ab[i] = b[j, i]
            points.append(ab)
    x = np.array(points)
    n = len(x)
    auc = 1.0 + x @ SOBOL_COEFFICIENTS
    sites = ["lumbar", "cranial"]
    values = np.stack([auc, 0.1 * auc], axis=-1)[:, None, :]  # (run, drug, site)
    status = np.array(["ok"] * n, dtype=object)
    if failed_run is not None:
        values[failed_run] = np.nan
        status[failed_run] = "input error: synthetic"
    return xr.Dataset(
        data_vars={
            "factor_dispersion": (("run",), x[:, 0]), "factor_rate": (("run",), x[:, 1]),
            "factor_noise": (("run",), x[:, 2]),
            "status": (("run",), status, {"long_name": "run status"}),
            "done": (("run",), np.ones(n, dtype=np.int8)),
            "auc": (("run", "drug", "site"), values, {"units": "ug h/mL", "long_name": "area under the curve"}),
            "peak": (("run", "drug", "site"), values / 24.0, {"units": "ug/mL", "long_name": "peak"}),
            "mean": (("run", "drug", "site"), values / 48.0, {"units": "ug/mL", "long_name": "mean"}),
            "mass_balance_relative_error": (("run", "drug"), np.full((n, 1), 1e-14), {"units": "1"}),
        },
        coords={"run": ("run", np.arange(n)), "drug": ("drug", _str(["morphine"])),
                "site": ("site", _str(sites))},
        attrs=_sweep_attrs(SOBOL_TEXT, "sobol", n, ["dispersion", "rate", "noise"],
                           sobol_base_samples=base_samples,
                           sobol_layout="Saltelli: base sample j owns runs j*(k+2)+r, r = 0: A, "
                                        "1: B, 2+i: A with factor i from B"),
    )


def write(ds: xr.Dataset, path) -> str:
    ds.to_netcdf(path, engine="h5netcdf")
    return str(path)


if __name__ == "__main__":
    import os
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    print(write(one_d_dataset(), os.path.join(out, "one_d.h5")))
    print(write(sweep_dataset(), os.path.join(out, "sweep.h5")))
    print(write(sobol_dataset(), os.path.join(out, "sobol.h5")))
