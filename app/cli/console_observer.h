#pragma once
// Prints a training run to the terminal: a one-line progress bar on a TTY, plain log lines
// otherwise (CI logs, pipes). Ctrl+C asks the trainer to stop cleanly (checkpoint first).
#include "ps/trainer.h"

namespace ps::cli {

class ConsoleObserver final : public TrainerObserver {
public:
    ConsoleObserver();
    void onMetrics(const MetricSample& sample) override;
    void onLog(LogLevel level, const std::string& text) override;
    void onStateChanged(TrainerState state) override;

private:
    bool tty_ = false;
    bool barShown_ = false;
};

// Routes SIGINT / SIGTERM to stop.requestStop() while alive.
class StopOnSignal final {
public:
    explicit StopOnSignal(StopToken& stop);
    ~StopOnSignal();
};

// Prints the end of a run: status, final numbers, the run folder. Returns the exit code.
int reportRunEnd(const RunSummary& summary);

} // namespace ps::cli
