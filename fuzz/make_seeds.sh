#!/usr/bin/env bash
# Regenerates the HDF5 seed files of fuzz/corpus/{result,sweep} from fuzz/seeds/*.yaml with the
# csfpk built in build/release. Run it after a change to the result or sweep file layout.
set -euo pipefail
cd "$(dirname "$0")/.."
csfpk=build/release/src/csfpk
"$csfpk" run fuzz/seeds/tiny.yaml -o fuzz/corpus/result/tiny.h5 --overwrite > /dev/null
"$csfpk" run fuzz/seeds/tiny_1d.yaml -o fuzz/corpus/result/tiny_1d.h5 --overwrite > /dev/null
mkdir -p fuzz/corpus/sweep
"$csfpk" sweep fuzz/seeds/tiny_sweep.yaml -o fuzz/corpus/sweep/tiny_sweep.h5 --overwrite \
  > /dev/null
ls -l fuzz/corpus/result fuzz/corpus/sweep
