"""csfpk._core: in-process runs give the binary's result, errors map to Python exceptions with
the binary's messages, the GIL is released while solving, and batches survive bad runs."""

from __future__ import annotations

import subprocess
import threading
import time

import numpy as np
import pytest
import xarray as xr

import csfpk
from csfpk import _core

# A run whose solve takes a good fraction of a second but writes a small file.
LONG = ["duration=1500 day", "output.interval=1 day"]


def assert_same_result(a: xr.Dataset, b: xr.Dataset):
    """Same variables, coordinates, dimensions, units and numbers (provenance times differ)."""
    assert set(a.variables) == set(b.variables)
    for name in a.variables:
        assert a[name].dims == b[name].dims, name
        assert a[name].attrs == b[name].attrs, name
        if a[name].dtype == object:
            assert list(a[name].values) == list(b[name].values), name
        else:
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    for key in ("scenario", "status", "warnings", "csfpk_version", "Conventions"):
        assert a.attrs[key] == b.attrs[key], key


def test_run_scenario_equals_the_cli_result_file(result, source_dir):
    from_cli = csfpk.open(result("p1"), load=True)
    in_process = _core.run_scenario(str(source_dir / "scenarios/reference/p1.yaml"))
    assert isinstance(in_process, xr.Dataset)
    assert_same_result(in_process, from_cli)
    assert in_process.attrs["command_line"].startswith("csfpk._core.run_scenario(")
    assert csfpk.run_scenario is _core.run_scenario


def test_overrides_equal_cli_set(exe, source_dir, tmp_path):
    scenario = source_dir / "scenarios/morphine_continuous.yaml"
    out = tmp_path / "t6.h5"
    subprocess.run([exe, "run", str(scenario), "-o", str(out), "--set", "catheter.tip=T6",
                    "--set", "pump.basal=0.4 mL/day"], check=True, capture_output=True)
    as_list = csfpk.run_scenario(scenario, overrides=["catheter.tip=T6", "pump.basal=0.4 mL/day"])
    as_dict = csfpk.run_scenario(scenario, {"catheter.tip": "T6", "pump.basal": "0.4 mL/day"})
    assert_same_result(as_list, csfpk.open(out, load=True))
    assert_same_result(as_dict, as_list)


MORPHINE_CONTINUOUS = {  # scenarios/morphine_continuous.yaml as a dict
    "name": "morphine continuous, T10 tip",
    "description": "constant-rate morphine, 2.5 mg/day, catheter tip at T10",
    "duration": "14 day",
    "model": {"compartments": "four_region"},
    "pump": {"reservoir": {"capacity": "20 mL", "volume": "20 mL", "low_alarm": "2 mL",
                           "blend": {"morphine": "5 mg/mL"}},
             "basal": "0.5 mL/day"},
    "catheter": {"tip": "T10", "dead_volume": "0.13 mL"},
    "output": {"interval": "30 min"},
}


def test_dict_scenario_equals_the_file(result):
    from_dict = csfpk.run_scenario(MORPHINE_CONTINUOUS)
    from_file = csfpk.open(result("morphine_continuous"), load=True)
    for name in from_file.data_vars:
        np.testing.assert_array_equal(from_dict[name].values, from_file[name].values, err_msg=name)
    assert from_dict.attrs["scenario_file"] == "<dict>"
    assert "name: morphine continuous, T10 tip" in from_dict.attrs["scenario"]


def test_keep_the_result_file(source_dir, tmp_path):
    out = tmp_path / "kept.h5"
    ds = csfpk.run_scenario(source_dir / "scenarios/baclofen_flex_day_night.yaml", output=out)
    assert_same_result(ds, csfpk.open(out, load=True))


def _cli_error(exe, *args):
    done = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
    assert done.returncode != 0 and done.stderr.startswith("error: ")
    return done.returncode, done.stderr[len("error: "):].rstrip("\n")


