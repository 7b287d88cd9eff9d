"""python3 -m csfpk plot / report / summary on real and synthetic result files. A few runs go
through a real subprocess with Debian's interpreter, as users run them; the rest call the same
entry point (csfpk.__main__.main) in-process, which is much faster."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("Agg")

from csfpk.__main__ import main  # noqa: E402


def csfpk_cli(*args, check=True, subprocess_run=False):
    """Run `python3 -m csfpk ARGS`: returncode, stdout, stderr."""
    args = [str(a) for a in args]
    if subprocess_run:
        done = subprocess.run([sys.executable, "-m", "csfpk", *args], capture_output=True, text=True,
                              env={**os.environ, "MPLBACKEND": "Agg"})
        code, out, err = done.returncode, done.stdout, done.stderr
    else:
        out_buffer, err_buffer = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out_buffer), contextlib.redirect_stderr(err_buffer):
            try:
                code = main(args)
            except SystemExit as exit_:
                code = exit_.code
        out, err = out_buffer.getvalue(), err_buffer.getvalue()
    if check and code != 0:
        pytest.fail(f"python -m csfpk {' '.join(args)} failed ({code}):\n{err}")
    return SimpleNamespace(returncode=code, stdout=out, stderr=err)


def _images(text):
    return re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', text)


def _check_report(path, figure_dir, name):
    text = path.read_text(encoding="utf-8")
    body = text[text.index("<body>") + len("<body>"):].lstrip()
    assert body.startswith('<p class="disclaimer">csfpk is a research tool, not a dosing device')
    images = _images(text)
    assert images, "no embedded figures"
    for i, data in enumerate(images):
        png = base64.b64decode(data)
        assert png.startswith(b"\x89PNG") and len(png) > 5000
        (figure_dir / f"report_{name}_{i}.png").write_bytes(png)
    assert text.count("<table>") >= 2
    assert "<h2>Safety flags</h2>" in text and "<h2>Provenance</h2>" in text
    assert "http://" not in text and "https://" not in text  # self-contained
    return text


def _report(path, tmp_path, *options):
    out = tmp_path / (os.path.basename(str(path)) + ".html")
    csfpk_cli("report", path, "-o", out, *options)
    return out


def test_plot_and_report_as_a_subprocess(result, tmp_path, figure_dir, check_png):
    boluses = result("morphine_clonidine_patient_boluses")
    out = figure_dir / "cli_subprocess_boluses.png"
    done = csfpk_cli("plot", boluses, "-o", out, "--dpi", 110, subprocess_run=True)
    assert done.stdout.strip() == f"wrote {out} (overview)"
    check_png(out)
    html = tmp_path / "boluses.html"
    done = csfpk_cli("report", boluses, "-o", html, subprocess_run=True)
    assert done.stdout.strip() == f"wrote {html}"
    text = _check_report(html, figure_dir, "boluses")
    assert "patient bolus requests denied: 15×" in text
    assert "name: morphine + clonidine with patient boluses" in text  # the scenario text
    assert "lumbar" in text and "ng/mL" in text
    check_png(figure_dir / "report_boluses_0.png")
    done = csfpk_cli("plot", boluses, check=False, subprocess_run=True)
    assert done.returncode == 64 and "-o/--output" in done.stderr


@pytest.mark.parametrize("source,kind", [
    ("p1", "concentration"), ("baclofen_reservoir_runs_dry", "pump"),
    ("morphine_concentration_change", "profiles"), ("one_d", "kymograph"), ("one_d", "dermatome"),
    ("one_d", "auto"), ("sweep", "auto"), ("sobol", "auto"), ("sobol", "sobol"),
])
def test_plot_every_kind(source, kind, result, synthetic_files, one_d_file, figure_dir, check_png):
    path = {"one_d": one_d_file}.get(source) or synthetic_files.get(source) or result(source)
    out = figure_dir / f"cli_{source}_{kind}.png"
    done = csfpk_cli("plot", path, "-o", out, "--kind", kind, "--dpi", 100)
    assert f"wrote {out}" in done.stdout
    check_png(out, min_side=200)


def test_plot_options(result, figure_dir, check_png):
    out = figure_dir / "cli_boluses_morphine_lumbar.png"
    csfpk_cli("plot", result("morphine_clonidine_patient_boluses"), "-o", out, "--kind",
              "concentration", "--drug", "morphine", "--site", "lumbar", "--site", "plasma",
              "--time-unit", "h", "--dpi", 100)
    check_png(out)
    out = figure_dir / "cli_p1_profiles.pdf"
    csfpk_cli("plot", result("p1"), "-o", out, "--kind", "profiles", "--time", "24", "--time", "600")
    assert out.read_bytes().startswith(b"%PDF")


def test_plot_refuses_what_the_file_cannot_show(result, tmp_path):
    done = csfpk_cli("plot", result("p1"), "-o", tmp_path / "k.png", "--kind", "kymograph", check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: a kymograph needs the CSF concentration along the spine")
    assert not (tmp_path / "k.png").exists()
    done = csfpk_cli("plot", tmp_path / "absent.h5", "-o", tmp_path / "x.png", check=False)
    assert done.returncode == 2 and "no such result file" in done.stderr
    done = csfpk_cli("plot", result("p1"), "-o", tmp_path / "x.png", "--kind", "radar", check=False)
    assert done.returncode == 64


def test_report_flags(result, exe, source_dir, tmp_path):
    text = _report(result("baclofen_reservoir_runs_dry"), tmp_path, "--no-figures").read_text()
    assert text.count("<table>") >= 2 and "<img" not in text
    assert 'class="flag error"' in text and "reservoir ran empty" in text
    # A blend above the consensus maximum: the binary warns, the report flags it.
    strong = tmp_path / "strong.h5"
    subprocess.run([exe, "run", str(source_dir / "scenarios/morphine_continuous.yaml"), "-o", str(strong),
                    "--set", "pump.reservoir.blend.morphine=50 mg/mL"], check=True, capture_output=True)
    text = _report(strong, tmp_path, "--no-figures").read_text()
    assert "consensus maximum exceeded" in text and "above the consensus maximum 20 mg/mL" in text
    text = _report(result("baclofen_flex_day_night"), tmp_path, "--no-figures").read_text()
    assert "No safety flags." in text


def test_report_one_d_and_sweeps(synthetic_files, one_d_file, tmp_path, figure_dir):
    text = _check_report(_report(one_d_file, tmp_path), figure_dir, "one_d")
    assert len(_images(text)) >= 4  # overview, kymographs, profiles, dermatomes
    assert "1D spinal model" in text and "T10" in text
    text = _check_report(_report(synthetic_files["sweep"], tmp_path), figure_dir, "sweep")
    assert "1 of 12 runs failed" in text and "11 of 12 runs finished" in text
    assert "Sweep text" in text and "monte_carlo" in text
    text = _check_report(_report(synthetic_files["sobol"], tmp_path), figure_dir, "sobol")
    assert "<h3>Sobol indices</h3>" in text and "Sobol sensitivity indices of auc" in text
    assert "per-run summaries only" in text


def test_summary_command(result, tmp_path):
    csv = tmp_path / "p1.csv"
    done = csfpk_cli("summary", result("p1"), "--csv", csv)
    assert "morphine" in done.stdout and "lumbar_peak_ug_per_mL" in done.stdout
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("run,drug,status,") and len(lines) == 1 + 4


def test_summary_into_a_closed_pipe_exits_cleanly(result):
    """`python3 -m csfpk summary OUT.h5 | head`: the reader is gone before the table is written;
    the command ends with status 0 and says nothing on stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "csfpk", "summary", result("p1")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    proc.stdout.close()  # as `head` does once it has what it wants
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert err.decode().strip() == ""


