"""Figures people want from a csfpk result, with publication-quality defaults.

Every function takes a Dataset (from :func:`csfpk.open` or :func:`csfpk.run_scenario`; a sweep
file or :func:`csfpk.combine_runs` for population plots) and returns the matplotlib ``Figure``.
Pass ``ax=`` to draw into an existing axes where a single panel is drawn. Axes carry units;
concentrations switch between µg/mL and ng/mL by magnitude and go to a log scale when the curves
on one panel span more than about two decades (CSF against plasma).

Where a plot needs data the result lacks (a kymograph of a compartmental run, percentile bands of
a single run) a ``ValueError`` says what is missing.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np
import xarray as xr

from . import results as _r

__all__ = [
    "STYLE", "style", "plot_concentration", "plot_kymograph", "plot_profiles", "plot_population",
    "plot_pump", "plot_dermatome_coverage", "plot_overview", "plot_sobol",
    "plot_summary_distribution", "save",
]

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.4,
    "figure.constrained_layout.use": True,
    "image.cmap": "viridis",
}

EVENT_STYLE = {
    # kind: (label, marker, colour, draw a faint line across the data panels)
    "bolus_given": ("bolus given", "^", "#2b8cbe", False),
    "bolus_denied": ("bolus denied", "x", "#d7301f", False),
    "direct_injection": ("direct injection", "*", "#000000", True),
    "refill": ("refill", "v", "#1a9850", True),
    "new_blend_at_tip": ("new blend at tip", "D", "#6a51a3", True),
    "reservoir_low": ("low-reservoir alarm", "s", "#fe9929", True),
    "reservoir_empty": ("reservoir empty", "X", "#b30000", True),
    "catheter_fault": ("catheter fault", "P", "#b30000", True),
    "catheter_restored": ("catheter restored", "o", "#636363", True),
}


def _plt():
    import matplotlib.pyplot as plt  # deferred: lets the CLI choose the Agg backend first
    return plt


@contextlib.contextmanager
def style():
    """``with csfpk.plots.style():`` – csfpk's rcParams for your own figures.

    Only the keys of :data:`STYLE` are set and restored (``matplotlib.rc_context`` would also
    restore ``interactive``, which Jupyter's inline backend switches on when the first figure
    is drawn; restoring it would hide every later figure of the notebook)."""
    import matplotlib
    _plt()
    saved = {key: matplotlib.rcParams[key] for key in STYLE}
    matplotlib.rcParams.update(STYLE)
    try:
        yield
    finally:
        matplotlib.rcParams.update(saved)


def _styled(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with style():
            return function(*args, **kwargs)
    return wrapper


def save(fig, path, **kwargs):
    """Save a figure with csfpk's defaults (200 dpi, tight bounding box)."""
    with style():
        fig.savefig(path, **kwargs)


# ----------------------------------------------------------------------------------- helpers

def _time(ds: xr.Dataset, unit: str = "auto"):
    t = np.asarray(ds["time"].values, dtype=float)
    if unit == "auto":
        unit = "day" if t.size and (t[-1] - t[0]) > 72 else "h"
    if unit not in ("h", "day"):
        raise ValueError(f"time unit {unit!r}: expected 'h', 'day' or 'auto'")
    return (t / 24.0 if unit == "day" else t), f"time ({unit})", unit


def _format_time_axis(ax, unit: str, span: float):
    from matplotlib.ticker import MultipleLocator
    if unit == "day" and span <= 15:
        ax.xaxis.set_major_locator(MultipleLocator(1))
        if span <= 8:
            ax.xaxis.set_minor_locator(MultipleLocator(0.25))
    elif unit == "h" and span <= 72:
        ax.xaxis.set_major_locator(MultipleLocator(6 if span > 24 else (3 if span > 8 else 1)))


def _stack(n, figsize, height_ratios=None):
    """n panels above each other on one time axis. Not ``sharex``: matplotlib's label layout of
    shared axes costs O(n²) tick-box computations per draw; the limits and locators are copied
    instead by :func:`_share_time`."""
    fig, axes = _plt().subplots(n, 1, squeeze=False, figsize=figsize,
                                gridspec_kw={"height_ratios": height_ratios} if height_ratios else None)
    return fig, list(axes[:, 0])


def _share_time(axes, x, xlabel, unit):
    span = float(x[-1] - x[0]) if len(x) else 0.0
    for axis in axes:
        axis.set_xlim(x[0], x[-1])
        _format_time_axis(axis, unit, span)
        if axis is not axes[-1]:
            axis.tick_params(axis="x", labelbottom=False)
    axes[-1].set_xlabel(xlabel)


def _concentration_unit(peak_ug_per_mL: float):
    """(scale, label): ng/mL below 1 µg/mL."""
    if np.isfinite(peak_ug_per_mL) and peak_ug_per_mL < 1.0:
        return 1000.0, "ng/mL"
    return 1.0, "µg/mL"


def _positive(values) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    return v[np.isfinite(v) & (v > 0)]


def _choose_log(curves, log, ratio: float = 100.0) -> bool:
    """Log scale when the near-peak levels (90th percentile over time) of the curves span more
    than ``ratio``."""
    if log is not None:
        return bool(log)
    high = [np.percentile(p, 90) for p in (_positive(c) for c in curves) if p.size]
    return len(high) > 1 and max(high) / min(high) > ratio


