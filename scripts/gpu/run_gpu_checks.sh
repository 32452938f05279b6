#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see /work/.library/device): builds core + CLI + the
# benchmarks against the PyTorch installed there (bundled static deps from devdeps/, made here
# by scripts/gpu/make_deps_bundle.sh), then runs the CUDA checks and benchmarks. Everything goes
# to $OUT/gpu.log; the numbers are copied by hand into benchmarks/RESULTS.md.
set -u
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu.log") 2>&1
t0=$(date +%s)
stamp() { echo "=== [$(( $(date +%s) - t0 )) s] $*"; }
stamp environment
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c 'import torch,sys; print("torch", torch.__version__, "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI, "cuda", torch.version.cuda)'
ldd --version | head -1; c++ --version | head -1; cmake --version | head -1; nproc
PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
B=/tmp/ps-build
stamp configure
cmake -G Ninja -S . -B $B -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" -DPS_BUILD_GUI=OFF \
  -DPS_BUILD_TESTS=OFF -DPS_DEPS_PREFIX="$PWD/devdeps" -DCMAKE_CUDA_ARCHITECTURES=90 > "$OUT/configure.log" 2>&1 \
  || { tail -40 "$OUT/configure.log"; exit 1; }
grep -E "TorchCUDA|Torch [0-9]" "$OUT/configure.log"
stamp build
ninja -C $B -k 0 peft-studio-cli $(ninja -C $B -t targets all 2>/dev/null | grep -oE '^bench_[a-z_]+:' | tr -d ':' | sort -u) \
  > "$OUT/build.log" 2>&1 || { grep -E "error|FAILED" "$OUT/build.log" | head -30; }
CLI=$B/app/cli/peft-studio-cli
[ -x $CLI ] || { echo "no CLI built"; exit 1; }
export XDG_DATA_HOME=/tmp/ps-xdg PEFT_STUDIO_RUNS=/tmp/ps-runs
stamp doctor
$CLI doctor | head -30
stamp "CUDA forward vs transformers fixtures"
mkdir -p /tmp/ps-fwd && python3 scripts/gpu/check_cuda_forward.py $CLI tests/fixtures /tmp/ps-fwd
stamp "train bench: ours (CUDA)"
for p in gpt2-124m llama-135m; do for d in fp32 bf16; do
  $CLI bench --device cuda --preset $p --dtype $d --steps 20 --batch 4 --seq 256
  $CLI bench --device cuda --preset $p --dtype $d --steps 10 --batch 16 --seq 1024
done; done
stamp "train bench: transformers + peft reference (CUDA)"
for p in gpt2-124m llama-135m; do for d in fp32 bf16; do
  python3 benchmarks/reference/hf_peft_bench.py --device cuda --preset $p --dtype $d --steps 20 --batch 4 --seq 256
  python3 benchmarks/reference/hf_peft_bench.py --device cuda --preset $p --dtype $d --steps 10 --batch 16 --seq 1024
done; done
stamp "demo + trainer on CUDA (fp32, bf16, fp16 loss scaling)"
$CLI demo --output-dir /tmp/ps-runs/demo 2>&1 | tail -5
for prec in bf16 fp16; do
  $CLI demo --output-dir /tmp/ps-runs/demo-$prec --set $prec=true --max-steps 40 2>&1 | tail -3
done
for f in /tmp/ps-runs/demo*/*/summary.json; do echo "$f"; cat "$f"; echo; done
tail -2 $(ls /tmp/ps-runs/demo/*/metrics.jsonl | head -1)
RUN=$(ls -d /tmp/ps-runs/demo/*/ | head -1)
stamp "real-library round trip: our trained adapter in transformers + peft"
python3 -c 'import peft, transformers; print("peft", peft.__version__, "transformers", transformers.__version__)'
$CLI export $RUN --format peft --out /tmp/ps-export-peft && \
  python3 scripts/gpu/check_peft_roundtrip.py $CLI /tmp/ps-xdg/peft-studio/demo-model /tmp/ps-export-peft /tmp
stamp "eval on CUDA"
RUN=$(ls -d /tmp/ps-runs/demo/*/ | head -1)
$CLI eval --model /tmp/ps-xdg/peft-studio/demo-model --adapter $RUN/adapter --data resources/demo/instructions.jsonl \
  --template alpaca --max-examples 64 --device cuda
stamp "generation bench (if built)"
[ -x $B/benchmarks/bench_generate ] && timeout 120 $B/benchmarks/bench_generate --device cuda
stamp done
