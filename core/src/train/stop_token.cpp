// StopToken and TrainerState names (ps/trainer.h). The Trainer itself lives in trainer.cpp.
#include "ps/trainer.h"

namespace ps {

const char* trainerStateName(TrainerState state) {
    switch (state) {
    case TrainerState::Preparing:
        return "preparing";
    case TrainerState::Running:
        return "running";
    case TrainerState::Evaluating:
        return "evaluating";
    case TrainerState::Saving:
        return "saving";
    case TrainerState::Paused:
        return "paused";
    case TrainerState::Completed:
        return "completed";
    case TrainerState::Cancelled:
        return "cancelled";
    case TrainerState::Failed:
        return "failed";
    }
    return "running";
}

void StopToken::requestStop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_.store(true, std::memory_order_release);
    }
    changed_.notify_all();
}

void StopToken::requestPause() {
    std::lock_guard<std::mutex> lock(mutex_);
    pause_.store(true, std::memory_order_release);
}

void StopToken::resume() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pause_.store(false, std::memory_order_release);
    }
    changed_.notify_all();
}

bool StopToken::waitWhilePaused() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !pause_.load() || stop_.load(); });
    return stop_.load();
}

void StopToken::reset() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_.store(false);
        pause_.store(false);
    }
    changed_.notify_all();
}

} // namespace ps