def _log_limits(ax, curves):
    """A log axis that shows every curve's usual level, not the whole rise from zero."""
    usual = [np.percentile(p, 25) for p in (_positive(c) for c in curves) if p.size]
    tops = [p.max() for p in (_positive(c) for c in curves) if p.size]
    if not usual:
        return
    high = max(tops) * 1.8
    low = max(min(usual) / 4.0, high * 1e-6)
    ax.set_ylim(low, high)


def _pick_drug(ds: xr.Dataset, drug):
    drugs = [str(d) for d in ds["drug"].values]
    if drug is None:
        return drugs
    wanted = [drug] if isinstance(drug, str) else list(drug)
    for d in wanted:
        if d not in drugs:
            raise ValueError(f"no drug {d!r} in this result; it has {', '.join(drugs)}")
    return wanted


def _single(ds: xr.Dataset, run):
    """One run of a sweep (run 0 by default) for plots of a single trajectory."""
    if "time" not in ds.dims:
        raise ValueError("this result has no time series (a sweep that stored per-run summaries "
                         "only): use plot_summary_distribution or plot_sobol, or rerun the sweep "
                         "with time-series outputs")
    return _r.select_run(ds, run), (f" (run {0 if run is None else run})" if _r.is_sweep(ds) else "")


# Okabe & Ito's colour-blind-safe qualitative palette (black kept for plasma): neighbouring
# sites get clearly different hues, so no curve hides behind a near-identical one.
# The first four (the CSF regions, caudal to cranial) are the four of the palette furthest apart
# from each other (RGB distance ≥ 0.58, against 0.29 for a viridis ramp).
SITE_PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#999999",
                "#F0E442")


def _site_colours(sites):
    """Caudal → cranial CSF sites in distinct hues (cycling beyond eight); plasma in black."""
    csf = [s for s in sites if s != "plasma"]
    colours = {s: SITE_PALETTE[i % len(SITE_PALETTE)] for i, s in enumerate(csf)}
    colours["plasma"] = "black"
    return colours


def _pretty(name: str) -> str:
    return str(name).replace("_", " ")


def _curves_for(one: xr.Dataset, drug: str, sites, levels):
    """[(label, values µg/mL)] for the chosen vertebral levels (caudal → cranial) and sites of
    one drug; by default every site, plus a few landmark levels for 1D runs."""
    curves = []
    available = [str(s) for s in one["site"].values] if "site" in one.variables else []
    if sites is None and levels is None:
        sites = available
        if _r.is_1d(one) and "level" in one.dims:
            present = [str(v) for v in one["level"].values]
            levels = [lv for lv in ("L2", "T10", "T6", "C5") if lv in present]
    if levels and _r.is_1d(one) and "level_position" in one.variables:
        levels = sorted(levels, key=lambda lv: _r.level_position(one, lv))
    for level in levels or []:
        curves.append((level, _r.at_level(one, level).sel(drug=drug).values))
    for site in sites or []:
        if site not in available:
            raise ValueError(f"no site {site!r} in this result; it has {', '.join(available)}")
        curves.append((site, one["concentration"].sel(drug=drug, site=site).values))
    return curves


# ------------------------------------------------------------------------ concentration–time

@_styled
def plot_concentration(ds: xr.Dataset, drug=None, sites=None, levels=None, *, run=None, ax=None,
                       time_unit: str = "auto", log=None, title=None):
    """Concentration against time at chosen sites (``"lumbar"``, ``"plasma"``, …) and, for 1D
    runs, vertebral levels (``"T10"``). One panel per drug; plasma dashed."""
    one, run_note = _single(ds, run)
    drugs = _pick_drug(one, drug)
    if ax is not None and len(drugs) > 1:
        raise ValueError("ax= draws one drug: pass drug=...")
    x, xlabel, unit = _time(one, time_unit)
    if ax is None:
        fig, axes = _stack(len(drugs), (7.0, 1.2 + 2.3 * len(drugs)))
    else:
        fig, axes = ax.figure, [ax]
    for d, axis in zip(drugs, axes):
        curves = _curves_for(one, d, sites, levels)
        _draw_curves(axis, x, curves, log)
        axis.set_ylabel(f"{d}\n" + axis.get_ylabel())
    _share_time(axes, x, xlabel, unit)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title=_legend_title(one))
    if ax is None:
        fig.suptitle(title or f"{_r.scenario_name(one)}{run_note}: concentration", fontweight="bold")
    elif title is not False:
        ax.set_title(title or f"{_r.scenario_name(one)}{run_note}: {drugs[0]}")
    return fig


def _legend_title(one):
    return "level / site" if _r.is_1d(one) else "site"


def _draw_curves(axis, x, curves, log):
    peak = max((np.nanmax(v) for _, v in curves if np.isfinite(v).any()), default=np.nan)
    scale, unit_label = _concentration_unit(peak)
    logscale = _choose_log([v for _, v in curves], log)
    levels = [name for name, _ in curves]
    colours = _site_colours(levels)
    for name, values in curves:
        style = {"color": colours.get(name), "label": _pretty(name)}
        if name == "plasma":
            style.update(linestyle="--", linewidth=1.2)
        axis.plot(x, values * scale, **style)
    if logscale:
        axis.set_yscale("log")
        _log_limits(axis, [v * scale for _, v in curves])
    else:
        axis.set_ylim(bottom=0)
    axis.set_ylabel(f"concentration ({unit_label})")
    axis.set_xlim(x[0], x[-1])


# ---------------------------------------------------------------------------------- kymograph

