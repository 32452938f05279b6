#pragma once
// A fixed set of threads that run one parallel-for job at a time: start() hands out indices
// 0..n-1 and returns at once (so the caller can read the next chunk meanwhile), wait() blocks
// until the job is done and rethrows the first exception a worker raised. The threads are
// created by the constructor and joined by the destructor: they live inside the call that
// owns the pool, never beyond it.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ps::data {

class WorkerPool final {
public:
    explicit WorkerPool(int threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    int size() const { return static_cast<int>(threads_.size()); }
    void start(std::size_t n, std::function<void(std::size_t)> fn);
    void wait();

private:
    void loop();

    std::vector<std::thread> threads_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::function<void(std::size_t)> fn_;
    std::size_t n_ = 0;
    std::size_t next_ = 0;
    int busy_ = 0;
    unsigned long long generation_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
};

} // namespace ps::data
