#!/usr/bin/env bash
# The long fuzzing run behind the results table of tests/fuzz/README.md: every target, one after
# the other, SECONDS each (default 600), at the lowest CPU priority; one log per target and a
# Markdown table row per target (executions, cov/ft, corpus size, wall time, findings).
#   tests/fuzz/campaign.sh BUILD_DIR [SECONDS] [TARGET...]
# BUILD_DIR is a PS_FUZZ=ON build with the fuzzers built (cmake --build BUILD_DIR --target fuzzers).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "$1" && pwd)"
seconds="${2:-600}"
shift 2 || shift $#
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(safetensors model_config tokenizer_json tokenizer_model tokenizer_encode adapter data_jsonl data_json
           data_csv data_tsv data_text run_config metrics gguf)
fi
fz="$build/tests/fuzz"
python3 "$here/collect_seeds.py" "$here/../.." "$fz/seeds" >/dev/null
mkdir -p "$fz/logs"
table="$fz/logs/results.md"
for t in "${targets[@]}"; do
  log="$fz/logs/$t.log"
  start=$(date +%s)
  nice -n 19 "$here/run_fuzzer.sh" "$fz/fuzz_$t" "$seconds" "$fz/work/$t" "$fz/seeds/$t" "$here/corpus/$t" \
      >"$log" 2>&1
  rc=$?
  wall=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
  cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\) .*/\1/p' <<<"$last")
  findings=$([ $rc -eq 0 ] && echo 0 || echo "rc=$rc, see $log")
  row="| $t | ${execs:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | ${wall} s | $findings |"
  echo "$row" | tee -a "$table"
done
