#pragma once
// Facts about the machine and the tensor runtime, for `doctor`, the GUI's About box and the
// memory plot. Torch-free interface.
#include <cstdint>
#include <string>

namespace ps {

struct SystemInfo {
    std::string studioVersion;
    std::string torchVersion;
    std::string compiler;
    std::string blasLibrary;      // the BLAS shared object actually mapped into the process
    int intraOpThreads = 0;       // LibTorch intra-op threads in use
    int hardwareThreads = 0;
    bool cudaAvailable = false;   // LibTorch has CUDA and a GPU is present
    int cudaDeviceCount = 0;
    std::string torchBuildConfig; // at::show_config(), multi-line
};

SystemInfo systemInfo();

// Measures float32 matrix-multiply throughput (n x n x n GEMM, best of `repeats`) in GFLOP/s
// on the CPU with the current thread settings.
double measureMatmulGflops(int n = 1024, int repeats = 5);

// Applies the thread policy used for training and inference: `threads` <= 0 picks the default
// measured best on CPU (1 intra-op thread: OpenBLAS runs its own pool; see benchmarks/RESULTS.md).
void configureThreads(int threads);

// Resident set size of this process now and its peak, in bytes (0 when unknown).
std::uint64_t currentRssBytes();
std::uint64_t peakRssBytes();

} // namespace ps
