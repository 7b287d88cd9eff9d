#!/usr/bin/python3
"""Populations and P2 against the hand-written C CVODE programs, in the same session.

Builds ../shared/benchmarks/peers (p1_cvode, p2_cvode) in a scratch folder, then times, as whole
processes on this machine:

* P1 population: `csfpk sweep scenarios/sweeps/p1_population.yaml` (10 000 patients, all cores)
  against `p1_cvode pop 400 1e-6 1e-9` (one core, 400 patients); the figure is the ratio of
  per-patient rates (target: >= 50, i.e. 10 000 patients in <= 8 s here);
* P2: `csfpk run scenarios/reference/p2.yaml` against `p2_cvode 200 1e-6 1e-9 klu pw`
  (target: csfpk <= 0.5x the peer's time), and csfpk's cost from N = 200 to 3 200 cells.

Prints a table and writes bench/results/population.json. A benchmark, not a test: absolute times
on the 2-core VM drift by +-30 % from run to run, so only same-session ratios are reported.

Usage: bench/population.py [path/to/csfpk] [--peers DIR] [--threads N]
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(command, repeats):
    """Median wall time of `repeats` runs of `command` (a list), output discarded."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_exe = os.path.join(ROOT, "build", "release", "src", "csfpk")
    if not os.path.exists(default_exe):
        default_exe = os.path.join(ROOT, "build", "ci", "src", "csfpk")
    parser.add_argument("exe", nargs="?", default=default_exe)
    parser.add_argument("--peers", default=os.path.join(ROOT, "..", "shared", "benchmarks", "peers"))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="csfpk-bench-")
    try:
        for name in ("p1_cvode.c", "p2_cvode.c", "Makefile", "etas.csv"):
            shutil.copy(os.path.join(args.peers, name), scratch)
        subprocess.run(["make", "-s", "-C", scratch], check=True)
        p1_peer = os.path.join(scratch, "p1_cvode")
        p2_peer = os.path.join(scratch, "p2_cvode")
        etas = os.path.join(scratch, "etas.csv")
        out_csv = os.path.join(scratch, "out.csv")
        out_h5 = os.path.join(scratch, "out.h5")

        # P1 population.
        peer_patients = 400
        peer_s, peer_all = timed([p1_peer, "pop", str(peer_patients), "1e-6", "1e-9", etas, out_csv],
                                 args.repeats)
        sweep = os.path.join(ROOT, "scenarios", "sweeps", "p1_population.yaml")
        csfpk_s, csfpk_all = timed([args.exe, "sweep", sweep, "-o", out_h5, "--overwrite",
                                    "--threads", str(args.threads)], max(1, args.repeats - 1))
        patients = 10000
        ratio = (peer_s / peer_patients) / (csfpk_s / patients)
        print(f"P1 population: csfpk {patients} patients in {csfpk_s:.2f} s ({args.threads} threads), "
              f"peer {peer_patients} in {peer_s:.2f} s (1 core): {ratio:.1f}x the peer's "
              f"per-patient rate (target >= 50)")

        # P2 whole process.
        p2 = os.path.join(ROOT, "scenarios", "reference", "p2.yaml")
        p2_peer_s, p2_peer_all = timed([p2_peer, "200", "1e-6", "1e-9", "klu", "pw", out_csv],
                                       args.repeats + 2)
        p2_csfpk_s, p2_csfpk_all = timed([args.exe, "run", p2, "-o", out_h5, "--overwrite"],
                                         args.repeats + 2)
        p2_ratio = p2_csfpk_s / p2_peer_s
        print(f"P2 N=200: csfpk {p2_csfpk_s:.3f} s, peer {p2_peer_s:.3f} s: {p2_ratio:.2f}x the "
              "peer's time (target <= 0.5)")
        scaling = []
        for cells in (200, 400, 800, 1600, 3200):
            seconds, _ = timed([args.exe, "run", p2, "-o", out_h5, "--overwrite", "--set",
                                f"model.grid.cells={cells}"], 1 if cells > 800 else args.repeats)
            scaling.append({"cells": cells, "csfpk_seconds": round(seconds, 4),
                            "seconds_per_cell_us": round(seconds / cells * 1e6, 1)})
            print(f"  csfpk P2 N={cells}: {seconds:.3f} s")
        p2_3200_peer, _ = timed([p2_peer, "3200", "1e-6", "1e-9", "klu", "pw", out_csv], 1)
        print(f"  peer P2 N=3200: {p2_3200_peer:.3f} s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    version = subprocess.run([args.exe, "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    result = {
        "bench": "population",
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, {cpu}",
        "csfpk": version,
        "note": "whole processes, same session; peers from ../shared/benchmarks/peers",
        "p1_population": {
            "csfpk_patients": patients, "csfpk_threads": args.threads,
            "csfpk_seconds": [round(t, 3) for t in csfpk_all],
            "peer_patients": peer_patients, "peer_seconds": [round(t, 3) for t in peer_all],
            "per_patient_rate_ratio": round(ratio, 1), "target_ratio": 50,
            "target_met": ratio >= 50,
        },
        "p2_n200": {
            "csfpk_seconds": [round(t, 4) for t in p2_csfpk_all],
            "peer_seconds": [round(t, 4) for t in p2_peer_all],
            "time_ratio_csfpk_to_peer": round(p2_ratio, 2), "target_ratio": 0.5,
            "target_met": p2_ratio <= 0.5,
        },
        "p2_scaling": scaling,
        "p2_n3200_peer_seconds": round(p2_3200_peer, 3),
    }
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", "population.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
