#!/usr/bin/python3
"""Qualification: run every published protocol in qualification/studies/ with csfpk's default
parameters and compare with what the study observed.

Each study folder holds README.md (source and protocol), `role` (training or test), one scenario
per arm and observed.csv. This script runs the scenarios with the csfpk binary, computes the
observed quantities from the predictions the way the study did (concentration at a time, Cmax,
Tmax, terminal half-life fitted over the study's window, clearance = dose / AUC(0-inf),
volume = CL / k, AUC, concentration ratios between sites), and writes docs/qualification.md
with fold errors and the geometric mean fold error (GMFE) per study, training and test apart,
plus docs/img/qualification.png.

  scripts/qualify.py                   write docs/qualification.md and the figure
  scripts/qualify.py --check           fail if docs/qualification.md differs from a fresh run
  scripts/qualify.py --calibrate       fit the apparent-dispersion scale to the training studies
                                       (prints the value to put in models/anatomy/adult.yaml)

Sites: 'lumbar' is read at L3 (lumbar puncture at L3-L4), 'cisternal' is the cranial pool,
'plasma' is plasma, anything else is a vertebral level of the anatomy.
"""
import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUDIES = os.path.join(ROOT, "qualification", "studies")
REPORT = os.path.join(ROOT, "docs", "qualification.md")
FIGURE = os.path.join(ROOT, "docs", "img", "qualification.png")
LUMBAR_LEVEL = "L3"
ANATOMY = os.path.join(ROOT, "models", "anatomy", "adult.yaml")


def dispersion_table():
    """The adult anatomy's dispersion table (unscaled), as a scenario value."""
    import yaml
    with open(ANATOMY) as f:
        table = yaml.safe_load(f)["default_transport"]["dispersion"]
    return "{x: [%s], value: [%s]}" % (", ".join(table["x"]), ", ".join(table["value"]))


def binary():
    for candidate in (os.environ.get("CSFPK_EXE"), os.path.join(ROOT, "build", "ci", "src", "csfpk"),
                      os.path.join(ROOT, "build", "release", "src", "csfpk")):
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("qualify: csfpk binary not found (build first, or set CSFPK_EXE)")


class Prediction:
    """One scenario's result, with the series the observations need."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            self.t = f["time"][:]
            self.profile = f["csf_concentration"][0]  # cells x times, ug/mL
            self.x = f["position"][:]
            self.levels = [s.decode() for s in f["level"][:]]
            self.level_x = f["level_position"][:]
            self.sites = [s.decode() for s in f["site"][:]]
            self.site_c = f["concentration"][0]  # sites x times
            self.dose = float(f["delivered"][0][-1])

    def series(self, site):
        if site == "lumbar":
            site = LUMBAR_LEVEL
        if site in ("cisternal", "intracranial"):
            return self.site_c[self.sites.index("cranial_pool")]
        if site in self.sites:
            return self.site_c[self.sites.index(site)]
        x = self.level_x[self.levels.index(site)]
        return np.array([np.interp(x, self.x, self.profile[:, k]) for k in range(len(self.t))])


def window(text):
    a, b = (float(v) for v in text.split("-"))
    return a, b


def terminal_rate(t, c, span):
    """Log-linear fit over the study's window, as the study fitted its terminal phase."""
    a, b = window(span)
    keep = (t >= a - 1e-9) & (t <= b + 1e-9) & (c > 0)
    if keep.sum() < 3:
        raise ValueError(f"fewer than 3 positive outputs in the window {span} h")
    k = -np.polyfit(t[keep], np.log(c[keep]), 1)[0]
    if not k > 0:
        raise ValueError(f"no decline in the window {span} h (slope {-k})")
    return k


def auc_inf(t, c, span):
    """AUC(0-inf) as a study computes it: trapezoids to its last sample (the window's end), then
    C_last / k."""
    k = terminal_rate(t, c, span)
    end = window(span)[1]
    keep = t <= end + 1e-9
    trapezoid = getattr(np, "trapezoid", None) or np.trapz
    return trapezoid(c[keep], t[keep]) + c[keep][-1] / k


def predict(row, run):
    quantity, site = row["quantity"], row["site"]
    if quantity == "ratio":
        a, b = site.split("/")
        ca, cb = run.series(a), run.series(b)
        time = float(row["time_h"])
        return np.interp(time, run.t, ca) / np.interp(time, run.t, cb)
    c = run.series(site)
    if quantity == "concentration":
        return float(np.interp(float(row["time_h"]), run.t, c))
    if quantity == "cmax":
        return float(c.max())
    if quantity == "tmax":
        return float(run.t[int(np.argmax(c))])
    if quantity == "half_life":
        return math.log(2) / terminal_rate(run.t, c, row["window_h"])
    if quantity == "auc":
        return auc_inf(run.t, c, row["window_h"])
    if quantity == "clearance":
        return run.dose / auc_inf(run.t, c, row["window_h"])
    if quantity == "volume_of_distribution":
        return run.dose / auc_inf(run.t, c, row["window_h"]) / terminal_rate(run.t, c, row["window_h"])
    raise ValueError("unknown quantity " + quantity)


def run_study(folder, exe, scratch, overrides):
    rows = list(csv.DictReader(open(os.path.join(folder, "observed.csv"))))
    runs = {}
    for name in sorted({r["scenario"] for r in rows}):
        out = os.path.join(scratch, os.path.basename(folder) + "_" + name + ".h5")
        command = [exe, "run", os.path.join(folder, name), "-o", out, "--overwrite"]
        for o in overrides:
            command += ["--set", o]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        runs[name] = Prediction(out)
    for r in rows:
        r["predicted"] = predict(r, runs[r["scenario"]])
        r["fold"] = r["predicted"] / float(r["value"])
    return rows


