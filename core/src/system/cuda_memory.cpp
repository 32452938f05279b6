// CUDA memory figures for the metrics and the memory plot. The caching-allocator API lives in
// c10_cuda, which only CUDA builds of LibTorch have: PS_WITH_CUDA is defined by the build when
// TorchConfig found c10_cuda (core/src/system/CMakeLists.txt). Debian's CPU LibTorch ships the
// c10/cuda headers without the library, so a __has_include test would not be enough.
#include "ps/system_info.h"

#include <torch/torch.h>

#ifdef PS_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>

#include <mutex>
#endif

namespace ps {

#ifdef PS_WITH_CUDA
namespace {
// The caching allocator initialises lazily on the first CUDA allocation; asking it for statistics
// before that fails with "Invalid device argument". One allocation per process makes sure it
// exists for every device (the allocator sets up all devices at once; the statistics are read at
// every logging step, so no allocation there after the first).
void ensureAllocator(int device) {
    static std::once_flag once;
    std::call_once(once, [device] {
        (void)torch::empty({1}, torch::TensorOptions().device(torch::kCUDA, static_cast<c10::DeviceIndex>(device)));
    });
}
} // namespace
#endif

bool cudaUsable() {
    return torch::cuda::is_available();
}

CudaMemoryStats cudaMemoryStats(int device) {
    CudaMemoryStats out;
#ifdef PS_WITH_CUDA
    if (!cudaUsable() || device < 0 || device >= static_cast<int>(torch::cuda::device_count()))
        return out;
    ensureAllocator(device);
    namespace alloc = c10::cuda::CUDACachingAllocator;
    const auto stats = alloc::getDeviceStats(static_cast<c10::DeviceIndex>(device));
    // Index 0 is StatType::AGGREGATE (all pools); spelled as a number because the enum moved
    // between LibTorch versions while the layout stayed.
    const auto& allocated = stats.allocated_bytes[0];
    const auto& reserved = stats.reserved_bytes[0];
    out.available = true;
    out.allocatedBytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, allocated.current));
    out.reservedBytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, reserved.current));
    out.peakAllocatedBytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, allocated.peak));
#else
    (void)device;
#endif
    return out;
}

void resetCudaPeakMemory(int device) {
#ifdef PS_WITH_CUDA
    if (cudaUsable() && device >= 0 && device < static_cast<int>(torch::cuda::device_count())) {
        ensureAllocator(device);
        c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
    }
#else
    (void)device;
#endif
}

} // namespace ps
