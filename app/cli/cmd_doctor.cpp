// doctor: what this installation runs on, and how fast its matrix multiply is.
#include "cli_args.h"
#include "commands.h"

#include "ps/system_info.h"

#include <cstdio>
#include <iostream>

namespace ps::cli {
namespace {

int runDoctor(const Args& args) {
    CliArgs a(args, {}, {"json"});
    configureThreads(0); // the policy training uses, so that the threads shown are those
    const SystemInfo info = systemInfo();
    const std::string threads =
        std::to_string(info.intraOpThreads) + " LibTorch intra-op" +
        (info.blasOwnThreads > 0 ? ", OpenBLAS pool of " + std::to_string(info.blasOwnThreads) +
                                       (info.blasSpinShortened ? " (idle threads sleep after ~0.3 ms)" : "")
                                 : std::string(" (the BLAS runs on them)"));
    const double gflops = measureMatmulGflops(1024, 5);
    // Training's own products (oneDNN's sgemm in one part per core where the process has it).
    const double trainGflops = info.oneDnnProducts ? measureTrainingProductGflops(1024, 5) : gflops;
    // bf16 (frozen weights): whether it is also the faster choice here or only the smaller one.
    // LibTorch 1.13 runs bf16 products in oneDNN, Debian's OpenBLAS has no bf16 GEMM: on the
    // session-10 VM (AVX-512 BF16) 158 GFLOP/s against 260-300 for float32 (benchmarks/RESULTS.md).
    const double bf16Gflops = measureMatmulGflops(1024, 3, true);
    char gf[32], tf[32], bf[160];
    std::snprintf(gf, sizeof gf, "%.1f", gflops);
    std::snprintf(tf, sizeof tf, "%.1f", trainGflops);
    std::snprintf(bf, sizeof bf, "%.1f GFLOP/s (%s)", bf16Gflops,
                  bf16Gflops < gflops ? "slower than float32 here: bf16: true saves memory, not time"
                                      : "faster than float32 here");
    std::cout << "PEFT Studio     " << info.studioVersion << "\n"
              << "Qt (built with) " << PS_QT_VERSION << "\n"
              << "LibTorch        " << info.torchVersion << "\n"
              << "Compiler        " << info.compiler << "\n"
              << "BLAS in use     " << info.blasLibrary << "\n";
    if (!info.blasKernels.empty())
        std::cout << "BLAS kernels    " << info.blasKernels
                  << (info.blasKernelsReplaced.empty()
                          ? std::string()
                          : " (OpenBLAS picked " + info.blasKernelsReplaced +
                                ", its fallback for a CPU it does not know; replaced for this CPU's instruction sets)")
                  << "\n";
    std::cout << "Threads         " << info.hardwareThreads << " hardware, " << threads << "\n"
              << "fp32 GEMM       " << gf << " GFLOP/s (1024x1024x1024, best of 5)\n"
              << "Training GEMM   "
              << (info.oneDnnProducts ? std::string(tf) + " GFLOP/s (oneDNN's sgemm, one part per core: "
                                                          "training's projections, head and LoRA products)"
                                      : std::string("the BLAS above (LibTorch's mm)"))
              << "\n"
              << "bf16 GEMM       " << bf << "\n"
              << "CUDA            "
              << (info.cudaAvailable ? "available, " + std::to_string(info.cudaDeviceCount) + " device(s)"
                                     : std::string("not available (CPU training)"))
              << "\n";
    if (gflops < 20.0)
        std::cout << "warning: float32 matmul is slow; install libopenblas0-pthread "
                     "(sudo apt-get install libopenblas0-pthread)\n";
    return 0;
}

const CommandRegistration reg{{"doctor", "doctor",
                               "Show versions, the BLAS in use, threads, measured GEMM speed and CUDA availability.",
                               &runDoctor}};

} // namespace
} // namespace ps::cli
