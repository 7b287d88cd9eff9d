#!/usr/bin/env bash
# Two `csfpk run` started together on one output: exactly one writes it, the other fails at once
# with the lock error (exit 4), and the file verifies. Repeated 20 times. The runs are made long
# enough (a fine 1D grid) that they always overlap.
# usage: concurrent_runs.sh CSFPK SCENARIO WORKDIR
set -uo pipefail
csfpk=$1 scenario=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
out="$work/shared.h5"
"$csfpk" run "$scenario" -o "$out" > /dev/null || exit 1
for attempt in $(seq 1 20); do
  "$csfpk" run "$scenario" -o "$out" --overwrite --set model.grid.cells=1600 \
    > "$work/a.out" 2> "$work/a.err" &
  a=$!
  "$csfpk" run "$scenario" -o "$out" --overwrite --set model.grid.cells=1600 \
    > "$work/b.out" 2> "$work/b.err" &
  b=$!
  wait $a; ra=$?
  wait $b; rb=$?
  if ! { [[ $ra == 0 && $rb == 4 ]] || [[ $ra == 4 && $rb == 0 ]]; }; then
    echo "attempt $attempt: exit codes $ra and $rb, expected one 0 and one 4" >&2
    cat "$work/a.err" "$work/b.err" >&2
    exit 1
  fi
  loser=$([[ $ra == 4 ]] && echo a || echo b)
  if ! grep -q "another csfpk process is writing this file" "$work/$loser.err"; then
    echo "attempt $attempt: the refused run did not say why:" >&2
    cat "$work/$loser.err" >&2
    exit 1
  fi
  if ! "$csfpk" verify "$out" > /dev/null; then
    echo "attempt $attempt: $out does not verify" >&2
    exit 1
  fi
  leftover=$(find "$work" -name 'shared.h5.*' | head -1)
  if [[ -n $leftover ]]; then
    echo "attempt $attempt: $leftover left behind" >&2
    exit 1
  fi
done
echo "20 concurrent pairs: one run wrote, the other was refused, the file verified"
