#!/usr/bin/env bash
# The build's man page and bash completion (csfpk generate-docs) cover every command; the man page
# renders without warnings and the completion completes commands and options.
# Usage: check_generated_docs.sh CSFPK BUILD_DIR
set -euo pipefail
exe=$1 build=$2
commands=$("$exe" --help | awk '/^Subcommands:/{on=1; next} on && NF {print $1}')
[[ -n $commands ]]
for command in $commands; do
  grep -qxF ".SS ${command//-/\\-}" "$build/csfpk.1" || { echo "man page lacks $command"; exit 1; }
done
if command -v man > /dev/null; then
  warnings=$(MANWIDTH=80 man --warnings -l "$build/csfpk.1" 2>&1 > /dev/null || true)
  [[ -z $warnings ]] || { echo "man page warnings: $warnings"; exit 1; }
fi
bash -n "$build/csfpk.bash"
# shellcheck source=/dev/null
source "$build/csfpk.bash"
complete_line() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _csfpk
  echo "${COMPREPLY[*]}"
}
[[ $(complete_line csfpk ru) == *run* ]] || { echo "no 'run' for 'ru'"; exit 1; }
[[ $(complete_line csfpk sweep x.yaml --thr) == "--threads" ]] || { echo "no --threads"; exit 1; }
[[ $(complete_line csfpk plan ref) == *refill* ]] || { echo "no 'plan refill'"; exit 1; }
[[ $(complete_line csfpk plan refill --mar) == "--margin" ]] || { echo "no --margin"; exit 1; }
[[ $(complete_line csfpk summary x.h5 --quan) == "--quantiles" ]] || { echo "no --quantiles"; exit 1; }
echo "man page and completion cover $(echo "$commands" | wc -w) commands"
