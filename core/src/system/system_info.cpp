#include "ps/system_info.h"

#include "system/blas_threads.h"
#include "system/caching_cpu_allocator.h"
#include "system/dense_products.h"

#include "ps/version.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

namespace ps {
namespace {

std::string mappedBlasLibrary() {
#ifdef __linux__
    std::ifstream maps("/proc/self/maps");
    std::string line;
    std::string found;
    while (std::getline(maps, line)) {
        const auto slash = line.find('/');
        if (slash == std::string::npos)
            continue;
        const std::string path = line.substr(slash);
        if (path.find("cublas") != std::string::npos || path.find("hipblas") != std::string::npos ||
            path.find("rocblas") != std::string::npos)
            continue; // GPU BLAS: not what CPU GEMMs run in
        if (path.find("blas") != std::string::npos || path.find("mkl") != std::string::npos ||
            path.find("blis") != std::string::npos || path.find("dnnl") != std::string::npos) {
            if (found.find(path) == std::string::npos)
                found += (found.empty() ? "" : ", ") + path;
        }
    }
    // PyTorch's own builds link MKL statically into libtorch_cpu: no separate library then.
    return found.empty() ? "built into LibTorch (no separate BLAS library mapped)" : found;
#else
    return "see torch build config";
#endif
}

// LibTorch's own default intra-op thread count (its count of physical cores), read before this
// process first changes it.
int libtorchDefaultThreads() {
    static const int n = std::max(1, torch::get_num_threads());
    return n;
}

} // namespace

SystemInfo systemInfo() {
    SystemInfo info;
    info.studioVersion = studioVersion();
    info.torchVersion = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                        std::to_string(TORCH_VERSION_PATCH);
    info.compiler = PS_COMPILER_STRING;
    // Touch BLAS once so that the library is mapped before we look.
    (void)torch::mm(torch::ones({2, 2}), torch::ones({2, 2}));
    info.blasLibrary = mappedBlasLibrary();
    info.intraOpThreads = torch::get_num_threads();
    info.blasOwnThreads = system::blasThreads();
    info.blasSpinShortened = system::blasIdleSpinShortened();
    info.blasKernels = system::blasKernelSet();
    info.blasKernelsReplaced = system::blasKernelSetReplaced();
    info.oneDnnProducts = system::oneDnnProductsAvailable();
    info.hardwareThreads = static_cast<int>(std::thread::hardware_concurrency());
    info.cudaAvailable = torch::cuda::is_available();
    info.cudaDeviceCount = info.cudaAvailable ? static_cast<int>(torch::cuda::device_count()) : 0;
    info.torchBuildConfig = at::show_config();
    return info;
}

namespace {

// An n x n x n product's rate in GFLOP/s: one warm-up call, then the best of `repeats`.
template <typename Product> double bestGflops(int n, int repeats, Product&& product) {
    product();
    double best = 1e30;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        product();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return 2.0 * n * n * static_cast<double>(n) / best / 1e9;
}

} // namespace

double measureMatmulGflops(int n, int repeats, bool bf16) {
    torch::NoGradGuard noGrad;
    const auto dtype = bf16 ? torch::kBFloat16 : torch::kFloat32;
    // bf16 products run in oneDNN on LibTorch's own threads: measured with the count training uses.
    const int before = torch::get_num_threads();
    if (bf16)
        torch::set_num_threads(defaultThreadCount(true));
    struct Restore {
        int threads;
        bool active;
        ~Restore() {
            if (active)
                torch::set_num_threads(threads);
        }
    } restore{before, bf16};
    const auto a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
    return bestGflops(n, repeats, [&] { (void)torch::mm(a, b); });
}

double measureTrainingProductGflops(int n, int repeats) {
    torch::NoGradGuard noGrad;
    const auto a = torch::randn({n, n}), b = torch::randn({n, n});
    auto c = torch::empty({n, n});
    return bestGflops(n, repeats, [&] { system::productInto(c, a, b); });
}

int defaultThreadCount(bool lowPrecisionWeights) {
    // Measured on the 2-core reference machine (benchmarks/RESULTS.md): for float32, LibTorch's
    // own intra-op pool on top of the multi-threaded OpenBLAS oversubscribes the cores (205 vs
    // 165 tokens/s for a GPT-2 LoRA step with 1 vs 2 intra-op threads). bfloat16 GEMMs do not go
    // through OpenBLAS but through oneDNN on LibTorch's threads: there every core helps (GPT-2
    // forward 822 vs 477 tokens/s with 2 vs 1 threads).
    // A LibTorch whose BLAS has no pool of its own (PyTorch's builds: MKL inside libtorch_cpu)
    // runs float32 GEMMs on the intra-op threads, so one thread would make them single-threaded
    // (16-core GPU machine: llama-135m 166 tokens/s with 1 thread vs 801 for transformers):
    // LibTorch's default then.
    if (!lowPrecisionWeights)
        return system::blasThreads() > 0 ? 1 : libtorchDefaultThreads();
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

bool prepareBlasPool() {
    const bool kernels = !system::selectBlasKernels().empty();
    return system::shortenBlasIdleSpin() || kernels;
}

void configureThreads(int threads, bool lowPrecisionWeights) {
    (void)libtorchDefaultThreads();       // read before the first change
    system::installCachingCpuAllocator(); // training and inference reuse their large buffers
    torch::set_num_threads(threads > 0 ? threads : defaultThreadCount(lowPrecisionWeights));
}

} // namespace ps
