#!/bin/sh
# Installs the Python package the way python/pyproject.toml documents for Debian: into a venv
# with the system's site-packages, no index and no build isolation. The package is built from a
# copy of the source tree (so the checkout gains no python/build/), then imported from outside
# any source or build folder, and run both in-process and through its bundled CLI.
# Usage: check_pip_install.sh SOURCE_DIR WORK_DIR PYTHON
set -eu
source=$1 work=$2 python=$3
rm -rf "$work"
mkdir -p "$work/src" "$work/elsewhere"
(cd "$source" && tar --exclude=./build --exclude=./.git --exclude=./python/build -cf - .) |
  tar -C "$work/src" -xf -
"$python" -m venv --system-site-packages "$work/venv"
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
  "$work/venv/bin/pip" install --no-index --no-build-isolation "$work/src/python" \
  > "$work/pip.log" 2>&1 || { tail -n 40 "$work/pip.log"; exit 1; }
rm -rf "$work/src/build" "$work/src/python/build"
cd "$work/elsewhere"
env -u PYTHONPATH -u CSFPK_MODELS_DIR -u CSFPK_EXE "$work/venv/bin/python" - "$work" <<'PY'
import os
import subprocess
import sys

import csfpk

work = sys.argv[1]
site = os.path.join(work, "venv", "lib")
assert csfpk.__file__.startswith(site), f"imported {csfpk.__file__}, not the venv's package"
assert csfpk.__version__ not in ("", "unknown"), csfpk.__version__
models = os.environ["CSFPK_MODELS_DIR"]
assert models.startswith(site) and os.path.isfile(os.path.join(models, "drugs", "morphine.yaml"))

scenario = os.path.join(work, "src", "scenarios", "reference", "p1.yaml")
out = os.path.join(work, "elsewhere", "p1.h5")
ds = csfpk.run_scenario(scenario, output=out)
assert float(ds["delivered"].isel(time=-1).max()) > 0
assert float(ds["concentration"].max()) > 0

exe = csfpk.executable()
assert exe.startswith(site), exe
subprocess.run([exe, "verify", out], check=True, stdout=subprocess.DEVNULL)
table = subprocess.run([sys.executable, "-m", "csfpk", "summary", out], check=True,
                       capture_output=True, text=True).stdout
assert "morphine" in table, table
print(f"csfpk {csfpk.__version__} installed in a venv: run_scenario and {os.path.basename(exe)} ok")
PY
