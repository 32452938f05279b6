#pragma once
// The training engine's public face (torch-free): Trainer, its observer and its stop token.
//
// Contract
// --------
// * Trainer::run() trains synchronously in the caller's thread (threads belong to the GUI or
//   the CLI, never to core) and returns when the run ends: completed, cancelled, paused-then-
//   stopped, or failed.
// * Before anything is written it validates the config, loads the model and reads the data;
//   a problem there is thrown as ps::Error and no run folder is created. Once the run folder
//   exists (ps/runs.h), failures are not thrown: they end the run with status failed, the error
//   in RunSummary::error and in summary.json, an onLog(Error) and onStateChanged(Failed), and the
//   last good checkpoint kept. A NaN / inf loss is such a failure ("loss became NaN at step N").
// * Observer callbacks are made on the training thread, between micro-steps. They must be quick
//   (copy the value, post it to another thread) and must not throw. Each MetricSample passed to
//   onMetrics() has also been appended to the run's metrics.jsonl.
// * The StopToken is checked between micro-steps (never inside forward / backward):
//     requestStop()  -> a checkpoint of the last completed optimizer step is written, status
//                       cancelled; the run can be resumed from it.
//     requestPause() -> a checkpoint is written, status paused (summary.json says so, so closing
//                       the app while paused loses nothing), onStateChanged(Paused); run() then
//                       blocks until resume() (training continues, Running) or requestStop()
//                       (returns with status paused).
// * Determinism: the same config and seed give the same loss curve on the same machine (CPU,
//   fp32); resume() from any checkpoint gives the same losses at every later step as the
//   uninterrupted run (data order, dropout RNG, optimizer and scheduler state are checkpointed).
// * resume(runDir) continues a cancelled, paused or failed run from its latest complete
//   checkpoint with the run folder's config.yaml; metrics logged after that checkpoint are
//   dropped from metrics.jsonl first so that the curve has no duplicates.
#include "ps/metrics.h"
#include "ps/run_config.h"
#include "ps/runs.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

namespace ps {

enum class TrainerState {
    Preparing, // loading the model, tokenizing the data
    Running,
    Evaluating, // on the validation split
    Saving,     // writing a checkpoint or the final adapter
    Paused,
    Completed,
    Cancelled,
    Failed,
};

const char* trainerStateName(TrainerState state);

enum class LogLevel { Debug, Info, Warning, Error };

class TrainerObserver {
public:
    virtual ~TrainerObserver() = default;
    virtual void onMetrics(const MetricSample& sample) { (void)sample; }
    virtual void onLog(LogLevel level, const std::string& text) {
        (void)level;
        (void)text;
    }
    virtual void onStateChanged(TrainerState state) { (void)state; }
};

// Shared between the thread that runs the trainer and the one that controls it (GUI / signal
// handler); every member is thread-safe.
class StopToken final {
public:
    StopToken() = default;
    StopToken(const StopToken&) = delete;
    StopToken& operator=(const StopToken&) = delete;

    void requestStop();
    void requestPause();
    void resume(); // clears a pause request

    bool stopRequested() const { return stop_.load(std::memory_order_acquire); }
    bool pauseRequested() const { return pause_.load(std::memory_order_acquire); }

    // For the trainer: blocks while a pause is requested; returns true when a stop was
    // requested (before or while paused).
    bool waitWhilePaused();
    // Clears both requests (a token can be reused for the next run).
    void reset();

private:
    std::atomic<bool> stop_{false};
    std::atomic<bool> pause_{false};
    std::mutex mutex_;
    std::condition_variable changed_;
};

class Trainer final {
public:
    Trainer();
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // Creates a run folder under runsRootFor(config) and trains. See the contract above.
    RunSummary run(const RunConfig& config, TrainerObserver& observer, StopToken& stop);
    // Continues the run in `runDir` from its latest checkpoint.
    RunSummary resume(const std::string& runDir, TrainerObserver& observer, StopToken& stop);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ps
