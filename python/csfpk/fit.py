"""Fit files written by ``csfpk fit``: open them and draw observed-versus-predicted and residuals.

>>> fit = csfpk.open_fit("nordberg_fit.h5")
>>> fit.estimate.sel(fit="pooled").to_series()
>>> csfpk.plot_fit(fit).savefig("fit.png")
"""
from __future__ import annotations

import os

import numpy as np
import xarray as xr

from .plots import _plt, _styled


def open_fit(path) -> xr.Dataset:
    """Open a fit file as an :class:`xarray.Dataset`.

    Dimensions: ``parameter`` (and ``parameter_b`` for the covariance and correlation, which are
    of the fitted scale: log of the parameter where ``log_scale`` is 1), ``fit`` (``pooled`` or
    one per subject), ``subset`` (collinearity indices) and ``observation`` (``time`` in hours,
    ``observed``/``predicted`` in ug/mL, ``standardized_residual``, ``observation_fit``).
    Provenance (scenario text, data file and its SHA-256, command) is in ``attrs``.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such fit file")
    ds = xr.open_dataset(path, engine="h5netcdf", decode_times=False, decode_timedelta=False)
    if "estimate" not in ds or "observation" not in ds.dims:
        ds.close()
        raise OSError(f"{path}: not a csfpk fit file (no estimate or observation)")
    return ds


def parameter_table(ds: xr.Dataset, fit=None):
    """Estimates, standard errors and confidence intervals of one fit as a pandas DataFrame."""
    label = _pick_fit(ds, fit)
    one = ds.sel(fit=label)
    columns = ["estimate", "standard_error", "rse_percent", "ci_lower", "ci_upper",
               "profile_lower", "profile_upper"]
    table = one[columns].to_dataframe()[columns]
    table.insert(1, "unit", ds["unit"].values)
    return table


def _pick_fit(ds: xr.Dataset, fit):
    labels = [str(v) for v in ds["fit"].values]
    if fit is None:
        return labels[0]
    if str(fit) not in labels:
        raise KeyError(f"no fit {fit!r}; the file has {', '.join(labels)}")
    return str(fit)


@_styled
def plot_fit(ds: xr.Dataset, fit=None, *, figsize=(11, 4.2)):
    """Observed against predicted (log axes, with the line of identity) and standardized
    residuals against time, coloured by site and marked by subject, for one fit (default: the
    first)."""
    plt = _plt()
    label = _pick_fit(ds, fit)
    index = [str(v) for v in ds["fit"].values].index(label)
    rows = ds["observation_fit"].values == index
    sites = ds["site"].values[rows].astype(str)
    observed = ds["observed"].values[rows]
    predicted = ds["predicted"].values[rows]
    residual = ds["standardized_residual"].values[rows]
    time = ds["time"].values[rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=figsize, constrained_layout=True)
    positive = np.concatenate([observed[observed > 0], predicted[predicted > 0]])
    subjects = ds["subject"].values[rows].astype(str)
    several = len(set(subjects)) > 1
    markers = "osD^v<>ph*"
    for i, site in enumerate(dict.fromkeys(sites)):
        for k, subject in enumerate(dict.fromkeys(subjects)):
            pick = (sites == site) & (subjects == subject)
            if not pick.any():
                continue
            style = dict(s=24, color=f"C{i}", marker=markers[k % len(markers)],
                         label=f"{site}, {subject}" if several else site)
            left.scatter(predicted[pick], observed[pick], **style)
            right.scatter(time[pick], residual[pick], **style)
    if positive.size:
        low, high = positive.min() / 1.5, positive.max() * 1.5
        left.plot([low, high], [low, high], color="0.4", lw=1, ls="--", label="identity")
        left.set_xscale("log")
        left.set_yscale("log")
        left.set_xlim(low, high)
        left.set_ylim(low, high)
    left.set_xlabel("predicted (ug/mL)")
    left.set_ylabel("observed (ug/mL)")
    left.set_title(f"observed vs predicted: {label}")
    left.legend(fontsize="small")
    right.axhline(0.0, color="0.4", lw=1)
    for bound in (-2.0, 2.0):
        right.axhline(bound, color="0.7", lw=1, ls=":")
    right.set_xlabel("time (h)")
    right.set_ylabel("standardized residual")
    right.set_title(f"residual scale {float(ds['residual_scale'].values[index]):.3g}")
    return fig