def test_plot_several_drugs_and_a_time_window(result, tmp_path):
    """Several --drug for a one-drug kind: one file per drug (not the first silently); --from/--to
    draw a window, with units required."""
    out = tmp_path / "profiles.png"
    path = result("p1")
    done = subprocess.run([sys.executable, "-m", "csfpk", "plot", path, "-o", str(out), "--kind",
                           "profiles", "--drug", "morphine", "--drug", "clonidine"],
                          capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "profiles_morphine.png").exists() and (tmp_path / "profiles_clonidine.png").exists()
    window = tmp_path / "window.png"
    done = subprocess.run([sys.executable, "-m", "csfpk", "plot", path, "-o", str(window), "--kind",
                           "concentration", "--from", "2d", "--to", "3d"],
                          capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0 and window.exists(), done.stderr
    bad = subprocess.run([sys.executable, "-m", "csfpk", "plot", path, "-o", str(window), "--from", "2"],
                         capture_output=True, text=True, env=os.environ.copy())
    assert bad.returncode == 2 and "expected a time with its unit" in bad.stderr
    import csfpk
    from csfpk.__main__ import _window
    ds = csfpk.open(path, load=True)
    args = SimpleNamespace(start="2d", end="3d")
    t = _window(ds, args)["time"].values
    assert t[0] == 48.0 and t[-1] == 72.0
