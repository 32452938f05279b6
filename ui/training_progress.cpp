#include "training_progress.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ps::ui {

QString trainingStateText(ps::TrainerState state, bool pausing, bool stopping) {
    if (stopping && state != ps::TrainerState::Completed && state != ps::TrainerState::Cancelled &&
        state != ps::TrainerState::Failed)
        return QObject::tr("Stopping\u2026 (writing a checkpoint)");
    if (pausing && state != ps::TrainerState::Paused && state != ps::TrainerState::Failed)
        return QObject::tr("Pausing\u2026 (writing a checkpoint)");
    switch (state) {
    case ps::TrainerState::Preparing:
        return QObject::tr("Preparing \u2014 loading the model and tokenizing the data");
    case ps::TrainerState::Running:
        return QObject::tr("Running");
    case ps::TrainerState::Evaluating:
        return QObject::tr("Evaluating on the validation split");
    case ps::TrainerState::Saving:
        return QObject::tr("Saving");
    case ps::TrainerState::Paused:
        return QObject::tr("Paused \u2014 checkpoint written; Resume continues");
    case ps::TrainerState::Completed:
        return QObject::tr("Completed");
    case ps::TrainerState::Cancelled:
        return QObject::tr("Stopped \u2014 checkpoint written; the run can be resumed");
    case ps::TrainerState::Failed:
        return QObject::tr("Failed");
    }
    return {};
}

QString formatDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("\u2014");
    const auto s = static_cast<long long>(std::llround(seconds));
    const long long h = s / 3600, m = (s / 60) % 60, sec = s % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QLatin1Char('0')).arg(sec, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(sec, 2, 10, QLatin1Char('0'));
}

TrainingProgress::TrainingProgress(QWidget* parent) : QWidget(parent) {
    state_ = new QLabel(this);
    state_->setObjectName(QStringLiteral("trainingState"));
    QFont f = state_->font();
    f.setBold(true);
    state_->setFont(f);
    state_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    bar_ = new QProgressBar(this);
    bar_->setObjectName(QStringLiteral("trainingProgress"));
    bar_->setAccessibleName(tr("Training progress"));
    bar_->setTextVisible(true);

    details_ = new QLabel(this);
    details_->setObjectName(QStringLiteral("trainingDetails"));
    details_->setForegroundRole(QPalette::PlaceholderText);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* top = new QHBoxLayout;
    top->addWidget(state_, 1);
    top->addWidget(details_);
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    v->addLayout(top);
    v->addWidget(bar_);
    setIdle(tr("Ready"));
}

void TrainingProgress::setIdle(const QString& text) {
    idle_ = true;
    state_->setText(text);
    resetNumbers();
}

void TrainingProgress::resetNumbers() {
    step_ = total_ = 0;
    epoch_ = tokensPerSec_ = elapsed_ = 0;
    eta_.reset();
    hasNumbers_ = false;
    updateBar();
}

void TrainingProgress::setState(ps::TrainerState state, bool pausing, bool stopping) {
    idle_ = false;
    trainerState_ = state;
    state_->setText(trainingStateText(state, pausing, stopping));
    updateBar();
}

void TrainingProgress::setSample(const ps::MetricSample& sample) {
    step_ = sample.step;
    total_ = sample.totalSteps;
    epoch_ = sample.epoch;
    elapsed_ = sample.elapsedSec;
    if (sample.kind == ps::MetricSample::Kind::Train) {
        tokensPerSec_ = sample.tokensPerSec;
        eta_ = sample.etaSec;
    }
    hasNumbers_ = true;
    updateBar();
}

void TrainingProgress::updateDetails() {
    if (!hasNumbers_) {
        details_->clear();
        return;
    }
    const QLocale locale;
    QStringList parts;
    parts << tr("Epoch %1").arg(locale.toString(epoch_, 'f', 2));
    // The ETA only while the run is going somewhere.
    const bool going = trainerState_ == ps::TrainerState::Running || trainerState_ == ps::TrainerState::Evaluating ||
                       trainerState_ == ps::TrainerState::Saving;
    if (eta_ && going)
        parts << tr("ETA %1").arg(formatDuration(*eta_));
    parts << tr("%1 tokens/s").arg(locale.toString(tokensPerSec_, 'f', 0));
    parts << tr("elapsed %1").arg(formatDuration(elapsed_));
    details_->setText(parts.join(QStringLiteral("  \u00b7  ")));
}

void TrainingProgress::updateBar() {
    updateDetails();
    if (!idle_ && trainerState_ == ps::TrainerState::Preparing) {
        bar_->setRange(0, 0); // busy: the step count is not known yet
        return;
    }
    const int total = static_cast<int>(std::max<std::int64_t>(1, total_));
    // Only a completed run fills the bar: the last step is followed by saving the adapter.
    int value = static_cast<int>(std::min<std::int64_t>(step_, total_));
    if (trainerState_ != ps::TrainerState::Completed && value >= total && total_ > 0)
        value = total - 1;
    if (trainerState_ == ps::TrainerState::Completed && total_ > 0)
        value = total;
    bar_->setRange(0, total);
    bar_->setValue(idle_ ? 0 : value);
    bar_->setFormat(total_ > 0 ? tr("Step %1 of %2").arg(step_).arg(total_) : tr("No steps yet"));
}

QString TrainingProgress::stateText() const {
    return state_->text();
}

QString TrainingProgress::detailsText() const {
    return details_->text();
}

} // namespace ps::ui
