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
    int blasOwnThreads = 0;       // OpenBLAS's own pool; 0 = the BLAS runs on the intra-op threads
    bool blasSpinShortened = false; // prepareBlasPool() shortened the pool's idle spin (~0.3 ms)
    std::string blasKernels;         // OpenBLAS's kernel set (openblas_get_corename), "" without OpenBLAS
    std::string blasKernelsReplaced; // the set OpenBLAS picked itself when prepareBlasPool() replaced it
    bool oneDnnProducts = false;     // training's float32 products run in oneDNN's sgemm, one part per core
                                     // (core/src/system/dense_products.h); false: LibTorch's, in the BLAS
    int hardwareThreads = 0;
    bool cudaAvailable = false;   // LibTorch has CUDA and a GPU is present
    int cudaDeviceCount = 0;
    std::string torchBuildConfig; // at::show_config(), multi-line
};

SystemInfo systemInfo();

// Call first thing in main(), before other threads exist: gives OpenBLAS the kernels of this CPU's
// instruction sets when it fell back to its oldest ones for a CPU newer than itself
// (selectBlasKernels), and lets its idle pool threads sleep after ~0.3 ms instead of spinning
// ~0.1 s, so that they leave the cores to the split small products of a training step
// (core/src/system/blas_threads.h, shortenBlasIdleSpin). Returns whether it changed anything.
bool prepareBlasPool();

// Measures float32 matrix-multiply throughput (n x n x n GEMM, best of `repeats`) in GFLOP/s
// on the CPU with the current thread settings; `bf16`: bfloat16 inputs instead, with the thread
// count bf16 training uses (restored afterwards).
double measureMatmulGflops(int n = 1024, int repeats = 5, bool bf16 = false);

// The same for the float32 products of a training step as they run now (oneDNN's sgemm in one
// part per core where SystemInfo::oneDnnProducts, otherwise LibTorch's mm): the peak that `bench`'s
// achieved GFLOP/s compare with.
double measureTrainingProductGflops(int n = 1024, int repeats = 5);

// Applies the thread policy used for training and inference. `threads` > 0 is used as given;
// <= 0 picks the default measured best on CPU (benchmarks/RESULTS.md): for float32 weights 1
// LibTorch intra-op thread when the GEMMs run in OpenBLAS's own pool (a second pool
// oversubscribes the cores), LibTorch's default when the BLAS has no pool of its own (MKL); for bfloat16 / float16 weights (`lowPrecisionWeights`) every hardware
// thread, because those GEMMs run in oneDNN on LibTorch's own threads. Also installs the
// caching CPU allocator for large tensors (core/src/system/caching_cpu_allocator.h).
void configureThreads(int threads, bool lowPrecisionWeights = false);
// The intra-op thread count configureThreads(0, lowPrecisionWeights) would pick.
int defaultThreadCount(bool lowPrecisionWeights);

// Resident set size of this process now and its peak, in bytes (0 when unknown).
std::uint64_t currentRssBytes();
std::uint64_t peakRssBytes();

// Memory the system can still give a process without swapping (Linux: MemAvailable from
// /proc/meminfo; Windows: available physical memory), in bytes; 0 when unknown. The environment
// variable PEFT_STUDIO_AVAILABLE_MEMORY (a byte count) overrides it: tests use it, and so can a
// user who knows the machine better (e.g. with a large swap file).
std::uint64_t availableMemoryBytes();

// The CUDA caching allocator's figures for one GPU (LibTorch's torch.cuda.memory_allocated /
// memory_reserved / max_memory_allocated). `available` is false when this build has no CUDA or no
// GPU is present; the numbers are 0 then.
struct CudaMemoryStats {
    bool available = false;
    std::uint64_t allocatedBytes = 0;
    std::uint64_t reservedBytes = 0;
    std::uint64_t peakAllocatedBytes = 0;
};
CudaMemoryStats cudaMemoryStats(int device = 0);
// Starts a new peak (max_memory_allocated) measurement; no-op without CUDA.
void resetCudaPeakMemory(int device = 0);
// True when LibTorch was built with CUDA and a GPU is present.
bool cudaUsable();

} // namespace ps
