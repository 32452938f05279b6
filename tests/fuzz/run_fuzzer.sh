#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS on its corpora and fails on any finding.
#   run_fuzzer.sh FUZZER SECONDS WORK_DIR SEED_DIR [REGRESSION_DIR] [extra libFuzzer flags...]
# New inputs go to WORK_DIR (kept between runs: later runs start from what earlier ones found);
# SEED_DIR (collect_seeds.py) and REGRESSION_DIR (tests/fuzz/corpus/<name>: inputs that once
# crashed, kept as regressions) are only read. Crash reproducers are written to WORK_DIR/../findings.
set -euo pipefail
fuzzer="$1" seconds="$2" work="$3" seeds="$4"
regress="${5:-}"
shift 4 || true
[ $# -gt 0 ] && shift
mkdir -p "$work" "$work/../findings"
# The targets write each input to a scratch file: keep that in memory when a tmpfs is there.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
dirs=("$work" "$seeds")
if [ -n "$regress" ] && [ -d "$regress" ]; then dirs+=("$regress"); fi
# -timeout: an input taking over 10 s is a hang; -malloc_limit_mb: one allocation over 1 GiB driven by a
# small input is a finding (a length field trusted); -rss_limit_mb: bounded memory overall.
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$work/../findings/$(basename "$fuzzer")-" "$@" "${dirs[@]}"
