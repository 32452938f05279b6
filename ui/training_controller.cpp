#include "training_controller.h"

#include "qt_convert.h"

#include <QThread>

#include <exception>
#include <utility>

namespace ps::ui {

// Runs on the training thread: copies each value and posts it to the controller's (GUI) thread.
// Posting never blocks, so the trainer is not slowed down by a busy GUI.
class TrainingController::Observer final : public ps::TrainerObserver {
public:
    explicit Observer(TrainingController* controller) : controller_(controller) {}

    void onMetrics(const ps::MetricSample& sample) override {
        post([c = controller_, sample] { Q_EMIT c->metricsReceived(sample); });
    }
    void onLog(ps::LogLevel level, const std::string& text) override {
        post([c = controller_, level, line = toQ(text)] { Q_EMIT c->logLine(static_cast<int>(level), line); });
    }
    void onStateChanged(ps::TrainerState state) override {
        post([c = controller_, state] {
            c->state_ = state;
            Q_EMIT c->stateChanged(state);
        });
    }

private:
    template <typename F> void post(F&& f) {
        QMetaObject::invokeMethod(controller_, std::forward<F>(f), Qt::QueuedConnection);
    }
    TrainingController* controller_;
};

TrainingController::TrainingController(QObject* parent) : QObject(parent) {}

TrainingController::~TrainingController() {
    if (!thread_)
        return;
    // Last resort (the window normally stops the run and waits for finished()): stop at the
    // next micro-step, which writes a checkpoint, and wait for it.
    stop_->requestStop();
    thread_->wait();
    delete thread_;
}

bool TrainingController::isPauseRequested() const {
    return stop_ && thread_ && stop_->pauseRequested();
}

bool TrainingController::isStopRequested() const {
    return stop_ && thread_ && stop_->stopRequested();
}

bool TrainingController::start(const ps::RunConfig& config) {
    return launch([config](ps::Trainer& trainer, ps::TrainerObserver& observer, ps::StopToken& stop) {
        return trainer.run(config, observer, stop);
    });
}

bool TrainingController::resumeRun(const QString& runDir) {
    return launch([dir = toStd(runDir)](ps::Trainer& trainer, ps::TrainerObserver& observer, ps::StopToken& stop) {
        return trainer.resume(dir, observer, stop);
    });
}

bool TrainingController::launch(
    std::function<ps::RunSummary(ps::Trainer&, ps::TrainerObserver&, ps::StopToken&)> work) {
    if (thread_)
        return false;
    stop_ = std::make_shared<ps::StopToken>();
    result_ = std::make_shared<ps::RunSummary>();
    thread_ = QThread::create([this, work = std::move(work), stop = stop_, result = result_] {
        Observer observer(this);
        ps::Trainer trainer;
        try {
            *result = work(trainer, observer, *stop);
        } catch (const std::exception& e) {
            // Thrown before the run folder existed: a config, model or data problem.
            result->status = ps::RunStatus::Failed;
            result->error = e.what();
            observer.onLog(ps::LogLevel::Error, e.what());
            observer.onStateChanged(ps::TrainerState::Failed);
        }
    });
    thread_->setObjectName(QStringLiteral("training"));
    // Queued: finished() is emitted on the worker thread after every observer post, so the GUI
    // sees all metrics and log lines before the end of the run.
    connect(thread_, &QThread::finished, this, &TrainingController::onWorkerDone, Qt::QueuedConnection);
    state_ = ps::TrainerState::Preparing;
    thread_->start();
    Q_EMIT activeChanged(true);
    Q_EMIT stateChanged(state_);
    return true;
}

void TrainingController::pause() {
    if (!thread_ || stop_->stopRequested())
        return;
    stop_->requestPause();
    Q_EMIT requestChanged();
}

void TrainingController::resume() {
    if (!thread_)
        return;
    stop_->resume();
    Q_EMIT requestChanged();
}

void TrainingController::stop() {
    if (!thread_)
        return;
    stop_->requestStop();
    Q_EMIT requestChanged();
}

void TrainingController::onWorkerDone() {
    if (!thread_)
        return;
    thread_->wait();
    thread_->deleteLater();
    thread_ = nullptr;
    summary_ = *result_;
    ++finishedRuns_;
    switch (summary_.status) {
    case ps::RunStatus::Completed:
        state_ = ps::TrainerState::Completed;
        break;
    case ps::RunStatus::Failed:
        state_ = ps::TrainerState::Failed;
        break;
    case ps::RunStatus::Cancelled:
    case ps::RunStatus::Paused: // paused, then stopped: resumable like a cancelled run
    case ps::RunStatus::Running:
        state_ = ps::TrainerState::Cancelled;
        break;
    }
    Q_EMIT stateChanged(state_);
    Q_EMIT finished(summary_);
    Q_EMIT activeChanged(false);
}

} // namespace ps::ui
