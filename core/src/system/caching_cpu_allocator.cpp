#include "system/caching_cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define PS_HAVE_MMAP 1
#endif

namespace ps::system {

std::size_t cpuAllocatorSizeClass(std::size_t bytes) {
    // 1, 1.25, 1.5, 1.75 x 2^k: at most 25 % over the request, few distinct classes.
    std::size_t power = 1;
    while (power * 2 <= bytes)
        power *= 2;
    const std::size_t quarter = power / 4;
    return (bytes + quarter - 1) / quarter * quarter;
}

#ifdef PS_HAVE_MMAP

namespace {

class CachingCpuAllocator final : public c10::Allocator {
public:
    c10::DataPtr allocate(std::size_t bytes) const { return const_cast<CachingCpuAllocator*>(this)->take(bytes); }
    // LibTorch 2.x declares allocate() non-const and copy_data() pure virtual; 1.13 has neither.
    c10::DataPtr allocate(std::size_t bytes) { return take(bytes); }
    void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
    // raw_allocate() / raw_deallocate() (used by oneDNN's bf16 kernels) need a plain deleter:
    // release() frees our blocks and hands anything else to the fallback's deleter.
    c10::DeleterFnPtr raw_deleter() const { return &CachingCpuAllocator::release; }

    CachingCpuAllocatorStats stats() {
        std::lock_guard<std::mutex> lock(mutex_);
        return stats_;
    }

    void releaseAll() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [size, blocks] : free_) {
            for (void* p : blocks)
                ::munmap(p, size);
            stats_.cachedBytes -= size * blocks.size();
        }
        free_.clear();
        peakSinceRelease_ = stats_.liveBytes;
        largestBlock_ = 0;
    }

    c10::Allocator* fallback = nullptr;

private:
    c10::DataPtr take(std::size_t bytes) {
        if (bytes < kMinCachedBytes)
            return fallback->allocate(bytes);
        const std::size_t size = cpuAllocatorSizeClass(bytes);
        std::size_t block = size; // the size of the block that serves the request
        void* p = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            // The smallest free block of this class or a larger one, up to kMaxReuseFactor x the
            // class: requests whose size changes from batch to batch (the head's logits for the
            // labelled rows of each micro-batch) reuse the block the last one left instead of
            // unmapping it and faulting in a new one. Its pages are touched already, so serving
            // a smaller request from it costs no resident memory.
            const auto it = free_.lower_bound(size);
            if (it != free_.end() && it->first <= kMaxReuseFactor * size) {
                block = it->first;
                p = popFree(it);
                ++stats_.reusedBlocks;
            }
        }
        if (!p) {
            makeRoomFor(size);
            p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                // The cache may hold what the system cannot give: return it and try once more.
                releaseAll();
                p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                    throw std::bad_alloc();
            }
            std::lock_guard<std::mutex> lock(mutex_);
            ++stats_.mappedBlocks;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            live_[p] = block;
            stats_.liveBytes += block;
            stats_.peakLiveBytes = std::max(stats_.peakLiveBytes, stats_.liveBytes);
            peakSinceRelease_ = std::max(peakSinceRelease_, stats_.liveBytes);
        }
        return {p, p, &CachingCpuAllocator::release, c10::Device(c10::DeviceType::CPU)};
    }

    static void release(void* p);
    void give(void* p) {
        std::unique_lock<std::mutex> lock(mutex_);
        const auto it = live_.find(p);
        if (it == live_.end()) {
            // A small block from the fallback, freed through raw_deallocate().
            lock.unlock();
            if (const c10::DeleterFnPtr deleter = fallback->raw_deleter())
                deleter(p);
            return;
        }
        const std::size_t size = it->second;
        live_.erase(it);
        stats_.liveBytes -= size;
        free_[size].push_back(p);
        stats_.cachedBytes += size;
    }

    // Before mapping `size` more bytes: unmap free blocks until live + cached + size fits within
    // the most bytes live at once plus one block of the largest size mapped (both since the last
    // releaseAll()). The blocks a step needs are more than its peak: buffers of different sizes
    // are alive at different times (the head's logits at the end of the forward pass, gradients in
    // the backward pass), so with the peak alone as the ceiling every micro-batch gave up the head's
    // block for a few megabytes of gradients and faulted it in again (GPT-2, instruction data:
    // 2.26 M minor faults in 6 steps before this session-11 policy, 0.32 M — the first step's own
    // mappings — with it; benchmarks/RESULTS.md). Each round unmaps the smallest free block that
    // covers the whole excess, or the largest one when none does: the fewest bytes leave the cache.
    void makeRoomFor(std::size_t size) {
        std::lock_guard<std::mutex> lock(mutex_);
        largestBlock_ = std::max(largestBlock_, size);
        const std::uint64_t ceiling = std::max<std::uint64_t>(peakSinceRelease_ + largestBlock_, stats_.liveBytes + size);
        while (stats_.cachedBytes > 0 && stats_.liveBytes + stats_.cachedBytes + size > ceiling) {
            const std::uint64_t excess = stats_.liveBytes + stats_.cachedBytes + size - ceiling;
            auto victim = free_.lower_bound(static_cast<std::size_t>(excess));
            if (victim == free_.end())
                victim = std::prev(free_.end());
            const std::size_t victimSize = victim->first;
            ::munmap(popFree(victim), victimSize);
        }
    }

    // Takes the last block of a free list (the caller holds the mutex); a list left empty leaves
    // the map, so every entry of free_ holds at least one block.
    void* popFree(std::map<std::size_t, std::vector<void*>>::iterator it) {
        void* p = it->second.back();
        it->second.pop_back();
        stats_.cachedBytes -= it->first;
        if (it->second.empty())
            free_.erase(it);
        return p;
    }

    std::mutex mutex_;
    std::map<std::size_t, std::vector<void*>> free_;
    std::unordered_map<void*, std::size_t> live_;
    CachingCpuAllocatorStats stats_;
    // Since the last releaseAll(): the most bytes live at once, and the largest block mapped.
    // They set the cache's ceiling, so that one big run does not let the next one keep more.
    std::uint64_t peakSinceRelease_ = 0;
    std::size_t largestBlock_ = 0;
};

CachingCpuAllocator* instance() {
    // Never destroyed: tensors may outlive static destruction order.
    static auto* allocator = new CachingCpuAllocator();
    return allocator;
}

void CachingCpuAllocator::release(void* p) {
    instance()->give(p);
}

} // namespace

bool installCachingCpuAllocator() {
    static const bool installed = [] {
        const char* choice = std::getenv("PS_CPU_ALLOCATOR");
        if (choice && std::strcmp(choice, "default") == 0)
            return false;
        CachingCpuAllocator* allocator = instance();
        allocator->fallback = c10::GetCPUAllocator();
        c10::SetAllocator(c10::DeviceType::CPU, allocator);
        return true;
    }();
    return installed;
}

CachingCpuAllocatorStats cachingCpuAllocatorStats() {
    return instance()->stats();
}

void releaseCachedCpuMemory() {
    instance()->releaseAll();
}

#else

bool installCachingCpuAllocator() {
    return false;
}
CachingCpuAllocatorStats cachingCpuAllocatorStats() {
    return {};
}
void releaseCachedCpuMemory() {}

#endif

} // namespace ps::system
