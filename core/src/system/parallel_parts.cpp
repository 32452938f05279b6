#include "system/parallel_parts.h"

#include "system/blas_threads.h"
#include "system/runtime_symbol.h"
#include "util/env_switch.h"

#include <ATen/ThreadLocalState.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ps::system {
namespace {

std::atomic<int> scopeParts{1};
std::atomic<int> forcedParts{0};

bool splittingAllowed() {
    static const bool allowed = [] {
        return !envIs("PS_SPLIT_SMALL_PRODUCTS", "0"); // off, for comparisons
    }();
    return allowed;
}

thread_local bool insidePart = false;

// Helper threads shared by every call. One call at a time (callMutex): a call publishes its job
// under `m`, bumps `generation`, and the helpers take part numbers until none is left.
class Helpers {
public:
    static Helpers& instance() {
        static auto* helpers = new Helpers; // never destroyed: helpers may still sleep at exit
        return *helpers;
    }

    std::mutex callMutex;

    void run(int parts, const std::function<void(int)>& fn) {
        const at::ThreadLocalState state; // the caller's, for the helpers
        ensureThreads(parts - 1);
        {
            std::lock_guard<std::mutex> lock(m_);
            fn_ = &fn;
            state_ = &state;
            parts_ = parts;
            next_ = 1;
            pending_ = parts - 1;
            error_ = nullptr;
            ++generation_;
        }
        work_.notify_all();
        runOne(0);
        std::unique_lock<std::mutex> lock(m_);
        // Part numbers no helper has taken yet (helpers still waking up) are run by the caller.
        while (next_ < parts_) {
            const int part = next_++;
            lock.unlock();
            runOne(part);
            lock.lock();
            --pending_;
        }
        done_.wait(lock, [&] { return pending_ == 0; });
        fn_ = nullptr;
        state_ = nullptr;
        if (error_) {
            auto e = error_;
            error_ = nullptr;
            std::rethrow_exception(e);
        }
    }

private:
    void ensureThreads(int count) {
        std::lock_guard<std::mutex> lock(m_);
        while (static_cast<int>(threads_.size()) < count) {
            threads_.emplace_back([this, seen = generation_]() mutable { loop(seen); });
            threads_.back().detach();
        }
    }

    void runOne(int part) {
        try {
            (*fn_)(part);
        } catch (...) {
            std::lock_guard<std::mutex> lock(m_);
            if (!error_)
                error_ = std::current_exception();
        }
    }

    void loop(unsigned long long seen) {
        insidePart = true;
        // A part runs on one core: OpenMP code it calls (oneDNN's sgemm, system/dense_products.h;
        // LibTorch's parallel loops) gets one thread here, not a team per helper. A new thread's
        // OpenMP default is every core, whatever LibTorch set in the thread that configured it.
        using SetThreads = void (*)(int);
        if (static const auto setThreads = runtimeSymbol<SetThreads>("omp_set_num_threads"); setThreads)
            setThreads(1);
        std::unique_lock<std::mutex> lock(m_);
        for (;;) {
            work_.wait(lock, [&] { return generation_ != seen; });
            seen = generation_;
            while (fn_ && next_ < parts_) {
                const int part = next_++;
                const auto* state = state_;
                lock.unlock();
                {
                    const at::ThreadLocalStateGuard guard(*state);
                    runOne(part);
                }
                lock.lock();
                if (--pending_ == 0)
                    done_.notify_all();
            }
        }
    }

    std::mutex m_;
    std::condition_variable work_, done_;
    std::vector<std::thread> threads_;
    const std::function<void(int)>* fn_ = nullptr;
    const at::ThreadLocalState* state_ = nullptr;
    int parts_ = 0, next_ = 0, pending_ = 0;
    unsigned long long generation_ = 0;
    std::exception_ptr error_;
};

} // namespace

int smallProductParts() {
    if (const int forced = forcedParts.load(); forced > 0)
        return forced;
    return splittingAllowed() ? std::max(1, scopeParts.load()) : 1;
}

void overrideSmallProductParts(int parts) {
    forcedParts = std::max(0, parts);
}

void setSmallProductParts(int parts) {
    scopeParts = std::max(1, parts);
}

bool insideParts() {
    return insidePart;
}

PartRange partRange(long long n, int parts, int part) {
    parts = std::max(1, parts);
    const long long base = n / parts, extra = n % parts;
    PartRange r;
    r.first = part * base + std::min<long long>(part, extra);
    r.count = base + (part < extra ? 1 : 0);
    return r;
}

void runParts(int parts, const std::function<void(int)>& fn) {
    auto& helpers = Helpers::instance();
    std::unique_lock<std::mutex> call(helpers.callMutex, std::defer_lock);
    if (parts <= 1 || insidePart || !call.try_lock()) {
        for (int part = 0; part < std::max(1, parts); ++part)
            fn(part);
        return;
    }
    // The caller runs part 0 inside the call: a nested call from there runs inline too (and
    // never try_locks the mutex this thread holds).
    struct Inside {
        Inside() { insidePart = true; }
        ~Inside() { insidePart = false; }
    } inside;
    helpers.run(parts, fn);
}

void runRangeParts(bool cpu, long long n, long long minPerPart, long long align,
                   const std::function<void(long long, long long)>& fn) {
    if (n <= 0)
        return;
    const SingleThreadedBlas scope(cpu);
    const long long most = std::max(1LL, n / std::max(1LL, minPerPart));
    const int parts = cpu ? static_cast<int>(std::min<long long>(smallProductParts(), most)) : 1;
    if (parts <= 1) {
        fn(0, n);
        return;
    }
    align = std::max(1LL, align);
    const long long units = (n + align - 1) / align; // ranges start at multiples of align
    runParts(parts, [&](int p) {
        const auto r = partRange(units, parts, p);
        const long long first = r.first * align, end = std::min(n, (r.first + r.count) * align);
        if (end > first)
            fn(first, end - first);
    });
}

} // namespace ps::system
