#!/usr/bin/env bash
# Issue 10's sanitizer and fuzz checks, as scripts/test.sh runs them: the core suites that need
# no LibTorch (ctest label torch_free) built with ASan + UBSan, and a short run of every libFuzzer
# target (label fuzz, PS_FUZZ_SMOKE_SECONDS each), in their own build folder with clang.
#   scripts/test_sanitize.sh [BUILD_DIR]        (default: build-sanitize)
# Only torch-free code is built here: LibTorch is not instrumented, its suites would need the
# whole engine rebuilt with sanitizers (about 3x the normal build), and CI has 2 cores. The full
# sanitized suite is a separate, manual run (tests/fuzz/README.md, "Sanitizers").
# Idempotent (incremental build, ccache). Skips with a message when clang or libFuzzer is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build-sanitize}"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "== sanitizer + fuzz suites skipped: clang++ not found (Debian: apt install clang libclang-rt-14-dev)"
  exit 0
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cpp"
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" >/dev/null 2>&1; then
  echo "== sanitizer + fuzz suites skipped: clang cannot link -fsanitize=fuzzer,address,undefined" \
       "(Debian: apt install libclang-rt-14-dev)"
  exit 0
fi

export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
# -O1: what libFuzzer recommends; it also compiles the instrumented code ~1.5x faster than -O3.
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DPS_FUZZ=ON -DPS_BUILD_GUI=OFF -DPS_BUILD_BENCHMARKS=OFF >/dev/null
mapfile -t suites < <(cd "$build" && ctest -N -L torch_free | sed -n 's/^ *Test *#[0-9]*: *//p')
echo "== sanitizer build: ${#suites[@]} torch-free core suites + fuzz targets in $build"
cmake --build "$build" -j "$(nproc)" --target "${suites[@]}" fuzzers
cd "$build"
export QT_QPA_PLATFORM=offscreen
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --output-on-failure -j "$(nproc)" -L 'torch_free|fuzz'
