// bench: one line of training throughput for a preset shape.
#include "cli_args.h"
#include "commands.h"

#include "ps/train_benchmark.h"

#include <cstdio>
#include <iostream>

namespace ps::cli {
namespace {

int runBench(const Args& args) {
    CliArgs a(args, {"preset", "method", "rank", "batch", "seq", "steps", "dtype", "threads", "device", "profile"},
              {"gradient-checkpointing", "verbose"});
    TrainBenchOptions o;
    o.preset = a.value("preset").value_or(o.preset);
    o.method = a.value("method").value_or(o.method);
    o.rank = a.intValue("rank", o.rank);
    o.batch = a.intValue("batch", o.batch);
    o.seq = a.intValue("seq", o.seq);
    o.steps = a.intValue("steps", o.steps);
    o.dtype = a.value("dtype").value_or(o.dtype);
    o.threads = static_cast<int>(a.intValue("threads", 0));
    o.device = a.value("device").value_or(o.device);
    o.gradientCheckpointing = a.flag("gradient-checkpointing");
    o.profileTrace = a.value("profile").value_or("");
    const bool verbose = a.flag("verbose");
    auto r = runTrainBenchmark(o, [verbose](const std::string& s) {
        if (verbose)
            std::cerr << s << "\n";
    });
    std::string memory;
    if (r.device == "cuda")
        memory = ", CUDA peak allocated " + std::to_string(static_cast<long long>(r.cudaPeakMiB)) + " MiB (reserved " +
                 std::to_string(static_cast<long long>(r.cudaReservedMiB)) + " MiB)";
    std::printf("bench preset=%s method=%s rank=%lld batch=%lldx%lld dtype=%s device=%s threads=%d%s: %.1f tokens/s, "
                "%.3f sec/step (median %.3f, best %.3f), peak RSS %.0f MiB%s, %.1f GFLOP/s achieved (trainable %lld of %lld params), "
                "attention %s, loss %.5f -> %.5f%s%s\n",
                o.preset.c_str(), o.method.c_str(), static_cast<long long>(o.rank), static_cast<long long>(o.batch),
                static_cast<long long>(o.seq), o.dtype.c_str(), r.device.c_str(), r.threads,
                o.gradientCheckpointing ? " checkpointing" : "", r.tokensPerSec, r.secPerStep, r.medianSecPerStep,
                r.bestSecPerStep, r.peakRssMiB,
                memory.c_str(), r.gflopsPerSec, static_cast<long long>(r.trainableParameters),
                static_cast<long long>(r.totalParameters), r.fusedAttention ? "fused" : "matmul", r.firstLoss, r.lastLoss,
                r.blasChoice.empty() ? "" : ", BLAS ", r.blasChoice.c_str());
    return 0;
}

const CommandRegistration reg{
    {"bench",
     "bench [--preset gpt2-124m|llama-135m] [--method lora] [--rank 16] [--batch 4] [--seq 256] [--steps N] "
     "[--dtype fp32|bf16] [--threads N] [--device cpu|cuda|auto] [--gradient-checkpointing] [--profile TRACE.json]",
     "Training-step throughput of a random model of that shape (PEFT on all linear layers, random tokens); "
     "--profile writes one more step's operator trace (Chrome trace format).",
     &runBench}};

} // namespace
} // namespace ps::cli
