#!/usr/bin/env bash
# One command: install what is missing, build with warnings as errors, run every test suite
# (unit, verification, validation, cli, python). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh ci
ctest --preset ci -j "$(nproc)"