def _level_ticks(ds, axis_positions, axis_length_pt, min_spacing_pt=10.0):
    """Vertebral level labels thinned so that neighbours do not overlap; region starts kept."""
    names = [str(v) for v in ds["level"].values]
    pos = np.asarray(ds["level_position"].values, dtype=float)
    lo, hi = axis_positions
    inside = [(n, p) for n, p in zip(names, pos) if lo <= p <= hi]
    if not inside:
        return [], []
    per_cm = axis_length_pt / max(hi - lo, 1e-9)
    keep = []
    priority = sorted(inside, key=lambda np_: (0 if np_[0] in ("C1", "T1", "L1", "S1") else
                                               1 if np_[0][1:] in ("4", "7", "10") else 2))
    for name, p in priority:
        if all(abs(p - q) * per_cm >= min_spacing_pt for _, q in keep):
            keep.append((name, p))
    keep.sort(key=lambda np_: np_[1])
    return [p for _, p in keep], [n for n, _ in keep]


def _tip_position(ds):
    for name in ("catheter_tip_position", "catheter_tip_cm", "catheter_tip"):
        for source in (ds.attrs, ds.variables):
            if name in source:
                try:
                    value = source[name]
                    value = float(value.values) if hasattr(value, "values") else float(value)
                    if np.isfinite(value):
                        return value
                except (TypeError, ValueError):
                    pass
    return None


def _require_1d(ds, what):
    if not _r.is_1d(ds):
        raise ValueError(
            f"{what} needs the CSF concentration along the spine ('csf_concentration' over "
            "'position', written by the 1D spinal model); this result is compartmental "
            f"(sites: {', '.join(map(str, ds['site'].values)) if 'site' in ds.variables else 'none'}). "
            "Use plot_concentration or plot_profiles for compartmental results.")


@_styled
def plot_kymograph(ds: xr.Dataset, drug=None, *, run=None, ax=None, time_unit: str = "auto",
                   log: bool = True, decades: float = 3.0, title=None):
    """CSF concentration along the spine (y, cm from the sacral end, vertebral levels on the
    right) against time (x). Log colour scale over ``decades`` below the peak by default."""
    from matplotlib.colors import LogNorm, Normalize
    plt = _plt()
    one, run_note = _single(ds, run)
    _require_1d(one, "a kymograph")
    d = _pick_drug(one, drug)[0]
    x, xlabel, unit = _time(one, time_unit)
    c = one["csf_concentration"].sel(drug=d).transpose("position", "time").values
    peak = np.nanmax(c) if np.isfinite(c).any() else 1.0
    scale, unit_label = _concentration_unit(peak)
    c = c * scale
    positions = np.asarray(one["position"].values, dtype=float)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.6))
    else:
        fig = ax.figure
    if log:
        vmax = np.nanmax(c) if np.isfinite(c).any() and np.nanmax(c) > 0 else 1.0
        norm = LogNorm(vmin=vmax * 10 ** -decades, vmax=vmax)
        c = np.where(c > 0, c, np.nan)
    else:
        norm = Normalize(vmin=0, vmax=np.nanmax(c))
    cmap = plt.get_cmap("magma").copy()
    cmap.set_under(cmap(0.0))
    cmap.set_bad(cmap(0.0))
    ax.grid(False)
    mesh = ax.pcolormesh(x, positions, c, shading="nearest", norm=norm, cmap=cmap, rasterized=True)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("position along the canal (cm from sacral end)")
    ax.grid(False)
    _format_time_axis(ax, unit, float(x[-1] - x[0]) if x.size else 0.0)
    tip = _tip_position(one)
    if tip is not None:
        ax.axhline(tip, color="white", linestyle="--", linewidth=1.0, alpha=0.9)
        ax.annotate("catheter tip", (x[0], tip), xytext=(4, 3), textcoords="offset points",
                    color="white", fontsize=8)
    if "level" in one.dims and "level_position" in one.variables:
        right = ax.twinx()
        right.set_ylim(ax.get_ylim())
        right.grid(False)
        right.spines["right"].set_visible(True)
        height_pt = ax.get_position().height * fig.get_figheight() * 72.0
        ticks, labels = _level_ticks(one, sorted(ax.get_ylim()), height_pt)
        right.set_yticks(ticks, labels)
        right.set_ylabel("vertebral level")
    bar = fig.colorbar(mesh, ax=ax, pad=0.04, extend="min" if log else "neither")
    bar.set_label(f"{d} in CSF ({unit_label})")
    if title is not False:
        ax.set_title(title or f"{_r.scenario_name(one)}{run_note}: {d} along the spine")
    return fig


# ------------------------------------------------------------------------------------ profiles

