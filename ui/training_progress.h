#pragma once
// TrainingProgress — the status line of the Train page: what the trainer is doing in words
// (Preparing, Running, Evaluating, Saving, Paused, Completed, ...), a progress bar of optimizer
// steps that only shows 100 % when the run has really completed, and epoch, ETA and tokens/s.
#include "ps/metrics.h"
#include "ps/trainer.h"

#include <QWidget>

class QLabel;
class QProgressBar;

namespace ps::ui {

// "Running", "Evaluating on the validation split", "Pausing\u2026", ...; `pausing` / `stopping`:
// the request is made and the trainer acts on it at its next micro-step.
QString trainingStateText(ps::TrainerState state, bool pausing, bool stopping);
// "1:05", "12:03:09"
QString formatDuration(double seconds);

class TrainingProgress final : public QWidget {
    Q_OBJECT

public:
    explicit TrainingProgress(QWidget* parent = nullptr);

    // Before the first run: "Ready".
    void setIdle(const QString& text);
    void setState(ps::TrainerState state, bool pausing, bool stopping);
    void setSample(const ps::MetricSample& sample);
    // A new run: the numbers of the last one are cleared.
    void resetNumbers();

    QString stateText() const;
    QString detailsText() const;
    QProgressBar* bar() const { return bar_; }

private:
    void updateBar();
    void updateDetails();

    QLabel* state_ = nullptr;
    QProgressBar* bar_ = nullptr;
    QLabel* details_ = nullptr;
    ps::TrainerState trainerState_ = ps::TrainerState::Preparing;
    bool idle_ = true;
    std::int64_t step_ = 0;
    std::int64_t total_ = 0;
    double epoch_ = 0;
    double tokensPerSec_ = 0;
    std::optional<double> eta_;
    double elapsed_ = 0;
    bool hasNumbers_ = false;
};

} // namespace ps::ui
