#include "data/worker_pool.h"

#include <algorithm>

namespace ps::data {

WorkerPool::WorkerPool(int threads) {
    const int n = std::max(1, threads);
    threads_.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        threads_.emplace_back([this] { loop(); });
}

WorkerPool::~WorkerPool() {
    {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return busy_ == 0; });
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_)
        t.join();
}

void WorkerPool::start(std::size_t n, std::function<void(std::size_t)> fn) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        fn_ = std::move(fn);
        n_ = n;
        next_ = 0;
        busy_ = static_cast<int>(threads_.size());
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
}

void WorkerPool::wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
    if (error_) {
        auto e = error_;
        error_ = nullptr;
        std::rethrow_exception(e);
    }
}

void WorkerPool::loop() {
    unsigned long long seen = 0;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_)
                return;
            seen = generation_;
        }
        for (;;) {
            std::size_t i;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (next_ >= n_ || error_)
                    break;
                i = next_++;
            }
            try {
                fn_(i);
            } catch (...) {
                // Kept and rethrown by wait() in the owning thread.
                std::lock_guard<std::mutex> lock(mutex_);
                if (!error_)
                    error_ = std::current_exception();
            }
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (--busy_ == 0)
                done_.notify_all();
        }
    }
}

} // namespace ps::data