@_styled
def plot_profiles(ds: xr.Dataset, times=None, drug=None, *, run=None, ax=None, log=None, title=None):
    """Concentration profiles at chosen times (hours; default: five spread over the run, the
    last included). 1D runs: along the canal with vertebral levels on the top axis; compartmental
    runs: across the CSF regions, caudal to cranial."""
    plt = _plt()
    one, run_note = _single(ds, run)
    d = _pick_drug(one, drug)[0]
    t = np.asarray(one["time"].values, dtype=float)
    if times is None:
        # Five times spread over the run, rounded to whole days (hours for short runs) so that
        # daily programs are compared at the same time of day.
        step = 24.0 if t[-1] - t[0] > 72 else 1.0
        times = np.unique(np.clip(np.round(np.linspace(t[0], t[-1], 6)[1:] / step) * step, t[0], t[-1]))
    times = np.atleast_1d(np.asarray(times, dtype=float))
    bad = [tt for tt in times if tt < t[0] - 1e-9 or tt > t[-1] + 1e-9]
    if bad:
        raise ValueError(f"times {bad} h lie outside the run (0–{t[-1]:g} h)")
    index = [int(np.argmin(np.abs(t - tt))) for tt in times]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.8, 3.9))
    else:
        fig = ax.figure
    colours = plt.get_cmap("cividis")(np.linspace(0.05, 0.9, len(index)))
    unit = "day" if t[-1] - t[0] > 72 else "h"
    if _r.is_1d(one):
        profile = one["csf_concentration"].sel(drug=d).transpose("position", "time").values
        peak = np.nanmax(profile[:, index]) if profile.size else np.nan
        scale, unit_label = _concentration_unit(peak)
        xpos = np.asarray(one["position"].values, dtype=float)
        curves = []
        for i, colour, label in _distinct_profiles(profile, index, colours, t, unit):
            values = profile[:, i] * scale
            curves.append(values)
            ax.plot(xpos, values, color=colour, label=label)
        ax.set_xlabel("position along the canal (cm from sacral end)")
        ax.set_xlim(xpos[0], xpos[-1])
        tip = _tip_position(one)
        if tip is not None:
            ax.axvline(tip, color="0.4", linestyle=":", linewidth=1.0)
            ax.annotate("tip", (tip, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -10),
                        textcoords="offset points", fontsize=8, color="0.3")
        if "level" in one.dims and "level_position" in one.variables:
            top = ax.secondary_xaxis("top")
            width_pt = ax.get_position().width * fig.get_figwidth() * 72.0
            ticks, labels = _level_ticks(one, sorted(ax.get_xlim()), width_pt, min_spacing_pt=18.0)
            top.set_xticks(ticks, labels)
            top.set_xlabel("vertebral level")
    else:
        sites = [str(s) for s in one["site"].values if str(s) != "plasma"]
        values = one["concentration"].sel(drug=d, site=sites).transpose("site", "time").values
        peak = np.nanmax(values[:, index]) if values.size else np.nan
        scale, unit_label = _concentration_unit(peak)
        curves = []
        for i, colour, label in _distinct_profiles(values, index, colours, t, unit):
            curves.append(values[:, i] * scale)
            ax.plot(range(len(sites)), values[:, i] * scale, marker="o", color=colour, label=label)
        ax.set_xticks(range(len(sites)), [_pretty(s) for s in sites])
        ax.set_xlabel("CSF region (caudal → cranial)")
    logscale = _choose_log([np.nanmax(c) for c in curves] + [np.nanmin(c) for c in curves], log) \
        if log is None else log
    if logscale:
        ax.set_yscale("log")
        values = _positive(np.concatenate([np.ravel(c) for c in curves]))
        if values.size:
            top = values.max() * 1.6
            ax.set_ylim(max(values.min() / 1.6, top * 1e-6), top)
    else:
        ax.set_ylim(bottom=0)
    ax.set_ylabel(f"{d} in CSF ({unit_label})")
    ax.legend(title="time", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title is not False:
        ax.set_title(title or f"{_r.scenario_name(one)}{run_note}: {d} profiles", pad=8)
    return fig


def _distinct_profiles(profiles, index, colours, t, unit, tolerance=0.005):
    """[(time index, colour, legend label)] with a profile that coincides with an earlier one
    (within `tolerance` of the largest value, as at steady state) folded into its label instead
    of drawn again: "day 7, 14 (same)" rather than two entries for one visible curve."""
    drawn = []
    largest = np.nanmax(np.abs(profiles[:, index])) if profiles.size else 0.0
    for i, colour in zip(index, colours):
        for entry in drawn:
            if np.nanmax(np.abs(profiles[:, i] - profiles[:, entry[0]])) <= tolerance * largest:
                entry[3].append(i)
                break
        else:
            drawn.append([i, colour, None, [i]])
    out = []
    for i, colour, _, members in drawn:
        if len(members) == 1:
            out.append((i, colour, _when(t[i], unit)))
        else:
            values = ", ".join(_when(t[m], unit).removeprefix("day ") for m in members)
            prefix = "day " if unit == "day" else ""
            out.append((i, colour, f"{prefix}{values} (same)"))
    return out


def _when(t_h: float, unit: str) -> str:
    return f"day {t_h / 24:.3g}" if unit == "day" else f"{t_h:.3g} h"


# --------------------------------------------------------------------------------- population

@_styled
def plot_population(ds: xr.Dataset, drug=None, sites=None, levels=None, *,
                    percentiles=(5, 25, 50, 75, 95), ax=None, time_unit: str = "auto", log=None,
                    title=None):
    """Percentile bands over the runs of a sweep (or :func:`csfpk.combine_runs`): the median as a
    line, the inner and outer percentile ranges as shaded bands, per site or vertebral level.
    Failed runs are left out and counted in the title."""
    plt = _plt()
    if not _r.is_sweep(ds):
        raise ValueError("percentile bands need several runs: a sweep result (with a 'run' "
                         "dimension) or csfpk.combine_runs(csfpk.run_batch(...)); this result "
                         "holds a single run")
    if "concentration" not in ds.data_vars or "time" not in ds["concentration"].dims:
        raise ValueError("percentile bands over time need the sweep's concentration time series; "
                         "this sweep stored per-run summaries only: use plot_summary_distribution")
    d = _pick_drug(ds, drug)[0]
    p = sorted(percentiles)
    if len(p) % 2 == 0 or len(p) < 3:
        raise ValueError("percentiles: give an odd number ≥ 3, symmetric about the median, e.g. (5, 50, 95)")
    if sites is None and levels is None:
        sites = [str(s) for s in ds["site"].values] if "site" in ds.variables else []
        if _r.is_1d(ds):
            sites = [s for s in sites if s == "plasma"]
            levels = [lv for lv in ("L2", "T10", "C5") if lv in [str(v) for v in ds["level"].values]]
    series = []
    for site in sites or []:
        series.append((site, ds["concentration"].sel(drug=d, site=site).transpose("run", "time").values))
    for level in levels or []:
        series.append((level, _r.at_level(ds, level).sel(drug=d).transpose("run", "time").values))
    if not series:
        raise ValueError("plot_population: choose at least one site or level")
    valid = np.array([np.isfinite(v).any() for v in series[0][1]])
    n_ok, n = int(valid.sum()), len(valid)
    if n_ok == 0:
        raise ValueError("plot_population: no run of this sweep finished")
    x, xlabel, unit = _time(ds, time_unit)
    if str(ds.attrs.get("design", "")) == "grid":
        # Designed levels are not a population: percentiles across them mean nothing.
        return _plot_grid_lines(ds, d, series, valid, x, xlabel, unit, log, title, ax)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.2, 4.2))
    else:
        fig = ax.figure
    bands = {}
    for name, values in series:
        bands[name] = np.nanpercentile(values[valid], p, axis=0)
    peak = max(np.nanmax(b[-1]) for b in bands.values())
    scale, unit_label = _concentration_unit(peak)
    colours = _site_colours([name for name, _ in series])
    for name, band in bands.items():
        colour = colours.get(name)
        band = band * scale
        k = len(p) // 2
        for j in range(k):
            ax.fill_between(x, band[j], band[-1 - j], color="0.5" if name == "plasma" else colour,
                            alpha=0.13 + 0.17 * j, linewidth=0)
        ax.plot(x, band[k], color=colour, linestyle="--" if name == "plasma" else "-", label=_pretty(name))
    logscale = _choose_log([b[len(p) // 2] for b in bands.values()], log)
    if logscale:
        ax.set_yscale("log")
        _log_limits(ax, [b * scale for b in bands.values()])
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{d} concentration ({unit_label})")
    _format_time_axis(ax, unit, float(x[-1] - x[0]))
    from matplotlib.patches import Patch
    handles, labels = ax.get_legend_handles_labels()
    grey = "0.45"
    handles += [Patch(color=grey, alpha=0.13 + 0.17 * j) for j in range(len(p) // 2)]
    labels += [f"P{p[j]:g}–P{p[-1 - j]:g}" for j in range(len(p) // 2)]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="median, bands")
    counted = f"{n_ok} runs" if n_ok == n else f"{n_ok} of {n} runs (failed runs left out)"
    if title is not False:
        ax.set_title(title or f"{_r.scenario_name(ds)}: {d}, {counted}")
    return fig


def _plot_grid_lines(ds, d, series, valid, x, xlabel, unit, log, title, ax=None):
    """A grid sweep: one panel per site or level, one line per run; the first factor sets the
    colour, the second the line style, so each designed combination stays identifiable."""
    plt = _plt()
    factors = [str(name)[len("factor_"):] for name in ds.variables
               if str(name).startswith("factor_") and ds[name].dims == ("run",)]
    values = {f: [str(v) for v in ds[f"factor_{f}"].values] for f in factors}
    levels = {f: list(dict.fromkeys(values[f])) for f in factors}
    styles = ("-", "--", ":", "-.")
    peak = max(np.nanmax(v[valid]) for _, v in series)
    scale, unit_label = _concentration_unit(peak)
    if ax is not None:
        if len(series) > 1:
            raise ValueError("a grid sweep is drawn as one panel per site or level: give one "
                             "site or level with ax=, or leave ax out")
        fig, axes = ax.figure, [ax]
    else:
        fig, axes = plt.subplots(len(series), 1, sharex=True, squeeze=False,
                                 figsize=(7.2, 1.2 + 2.4 * len(series)))
        axes = axes[:, 0]
    for (name, curves), axis in zip(series, axes):
        for r in np.flatnonzero(valid):
            colour = SITE_PALETTE[levels[factors[0]].index(values[factors[0]][r]) % len(SITE_PALETTE)] \
                if factors else None
            style = styles[levels[factors[1]].index(values[factors[1]][r]) % len(styles)] \
                if len(factors) > 1 else "-"
            label = ", ".join(f"{f}={values[f][r]}" for f in factors)
            axis.plot(x, curves[r] * scale, color=colour, linestyle=style, linewidth=1.2, label=label)
        if _choose_log([c for c in curves[valid]], log):
            axis.set_yscale("log")
            _log_limits(axis, [c * scale for c in curves[valid]])
        else:
            axis.set_ylim(bottom=0)
        axis.set_ylabel(f"{_pretty(name)}\n({unit_label})")
        axis.set_xlim(x[0], x[-1])
    axes[-1].set_xlabel(xlabel)
    _format_time_axis(axes[-1], unit, float(x[-1] - x[0]))
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5,
                   title=" × ".join(factors) if factors else "run")
    if title is not False:
        fig.suptitle(title or f"{_r.scenario_name(ds)}: {d}, {int(valid.sum())} grid points",
                     fontweight="bold")
    return fig


# ---------------------------------------------------------------------------------- the pump

def _dose_rates(one: xr.Dataset, drugs):
    """Mean delivery rate per output interval, µg/day, as step values at the interval starts."""
    t = np.asarray(one["time"].values, dtype=float)
    out = {}
    for d in drugs:
        delivered = np.asarray(one["delivered"].sel(drug=d).values, dtype=float)
        dt = np.diff(t)
        rate = np.divide(np.diff(delivered), dt, out=np.zeros_like(dt), where=dt > 0) * 24.0
        out[d] = np.append(rate, rate[-1] if rate.size else 0.0)
    return out


def _draw_events(axis, one: xr.Dataset, x_of, data_axes=()):
    """Event raster: one row per kind present, markers at event times; faint lines across the
    data panels for the important ones."""
    table = _r.events(one)
    kinds = [k for k in EVENT_STYLE if k in set(table["kind"])]
    kinds += sorted(set(table["kind"]) - set(kinds))
    axis.set_yticks(range(len(kinds)), [
        f"{EVENT_STYLE.get(k, (k,))[0]} ({int((table['kind'] == k).sum())})" for k in kinds])
    axis.set_ylim(-0.7, max(len(kinds), 1) - 0.3)
    axis.invert_yaxis()
    axis.grid(axis="y", visible=False)
    axis.spines["left"].set_visible(False)
    # Labels on the right, in the column the legends use, so the data panels keep their width.
    axis.yaxis.tick_right()
    axis.tick_params(axis="y", length=0, pad=10)
    for row, kind in enumerate(kinds):
        label, marker, colour, across = EVENT_STYLE.get(kind, (kind, "o", "0.3", False))
        times = x_of(table.loc[table["kind"] == kind, "time_h"].to_numpy())
        axis.scatter(times, np.full(times.shape, row), marker=marker, color=colour, s=28,
                     linewidths=1.2, zorder=3, clip_on=False)
        if across:
            for other in data_axes:
                for tt in times:
                    other.axvline(tt, color=colour, linewidth=0.8, alpha=0.5, zorder=0)
    if not kinds:
        axis.set_yticks([])
        axis.text(0.5, 0.5, "no pump events", transform=axis.transAxes, ha="center", va="center",
                  color="0.4")
    return kinds


@_styled
def plot_pump(ds: xr.Dataset, drug=None, *, run=None, time_unit: str = "auto", title=None):
    """The pump side of a run: delivery rate per drug (from the delivered mass, per output
    interval), the events (boluses given and denied, refills, alarms, empty reservoir, catheter
    faults) and the reservoir volume."""
    one, run_note = _single(ds, run)
    if not _has_pump(one):
        raise ValueError("the pump plot needs the delivered mass over time ('delivered'), which "
                         "this result does not store (sweeps keep concentrations and summaries only)")
    drugs = _pick_drug(one, drug)
    x, xlabel, unit = _time(one, time_unit)
    table = _r.events(one)
    n_kinds = max(len(set(table["kind"])), 1)
    fig, axes = _stack(3, (7.2, 5.2 + 0.16 * n_kinds), [2.2, 0.45 + 0.22 * n_kinds, 1.6])
    _draw_pump(axes, one, drugs, x, unit)
    _share_time(axes, x, xlabel, unit)
    fig.suptitle(title or f"{_r.scenario_name(one)}{run_note}: pump and reservoir", fontweight="bold")
    return fig


def _has_pump(one) -> bool:
    return "delivered" in one.data_vars and "time" in one["delivered"].dims


def _draw_pump(axes, one, drugs, x, unit):
    rate_ax, event_ax, reservoir_ax = axes
    rates = _dose_rates(one, drugs)
    top = max((np.nanmax(r) for r in rates.values() if r.size), default=0.0)
    mg = top >= 1000.0
    colours = _plt().get_cmap("tab10")
    for i, d in enumerate(drugs):
        rate_ax.step(x, rates[d] / (1000.0 if mg else 1.0), where="post", color=colours(i), label=d)
    if len(drugs) > 1 and _choose_log(list(rates.values()), None, ratio=10.0):
        rate_ax.set_yscale("log")
        _log_limits(rate_ax, [r / (1000.0 if mg else 1.0) for r in rates.values()])
    else:
        rate_ax.set_ylim(bottom=0)
    rate_ax.set_ylabel(f"delivery rate ({'mg' if mg else 'µg'}/day)")
    rate_ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="drug")
    x_of = (lambda th: np.asarray(th) / 24.0) if unit == "day" else (lambda th: np.asarray(th))
    _draw_events(event_ax, one, x_of, data_axes=(rate_ax, reservoir_ax))
    volume = np.asarray(one["reservoir_volume"].values, dtype=float) \
        if "reservoir_volume" in one.variables else np.full(x.shape, np.nan)
    if np.isfinite(volume).any():
        reservoir_ax.plot(x, volume, color="#08519c")
        reservoir_ax.set_ylim(bottom=0, top=max(np.nanmax(volume) * 1.1, 1.0))
    else:
        reservoir_ax.set_yticks([])
        reservoir_ax.text(0.5, 0.5, "no pump reservoir in this scenario", transform=reservoir_ax.transAxes,
                          ha="center", va="center", color="0.4")
    reservoir_ax.set_ylabel("reservoir (mL)")
    reservoir_ax.set_xlim(x[0], x[-1])


# ----------------------------------------------------------------------------------- overview

@_styled
def plot_overview(ds: xr.Dataset, drug=None, sites=None, levels=None, *, run=None,
                  time_unit: str = "auto", title=None, figsize=None):
    """Concentration–time by site for each drug, with the pump underneath (delivery rate,
    events, reservoir volume) on the same time axis: the one-figure summary of a run. Without
    the delivered mass (a sweep's time series) only the concentration panels are drawn."""
    one, run_note = _single(ds, run)
    drugs = _pick_drug(one, drug)
    x, xlabel, unit = _time(one, time_unit)
    n_kinds = max(len(set(_r.events(one)["kind"])), 1)
    pump = _has_pump(one)
    ratios = [2.3 if len(drugs) <= 2 else 1.8] * len(drugs) + \
        ([1.4, 0.45 + 0.22 * n_kinds, 1.1] if pump else [])
    fig, axes = _stack(len(ratios), figsize or (7.4, 1.0 + sum(ratios) * 1.05), ratios)
    for d, axis in zip(drugs, axes):
        _draw_curves(axis, x, _curves_for(one, d, sites, levels), None)
        axis.set_ylabel(f"{d}\n" + axis.get_ylabel())
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title=_legend_title(one))
    if pump:
        _draw_pump(axes[len(drugs):], one, drugs, x, unit)
    _share_time(axes, x, xlabel, unit)
    fig.align_ylabels(axes)
    fig.suptitle(title or f"{_r.scenario_name(one)}{run_note}", fontweight="bold")
    return fig


# -------------------------------------------------------------------------- dermatome coverage

_REGION_COLOURS = {"C": "#4575b4", "T": "#91bfdb", "L": "#fc8d59", "S": "#d73027"}
_REGION_NAMES = {"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "sacral"}


@_styled
def plot_dermatome_coverage(ds: xr.Dataset, drug=None, *, run=None, title=None):
    """Fraction of the run each cord segment's dermatome spends above the drug's effective
    concentration: horizontal bars, head at the top, coloured by region like a dermatome map."""
    plt = _plt()
    one, run_note = _single(ds, run)
    if "dermatome_coverage" not in one.data_vars:
        raise ValueError("dermatome coverage needs 'dermatome_coverage' (drug, segment), written by "
                         "the 1D spinal model for drugs with an effective concentration; this result "
                         "does not have it")
    drugs = _pick_drug(one, drug)
    segments = [str(s) for s in one["segment"].values]
    order = sorted(range(len(segments)), key=lambda i: _segment_rank(segments[i]))
    fig, axes = plt.subplots(1, len(drugs), sharey=True, squeeze=False,
                             figsize=(2.2 + 2.4 * len(drugs), 1.2 + 0.17 * len(segments)))
    axes = axes[0]
    labels = [segments[i] for i in order]
    if "dermatome" in one.variables and one["dermatome"].dims == ("segment",):
        names = [str(v) for v in one["dermatome"].values]
        labels = [f"{segments[i]} · {names[i]}" if names[i] else segments[i] for i in order]
    for d, axis in zip(drugs, axes):
        coverage = np.asarray(one["dermatome_coverage"].sel(drug=d).values, dtype=float)[order] * 100.0
        colours = [_REGION_COLOURS.get(segments[i][0], "0.5") for i in order]
        y = np.arange(len(order))
        axis.barh(y, np.nan_to_num(coverage), color=colours, height=0.8)
        for yy, value in zip(y, coverage):
            if not np.isfinite(value):
                axis.text(1, yy, "n/a", va="center", fontsize=7, color="0.4")
        if np.isfinite(coverage).any() and np.nanmax(coverage) == 0.0:
            # An empty panel is a result, not a drawing failure: say so.
            axis.text(50, (len(order) - 1) / 2.0, "effective concentration\nnever reached",
                      ha="center", va="center", fontsize=8.5, color="0.3",
                      bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7"})
        elif not np.isfinite(coverage).any():
            axis.text(50, (len(order) - 1) / 2.0, "no effective\nconcentration known",
                      ha="center", va="center", fontsize=8.5, color="0.3")
        axis.set_xlim(0, 100)
        axis.set_xlabel("time above effective\nconcentration (%)")
        effective = _effective_concentration(one, d)
        axis.set_title(d + (f"\n(effective ≥ {effective})" if effective else ""), fontsize=9.5)
        axis.grid(axis="y", visible=False)
    axes[0].set_yticks(np.arange(len(order)), labels)
    axes[0].invert_yaxis()
    axes[0].set_ylabel("cord segment (dermatome)")
    from matplotlib.patches import Patch
    present = [r for r in "CTLS" if any(segments[i][0] == r for i in order)]
    axes[-1].legend([Patch(color=_REGION_COLOURS[r]) for r in present],
                    [_REGION_NAMES[r] for r in present], loc="lower left", bbox_to_anchor=(1.02, 0.0),
                    title="region")
    for axis in axes:
        axis.set_xticks([0, 25, 50, 75, 100])
    fig.suptitle(title or f"{_r.scenario_name(one)}{run_note}: dermatome coverage", fontweight="bold")
    return fig


def _segment_rank(label: str):
    region = "CTLS".find(label[:1]) if label[:1] in "CTLS" else 9
    try:
        number = int(label[1:])
    except ValueError:
        number = 99
    return region, number


def _effective_concentration(one, drug):
    for name in ("effective_concentration",):
        if name in one.variables and "drug" in one[name].dims:
            value = float(one[name].sel(drug=drug).values)
            if np.isfinite(value) and value > 0:
                scale, unit = _concentration_unit(value)
                return f"{value * scale:.3g} {unit}"
    attrs = one["dermatome_coverage"].attrs
    if f"effective_concentration_{drug}" in attrs:
        return str(attrs[f"effective_concentration_{drug}"])
    return ""


# ------------------------------------------------------------------------------------- Sobol

@_styled
def plot_sobol(source, summary: str = "auc", drug=None, label=None, *, ax=None, title=None, **options):
    """First-order and total Sobol indices per factor, with their bootstrap intervals.

    ``source`` is a table from :func:`csfpk.sobol_indices` or a Saltelli sweep (then
    ``summary``, ``drug``, ``label`` and ``options`` go to :func:`csfpk.sobol_indices`)."""
    import pandas as pd
    plt = _plt()
    table = source if isinstance(source, pd.DataFrame) else \
        _r.sobol_indices(source, summary, drug, label, **options)
    factors = list(table["factor"])
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 1.5 + 0.45 * len(factors)))
    else:
        fig = ax.figure
    y = np.arange(len(factors))
    height = 0.38
    for k, (name, colour, text) in enumerate((("S1", "#3182bd", "first order"), ("ST", "#fd8d3c", "total"))):
        values = table[name].to_numpy(dtype=float)
        err = None
        if f"{name}_low" in table:
            err = np.vstack([values - table[f"{name}_low"].to_numpy(dtype=float),
                             table[f"{name}_high"].to_numpy(dtype=float) - values]).clip(min=0)
        ax.barh(y + (k - 0.5) * height, values, height=height, xerr=err, color=colour, label=text,
                error_kw={"elinewidth": 1.0, "capsize": 2.5, "ecolor": "0.25"})
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, factors)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Sobol index (share of the output's variance)")
    low = min(0.0, float(np.nanmin(table[[c for c in table if c.startswith("S")]].to_numpy(dtype=float))))
    ax.set_xlim(low - 0.02 if low < 0 else 0, max(1.0, ax.get_xlim()[1]))
    ax.legend(loc="lower right", frameon=True, framealpha=0.9)
    what = table.attrs.get("output", "")
    conf = table.attrs.get("confidence")
    if title is not False:
        ax.set_title(title or f"Sobol indices of {what}" + (f" ({conf:.0%} intervals)" if conf else ""))
    return fig


@_styled
def plot_summary_distribution(ds: xr.Dataset, summary: str = "mean", drug=None, *, ax=None, log=None,
                              title=None):
    """The spread of a per-run summary (``peak``, ``mean``, ``auc`` per site; ``level_mean`` per
    vertebral level …) over the runs of a sweep: one box per site (median, quartiles, 5th–95th
    percentile whiskers) with the runs as dots. Works for summaries-only sweeps."""
    plt = _plt()
    if not _r.is_sweep(ds):
        raise ValueError("a distribution over runs needs a sweep (a 'run' dimension)")
    if summary not in ds.data_vars:
        # A single run's time series can stand in for the common summaries.
        table = _r.summaries(ds)
        kinds = {"peak", "mean"}
        if summary not in kinds:
            raise ValueError(f"no per-run summary {summary!r} in this sweep")
        var = None
    else:
        var = ds[summary]
    d = _pick_drug(ds, drug)[0]
    if var is not None:
        dims = [dim for dim in var.dims if dim not in ("run", "drug")]
        if len(dims) != 1:
            raise ValueError(f"{summary} has dimensions {var.dims}: expected (run, drug, label)")
        dim = dims[0]
        labels = [str(v) for v in ds[dim].values]
        values = var.sel(drug=d).transpose("run", dim).values.astype(float) if "drug" in var.dims \
            else var.transpose("run", dim).values.astype(float)
        units = str(var.attrs.get("units", ""))
    else:
        rows = table[table["drug"] == d]
        columns = [c for c in rows.columns if c.endswith(f"_{summary}_ug_per_mL")]
        labels = [c[: -len(f"_{summary}_ug_per_mL")] for c in columns]
        values = rows[columns].to_numpy(dtype=float)
        units = "ug/mL"
    status = np.array(_r.run_status(ds), dtype=object)
    keep = (status == "ok") & np.isfinite(values).all(axis=1)
    values = values[keep]
    if not len(values):
        raise ValueError("no run of this sweep finished")
    scale, unit_label = (1.0, units.replace("ug", "µg"))
    if units == "ug/mL":
        scale, unit_label = _concentration_unit(float(np.nanmax(values)))
    values = values * scale
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(10.0, max(4.4, 1.8 + 0.75 * len(labels))), 3.9))
    else:
        fig = ax.figure
    colours = _site_colours(labels)
    rng = np.random.default_rng(0)
    shown = values if len(values) <= 300 else values[rng.choice(len(values), 300, replace=False)]
    for i, label_ in enumerate(labels):
        jitter = rng.uniform(-0.18, 0.18, len(shown))
        ax.scatter(i + 1 + jitter, shown[:, i], s=7, alpha=0.45, color=colours.get(label_), zorder=1,
                   linewidths=0)
    ax.boxplot(values, labels=[_pretty(v) for v in labels], whis=(5, 95), showfliers=False,
               medianprops={"color": "black", "linewidth": 1.6}, widths=0.55, zorder=2,
               patch_artist=True, boxprops={"facecolor": (1, 1, 1, 0.35), "linewidth": 1.1})
    if _choose_log([values[:, i] for i in range(values.shape[1])], log):
        ax.set_yscale("log")
    what = {"peak": "peak", "mean": "time-averaged", "auc": "AUC"}.get(
        summary.removeprefix("level_"), summary.replace("_", " "))
    if len(labels) > 12:
        ax.tick_params(axis="x", labelsize=7.5, labelrotation=90)
    ax.set_ylabel(f"{d}, {what} ({unit_label})" if unit_label else f"{d}, {what}")
    ax.grid(axis="x", visible=False)
    if title is not False:
        shown_note = f", {len(shown)} shown" if len(shown) < len(values) else ""
        ax.set_title(title or f"{_r.scenario_name(ds)}\n{what} over {len(values)} runs{shown_note}")
    return fig
