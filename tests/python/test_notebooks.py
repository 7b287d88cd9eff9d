"""The example notebooks execute headless without error (nbclient, an ipykernel running this
very interpreter, so Debian's /usr/bin/python3 and the build's PYTHONPATH)."""

from __future__ import annotations

import json
import os
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernelspec whose argv is this interpreter; the kernel inherits our environment."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "csfpk-python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "csfpk (this interpreter)", "language": "python"}))
    os.environ["JUPYTER_PATH"] = str(root) + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return "csfpk-python3"


def execute(path, kernel, workdir, **env):
    notebook = nbformat.read(path, as_version=4)
    env = {"MPLBACKEND": None, **env}  # the kernel must use Jupyter's inline backend, not Agg
    saved = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        client = nbclient.NotebookClient(notebook, timeout=240, kernel_name=kernel,
                                         resources={"metadata": {"path": str(workdir)}})
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return notebook


def outputs(notebook, kind):
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
            if kind in o.get("data", {})]


def errors(notebook):
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
            if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr"
                                              and "Warning" in o.text)]


def test_quickstart(source_dir, kernel, tmp_path):
    notebook = execute(source_dir / "python/notebooks/quickstart.ipynb", kernel, tmp_path)
    assert not errors(notebook)
    assert len(outputs(notebook, "image/png")) >= 4  # overview, profiles, tip comparison, bars
    text = "".join(o.get("text", "") for cell in notebook.cells for o in getattr(cell, "outputs", []))
    assert "identical arrays:" in text and "report.html" in text


def test_population_built_in_process(source_dir, kernel, tmp_path):
    notebook = execute(source_dir / "python/notebooks/population.ipynb", kernel, tmp_path)
    assert not errors(notebook)
    assert len(outputs(notebook, "image/png")) >= 2  # percentile bands
    text = "".join(o.get("text", "") for cell in notebook.cells for o in getattr(cell, "outputs", []))
    assert "20 of 20 runs finished" in text


def test_population_from_a_sweep_file_with_sobol(source_dir, kernel, tmp_path, synthetic_files):
    """A summaries-only Saltelli sweep file: distributions instead of bands, and Sobol indices."""
    notebook = execute(source_dir / "python/notebooks/population.ipynb", kernel, tmp_path,
                       CSFPK_SWEEP_FILE=synthetic_files["sobol"])
    assert not errors(notebook)
    assert len(outputs(notebook, "image/png")) >= 3  # two distributions and the Sobol bars
    html = "".join(o["data"]["text/html"] for o in outputs(notebook, "text/html"))
    assert "dispersion" in html and "ST_high" in html  # the Sobol table
