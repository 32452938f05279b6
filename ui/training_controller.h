#pragma once
// TrainingController — runs core's ps::Trainer on a worker thread that belongs to the GUI (core
// never creates threads) and turns the trainer's observer callbacks, made on that thread, into
// signals on the GUI thread carrying plain values. Pause, resume and stop go through the
// trainer's StopToken, so they take effect between micro-steps; stop and pause write a
// checkpoint. Destroying the controller during a run stops it cleanly and waits for the
// checkpoint (the window asks first; see MainWindow::closeEvent).
#include "ps/metrics.h"
#include "ps/run_config.h"
#include "ps/runs.h"
#include "ps/trainer.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QThread;

namespace ps::ui {

class TrainingController final : public QObject {
    Q_OBJECT

public:
    explicit TrainingController(QObject* parent = nullptr);
    ~TrainingController() override;

    // A run is in flight on the worker thread (also while paused).
    bool isActive() const { return thread_ != nullptr; }
    // The trainer's last reported state (Completed / Cancelled / Failed after a run).
    ps::TrainerState state() const { return state_; }
    bool isPauseRequested() const;
    bool isStopRequested() const;
    // Summary of the last finished run (status, run folder, error); empty before the first.
    const ps::RunSummary& lastSummary() const { return summary_; }
    bool hasFinishedRun() const { return finishedRuns_ > 0; }

public Q_SLOTS:
    // Starts a new run with `config`; false (and nothing happens) when one is active.
    bool start(const ps::RunConfig& config);
    // Continues the run in `runDir` from its latest checkpoint; false when one is active.
    bool resumeRun(const QString& runDir);
    void pause();
    void resume();
    void stop();

Q_SIGNALS:
    void activeChanged(bool active);
    void stateChanged(ps::TrainerState state);
    void metricsReceived(const ps::MetricSample& sample);
    // level: ps::LogLevel as int.
    void logLine(int level, const QString& text);
    // The pause / stop request changed (the trainer acts on it at the next micro-step).
    void requestChanged();
    // The run ended: completed, cancelled, paused and stopped, or failed. A config or input
    // problem found before the run folder existed comes as status Failed with an empty runDir.
    void finished(const ps::RunSummary& summary);

private:
    class Observer;
    bool launch(std::function<ps::RunSummary(ps::Trainer&, ps::TrainerObserver&, ps::StopToken&)> work);
    void onWorkerDone();

    QThread* thread_ = nullptr;
    std::shared_ptr<ps::StopToken> stop_;
    std::shared_ptr<ps::RunSummary> result_; // written by the worker before its thread ends
    ps::RunSummary summary_;
    ps::TrainerState state_ = ps::TrainerState::Completed;
    int finishedRuns_ = 0;
};

} // namespace ps::ui
