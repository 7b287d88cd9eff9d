#!/usr/bin/env bash
# A run killed (SIGKILL: no handler, no cleanup) part-way must leave no output file that looks
# complete: csfpk writes OUT.partial and renames it only when the file is whole. Kills at several
# moments, from mid-solve to around the write, and checks after each that OUT is either absent
# or passes `csfpk verify`.
# usage: killed_run.sh CSFPK SCENARIO WORKDIR
set -uo pipefail
csfpk=$1 scenario=$2 work=$3
mkdir -p "$work"
out="$work/killed.h5"
for delay in 0.2 0.5 0.8 1.1 1.4 1.7 2.0; do
  rm -f "$out" "$out.partial"
  "$csfpk" run "$scenario" -o "$out" --set model.grid.cells=3200 > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  if [[ -e "$out" ]] && ! "$csfpk" verify "$out" > /dev/null 2>&1; then
    echo "killed after ${delay} s: $out exists but does not verify" >&2
    exit 1
  fi
  state=$([[ -e "$out" ]] && echo complete || echo absent)
  echo "killed after ${delay} s: output $state"
done
