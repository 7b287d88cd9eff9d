"""Result files as labelled arrays (xarray) and summary tables (pandas).

A result file written by ``csfpk run`` (or a sweep) is a NetCDF-4 style HDF5 file; :func:`open`
returns it as an :class:`xarray.Dataset` with time in hours, ``drug``/``site`` labels and, for 1D
runs, ``position`` (cm from the sacral end), vertebral ``level`` labels and cord ``segment``\\ s.
:func:`summaries` condenses it to one row per (run, drug).
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .errors import RunFailure

__all__ = [
    "LEVELS", "open", "summaries", "combine_runs", "is_sweep", "is_1d", "level_position",
    "nearest_level", "at_level", "events", "scenario_name", "select_run", "safety_flags",
    "run_status", "sobol_indices", "has_sobol",
]

# Vertebral levels from the head down, as csfpk labels them.
LEVELS = ([f"C{i}" for i in range(1, 8)] + [f"T{i}" for i in range(1, 13)]
          + [f"L{i}" for i in range(1, 6)] + [f"S{i}" for i in range(1, 6)])

# Event kinds that a reader must not miss, in the order a report lists them.
SAFETY_EVENTS = {
    "reservoir_empty": "reservoir ran empty: delivery stopped until the next refill",
    "catheter_fault": "catheter fault (occlusion or disconnection)",
    "bolus_denied": "patient bolus requests denied",
    "reservoir_low": "low-reservoir alarm",
}

_SEP = "_"


# ------------------------------------------------------------------------------------ opening

def open(path, *, load: bool = False) -> xr.Dataset:  # noqa: A001 - mirrors xarray.open_dataset
    """Open a csfpk result file as an :class:`xarray.Dataset`.

    Time stays in hours since the scenario start (float: the file's CF units "hours since
    2000-01-01", a nominal date, are not decoded to datetimes); every variable keeps its ``units`` and
    ``long_name`` attributes. Added on top of the file's own content:

    * ``level_position(level)`` becomes a coordinate, and ``nearest_level(position)`` labels every
      cell of a 1D run with its vertebral level;
    * sweep factors ``factor_<name>(run)`` become coordinates along ``run``, and an integer
      ``status(run)`` with CF ``flag_values``/``flag_meanings`` is decoded to labels;
    * the ``ds.csfpk`` accessor (``ds.csfpk.at_level("T10")``, ``ds.csfpk.events()``, ...).

    ``load=True`` reads everything into memory and closes the file (the default keeps it open and
    reads lazily, which suits large sweeps).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such result file")
    try:
        ds = xr.open_dataset(path, engine="h5netcdf", decode_times=False,
                             decode_timedelta=False)
    except OSError as error:
        raise OSError(f"{path}: not a csfpk result file ({error})") from error
    if load:
        ds.load()
        ds.close()
    return label(ds)


def from_image(data: bytes) -> xr.Dataset:
    """The Dataset of a result file given as its bytes (csfpk._core writes runs in memory).

    The same as ``open(path, load=True)`` on a file holding ``data``.
    """
    with io.BytesIO(data) as buffer:
        ds = xr.open_dataset(buffer, engine="h5netcdf", decode_times=False,
                             decode_timedelta=False)
        ds.load()
        ds.close()
    return label(ds)


def label(ds: xr.Dataset) -> xr.Dataset:
    """Add csfpk's derived labels to a Dataset (what :func:`open` does after reading)."""
    if "level_position" in ds.data_vars and "level" in ds["level_position"].dims:
        ds = ds.set_coords("level_position")
    if "position" in ds.dims and "level_position" in ds.variables and "level" in ds.dims:
        positions = np.asarray(ds["position"].values, dtype=float)
        level_pos = np.asarray(ds["level_position"].values, dtype=float)
        names = [str(v) for v in ds["level"].values]
        if len(names):
            nearest = [names[int(np.argmin(np.abs(level_pos - p)))] for p in positions]
            ds = ds.assign_coords(nearest_level=("position", np.array(nearest, dtype=object),
                                                 {"long_name": "nearest vertebral level"}))
    factors = [name for name in ds.data_vars if name.startswith("factor_")]
    if factors:
        ds = ds.set_coords(factors)
    if "status" in ds.variables and np.issubdtype(ds["status"].dtype, np.integer):
        status = ds["status"]
        meanings = str(status.attrs.get("flag_meanings", "")).split()
        values = np.atleast_1d(status.attrs.get("flag_values", np.arange(len(meanings))))
        lookup = {int(v): m for v, m in zip(values, meanings)}
        labels = np.vectorize(lambda v: lookup.get(int(v), f"status {int(v)}"), otypes=[object])(
            status.values) if status.size else status.values.astype(object)
        ds = ds.assign(status_code=status)
        ds["status"] = (status.dims, labels, {"long_name": status.attrs.get("long_name", "run status")})
    return ds


def _as_dataset(source) -> xr.Dataset:
    if isinstance(source, xr.Dataset):
        return source
    if isinstance(source, (list, tuple)):
        return combine_runs(source)
    return open(source)


# ------------------------------------------------------------------------------- what it holds

def is_sweep(ds: xr.Dataset) -> bool:
    """True when the Dataset holds several runs (a ``run`` dimension)."""
    return "run" in ds.dims


def is_1d(ds: xr.Dataset) -> bool:
    """True when the Dataset has the 1D spinal model's CSF profile along ``position``."""
    return "csf_concentration" in ds.data_vars and "position" in ds.dims


def select_run(ds: xr.Dataset, run: int | None = None) -> xr.Dataset:
    """One run of a sweep (``run`` is the position along the ``run`` dimension); a single-run
    Dataset is returned unchanged."""
    if not is_sweep(ds):
        if run not in (None, 0):
            raise ValueError(f"run={run}: this result holds a single run")
        return ds
    n = ds.sizes["run"]
    run = 0 if run is None else int(run)
    if not -n <= run < n:
        raise ValueError(f"run={run}: the sweep has runs 0…{n - 1}")
    one = ds.isel(run=run)
    if "event_kind" in one.variables and "event" in one["event_kind"].dims:
        kinds = one["event_kind"].values
        keep = np.array([isinstance(k, str) and k != "" for k in kinds], dtype=bool)
        one = one.isel(event=np.flatnonzero(keep))
    return one


def scenario_name(ds: xr.Dataset) -> str:
    """The ``name:`` of the sweep or scenario (from the provenance text), else its file name."""
    for key in ("sweep_text", "scenario", "base_scenario_text"):
        match = re.search(r"^name:\s*(.+?)\s*$", str(ds.attrs.get(key, "")), flags=re.MULTILINE)
        if match:
            return match.group(1).strip().strip("'\"")
    for key in ("sweep_file", "scenario_file", "base_scenario_file"):
        file = str(ds.attrs.get(key, ""))
        if file:
            return os.path.splitext(os.path.basename(file))[0]
    return "csfpk result"


def _require_levels(ds: xr.Dataset):
    if "level" not in ds.dims or "level_position" not in ds.variables:
        raise ValueError(
            "this result has no vertebral levels (variables 'level' and 'level_position' are "
            "written by the 1D spinal model); a compartmental result has sites instead: "
            f"{', '.join(map(str, ds['site'].values)) if 'site' in ds.variables else 'none'}")


def level_position(ds: xr.Dataset, level: str) -> float:
    """Position (cm from the sacral end) of a vertebral level label such as ``"T10"``."""
    _require_levels(ds)
    names = [str(v) for v in ds["level"].values]
    if level not in names:
        raise ValueError(f"no vertebral level {level!r} in this result; it has {names[0]}…{names[-1]}")
    return float(ds["level_position"].values[names.index(level)])


def nearest_level(ds: xr.Dataset, position_cm: float) -> str:
    """The vertebral level label closest to ``position_cm`` (cm from the sacral end)."""
    _require_levels(ds)
    positions = np.asarray(ds["level_position"].values, dtype=float)
    return str(ds["level"].values[int(np.argmin(np.abs(positions - float(position_cm))))])


def _interp_position(da: xr.DataArray, position_cm: float) -> xr.DataArray:
    """Linear interpolation along ``position`` (clamped to the end cells), without scipy."""
    x = np.asarray(da["position"].values, dtype=float)
    p = float(np.clip(position_cm, x[0], x[-1]))
    i = int(np.clip(np.searchsorted(x, p) - 1, 0, len(x) - 2)) if len(x) > 1 else 0
    if len(x) == 1:
        return da.isel(position=0, drop=True)
    w = (p - x[i]) / (x[i + 1] - x[i])
    out = (1 - w) * da.isel(position=i, drop=True) + w * da.isel(position=i + 1, drop=True)
    out.attrs = dict(da.attrs)
    return out


def at_level(ds: xr.Dataset, level: str, variable: str = "csf_concentration") -> xr.DataArray:
    """``variable`` (default the CSF concentration of a 1D run) at a vertebral level, interpolated
    linearly between cell centres. Dimensions: those of ``variable`` without ``position``."""
    if variable not in ds.variables or "position" not in ds[variable].dims:
        raise ValueError(
            f"at_level needs '{variable}' along 'position' (the 1D spinal model's CSF profile); "
            "this result does not have it")
    out = _interp_position(ds[variable], level_position(ds, level))
    return out.assign_coords(level=level)


def events(ds: xr.Dataset, run: int | None = None) -> pd.DataFrame:
    """The pump and delivery events as a table: ``time_h``, ``kind``, ``detail``."""
    one = select_run(ds, run)
    if "event_time" not in one.variables:
        return pd.DataFrame({"time_h": [], "kind": [], "detail": []})
    times = np.asarray(one["event_time"].values, dtype=float)
    kinds = [k if isinstance(k, str) else "" for k in one["event_kind"].values]
    details = [d if isinstance(d, str) else "" for d in one["event_detail"].values] \
        if "event_detail" in one.variables else [""] * len(kinds)
    keep = [i for i, k in enumerate(kinds) if k]
    return pd.DataFrame({"time_h": times[keep] if keep else np.zeros(0),
                         "kind": pd.Series([kinds[i] for i in keep], dtype=object),
                         "detail": pd.Series([details[i] for i in keep], dtype=object)})


def warnings_of(ds: xr.Dataset) -> list[str]:
    """The run's warnings (e.g. consensus maxima exceeded), one per entry."""
    return [w.strip() for w in str(ds.attrs.get("warnings", "")).splitlines() if w.strip()]


def safety_flags(ds: xr.Dataset, mass_balance_tolerance: float = 1e-6) -> list[dict]:
    """Things a reader must see first: failed runs, empty reservoir, catheter faults, denied
    boluses, alarms, consensus-maximum warnings, poor mass balance. Each flag is a dict with
    ``severity`` (``"error"``, ``"warning"``, ``"note"``), ``what`` and ``detail``."""
    flags = []
    if is_sweep(ds):
        status = run_status(ds)
        failed = [i for i, s in enumerate(status) if s not in ("ok", "not run")]
        if failed:
            flags.append({"severity": "error", "what": f"{len(failed)} of {len(status)} runs failed",
                          "detail": "; ".join(f"run {i}: {status[i]}" for i in failed[:10])
                          + (" …" if len(failed) > 10 else "")})
        missing = status.count("not run")
        if missing:
            flags.append({"severity": "warning", "what": f"{missing} of {len(status)} runs not run yet",
                          "detail": "the sweep was interrupted; `csfpk sweep --resume` completes it"})
        runs = range(ds.sizes["run"]) if "event_kind" in ds.variables else []
    else:
        status = str(ds.attrs.get("status", "ok"))
        if status != "ok":
            flags.append({"severity": "error", "what": "the run did not finish", "detail": status})
        runs = [None]
    counts = {kind: [] for kind in SAFETY_EVENTS}
    for run in runs:
        table = events(ds, run)
        for kind in SAFETY_EVENTS:
            times = table.loc[table["kind"] == kind, "time_h"].to_numpy()
            counts[kind].extend((run, t) for t in times)
    severity = {"reservoir_empty": "error", "catheter_fault": "error", "bolus_denied": "warning",
                "reservoir_low": "warning"}
    for kind, hits in counts.items():
        if not hits:
            continue
        where = ", ".join(_format_time(t) + (f" (run {r})" if r is not None else "") for r, t in hits[:8])
        flags.append({"severity": severity[kind], "what": f"{SAFETY_EVENTS[kind]}: {len(hits)}×",
                      "detail": "at " + where + (" …" if len(hits) > 8 else "")})
    for w in warnings_of(ds):
        flags.append({"severity": "warning", "what": "consensus maximum exceeded"
                      if "consensus" in w else "warning", "detail": w})
    if "mass_balance_relative_error" in ds.variables:
        worst = float(np.nanmax(ds["mass_balance_relative_error"].values)) \
            if ds["mass_balance_relative_error"].size else 0.0
        if worst > mass_balance_tolerance:
            flags.append({"severity": "warning", "what": "mass balance not closed",
                          "detail": f"largest relative error {worst:.2g} (tolerance {mass_balance_tolerance:g})"})
    return flags


def _format_time(t_h: float) -> str:
    day, hours = divmod(float(t_h), 24.0)
    hh, mm = divmod(round(hours * 60), 60)
    if hh == 24:
        day, hh = day + 1, 0
    return f"day {int(day)} {int(hh):02d}:{int(mm):02d}"


# -------------------------------------------------------------------------------- summaries

def _time_mean(da: xr.DataArray) -> xr.DataArray:
    t = np.asarray(da["time"].values, dtype=float)
    if t.size < 2 or t[-1] <= t[0]:
        return da.isel(time=0, drop=True)
    return da.integrate("time") / (t[-1] - t[0])


def _nanmax(da: xr.DataArray, dim: str) -> xr.DataArray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return da.max(dim, skipna=False)


def _unit_slug(units) -> str:
    """'ug/mL' → 'ug_per_mL', 'ug h/mL' → 'ug_h_per_mL', '1' or none → ''."""
    units = str(units or "").strip()
    if units in ("", "1"):
        return ""
    return re.sub(r"[^A-Za-z0-9_]", "", units.replace("/", "_per_").replace(" ", "_"))


def _column(*parts) -> str:
    return "_".join(str(p) for p in parts if str(p))


# File summary variables with a fixed column name pattern (the names summaries() computes itself
# when the file has the time series instead): variable → (label dimension, column kind).
_FILE_SUMMARIES = {"peak": ("site", "peak"), "mean": ("site", "mean"),
                   "level_peak": ("level", "peak"), "level_mean": ("level", "mean")}


def summaries(source) -> pd.DataFrame:
    """One row per (run, drug): what a run delivered and what it achieved.

    ``source`` is a result file path, a Dataset (from :func:`open`, :func:`csfpk.run_scenario` or
    :func:`combine_runs`) or a list from :func:`csfpk.run_batch`. Columns:

    * ``run``, ``drug``, ``status`` (``"ok"`` or why not), sweep factors ``factor_<name>``;
    * ``delivered_ug``, ``in_body_ug``, ``eliminated_ug`` at the end of the run, and
      ``mass_balance_relative_error``;
    * ``<site>_peak_ug_per_mL`` and ``<site>_mean_ug_per_mL`` (time average) for every site and,
      for 1D runs, every vertebral level (``T10_peak_ug_per_mL``). The file's own summaries
      (``peak``, ``mean``, ``level_peak``, ``level_mean``, as csfpk computes them) are used where
      present; otherwise they are computed from the time series (trapezoidal time average,
      linear interpolation between cell centres for levels);
    * every other per-run summary the file carries, named ``[<label>_]<variable>[_<units>]``:
      ``lumbar_auc_ug_h_per_mL``, ``cranial_auc_ug_h_per_mL``, ``spread_cm``,
      ``tip_peak_ug_per_mL``, ``C5_dermatome_coverage`` …;
    * ``n_<kind>`` counts of safety-relevant events (empty reservoir, catheter fault, denied
      bolus, low-reservoir alarm) and ``warnings`` (single runs).

    Failed runs have NaN figures.
    """
    ds = _as_dataset(source)
    sweep = is_sweep(ds)
    if not sweep:
        ds = ds.expand_dims(run=[0])
    if "drug" not in ds.dims:
        raise ValueError("summaries: this result has no 'drug' dimension")
    runs = np.asarray(ds["run"].values)
    drugs = [str(d) for d in ds["drug"].values]
    template = xr.DataArray(np.zeros((len(runs), len(drugs))), dims=("run", "drug"),
                            coords={"run": ds["run"].values, "drug": ds["drug"].values})
    columns: dict[str, np.ndarray] = {}

    def put(name: str, da):
        if not isinstance(da, xr.DataArray):
            da = xr.DataArray(da)
        da = da.drop_vars([c for c in da.coords if c not in ("run", "drug")])
        full = xr.broadcast(da, template)[0].transpose("run", "drug")
        columns[name] = full.values.ravel()

    columns["run"] = np.repeat(runs, len(drugs))
    columns["drug"] = np.tile(np.array(drugs, dtype=object), len(runs))
    put("status", _run_status(ds))
    for name in ds.variables:
        if str(name).startswith("factor_") and ds[name].dims == ("run",):
            put(name, ds[name])
    used = {"status", "status_code", "done", "run", "event_time", "event_kind", "event_detail",
            "level_position", "cell_face"}
    for name in ("delivered", "in_body", "eliminated"):
        if name in ds.data_vars and "time" in ds[name].dims:
            put(f"{name}_ug", ds[name].isel(time=-1, drop=True))
            used.add(name)
    if "mass_balance_relative_error" in ds.data_vars:
        put("mass_balance_relative_error", ds["mass_balance_relative_error"])
        used.add("mass_balance_relative_error")
    # Peak and time-averaged concentration per site and level: computed from the time series ...
    if "concentration" in ds.data_vars and "time" in ds["concentration"].dims:
        conc = ds["concentration"]
        peak, mean = _nanmax(conc, "time"), _time_mean(conc)
        for site in conc["site"].values:
            put(f"{site}_peak_ug_per_mL", peak.sel(site=site, drop=True))
            put(f"{site}_mean_ug_per_mL", mean.sel(site=site, drop=True))
        used.add("concentration")
    if is_1d(ds) and "level" in ds.dims and "time" in ds["csf_concentration"].dims:
        for level in ds["level"].values:
            curve = _interp_position(ds["csf_concentration"], float(ds["level_position"].sel(level=level)))
            put(f"{level}_peak_ug_per_mL", _nanmax(curve, "time"))
            put(f"{level}_mean_ug_per_mL", _time_mean(curve))
    used.add("csf_concentration")
    used.add("tissue_concentration")
    # ... and replaced by the file's own figures where it has them (csfpk's definitions).
    for name, (dim, kind) in _FILE_SUMMARIES.items():
        if name in ds.data_vars and dim in ds[name].dims and "time" not in ds[name].dims:
            for label_value in ds[dim].values:
                put(f"{label_value}_{kind}_ug_per_mL", ds[name].sel({dim: label_value}, drop=True))
            used.add(name)
    # Safety-relevant event counts, per run.
    if "event_kind" in ds.variables:
        kinds = ds["event_kind"]
        for kind in SAFETY_EVENTS:
            hits = xr.apply_ufunc(np.vectorize(lambda k, kind=kind: k == kind, otypes=[bool]), kinds) \
                if kinds.size else xr.zeros_like(kinds, dtype=bool)
            put(f"n_{kind}", hits.sum("event").astype(int) if "event" in hits.dims else hits)
    # Every further per-run / per-drug summary the file carries.
    for name, var in ds.data_vars.items():
        name = str(name)
        if name in used or name.startswith("factor_") or "time" in var.dims or "position" in var.dims:
            continue
        if not np.issubdtype(var.dtype, np.number):
            continue
        slug = _unit_slug(var.attrs.get("units"))
        extra = [d for d in var.dims if d not in ("run", "drug")]
        if not extra:
            put(_column(name, slug), var)
        elif len(extra) == 1 and extra[0] in ds.coords and var.sizes[extra[0]] <= 64:
            for label_value in var[extra[0]].values:
                put(_column(label_value, name, slug), var.sel({extra[0]: label_value}, drop=True))
    text = "; ".join(warnings_of(ds)) if not sweep else ""
    columns["warnings"] = np.repeat(np.array([text], dtype=object), len(runs) * len(drugs))
    frame = pd.DataFrame(columns)
    for name in frame.columns:
        if name.startswith("n_"):
            frame[name] = frame[name].astype(int)
    return frame


def _run_status(ds: xr.Dataset) -> xr.DataArray:
    """Per-run status labels: the file's ``status(run)``; ``"not run"`` where a sweep's
    ``done(run)`` flag is 0 and no status was written; the single run's ``status`` attribute."""
    if "status" in ds.variables and "run" in ds["status"].dims:
        status = np.array([(v.decode("utf-8", "replace") if isinstance(v, bytes) else v).strip("\x00 ")
                           if isinstance(v, (str, bytes)) else "" for v in ds["status"].values], dtype=object)
        if "done" in ds.variables and ds["done"].dims == ("run",):
            done = np.asarray(ds["done"].values) != 0
            status = np.where(~done & (status == ""), "not run", status)
        status = np.where(status == "", "unknown", status)
        return xr.DataArray(status.astype(object), dims=("run",), coords={"run": ds["run"].values})
    return xr.DataArray(np.array(str(ds.attrs.get("status", "ok")), dtype=object))


def run_status(ds: xr.Dataset) -> list[str]:
    """Status of every run (one entry for a single run): ``"ok"`` or why not."""
    if not is_sweep(ds):
        return [str(ds.attrs.get("status", "ok"))]
    return [str(v) for v in _run_status(ds).values]


# ----------------------------------------------------------------------------- Sobol indices

def has_sobol(ds: xr.Dataset) -> bool:
    """True for a sweep with a Saltelli (``design: sobol``) layout, whose runs give Sobol
    indices for any summary (:func:`sobol_indices`)."""
    return is_sweep(ds) and str(ds.attrs.get("design", "")) == "sobol" \
        and "sobol_base_samples" in ds.attrs and bool(str(ds.attrs.get("factors", "")))


def sobol_indices(ds: xr.Dataset, summary: str = "auc", drug=None, label=None, *,
                  bootstrap: int = 500, confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices of one per-run summary of a Saltelli sweep, with
    percentile-bootstrap intervals: a table with one row per factor (``factor``, ``S1``,
    ``S1_low``, ``S1_high``, ``ST``, ``ST_low``, ``ST_high``).

    ``summary`` names a per-run variable of the file (``auc``, ``peak``, ``mean``,
    ``cranial_auc``, ``level_mean`` …); ``drug`` and ``label`` (a site, level or segment) pick one
    value per run (default: the first). The estimators are those of ``csfpk sobol`` (first order:
    Saltelli 2010, total: Jansen 1999, both centred on the mean of f_A ∪ f_B), so the indices
    agree with it; the bootstrap draws differ, so the intervals agree only statistically. Base
    samples with a failed or missing run are left out, as there.
    """
    if not has_sobol(ds):
        raise ValueError("Sobol indices need a sweep with design type sobol (Saltelli's N x (k+2) "
                         "runs); this result is " + (f"a {ds.attrs.get('design', 'plain')} sweep"
                                                       if is_sweep(ds) else "a single run"))
    if summary not in ds.data_vars or ds[summary].dims[:1] != ("run",):
        per_run = [str(n) for n, v in ds.data_vars.items() if v.dims[:1] == ("run",) and "time" not in v.dims
                   and np.issubdtype(v.dtype, np.number) and not str(n).startswith("factor_") and n != "done"]
        raise ValueError(f"no per-run summary {summary!r} in this sweep; it has {', '.join(per_run)}")
    var = ds[summary]
    selection = {}
    if "drug" in var.dims:
        selection["drug"] = _pick_label(ds, "drug", drug)
    for dim in [d for d in var.dims if d not in ("run", "drug")]:
        selection[dim] = _pick_label(ds, dim, label)
    values = np.asarray(var.sel(selection).values, dtype=float)
    factors = [f for f in str(ds.attrs["factors"]).split(",") if f]
    k, n = len(factors), int(np.asarray(ds.attrs["sobol_base_samples"]).item())
    status = np.array(run_status(ds), dtype=object)
    ok = (status == "ok") & np.isfinite(values)
    blocks = values[: n * (k + 2)].reshape(n, k + 2) if values.size >= n * (k + 2) else None
    if blocks is None:
        raise ValueError(f"the sweep has {values.size} runs, fewer than its layout's {n} x {k + 2}")
    usable = ok[: n * (k + 2)].reshape(n, k + 2).all(axis=1)
    f = blocks[usable]
    if len(f) < 2:
        raise ValueError(f"fewer than two complete base samples ({n - len(f)} of {n} lack a finished, finite run)")
    f_a, f_b, f_ab = f[:, 0], f[:, 1], f[:, 2:]

    def estimate(rows):
        a, b, ab = f_a[rows], f_b[rows], f_ab[rows]
        mean = (a.sum() + b.sum()) / (2 * len(rows))
        variance = (((a - mean) ** 2).sum() + ((b - mean) ** 2).sum()) / (2 * len(rows) - 1)
        first = ((b - mean)[:, None] * (ab - a[:, None])).mean(axis=0) / variance
        total = ((a[:, None] - ab) ** 2).mean(axis=0) / (2 * variance)
        return first, total, variance

    rows = np.arange(len(f))
    first, total, variance = estimate(rows)
    if not variance > 0:
        raise ValueError(f"{summary} does not vary over the sweep (zero variance), so it has no Sobol indices")
    rng = np.random.default_rng(seed)
    draws = [estimate(rng.integers(0, len(f), len(f))) for _ in range(int(bootstrap))]
    draws = [(a, b) for a, b, v in draws if v > 0]
    tail = 0.5 * (1 - confidence)
    if draws:
        firsts, totals = np.array([d[0] for d in draws]), np.array([d[1] for d in draws])
        s1_low, s1_high = np.percentile(firsts, [100 * tail, 100 * (1 - tail)], axis=0)
        st_low, st_high = np.percentile(totals, [100 * tail, 100 * (1 - tail)], axis=0)
    else:
        s1_low = s1_high = first
        st_low = st_high = total
    table = pd.DataFrame({"factor": factors, "S1": first, "S1_low": s1_low, "S1_high": s1_high,
                          "ST": total, "ST_low": st_low, "ST_high": st_high})
    what = ", ".join([summary] + [f"{v}" for v in selection.values()])
    table.attrs.update({"output": what, "base_samples": len(f), "dropped": n - len(f),
                        "confidence": confidence})
    return table


def _pick_label(ds, dim, wanted):
    labels = [str(v) for v in ds[dim].values] if dim in ds.coords else list(range(ds.sizes[dim]))
    if wanted is None:
        return ds[dim].values[0] if dim in ds.coords else 0
    if str(wanted) not in map(str, labels):
        raise ValueError(f"no {dim} {wanted!r} in this sweep; it has {', '.join(map(str, labels))}")
    return wanted


# ------------------------------------------------------------------------- several runs → one

def combine_runs(results: Sequence, factors: dict | None = None) -> xr.Dataset:
    """Stack runs (Datasets and :class:`csfpk.RunFailure`\\ s, e.g. from :func:`csfpk.run_batch`)
    along a new ``run`` dimension, in the layout of a sweep file: ``status(run)`` is ``"ok"`` or
    the error, failed runs are NaN-filled, and ``factors`` (name → one value per run) become
    ``factor_<name>(run)`` coordinates. Runs must share drugs, sites and output times."""
    results = list(results)
    if not results:
        raise ValueError("combine_runs: no runs given")
    ok = [r for r in results if isinstance(r, xr.Dataset)]
    if not ok:
        raise ValueError("combine_runs: every run failed: " + "; ".join(map(repr, results[:3])))
    first = select_run(ok[0]) if is_sweep(ok[0]) else ok[0]
    placeholder = None
    members, status = [], []
    for r in results:
        if isinstance(r, xr.Dataset):
            if is_sweep(r):
                raise ValueError("combine_runs: expected single runs, got a sweep")
            members.append(r)
            status.append(str(r.attrs.get("status", "ok")))
        elif isinstance(r, RunFailure):
            if placeholder is None:
                placeholder = _failed_like(first)
            members.append(placeholder)
            status.append(f"{r.error_type}: {r.message}")
        else:
            raise TypeError(f"combine_runs: expected Datasets or RunFailure, got {type(r).__name__}")
    # Events differ in number between runs: align them on the event index.
    combined = xr.concat(members, dim="run", data_vars="all", coords="minimal", join="outer",
                         compat="override", combine_attrs="drop_conflicts", fill_value=np.nan)
    for name in ("event_kind", "event_detail"):
        if name in combined.variables:
            values = combined[name].values
            combined[name] = (combined[name].dims,
                              np.vectorize(lambda v: v if isinstance(v, str) else "", otypes=[object])(values)
                              if values.size else values.astype(object), combined[name].attrs)
    # Per-run variables that are the same for every run but only exist once in a single file.
    combined = combined.assign_coords(run=("run", np.arange(len(members)),
                                           {"long_name": "run index", "standard_name": "realization"}))
    combined["status"] = ("run", np.array(status, dtype=object), {"long_name": "run status"})
    for name, values in (factors or {}).items():
        values = np.asarray(values)
        if values.shape != (len(members),):
            raise ValueError(f"combine_runs: factor {name!r} has {values.size} values for {len(members)} runs")
        combined = combined.assign_coords({f"factor_{name}": ("run", values)})
    for key in ("created", "command_line"):
        combined.attrs.pop(key, None)
    if "scenario" not in combined.attrs and "scenario" in first.attrs:
        # Runs that differ by overrides have different texts: keep run 0's, and say so.
        combined.attrs["scenario"] = first.attrs["scenario"]
        combined.attrs["scenario_note"] = ("the scenario text of the first run that finished; the "
                                           "runs differ by their overrides (factor_* variables)")
    combined.attrs["status"] = "ok" if all(s == "ok" for s in status) else "some runs failed"
    return label(combined)


def _failed_like(template: xr.Dataset) -> xr.Dataset:
    failed = template.copy(deep=True)
    if "event" in failed.dims:
        failed = failed.isel(event=slice(0, 0))
    for name, var in failed.data_vars.items():
        if np.issubdtype(var.dtype, np.floating):
            failed[name] = var.copy(data=np.full(var.shape, np.nan))
    failed.attrs["status"] = "failed"
    return failed


# ------------------------------------------------------------------------------------ accessor

@xr.register_dataset_accessor("csfpk")
class CsfpkAccessor:
    """``ds.csfpk``: csfpk helpers on any Dataset opened by :func:`csfpk.open`."""

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    @property
    def is_sweep(self) -> bool:
        return is_sweep(self._ds)

    @property
    def is_1d(self) -> bool:
        return is_1d(self._ds)

    @property
    def scenario_name(self) -> str:
        return scenario_name(self._ds)

    @property
    def days(self) -> xr.DataArray:
        """Time in days."""
        out = self._ds["time"] / 24.0
        out.attrs = {"units": "day", "long_name": "time since start of simulation"}
        return out

    def level_position(self, level: str) -> float:
        return level_position(self._ds, level)

    def nearest_level(self, position_cm: float) -> str:
        return nearest_level(self._ds, position_cm)

    def at_level(self, level: str, variable: str = "csf_concentration") -> xr.DataArray:
        return at_level(self._ds, level, variable)

    def events(self, run: int | None = None) -> pd.DataFrame:
        return events(self._ds, run)

    def run(self, run: int) -> xr.Dataset:
        return select_run(self._ds, run)

    def summaries(self) -> pd.DataFrame:
        return summaries(self._ds)

    def safety_flags(self) -> list[dict]:
        return safety_flags(self._ds)
