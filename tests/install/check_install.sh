#!/bin/sh
# Installs the build tree into a fresh prefix, builds tests/install/consumer against it with
# find_package(csfpk), runs it, and runs the installed CLI with no hint where models/ is.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$source/tests/install/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/consumer" -j 2 > "$work/build.log"
# Moving the prefix must not matter to the CLI: it finds models/ beside itself.
mv "$work/prefix" "$work/moved"
env -u CSFPK_MODELS_DIR "$work/moved/bin/csfpk" drugs | grep -q "^morphine "
env -u CSFPK_MODELS_DIR "$work/moved/bin/csfpk" run "$source/scenarios/morphine_continuous.yaml" \
  -o "$work/cli.h5" > "$work/cli.log"
env -u CSFPK_MODELS_DIR "$work/moved/bin/csfpk" verify "$work/cli.h5" > /dev/null
mv "$work/moved" "$work/prefix"
"$work/consumer/consumer" "$source/scenarios/morphine_continuous.yaml"
test -f "$work/prefix/lib/pkgconfig/csfpk.pc"
test -f "$work/prefix/share/man/man1/csfpk.1"
test -f "$work/prefix/share/bash-completion/completions/csfpk"
if command -v pkg-config > /dev/null; then
  PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --modversion csfpk
fi
