#!/usr/bin/env bash
# Copies the non-torch build dependencies of core + CLI (headers and static libraries from this
# Debian 12 machine's -dev packages) into one folder, for a machine with a compiler and LibTorch
# but without those packages (configure there with -DPS_DEPS_PREFIX=<folder>,
# see cmake/BundledDeps.cmake). Usage: scripts/gpu/make_deps_bundle.sh [OUT_DIR=devdeps]
set -euo pipefail
out=${1:-devdeps}
lib=/usr/lib/x86_64-linux-gnu
rm -rf "$out"
mkdir -p "$out/include" "$out/lib"
cp -r /usr/include/nlohmann /usr/include/yaml-cpp /usr/include/unicode "$out/include/"
cp /usr/include/sqlite3.h /usr/include/sqlite3ext.h /usr/include/pcre2.h "$out/include/"
cp "$lib/libyaml-cpp.a" "$lib/libsqlite3.a" "$lib/libpcre2-8.a" "$lib/libicuuc.a" "$lib/libicudata.a" "$out/lib/"
du -sh "$out"
