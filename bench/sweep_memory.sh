#!/usr/bin/env bash
# Peak memory and throughput of summaries-only sweeps of 2 000 and 20 000 runs: memory must stay
# flat in the number of runs (one writer behind a bounded queue, no per-run state kept), so the
# two peaks should agree within 20 %.
# Usage: bench/sweep_memory.sh [path/to/csfpk] [threads]     (default build/release/src/csfpk, all cores)
# Prints a table and writes bench/results/sweep_memory.json.
set -euo pipefail
cd "$(dirname "$0")/.."
exe="${1:-build/release/src/csfpk}"
threads="${2:-$(nproc)}"
out_dir="$(mktemp -d)"
trap 'rm -rf "$out_dir"' EXIT
mkdir -p bench/results

declare -A rss seconds rate
for runs in 2000 20000; do
  log="$out_dir/time_$runs.txt"
  start=$(date +%s.%N)
  /usr/bin/time -v "$exe" sweep bench/sweep_memory.yaml --set "design.runs=$runs" \
    -o "$out_dir/sweep_$runs.h5" --threads "$threads" >"$out_dir/out_$runs.txt" 2>"$log"
  end=$(date +%s.%N)
  rss[$runs]=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
  seconds[$runs]=$(echo "$end - $start" | bc -l)
  rate[$runs]=$(echo "$runs / ${seconds[$runs]}" | bc -l)
  printf "%6d runs: peak RSS %7.1f MiB, %7.2f s, %8.1f runs/s, file %s\n" "$runs" \
    "$(echo "${rss[$runs]} / 1024" | bc -l)" "${seconds[$runs]}" "${rate[$runs]}" \
    "$(du -h "$out_dir/sweep_$runs.h5" | cut -f1)"
done
ratio=$(echo "${rss[20000]} / ${rss[2000]}" | bc -l)
printf "peak RSS ratio 20000/2000: %.3f (flat memory: within 1.2)\n" "$ratio"

cat >bench/results/sweep_memory.json <<JSON
{
  "bench": "sweep_memory",
  "machine": "$(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')",
  "threads": $threads,
  "date_utc": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "csfpk": "$("$exe" --version)",
  "runs_2000": {"peak_rss_kib": ${rss[2000]}, "wall_s": $(printf %.3f "${seconds[2000]}"), "runs_per_s": $(printf %.1f "${rate[2000]}")},
  "runs_20000": {"peak_rss_kib": ${rss[20000]}, "wall_s": $(printf %.3f "${seconds[20000]}"), "runs_per_s": $(printf %.1f "${rate[20000]}")},
  "peak_rss_ratio": $(printf %.3f "$ratio")
}
JSON
echo "wrote bench/results/sweep_memory.json"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.2) }' || { echo "memory grew more than 20 %" >&2; exit 1; }
