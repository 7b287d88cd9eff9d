#!/usr/bin/env bash
# One command: install what is missing, build, and run the default scenario.
# Usage: scripts/run.sh [scenario.yaml] [csfpk run options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
scenario="${1:-scenarios/morphine_continuous.yaml}"
shift || true
mkdir -p out
out="out/$(basename "${scenario%.yaml}").h5"
build/release/src/csfpk run "$scenario" -o "$out" --overwrite "$@"
