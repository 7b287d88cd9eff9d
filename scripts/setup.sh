#!/usr/bin/env bash
# Installs what is missing (Debian packages only), then configures and builds csfpk in Release.
# Idempotent: a second run installs nothing and rebuilds only what changed.
# Usage: scripts/setup.sh [preset]   (preset: release (default) or ci, which adds -Werror)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

packages=(
  build-essential cmake pkg-config
  libsundials-dev libeigen3-dev libhdf5-dev libyaml-cpp-dev libcli11-dev catch2
  libssl-dev                   # SHA-256 of input files (sweep provenance)
  libceres-dev                 # csfpk fit: the least-squares optimiser
  python3 python3-numpy python3-h5py python3-xarray python3-h5netcdf python3-pandas
  python3-netcdf4              # tests: an independent netCDF reader checks the CF layout
  chromium-headless-shell      # tests: the HTML report rendered in a browser
  python3-matplotlib python3-pytest
  pybind11-dev python3-dev python3-nbclient python3-nbformat python3-ipykernel  # python/ package
  libopenmpi-dev openmpi-bin   # optional MPI sweeps (mpirun -np K csfpk sweep); tests use mpirun
  time bc                      # bench/sweep_memory.sh: /usr/bin/time -v, arithmetic
  clang libomp-dev llvm        # test command: sanitizer builds, libFuzzer, TSan (+ symbolizer)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "csfpk setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
