#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (ctest). Extra suites run when their
# toolchain is present: sanitizer build of the core suites (clang), install test (root + dpkg).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh" "$here/build"
cd "$here/build"
export QT_QPA_PLATFORM=offscreen
ctest --output-on-failure -j "$(nproc)" "$@"
# ASan + UBSan build of the torch-free core suites and the fuzz smoke runs (skips without clang).
# PS_SKIP_SANITIZE=1 leaves them out (e.g. when running a single suite).
if [ -z "${PS_SKIP_SANITIZE:-}" ]; then
  "$here/scripts/test_sanitize.sh"
fi
