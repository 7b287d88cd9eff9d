#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build/fuzz and runs each for SECONDS
# (default 20) on a scratch copy of its seed corpus in fuzz/corpus/<target>/. A crash leaves
# crash-* / leak-* / timeout-* files in build/fuzz/artifacts and fails the script.
# For a longer run: scripts/fuzz.sh 3600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
build=build/fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCSFPK_FUZZ=ON \
  -DCSFPK_BUILD_TESTS=OFF -DCSFPK_BUILD_PYTHON=OFF > /dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_quantity fuzz_scenario fuzz_result > /dev/null
mkdir -p "$build/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export CSFPK_MODELS_DIR="${CSFPK_MODELS_DIR:-$PWD/models}"
failed=0
for target in quantity scenario result; do
  corpus="$build/corpus/$target"
  rm -rf "$corpus" && mkdir -p "$corpus" && cp fuzz/corpus/"$target"/* "$corpus"/
  log="$build/fuzz_$target.log"
  if ! "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" "$corpus" > "$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz_$target: FAILED (see $log and $build/artifacts)" >&2
    failed=1
    continue
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  echo "fuzz_$target: ok, $runs executions in ${seconds} s, corpus $(ls "$corpus" | wc -l) files"
done
exit "$failed"
