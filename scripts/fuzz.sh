#!/usr/bin/env bash
# Runs libFuzzer targets for SECONDS each (default 48) from their seed corpora in
# fuzz/corpus/<target>/, with AddressSanitizer + UndefinedBehaviorSanitizer and leak checks.
# Usage: scripts/fuzz.sh [SECONDS [TARGET ...]]; the default targets are quantity (unit parser),
# scenario (scenario loader), observations (the fit's observations CSV and arguments), result
# (result reader and CSV export) and sweep (sweep readers and merge); result_bytes and
# sweep_bytes (raw bytes into the HDF5 readers) are for campaigns.
# The targets are built in the asan preset (clang), which the test command builds anyway.
# -seed is fixed, so a run follows the same mutations every time: a failure that appears at
# time t reproduces in any run of at least t seconds on the same sources.
# A crash, leak or hang (> 10 s on one input) leaves crash-/leak-/timeout-* files in
# build/asan/fuzz/artifacts and fails the script. For a longer campaign: scripts/fuzz.sh 3600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-48}"
targets=("${@:2}")
((${#targets[@]})) || targets=(quantity scenario observations result sweep)
build=build/asan
cmake --preset asan > /dev/null
cmake --build --preset asan -j "$(nproc)" --target "${targets[@]/#/fuzz_}" > /dev/null
work="$build/fuzz/work"
mkdir -p "$work" "$build/fuzz/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export CSFPK_MODELS_DIR="${CSFPK_MODELS_DIR:-$PWD/models}"
export TMPDIR="$work"  # the targets write their input to a temporary file
failed=0
for target in "${targets[@]}"; do
  # A scratch copy: what the run adds to the corpus stays out of the repository.
  corpus="$work/corpus_$target"
  rm -rf "$corpus" && mkdir -p "$corpus" && cp fuzz/corpus/"$target"/* "$corpus"/
  seeds=$(ls "$corpus" | wc -l)
  log="$work/fuzz_$target.log"
  if ! "$build/fuzz/fuzz_$target" -seed=1 -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$target-" \
    "$corpus" > "$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz_$target: FAILED (see $log and $build/fuzz/artifacts)" >&2
    failed=1
    continue
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  echo "fuzz_$target: ok, $runs executions in ${seconds} s, corpus $seeds seeds -> $(ls "$corpus" | wc -l) inputs"
done
exit "$failed"
