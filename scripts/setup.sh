#!/usr/bin/env bash
# Installs the Debian 12 packages PEFT Studio needs and configures + builds it.
# Idempotent: packages already installed are skipped, the build is incremental.
#   scripts/setup.sh [BUILD_DIR]        (default: build)
# Environment: PS_BUILD_GUI=ON|OFF (default ON), PS_CMAKE_ARGS="extra -D flags".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"

packages=(
  build-essential cmake ninja-build ccache pkg-config
  qt6-base-dev qt6-svg-dev libqt6sql6-sqlite libqcustomplot-dev
  libtorch-dev libopenblas0-pthread
  nlohmann-json3-dev libpcre2-dev libicu-dev libsentencepiece-dev libsqlite3-dev libyaml-cpp-dev
  xvfb xauth
  clang libclang-rt-14-dev
  python3 dpkg-dev file
  lintian desktop-file-utils appstream   # package checks of the install test (tests/install)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# LibTorch's float32 matmul must use the multi-threaded OpenBLAS, not the reference BLAS
# (~30x slower). Debian selects it through the alternatives system.
if command -v update-alternatives >/dev/null; then
  for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
    target=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-pthread | head -n1 || true)
    if [ -n "$target" ] && [ "$(id -u)" -eq 0 ]; then
      update-alternatives --set "$alt" "$target" >/dev/null 2>&1 || true
    fi
  done
fi

# ccache: share hits between clones of the repo (CI builds a fresh clone) and accept the
# precompiled torch header.
export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

gui="${PS_BUILD_GUI:-ON}"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPS_BUILD_GUI="$gui" ${PS_CMAKE_ARGS:-} >/dev/null
jobs=$(nproc)
cmake --build "$build" -j "$jobs"
