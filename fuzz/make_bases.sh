#!/usr/bin/env bash
# Regenerates the HDF5 files the fuzz targets start from, with the csfpk built in build/release:
# fuzz/bases/ (damaged structurally by fuzz_result / fuzz_sweep) and the seed copies in
# fuzz/corpus/{result,sweep}_bytes/. Run it after a change to the result or sweep file layout.
set -euo pipefail
cd "$(dirname "$0")/.."
csfpk=build/release/src/csfpk
"$csfpk" run fuzz/seeds/tiny.yaml -o fuzz/bases/tiny.h5 --overwrite > /dev/null
"$csfpk" run fuzz/seeds/tiny_1d.yaml -o fuzz/bases/tiny_1d.h5 --overwrite > /dev/null
"$csfpk" sweep fuzz/seeds/tiny_sweep.yaml -o fuzz/bases/tiny_sweep.h5 --overwrite > /dev/null
cp fuzz/bases/tiny.h5 fuzz/bases/tiny_1d.h5 fuzz/corpus/result_bytes/
cp fuzz/bases/tiny_sweep.h5 fuzz/corpus/sweep_bytes/
ls -l fuzz/bases
