#!/usr/bin/python3
"""Fault injection at every write of run, export, sweep and merge.

Each writer is first run under the shim in counting mode to learn how many writes (and syncs) it
makes, then once per write N with that write failing (ENOSPC from then on, EIO once, or a short
write). After every attempt:
  - csfpk exited normally: 0, or 4 (I/O failure) with an error message, never a signal;
  - with exit 0 the file at the final name is complete (`csfpk verify`, `sweep-info`, or the same
    bytes as a clean export);
  - otherwise the file that was there before is byte-for-byte intact (or, with none before, no
    file is at the final name);
  - no temporary or lock file is left beside it.

usage: fault_matrix.py CSFPK SHIM SOURCE_DIR WORKDIR [MAX_POINTS]
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

CSFPK, SHIM, SOURCE, WORK = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
MAX_POINTS = int(sys.argv[5]) if len(sys.argv) > 5 else 60
SCENARIO = SOURCE / "scenarios" / "morphine_continuous.yaml"
MODES = ("enospc", "eio", "short")
failures = []


def csfpk(*args, env=None):
    return subprocess.run([CSFPK, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=120)


def shim_env(**extra):
    env = dict(os.environ)
    env["LD_PRELOAD"] = SHIM
    env.update({k: str(v) for k, v in extra.items()})
    return env


def count_writes(command):
    counter = WORK / "count.txt"
    result = csfpk(*command, env=shim_env(CSFPK_FAULT_COUNT_FILE=counter))
    if result.returncode != 0:
        sys.exit(f"clean run of {command} failed: {result.stderr}")
    return int(counter.read_text())


def points(total):
    """Every write when there are few; otherwise an even spread that keeps the first and last."""
    if total <= MAX_POINTS:
        return list(range(1, total + 1))
    step = (total - 1) / (MAX_POINTS - 1)
    return sorted({1 + round(i * step) for i in range(MAX_POINTS)})


def leftovers(output):
    return [p.name for p in output.parent.iterdir()
            if p.name.startswith(output.name + ".partial") or p.name == output.name + ".lock"]


def check_case(name, output, prepare, command, complete):
    """prepare() puts the previous file in place (or removes it) and returns its bytes or None;
    complete(path) says whether a file at the final name is a whole, valid result."""
    prepare()
    total = count_writes(command)
    tried = 0
    for mode in MODES:
        for n in points(total):
            previous = prepare()
            result = csfpk(*command, env=shim_env(CSFPK_FAULT_AT=n, CSFPK_FAULT=mode))
            where = f"{name}: {mode} at write {n} of {total}"
            tried += 1
            if result.returncode < 0 or result.returncode not in (0, 4):
                failures.append(f"{where}: exit {result.returncode}\n{result.stderr[-2000:]}")
                continue
            if result.returncode == 4 and "error:" not in result.stderr:
                failures.append(f"{where}: exit 4 without an error message")
            if result.returncode == 0:
                if not complete(output):
                    failures.append(f"{where}: exit 0 but {output.name} is not complete")
            elif previous is None:
                if output.exists() and not complete(output):
                    failures.append(f"{where}: a file that is not complete is at {output.name}")
            elif not output.exists() or output.read_bytes() != previous:
                failures.append(f"{where}: the previous {output.name} was not kept intact")
            if left := leftovers(output):
                failures.append(f"{where}: left {left}")
    print(f"{name}: {total} writes, {tried} faulted attempts")


def keep(path, content):
    """Returns a prepare() that puts `content` (bytes, or None for no file) at `path`."""
    def prepare():
        for p in [path, *[path.parent / n for n in leftovers(path)]]:
            p.unlink(missing_ok=True)
        if content is not None:
            path.write_bytes(content)
        return content
    return prepare


def verifies(path):
    return csfpk("verify", path).returncode == 0


def sweep_complete(runs):
    def complete(path):
        info = csfpk("sweep-info", path)
        return info.returncode == 0 and f"done {runs}, failed 0, missing 0" in info.stdout
    return complete


def main():
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)

    # run: over an existing result, and onto a fresh name.
    result = WORK / "result.h5"
    if csfpk("run", SCENARIO, "-o", result).returncode != 0:
        sys.exit("clean run failed")
    old_result = result.read_bytes()
    check_case("run --overwrite", result, keep(result, old_result),
               ["run", SCENARIO, "-o", result, "--overwrite"], verifies)
    fresh = WORK / "fresh.h5"
    check_case("run", fresh, keep(fresh, None), ["run", SCENARIO, "-o", fresh], verifies)

    # export: over an existing CSV; a success must equal a clean export byte for byte.
    source = WORK / "source.h5"
    source.write_bytes(old_result)
    clean_csv = WORK / "clean.csv"
    if csfpk("export", source, "--csv", clean_csv).returncode != 0:
        sys.exit("clean export failed")
    expected_csv = clean_csv.read_bytes()
    csv = WORK / "out.csv"
    check_case("export --overwrite", csv, keep(csv, b"previous export\n"),
               ["export", source, "--csv", csv, "--overwrite"],
               lambda p: p.read_bytes() == expected_csv)

    # sweep: 4 runs, replacing a finished sweep of the same file.
    sweep = WORK / "sweep.yaml"
    sweep.write_text(f"""name: fault injection sweep
base: {SCENARIO}
seed: 1
design: {{type: grid}}
factors:
  - name: rate
    path: pump.basal
    values: [0.2, 0.4, 0.6, 0.8]
    unit: mL/day
outputs:
  summaries: true
  time_series: {{interval: 12 h}}
""")
    swept = WORK / "sweep.h5"
    if csfpk("sweep", sweep, "-o", swept).returncode != 0:
        sys.exit("clean sweep failed")
    check_case("sweep --overwrite", swept, keep(swept, swept.read_bytes()),
               ["sweep", sweep, "-o", swept, "--overwrite", "--threads", "1"], sweep_complete(4))

    # merge: two shards into a file that already holds a merge.
    shards = [WORK / f"shard{i}.h5" for i in range(2)]
    for i, shard in enumerate(shards):
        if csfpk("sweep", sweep, "-o", shard, "--shard", f"{i}/2").returncode != 0:
            sys.exit("clean shard failed")
    merged = WORK / "merged.h5"
    if csfpk("merge", merged, *shards).returncode != 0:
        sys.exit("clean merge failed")
    check_case("merge --overwrite", merged, keep(merged, merged.read_bytes()),
               ["merge", merged, *shards, "--overwrite"], sweep_complete(4))

    if failures:
        print(f"{len(failures)} failure(s):")
        for f in failures[:40]:
            print("  " + f)
        sys.exit(1)
    print("every fault left either the previous file or a complete new one")


main()
