#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see /work/.library/device): builds core + CLI against the
# PyTorch installed there (bundled static deps from devdeps/, made here by
# scripts/gpu/make_deps_bundle.sh; carry devdeps), then runs the CUDA checks and the benchmarks,
# most important first, each under its own time limit so one hang cannot eat the lease.
# Everything goes to $OUT/gpu.log; the numbers are copied by hand into benchmarks/RESULTS.md.
# The build folder is build-gpu/ in the checkout (ignored), so a second call on a warm machine
# reuses it. Usage: run_gpu_checks.sh [all | cpu | parity]
#   cpu: build, doctor and the CPU comparison only; parity: build and the device-parity check only.
set -u
what=${1:-all}
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu.log") 2>&1
t0=$(date +%s)
stamp() { echo "=== [$(($(date +%s) - t0)) s] $*"; }
stamp environment
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
python3 -c 'import torch; print("torch", torch.__version__, "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI, "cuda", torch.version.cuda)'
python3 -c 'import peft, transformers; print("peft", peft.__version__, "transformers", transformers.__version__)'
ldd --version | head -1
c++ --version | head -1
cmake --version | head -1
nproc
PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
TORCH_LIB=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
B=$PWD/build-gpu
stamp configure
if [ ! -f $B/build.ninja ]; then
  cmake -G Ninja -S . -B $B -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" -DPS_BUILD_GUI=OFF \
    -DPS_BUILD_TESTS=OFF -DPS_BUILD_BENCHMARKS=OFF -DPS_DEPS_PREFIX="$PWD/devdeps" -DCMAKE_CUDA_ARCHITECTURES=90 \
    >"$OUT/configure.log" 2>&1 || { tail -60 "$OUT/configure.log"; exit 1; }
fi
grep -E "Torch [0-9]|PS_HAVE_SDPA|bundled" "$OUT/configure.log"
stamp build
if ! ninja -C $B -k 0 -j "$(nproc)" peft-studio-cli >"$OUT/build.log" 2>&1; then
  grep -E -B2 -A12 "error|FAILED" "$OUT/build.log" | head -150
  exit 1
fi
CLI=$B/app/cli/peft-studio-cli
export LD_LIBRARY_PATH=$TORCH_LIB:${LD_LIBRARY_PATH:-}
export XDG_DATA_HOME=/tmp/ps-xdg PEFT_STUDIO_RUNS=/tmp/ps-runs
run() { # run LIMIT_S CMD... : one step under a time limit
  local limit=$1
  shift
  timeout "$limit" "$@" || echo "(exit $? from: $*)"
}
stamp doctor
run 60 $CLI doctor | head -30
if [ "$what" = parity ]; then
  stamp "device parity: the same LoRA steps on CPU, CUDA (fused attention) and CUDA (matmul attention)"
  run 60 $CLI init-model --preset demo-tiny --tokenizer resources/demo/tokenizer --out /tmp/par/m
  for pack in true false; do
    P="scripts/gpu/parity.yaml --set model_name_or_path=/tmp/par/m --set packing=$pack"
    CUDA_VISIBLE_DEVICES= run 120 $CLI train $P --set output_dir=/tmp/par/cpu-$pack | tail -1
    run 60 $CLI train $P --set output_dir=/tmp/par/cuda-$pack | tail -1
    PS_SDPA=0 run 60 $CLI train $P --set output_dir=/tmp/par/matmul-$pack | tail -1
    run 60 $CLI train $P --set output_dir=/tmp/par/bf16-$pack --set bf16=true | tail -1
    python3 scripts/gpu/compare_losses.py cpu=/tmp/par/cpu-$pack cuda=/tmp/par/cuda-$pack \
      cuda-matmul=/tmp/par/matmul-$pack cuda-bf16=/tmp/par/bf16-$pack
  done
  stamp done
  exit 0
fi
if [ "$what" = all ]; then

stamp "train bench: ours (CUDA), fused attention and matmul attention"
for p in gpt2-124m llama-135m; do
  for d in fp32 bf16; do
    run 60 $CLI bench --device cuda --preset $p --dtype $d --steps 20 --batch 4 --seq 256
    run 60 $CLI bench --device cuda --preset $p --dtype $d --steps 10 --batch 16 --seq 1024
  done
  PS_SDPA=0 run 60 $CLI bench --device cuda --preset $p --dtype bf16 --steps 10 --batch 16 --seq 1024
done

stamp "train bench: transformers + peft reference (CUDA, one process)"
PYTHONUNBUFFERED=1 run 240 python3 benchmarks/reference/hf_peft_bench.py --device cuda --runs \
  gpt2-124m:fp32:4:256:20,gpt2-124m:fp32:16:1024:10,gpt2-124m:bf16:4:256:20,gpt2-124m:bf16:16:1024:10,llama-135m:fp32:4:256:20,llama-135m:fp32:16:1024:10,llama-135m:bf16:4:256:20,llama-135m:bf16:16:1024:10

stamp "CUDA forward vs transformers fixtures"
mkdir -p /tmp/ps-fwd && run 120 python3 scripts/gpu/check_cuda_forward.py $CLI tests/fixtures /tmp/ps-fwd

stamp "demo + trainer on CUDA (fp32, bf16, fp16 loss scaling)"
run 120 $CLI demo --output-dir /tmp/ps-runs/demo 2>&1 | tail -4
for prec in bf16 fp16; do
  run 60 $CLI demo --output-dir /tmp/ps-runs/demo-$prec --set $prec=true --max-steps 40 2>&1 | tail -3
done
for f in /tmp/ps-runs/demo*/*/summary.json; do
  echo "$f"
  cat "$f"
  echo
done
tail -2 "$(ls /tmp/ps-runs/demo/*/metrics.jsonl | head -1)"
RUN=$(ls -d /tmp/ps-runs/demo/*/ | head -1)

stamp "real-library round trip: our trained adapter in transformers + peft"
run 60 $CLI export "$RUN" --format peft --out /tmp/ps-export-peft &&
  run 120 python3 scripts/gpu/check_peft_roundtrip.py $CLI /tmp/ps-xdg/peft-studio/demo-model /tmp/ps-export-peft /tmp

stamp "eval on CUDA"
run 60 $CLI eval --model /tmp/ps-xdg/peft-studio/demo-model --adapter "$RUN/adapter" \
  --data resources/demo/instructions.jsonl --template alpaca --max-examples 64 --device cuda

fi

stamp "CPU on this machine ($(nproc) cores): ours vs reference, llama-135m 4x256"
run 90 $CLI bench --device cpu --preset llama-135m --steps 3
run 90 $CLI bench --device cpu --preset gpt2-124m --steps 3
PYTHONUNBUFFERED=1 run 120 python3 benchmarks/reference/hf_peft_bench.py --device cpu --runs llama-135m:fp32:4:256:3,gpt2-124m:fp32:4:256:3
stamp "CUDA A/B: shared-input projections off; gradient checkpointing (llama-135m 16x1024)"
for d in fp32 bf16; do
  PS_FUSED_PROJECTIONS=0 run 60 $CLI bench --device cuda --preset llama-135m --dtype $d --steps 10 --batch 16 --seq 1024
  run 60 $CLI bench --device cuda --preset llama-135m --dtype $d --steps 10 --batch 16 --seq 1024
  run 60 $CLI bench --device cuda --preset llama-135m --dtype $d --steps 10 --batch 16 --seq 1024 --gradient-checkpointing
done
stamp done
