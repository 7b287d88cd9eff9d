"""``python3 -m csfpk``: figures, reports and summary tables from result files.

    python3 -m csfpk plot OUT.h5 -o FIG.png [--kind overview|concentration|pump|profiles|
                                             kymograph|population|distribution|dermatome|sobol]
    python3 -m csfpk report OUT.h5 -o REPORT.html
    python3 -m csfpk summary OUT.h5 [--csv TABLE.csv]

Exit codes: 0 ok, 2 the result cannot be drawn or read as asked (message on stderr), 64 usage.
"""

from __future__ import annotations

import argparse
import os
import sys

KINDS = ("auto", "overview", "concentration", "pump", "profiles", "kymograph", "population",
         "distribution", "dermatome", "sobol")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 64, as the csfpk binary's do
        self.print_usage(sys.stderr)
        self.exit(64, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python3 -m csfpk",
        description="Figures, HTML reports and summary tables from csfpk result files. "
                    "csfpk is a research tool, not a dosing device.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{plot,report,summary}")

    plot = sub.add_parser("plot", help="draw a figure (PNG, PDF or SVG by the file extension)")
    plot.add_argument("result", help="result file (.h5) written by csfpk")
    plot.add_argument("-o", "--output", required=True, help="figure file, e.g. FIG.png")
    plot.add_argument("--kind", choices=KINDS, default="auto",
                      help="auto (default): overview for one run; for a sweep, percentile bands "
                           "(time series) or the distribution of a summary (summaries only)")
    plot.add_argument("--drug", action="append", help="drug(s) to draw (repeatable; default: all)")
    plot.add_argument("--site", action="append", dest="sites", help="site(s) (repeatable)")
    plot.add_argument("--level", action="append", dest="levels", help="vertebral level(s), 1D runs")
    plot.add_argument("--time", action="append", type=float, dest="times",
                      help="profile time(s) in hours (repeatable)")
    plot.add_argument("--run", type=int, help="run of a sweep to draw (default 0)")
    plot.add_argument("--summary", help="sweep summary for distribution/sobol (default mean/auc)")
    plot.add_argument("--time-unit", choices=("auto", "h", "day"), default="auto")
    plot.add_argument("--from", dest="start", help="start of the time window drawn, with a unit "
                      "(e.g. 13d, 36h, 90min)")
    plot.add_argument("--to", dest="end", help="end of the time window drawn, with a unit")
    plot.add_argument("--dpi", type=int, default=200)

    report = sub.add_parser("report", help="self-contained HTML report")
    report.add_argument("result", help="result file (.h5) written by csfpk")
    report.add_argument("-o", "--output", required=True, help="HTML file to write")
    report.add_argument("--no-figures", action="store_true", help="tables, flags and provenance only")

    summary = sub.add_parser("summary", help="print the per-run, per-drug summary table")
    summary.add_argument("result", help="result file (.h5) written by csfpk")
    summary.add_argument("--csv", help="also write the table as CSV")
    return parser


_TIME_UNITS_H = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0, "hr": 1.0, "d": 24.0, "day": 24.0,
                 "days": 24.0, "week": 168.0, "weeks": 168.0}
ONE_DRUG_KINDS = ("profiles", "kymograph", "population", "distribution", "sobol")


def _hours(text: str, option: str) -> float:
    """'13d', '36 h', '90min' → hours; a number without a unit is refused (units are not guessed)."""
    import re
    match = re.fullmatch(r"\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]+)\s*", text)
    if not match or match.group(2) not in _TIME_UNITS_H:
        raise ValueError(f"{option} {text!r}: expected a time with its unit, e.g. 13d, 36h, 90min "
                         f"(units: {', '.join(_TIME_UNITS_H)})")
    return float(match.group(1)) * _TIME_UNITS_H[match.group(2)]