def test_input_error_has_the_binarys_message(exe, source_dir, tmp_path):
    p1 = source_dir / "scenarios/reference/p1.yaml"
    code, message = _cli_error(exe, "run", p1, "-o", tmp_path / "x.h5", "--set", "catheter.tip=X9")
    assert code == 2
    with pytest.raises(csfpk.InputError) as caught:
        csfpk.run_scenario(p1, ["catheter.tip=X9"])
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, csfpk.CsfpkError)
    assert caught.value.field == "catheter.tip"
    bad = source_dir / "tests/cli/bad"
    for path in sorted(bad.glob("*.yaml"))[:4]:  # a few of the catalogue of bad inputs
        code, message = _cli_error(exe, "run", path, "-o", tmp_path / "y.h5")
        with pytest.raises(csfpk.CsfpkError) as caught:
            csfpk.run_scenario(path)
        assert str(caught.value) == message, path.name


def test_io_error_has_the_binarys_message(exe, source_dir, tmp_path):
    scenario = source_dir / "scenarios/baclofen_flex_day_night.yaml"
    target = tmp_path / "no-such-dir" / "out.h5"
    code, message = _cli_error(exe, "run", scenario, "-o", target)
    assert code == 4
    with pytest.raises(csfpk.IoError) as caught:
        csfpk.run_scenario(scenario, output=target)
    assert str(caught.value) == message and isinstance(caught.value, OSError)


def test_dict_errors_name_the_dict_not_a_temporary_file():
    broken = dict(MORPHINE_CONTINUOUS, duration="fourteen days")
    with pytest.raises(csfpk.InputError, match=r"^<dict>:\d+: duration: ") as caught:
        csfpk.run_scenario(broken)
    assert "/tmp" not in str(caught.value) and caught.value.file == "<dict>"
    with pytest.raises(TypeError, match="expected a path"):
        csfpk.run_scenario(42)
    with pytest.raises(TypeError, match="overrides"):
        csfpk.run_scenario(MORPHINE_CONTINUOUS, overrides="catheter.tip=T6")
    with pytest.raises(TypeError, match="cannot express"):
        csfpk.run_scenario(dict(MORPHINE_CONTINUOUS, extra=object()))


def _max_gap_while(threads):
    """Largest pause of this (Python) thread while `threads` run: long if they hold the GIL."""
    for t in threads:
        t.start()
    last = start = time.perf_counter()
    gap = 0.0
    while any(t.is_alive() for t in threads):
        time.sleep(0.002)  # gives the GIL up and leaves the cores to the solves; waking needs it back
        now = time.perf_counter()
        gap = max(gap, now - last)
        last = now
    for t in threads:
        t.join()
    return gap, time.perf_counter() - start


def test_gil_is_released_while_solving(source_dir):
    p1 = source_dir / "scenarios/reference/p1.yaml"
    start = time.perf_counter()
    serial = csfpk.run_scenario(p1, LONG)
    one = time.perf_counter() - start
    results = {}

    def solve(key):
        results[key] = csfpk.run_scenario(p1, LONG)

    gap, _ = _max_gap_while([threading.Thread(target=solve, args=(k,)) for k in ("a", "b")])
    # Holding the GIL through a solve would freeze this thread for the whole solve (~`one`);
    # only the short write/open steps hold it.
    assert gap < 0.5 * one, f"main thread paused {gap:.3f} s during solves of {one:.3f} s each"
    for key in ("a", "b"):
        assert_same_result(results[key], serial)