def load_studies():
    studies = []
    for sid in sorted(os.listdir(STUDIES)):
        folder = os.path.join(STUDIES, sid)
        role = open(os.path.join(folder, "role")).read().strip()
        studies.append((sid, folder, role))
    return studies


def run_all(overrides=(), roles=("training", "test")):
    exe = binary()
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for sid, folder, role in load_studies():
            if role in roles:
                results.append((sid, role, run_study(folder, exe, scratch, list(overrides))))
    return results


def gmfe(rows):
    return math.exp(sum(abs(math.log(r["fold"])) for r in rows) / len(rows))


def summary(results, role):
    rows = [r for sid, rl, rs in results if rl == role for r in rs]
    if not rows:
        return None
    within2 = sum(1 for r in rows if 0.5 <= r["fold"] <= 2.0)
    return len({sid for sid, rl, _ in results if rl == role}), len(rows), within2, gmfe(rows)


def fmt(v):
    return f"{v:.3g}"


def report(results):
    lines = ["# Qualification: csfpk against published observations", "",
             "Generated by `scripts/qualify.py` (do not edit by hand; CI checks that this file",
             "matches a fresh run). Every study is run with **one default parameter set** (the",
             "library in `models/`, the 1D spinal model with the adult anatomy); the only",
             "calibrated value is the apparent-dispersion scale in `models/anatomy/adult.yaml`,",
             "fitted by `scripts/qualify.py --calibrate` to the **training** studies alone. Test",
             "studies were not used for any parameter. Protocols, sources and every assumption",
             "(marked [E]) are in `qualification/studies/<study>/README.md`.", "",
             "Fold error = predicted / observed; GMFE = exp(mean |ln fold|). Sites: lumbar = CSF at",
             f"{LUMBAR_LEVEL}, cisternal = cranial pool.", "", "## Summary", "",
             "| set | studies | observations | within 2-fold | GMFE |", "|---|---|---|---|---|"]
    for role in ("training", "test"):
        s = summary(results, role)
        if s:
            lines.append(f"| {role} | {s[0]} | {s[1]} | {s[2]} ({100 * s[2] / s[1]:.0f} %) | {s[3]:.2f} |")
    test = summary(results, "test")
    if test:
        share = test[2] / test[1]
        lines += ["", "Targets on the test studies: at least 80 % of observations within 2-fold — "
                  + ("met" if share >= 0.8 else f"**not met** ({100 * share:.0f} %)")
                  + "; GMFE at most 2 — " + ("met" if test[3] <= 2.0 else f"**not met** ({test[3]:.2f})")
                  + ". Where the model misses and why: `docs/model.md`, Limits."]
    lines += ["", "## Per study", "", "| study | set | observations | GMFE |", "|---|---|---|---|"]
    for sid, role, rows in results:
        lines.append(f"| {sid} | {role} | {len(rows)} | {gmfe(rows):.2f} |")
    lines += ["", "## Observations", "",
              "| study | scenario | quantity | site | observed | predicted | unit | fold |",
              "|---|---|---|---|---|---|---|---|"]
    for sid, role, rows in results:
        for r in rows:
            flag = "" if 0.5 <= r["fold"] <= 2.0 else " **"
            lines.append(f"| {sid} | {r['scenario']} | {r['quantity']} | {r['site']} | {fmt(float(r['value']))} | "
                         f"{fmt(r['predicted'])} | {r['unit']} | {r['fold']:.2f}{flag} |")
    lines += ["", "`**` marks a prediction outside 2-fold of the observation.", ""]
    return "\n".join(lines)


def figure(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 5))
    quantities = sorted({r["quantity"] for _, _, rs in results for r in rs})
    for role, marker, shift in (("training", "s", -0.15), ("test", "o", 0.15)):
        rows = [r for _, rl, rs in results if rl == role for r in rs]
        ax.scatter([quantities.index(r["quantity"]) + shift for r in rows], [r["fold"] for r in rows],
                   marker=marker, s=40, label=role, edgecolor="k",
                   color="C0" if role == "training" else "C1", zorder=3)
    ax.set_xticks(range(len(quantities)), [q.replace("_", " ") for q in quantities], rotation=30, ha="right")
    ax.legend(loc="upper left")
    ax.set_yscale("log")
    ax.axhline(1, color="k", lw=0.8)
    for y in (0.5, 2):
        ax.axhline(y, color="grey", ls="--", lw=0.8)
    ax.set_ylabel("predicted / observed")
    ax.set_title(f"csfpk against {len(results)} published studies (one parameter set)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def calibrate():
    """Golden-section search of the dispersion scale minimising Σ ln²(fold) over training."""
    table = dispersion_table()

    def loss(scale):
        over = [f"model.dispersion={{table: {table}, scale: {scale}}}"]
        rows = [r for _, _, rs in run_all(over, roles=("training",)) for r in rs]
        value = sum(math.log(r["fold"]) ** 2 for r in rows)
        print(f"scale {scale:.4f}: sum ln^2 fold = {value:.5f}", flush=True)
        return value
    a, b = math.log(1.0), math.log(30.0)
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = loss(math.exp(c)), loss(math.exp(d))
    for _ in range(14):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = loss(math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = loss(math.exp(d))
    best = math.exp((a + b) / 2)
    print(f"calibrated dispersion scale on the training studies: {best:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
        return 0
    results = run_all()
    text = report(results)
    if args.check:
        old = open(REPORT).read() if os.path.exists(REPORT) else ""
        if old != text:
            sys.stderr.write("docs/qualification.md is out of date: run scripts/qualify.py\n")
            return 1
        print("docs/qualification.md matches a fresh run")
        return 0
    with open(REPORT, "w") as f:
        f.write(text)
    figure(results, FIGURE)
    print(text.split("## Per study")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