def _window(ds, args):
    """The result restricted to --from/--to (hours since the start), refused when empty."""
    if args.start is None and args.end is None:
        return ds
    if "time" not in ds.dims:
        raise ValueError("--from/--to select a time window; this result has no time series")
    t = ds["time"].values
    lo = _hours(args.start, "--from") if args.start is not None else float(t[0])
    hi = _hours(args.end, "--to") if args.end is not None else float(t[-1])
    inside = (t >= lo - 1e-9) & (t <= hi + 1e-9)
    if hi <= lo or inside.sum() < 2:
        raise ValueError(f"the window {lo:g} h to {hi:g} h holds fewer than two output times of "
                         f"this result ({t[0]:g} h to {t[-1]:g} h)")
    return ds.isel(time=inside)


def _plot(args) -> str:
    """Draws the figure; with several --drug for a kind that shows one drug, one file per drug
    (FIG_<drug>.png) instead of silently drawing the first."""
    from . import results
    ds = _window(results.open(args.result, load=True), args)
    kind = args.kind
    if kind == "auto":
        series = "concentration" in ds.data_vars and "time" in ds["concentration"].dims
        kind = ("population" if series else "distribution") if results.is_sweep(ds) else "overview"
    drugs = args.drug or []
    if kind in ONE_DRUG_KINDS and len(drugs) > 1:
        root, ext = os.path.splitext(args.output)
        written = []
        for d in drugs:
            out = f"{root}_{d}{ext}"
            _draw(ds, kind, args, [d], out)
            written.append(out)
        return f"wrote {', '.join(written)} ({kind})"
    _draw(ds, kind, args, drugs or None, args.output)
    return f"wrote {args.output} ({kind})"


def _draw(ds, kind, args, drug, output):
    from . import plots
    one_drug = drug[0] if drug else None
    common = {"run": args.run} if kind not in ("population", "distribution", "sobol") else {}
    if kind == "overview":
        fig = plots.plot_overview(ds, drug=drug, sites=args.sites, levels=args.levels,
                                  time_unit=args.time_unit, **common)
    elif kind == "concentration":
        fig = plots.plot_concentration(ds, drug=drug, sites=args.sites, levels=args.levels,
                                       time_unit=args.time_unit, **common)
    elif kind == "pump":
        fig = plots.plot_pump(ds, drug=drug, time_unit=args.time_unit, **common)
    elif kind == "profiles":
        fig = plots.plot_profiles(ds, times=args.times, drug=one_drug, **common)
    elif kind == "kymograph":
        fig = plots.plot_kymograph(ds, drug=one_drug, time_unit=args.time_unit, **common)
    elif kind == "population":
        fig = plots.plot_population(ds, drug=one_drug, sites=args.sites, levels=args.levels,
                                    time_unit=args.time_unit)
    elif kind == "distribution":
        fig = plots.plot_summary_distribution(ds, args.summary or "mean", drug=one_drug)
    elif kind == "dermatome":
        fig = plots.plot_dermatome_coverage(ds, drug=drug, **common)
    else:
        summary = args.summary or next((n for n in ("auc", "mean", "peak") if n in ds.data_vars), "auc")
        label = (args.sites or args.levels or [None])[0]
        fig = plots.plot_sobol(ds, summary, drug=one_drug, label=label)
    plots.save(fig, output, dpi=args.dpi)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    import matplotlib
    if not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    try:
        if args.command == "plot":
            print(_plot(args))
        elif args.command == "report":
            from .report import write_report
            print(f"wrote {write_report(args.result, args.output, figures=not args.no_figures)}")
        else:
            import pandas as pd

            from .results import summaries
            table = summaries(args.result)
            if args.csv:
                table.to_csv(args.csv, index=False)
            with pd.option_context("display.max_columns", None, "display.width", 160):
                print(table.to_string(index=False))
    except BrokenPipeError:
        # The reader went away (`… | head`): nothing more to say. Later writes (the interpreter
        # flushes stdout at exit) go nowhere instead of raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (ValueError, OSError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