def test_batch_in_order_with_a_failed_run(source_dir):
    p1 = source_dir / "scenarios/reference/p1.yaml"
    flex = source_dir / "scenarios/baclofen_flex_day_night.yaml"
    items = [(p1, ["duration=2 day"]), (p1, ["catheter.tip=X9"]), flex,
             (MORPHINE_CONTINUOUS, {"catheter.tip": "T6"}), {"name": "incomplete"},
             source_dir / "scenarios/absent.yaml"]
    runs = csfpk.run_batch(items, threads=2)
    assert [type(r).__name__ for r in runs] == ["Dataset", "RunFailure", "Dataset", "Dataset",
                                                "RunFailure", "RunFailure"]
    assert runs[0].sizes["time"] == 2 * 24 * 4 + 1
    assert runs[2].attrs["scenario_file"] == str(flex)
    failure = runs[1]
    assert failure.index == 1 and failure.error_type == "InputError"
    assert isinstance(failure.error, csfpk.InputError) and failure.error.field == "catheter.tip"
    with pytest.raises(csfpk.InputError):
        failure.raise_error()
    assert runs[4].scenario == "<dict>" and runs[4].message.startswith("<dict>:")
    assert "cannot open the scenario file" in runs[5].message
    single = csfpk.run_scenario(MORPHINE_CONTINUOUS, {"catheter.tip": "T6"})
    assert_same_result(runs[3], single)


def test_batch_results_do_not_depend_on_threads(source_dir):
    p1 = source_dir / "scenarios/reference/p1.yaml"
    items = [(p1, ["duration=3 day", f"drugs.morphine.csf_elimination_rate={k} 1/h"])
             for k in (0.2, 0.3, 0.4, 0.5, 0.6)]
    one = csfpk.run_batch(items, threads=1)
    many = csfpk.run_batch(items, threads=3)
    for a, b in zip(one, many):
        assert_same_result(a, b)
    lumbar = [float(r["concentration"].sel(drug="morphine", site="lumbar").mean()) for r in one]
    assert lumbar == sorted(lumbar, reverse=True)  # faster clearance, lower concentration
    assert csfpk.run_batch([]) == []
    with pytest.raises(TypeError, match=r"\(scenario, overrides\)"):
        csfpk.run_batch([(p1,)])


def test_batch_overlaps_solves(source_dir):
    """Several long runs on 2 threads take clearly less than 2 × one run each after another,
    and the caller's thread keeps running while they solve."""
    p1 = source_dir / "scenarios/reference/p1.yaml"
    out = {}

    def batch():
        out["runs"] = csfpk.run_batch([(p1, LONG)] * 2, threads=2)

    gap, _ = _max_gap_while([threading.Thread(target=batch)])
    assert len(out["runs"]) == 2 and all(isinstance(r, xr.Dataset) for r in out["runs"])
    assert gap < 0.4, f"caller paused {gap:.3f} s during a batch"


def test_no_temporary_files(source_dir, tmp_path, monkeypatch):
    """Runs (file and dict scenarios, single and batch) go from the solver to xarray in memory:
    nothing is written under the temporary directory."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    path = source_dir / "scenarios/morphine_continuous.yaml"
    from_file = csfpk.run_scenario(path)
    from_dict = csfpk.run_scenario(MORPHINE_CONTINUOUS)
    batch = csfpk.run_batch([path, MORPHINE_CONTINUOUS], threads=2)
    assert list(scratch.iterdir()) == []
    assert_same_result(batch[0], from_file)
    assert_same_result(batch[1], from_dict)
    for name in from_file.data_vars:
        np.testing.assert_array_equal(from_dict[name].values, from_file[name].values, err_msg=name)


def test_dict_relative_paths_resolve_against_base_dir(source_dir, tmp_path):
    """A dict naming a model file by a relative path finds it under base_dir (default: the
    working directory)."""
    scenario = dict(MORPHINE_CONTINUOUS)
    scenario["model"] = {"compartments": "models/compartments/four_region.yaml"}
    with_base = csfpk.run_scenario(scenario, base_dir=source_dir)
    assert float(with_base["concentration"].max()) > 0
    with pytest.raises(csfpk.InputError, match="no compartment model"):
        csfpk.run_scenario(scenario, base_dir=tmp_path)
