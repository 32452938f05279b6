#pragma once
// The Train page: the run's hyperparameters (from the shared RunDraft), Start / Pause / Stop,
// a status line with progress, live charts of loss, learning rate, memory and throughput, and
// the trainer's log. Training runs on a worker thread (TrainingController); errors are shown on
// the page with what to do about them.
#include "ps/runs.h"

#include <QWidget>

class QPlainTextEdit;
class QPushButton;
class QSplitter;

namespace ps::ui {

class ErrorBanner;
class HyperparameterForm;
class RunDraft;
class TrainingController;
class TrainingDashboard;
class TrainingProgress;

class TrainPage final : public QWidget {
    Q_OBJECT

public:
    explicit TrainPage(RunDraft& draft, QWidget* parent = nullptr);
    ~TrainPage() override;

    // A run is in flight (also while paused).
    bool isTraining() const;
    // The run folder of the last run that got one ("" before).
    QString lastRunDir() const { return lastRunDir_; }

    TrainingController* controller() const { return controller_; }
    TrainingDashboard* dashboard() const { return dashboard_; }
    HyperparameterForm* form() const { return form_; }
    TrainingProgress* progress() const { return progress_; }
    ErrorBanner* errorBanner() const { return error_; }
    QPlainTextEdit* logView() const { return log_; }
    QPushButton* startButton() const { return start_; }
    QPushButton* pauseButton() const { return pause_; }
    QPushButton* stopButton() const { return stop_; }
    QPushButton* continueButton() const { return continue_; }

    // Closing the window during a run: asks whether to stop it (a checkpoint is written). True
    // when the user agreed and the stop is requested; the run ends with finished().
    bool askToStopForClose();

public Q_SLOTS:
    // Starts a new run with the draft. False (and the reason on the page) when the draft has
    // problems or a run is in flight.
    bool start();
    // Continues the last stopped, paused or failed run from its latest checkpoint.
    bool continueLastRun();
    void togglePause();
    void stop();

Q_SIGNALS:
    void busyChanged(bool busy);
    void runFinished(const ps::RunSummary& summary);
    void statusMessage(const QString& message);

private:
    QWidget* buildControls();
    void appendLog(int level, const QString& text);
    void onStateChanged();
    void onFinished(const ps::RunSummary& summary);
    void updateButtons();

    RunDraft& draft_;
    TrainingController* controller_ = nullptr;
    HyperparameterForm* form_ = nullptr;
    TrainingDashboard* dashboard_ = nullptr;
    TrainingProgress* progress_ = nullptr;
    ErrorBanner* error_ = nullptr;
    QPlainTextEdit* log_ = nullptr;
    QSplitter* splitter_ = nullptr;
    QPushButton* start_ = nullptr;
    QPushButton* pause_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* continue_ = nullptr;
    QString lastRunDir_;
    bool lastRunResumable_ = false;
};

} // namespace ps::ui
