#pragma once
// A caching CPU allocator for LibTorch's large tensors (internal; includes torch).
//
// Why: a training step allocates and frees the same large activation and gradient buffers every
// step. With glibc's malloc those either come from the heap — where blocks of mixed sizes
// fragment it, so the peak RSS grows well beyond the bytes alive at once (measured: GPT-2 LoRA,
// batch 4 x 256: 2425 MiB peak vs 1762 MiB when every block is mmapped) — or, above the mmap
// threshold, from fresh mappings whose pages the kernel faults in and zeroes again every step
// (the same run then spent 3.8 s of system time per step). This allocator maps blocks of at least
// kMinCachedBytes itself, rounded up to a size class (1, 1.25, 1.5 or 1.75 x a power of two), and
// keeps freed blocks on a per-class free list: from the second step on, the buffers of the last
// step are reused, without faults and without fragmentation. A request with no free block of its
// own class takes the smallest free block of up to kMaxReuseFactor x its class, so buffers whose
// size follows the data (the head's logits for each micro-batch's labelled rows) reuse each
// other's blocks too. Pages of a block beyond the bytes its tensors used are never touched, so
// rounding up costs address space, not memory. Smaller tensors go to LibTorch's default allocator.
//
// The cache stays close to what the process had to hold: when a request finds no free block to
// take, free blocks are unmapped (the smallest that covers the excess, else the largest) until
// the mapped total fits within the highest number of bytes that tensors used at once plus one
// block of the largest size mapped (both since the last releaseCachedCpuMemory()). So batches of
// changing shapes recycle memory instead of piling up stale blocks, and the peak RSS stays that of
// the bytes alive at once plus at most that one block (which keeps a step's biggest buffer from
// being unmapped and faulted in again every micro-batch). releaseCachedCpuMemory() returns the
// whole cache to the system (the trainer calls it at the end of a run, so the studio gives memory
// back between runs).
// PS_CPU_ALLOCATOR=default in the environment keeps LibTorch's allocator.
#include <cstddef>
#include <cstdint>

namespace ps::system {

constexpr std::size_t kMinCachedBytes = std::size_t{256} << 10; // 256 KiB
// A request may be served from a free block of up to this many times its size class.
constexpr std::size_t kMaxReuseFactor = 2;

// Installs the allocator as LibTorch's CPU allocator (once; later calls do nothing). Returns
// false when it is disabled (PS_CPU_ALLOCATOR=default) or the platform has no mmap.
bool installCachingCpuAllocator();

// The size class a request of `bytes` (>= kMinCachedBytes) is served from.
std::size_t cpuAllocatorSizeClass(std::size_t bytes);

struct CachingCpuAllocatorStats {
    std::uint64_t liveBytes = 0;     // in blocks that tensors use (size classes)
    std::uint64_t peakLiveBytes = 0; // the most ever used at once
    std::uint64_t cachedBytes = 0;  // in free blocks kept for reuse
    std::uint64_t mappedBlocks = 0; // blocks mapped from the system so far
    std::uint64_t reusedBlocks = 0; // requests served from the cache
};
CachingCpuAllocatorStats cachingCpuAllocatorStats();

// Unmaps every free block, and starts the cache's ceiling over from the bytes live now.
void releaseCachedCpuMemory();

} // namespace ps::system
