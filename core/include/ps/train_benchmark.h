#pragma once
// `peft-studio-cli bench`: training-step throughput of a randomly initialised model of a
// preset shape, a PEFT method on all linear layers, random tokens. Torch-free interface.
#include <cstdint>
#include <functional>
#include <string>

namespace ps {

struct TrainBenchOptions {
    std::string preset = "gpt2-124m"; // gpt2-124m | llama-135m | demo-tiny (ps/model_presets.h)
    std::string method = "lora";      // a finetuning_type
    std::int64_t rank = 16;
    std::int64_t batch = 4;
    std::int64_t seq = 256;
    std::int64_t steps = 5;           // measured steps (after one warm-up step, and on the CPU one
                                      // trial step per BLAS configuration, as the trainer measures)
    std::string dtype = "fp32";       // fp32 | bf16 (frozen weights)
    int threads = 0;                  // LibTorch intra-op threads; 0 = default policy (by dtype)
    std::string device = "cpu";       // cpu | cuda | auto (CUDA when usable)
    bool gradientCheckpointing = false;
    std::string profileTrace;         // non-empty: one extra step profiled into this Chrome trace
};

struct TrainBenchResult {
    double tokensPerSec = 0;
    double secPerStep = 0;       // mean over the measured steps (tokensPerSec follows it)
    double medianSecPerStep = 0; // of the measured steps: the VM this runs on has slow spells,
    double bestSecPerStep = 0;   // so the median and the fastest step are printed as well
    double peakRssMiB = 0;       // process peak RSS (CPU and GPU runs)
    double cudaPeakMiB = 0;      // CUDA caching allocator's peak allocated (GPU runs)
    double cudaReservedMiB = 0;  // reserved by the allocator at the end (GPU runs)
    int threads = 0;             // intra-op threads used
    double gflopsPerSec = 0;  // achieved: estimated model FLOPs per step / time
    double flopsPerStep = 0;
    std::int64_t trainableParameters = 0;
    std::int64_t totalParameters = 0;
    std::string device;
    bool fusedAttention = false; // at::scaled_dot_product_attention (CUDA, LibTorch >= 2.1)
    std::string blasChoice;      // CPU with an OpenBLAS pool: the configuration measured fastest
    double firstLoss = 0;        // mean token loss of the warm-up step and of the last step
    double lastLoss = 0;
};

TrainBenchResult runTrainBenchmark(const TrainBenchOptions& options,
                                   const std::function<void(const std::string&)>& progress = {});

// Runs fn() under LibTorch's autograd profiler and writes a Chrome trace (chrome://tracing,
// Perfetto) of every operator it ran, forward and backward, with its CPU time, to `tracePath`
// (summarise it with benchmarks/tools/trace_self_time.py), and next to it `tracePath`.shapes.tsv:
// calls and inclusive CPU time per operator and input shapes (which GEMMs cost what). Throws
// ps::Error when this LibTorch has no such profiler.
void profileOperators(const std::string& tracePath, const std::function<void()>& fn);

} // namespace ps
