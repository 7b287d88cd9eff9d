"""A self-contained HTML report of a result file: safety flags first, then summary tables,
figures (embedded PNG), events and provenance (including the full scenario text)."""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import os

import numpy as np
import xarray as xr

from . import plots as _p
from . import results as _r

DISCLAIMER = ("csfpk is a research tool, not a dosing device: these results are model "
              "predictions for research and education and must not be used to choose or change "
              "a patient's therapy.")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;
margin:1.5em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em}
.disclaimer{background:#fff4e5;border-left:5px solid #e67e22;padding:.6em .9em;font-weight:600}
.flag{padding:.35em .7em;margin:.3em 0;border-radius:3px}
.flag.error{background:#fdecea;border-left:5px solid #c0392b}
.flag.warning{background:#fff8e1;border-left:5px solid #f39c12}
.flag.note{background:#eef6fb;border-left:5px solid #3498db}
.flag.ok{background:#eaf7ee;border-left:5px solid #27ae60}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f5f5f5}td.text,th.text{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}
pre{background:#f7f7f7;border:1px solid #e5e5e5;padding:.8em;overflow-x:auto;font-size:.85em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}dd{margin:0}
.muted{color:#666}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _figure_html(fig, caption: str) -> str:
    buffer = io.BytesIO()
    _p.save(fig, buffer, format="png", dpi=130)
    _p._plt().close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _concentration(value: float) -> str:
    if not np.isfinite(value):
        return "–"
    if value >= 1.0:
        return f"{value:.4g} µg/mL"
    return f"{value * 1000:.4g} ng/mL"


def _mass(value_ug: float) -> str:
    if not np.isfinite(value_ug):
        return "–"
    return f"{value_ug / 1000:.4g} mg" if value_ug >= 1000 else f"{value_ug:.4g} µg"


def _table(header, rows, text_columns=(0,)) -> str:
    out = ["<table><thead><tr>"]
    out += [f'<th class="{"text" if i in text_columns else ""}">{_e(h)}</th>' for i, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="{"text" if i in text_columns else ""}">{_e(c)}</td>'
                                     for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _summary_tables(ds: xr.Dataset) -> str:
    frame = _r.summaries(ds)
    parts = []
    sweep = _r.is_sweep(ds)
    if sweep:
        # Population: median and 5th–95th percentile of each figure over the runs that finished.
        ok = frame[frame["status"] == "ok"]
        parts.append(f"<p>{ok['run'].nunique()} of {ds.sizes['run']} runs finished. "
                     "Median [5th–95th percentile] over those runs.</p>")
        for drug, group in ok.groupby("drug", sort=False):
            rows = []
            labels = [str(v) for dim in ("site", "level") if dim in ds.coords for v in ds[dim].values]
            for site in [lbl for lbl in labels if f"{lbl}_peak_ug_per_mL" in group.columns]:
                cells = [site]
                for kind in ("peak", "mean"):
                    values = group[f"{site}_{kind}_ug_per_mL"].to_numpy(dtype=float)
                    q = np.nanpercentile(values, [50, 5, 95]) if values.size else [np.nan] * 3
                    cells.append(f"{_concentration(q[0])} [{_concentration(q[1])} – {_concentration(q[2])}]")
                rows.append(cells)
            parts.append(f"<h3>{_e(drug)}</h3>" + _table(["site / level", "peak", "time average"], rows))
        if _r.has_sobol(ds):
            parts.append(_sobol_html(ds))
        factors = [c for c in frame.columns if c.startswith("factor_")]
        if factors:
            first = frame.drop_duplicates("run")[["run", "status"] + factors].head(50)
            parts.append("<h3>Runs and factors</h3>" + _table(
                list(first.columns), first.astype(str).values.tolist(), text_columns=(1,)))
        return "".join(parts)
    header = ["drug", "delivered", "in body at end", "eliminated", "mass-balance error"]
    rows = [[r.drug, _mass(r.delivered_ug), _mass(r.in_body_ug), _mass(r.eliminated_ug),
             f"{r.mass_balance_relative_error:.2g}"] for r in frame.itertuples()]
    parts.append("<h3>Delivery and mass balance</h3>" + _table(header, rows))
    labels = [str(v) for dim in ("site", "level") if dim in ds.coords for v in ds[dim].values]
    sites = [lbl for lbl in labels if f"{lbl}_peak_ug_per_mL" in frame.columns]
    header = ["site / level"] + [f"{d} {kind}" for d in frame["drug"] for kind in ("peak", "mean")]
    rows = []
    for site in sites:
        row = [site]
        for _, record in frame.iterrows():
            row += [_concentration(record[f"{site}_peak_ug_per_mL"]),
                    _concentration(record[f"{site}_mean_ug_per_mL"])]
        rows.append(row)
    parts.append("<h3>Peak and time-averaged concentration</h3>" + _table(header, rows))
    canal = [c for c in ("tip_peak_ug_per_mL", "tip_mean_ug_per_mL", "spread_cm", "cranial_auc_ug_h_per_mL")
             if c in frame.columns]
    if canal:
        names = {"tip_peak_ug_per_mL": "peak at the catheter tip", "tip_mean_ug_per_mL": "mean at the tip",
                 "spread_cm": "spread (cm of canal above threshold)",
                 "cranial_auc_ug_h_per_mL": "cranial exposure (µg·h/mL)"}
        rows = []
        for record in frame.itertuples():
            row = [record.drug]
            for c in canal:
                value = float(getattr(record, c))
                row.append(_concentration(value) if c.endswith("_ug_per_mL") else f"{value:.4g}")
            rows.append(row)
        parts.append("<h3>Along the canal</h3>" + _table(["drug"] + [names[c] for c in canal], rows))
    return "".join(parts)


def _events_html(ds: xr.Dataset) -> str:
    one = _r.select_run(ds, 0) if _r.is_sweep(ds) else ds
    table = _r.events(one)
    if table.empty:
        return "<p class=\"muted\">No pump or delivery events.</p>"
    counts = table["kind"].value_counts()
    parts = [_table(["event", "count"], [[k, int(v)] for k, v in counts.items()])]
    shown = table.head(200)
    rows = [[_r._format_time(t), f"{t:.4g}", k, d] for t, k, d in
            zip(shown["time_h"], shown["kind"], shown["detail"])]
    parts.append(_table(["when", "time (h)", "event", "detail"], rows, text_columns=(0, 2, 3)))
    if len(table) > len(shown):
        parts.append(f"<p class=\"muted\">… {len(table) - len(shown)} more events in the file.</p>")
    return "".join(parts)


def _figures(ds: xr.Dataset) -> list[str]:
    out = []

    def attempt(make, caption):
        try:
            out.append(_figure_html(make(), caption))
        except ValueError as error:  # a figure the data does not support: say so, go on
            out.append(f'<p class="muted">{_e(caption)}: not drawn ({_e(error)})</p>')

    if _r.is_sweep(ds):
        series = "concentration" in ds.data_vars and "time" in ds["concentration"].dims
        for drug in map(str, ds["drug"].values):
            if series:
                attempt(lambda drug=drug: _p.plot_population(ds, drug=drug),
                        f"{drug}: median and percentile bands over the runs")
            else:
                attempt(lambda drug=drug: _p.plot_summary_distribution(ds, "mean", drug=drug),
                        f"{drug}: time-averaged concentration over the runs")
        if _r.has_sobol(ds):
            summary = _sobol_summary(ds)
            attempt(lambda: _p.plot_sobol(ds, summary), f"Sobol sensitivity indices of {summary}")
        if series:
            attempt(lambda: _p.plot_overview(ds, run=0), "Run 0: concentration against time by site")
        return out
    drugs = [str(d) for d in ds["drug"].values]
    attempt(lambda: _p.plot_overview(ds, drug=drugs[:4]),
            "Concentration against time by site, with the pump underneath: delivery rate, events "
            "and reservoir volume")
    if len(drugs) > 4:
        attempt(lambda: _p.plot_concentration(ds, drug=drugs[4:]), "Further drugs")
    if _r.is_1d(ds):
        for drug in drugs:
            attempt(lambda drug=drug: _p.plot_kymograph(ds, drug=drug),
                    f"{drug} in CSF along the spine against time")
        attempt(lambda: _p.plot_profiles(ds, drug=drugs[0]), f"{drugs[0]} profiles along the canal")
        if "dermatome_coverage" in ds.data_vars:
            attempt(lambda: _p.plot_dermatome_coverage(ds), "Dermatome coverage")
    else:
        attempt(lambda: _p.plot_profiles(ds, drug=drugs[0]), f"{drugs[0]} across the CSF regions")
    return out


def _sobol_summary(ds: xr.Dataset) -> str:
    return next((name for name in ("auc", "mean", "peak") if name in ds.data_vars), "auc")


def _sobol_html(ds: xr.Dataset) -> str:
    try:
        table = _r.sobol_indices(ds, _sobol_summary(ds))
    except ValueError as error:
        return f'<p class="muted">Sobol indices: not computed ({_e(error)})</p>'
    rows = [[r.factor, f"{r.S1:.3f}", f"[{r.S1_low:.3f}, {r.S1_high:.3f}]", f"{r.ST:.3f}",
             f"[{r.ST_low:.3f}, {r.ST_high:.3f}]"] for r in table.itertuples()]
    note = (f"<p>Sobol indices of {_e(table.attrs['output'])} from {table.attrs['base_samples']} "
            f"base samples ({table.attrs['dropped']} dropped: failed or missing runs); "
            f"{table.attrs['confidence']:.0%} bootstrap intervals.</p>")
    return "<h3>Sobol indices</h3>" + note + _table(
        ["factor", "first order", "interval", "total", "interval"], rows)


def _provenance(ds: xr.Dataset, path: str) -> str:
    items = [("result file", os.path.abspath(path) if path else "(in memory)")]
    for key, name in (("csfpk_version", "csfpk version"), ("created", "created (UTC)"),
                      ("created_utc", "created (UTC)"), ("scenario_file", "scenario file"),
                      ("sweep_file", "sweep file"), ("base_scenario_file", "base scenario file"),
                      ("design", "design"), ("runs", "runs"), ("factors", "factors"),
                      ("seed", "seed"), ("command_line", "command line"), ("status", "status")):
        if key in ds.attrs:
            items.append((name, ds.attrs[key]))
    body = "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"
    for key, title in (("sweep_text", "Sweep text"), ("scenario", "Scenario text"),
                       ("base_scenario_text", "Base scenario text")):
        text = str(ds.attrs.get(key, ""))
        if text:
            body += f"<h3>{title}</h3><pre>" + _e(text) + "</pre>"
    return body


def render(source, path: str = "", figures: bool = True) -> str:
    """The report as an HTML string; ``source`` is a path or a Dataset. ``figures=False`` leaves
    the figures out (a quick text-only report)."""
    if isinstance(source, xr.Dataset):
        ds = source
    else:
        path = os.fspath(source)
        ds = _r.open(path, load=True)
    name = _r.scenario_name(ds)
    flags = _r.safety_flags(ds)
    flags_html = "".join(
        f'<div class="flag {_e(f["severity"])}"><strong>{_e(f["severity"].upper())}: {_e(f["what"])}</strong>'
        f'<br><span>{_e(f["detail"])}</span></div>' for f in flags) or \
        '<div class="flag ok"><strong>No safety flags.</strong> The run finished, the reservoir ' \
        'never ran empty, no bolus was denied and no consensus maximum was exceeded.</div>'
    kind = "sweep" if _r.is_sweep(ds) else ("1D spinal model" if _r.is_1d(ds) else "compartmental model")
    t = np.asarray(ds["time"].values, dtype=float) if "time" in ds.variables else np.zeros(0)
    if t.size:
        duration = f"{(t[-1] - t[0]) / 24:.3g} days" if t[-1] - t[0] > 72 else f"{t[-1] - t[0]:.3g} h"
    else:
        duration = "per-run summaries only"
    if _r.is_sweep(ds):
        kind = f"sweep of {ds.sizes['run']} runs ({ds.attrs.get('design', 'runs')})"
    description = ""
    for line in str(ds.attrs.get("scenario", "")).splitlines():
        if line.startswith("description:"):
            description = line.split(":", 1)[1].strip()
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sections = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>csfpk report: {_e(name)}</title><style>{_CSS}</style></head><body>",
        f'<p class="disclaimer">{_e(DISCLAIMER)}</p>',
        f"<h1>{_e(name)}</h1>",
        f"<p>{_e(description)}</p>" if description else "",
        f'<p class="muted">{_e(kind)} · {_e(duration)} · drugs: '
        f'{_e(", ".join(map(str, ds["drug"].values)))} · report generated {generated}</p>',
        "<h2>Safety flags</h2>", flags_html,
        "<h2>Summary</h2>", _summary_tables(ds),
        *(["<h2>Figures</h2>", *_figures(ds)] if figures else []),
        "<h2>Events</h2>", _events_html(ds),
        "<h2>Provenance</h2>", _provenance(ds, path),
        f'<p class="muted">{_e(DISCLAIMER)}</p>',
        "</body></html>",
    ]
    return "\n".join(s for s in sections if s)


def write_report(source, output, figures: bool = True) -> str:
    """Write the HTML report of ``source`` (path or Dataset) to ``output``; returns the path."""
    text = render(source, figures=figures)
    output = os.fspath(output)
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    return output
