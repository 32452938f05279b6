#include "train_page.h"

#include "error_banner.h"
#include "glyph_icons.h"
#include "hyperparameter_form.h"
#include "page_header.h"
#include "qt_convert.h"
#include "run_draft.h"
#include "training_controller.h"
#include "training_dashboard.h"
#include "training_progress.h"

#include <QDir>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTime>
#include <QVBoxLayout>

#include <algorithm>

namespace ps::ui {

TrainPage::TrainPage(RunDraft& draft, QWidget* parent) : QWidget(parent), draft_(draft) {
    controller_ = new TrainingController(this);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 12);
    layout->setSpacing(6);
    addPageHeader(layout, tr("Train"),
                  tr("Set the training schedule, start, and watch the loss fall. Pause and Stop write a "
                     "checkpoint, so a run can always be continued."),
                  this);
    error_ = new ErrorBanner(this);
    layout->addWidget(error_);
    layout->addWidget(buildControls());

    form_ = new HyperparameterForm(draft_, this);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(form_);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(260);

    dashboard_ = new TrainingDashboard(this);
    log_ = new QPlainTextEdit(this);
    log_->setObjectName(QStringLiteral("trainingLog"));
    log_->setAccessibleName(tr("Training log"));
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(10000);
    log_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    log_->setPlaceholderText(tr("The trainer's messages appear here."));
    log_->setLineWrapMode(QPlainTextEdit::NoWrap);

    auto* right = new QSplitter(Qt::Vertical, this);
    right->setChildrenCollapsible(false);
    right->addWidget(dashboard_);
    right->addWidget(log_);
    right->setStretchFactor(0, 4);
    right->setStretchFactor(1, 1);
    right->setSizes({480, 110});

    splitter_ = new QSplitter(Qt::Horizontal, this);
    splitter_->setChildrenCollapsible(false);
    splitter_->addWidget(scroll);
    splitter_->addWidget(right);
    splitter_->setStretchFactor(0, 0);
    splitter_->setStretchFactor(1, 1);
    splitter_->setSizes({330, 800});
    layout->addWidget(splitter_, 1);

    connect(controller_, &TrainingController::metricsReceived, dashboard_, &TrainingDashboard::appendSample);
    connect(controller_, &TrainingController::metricsReceived, progress_, &TrainingProgress::setSample);
    connect(controller_, &TrainingController::metricsReceived, this, [this](const ps::MetricSample& s) {
        if (s.kind == ps::MetricSample::Kind::Eval && s.evalLoss)
            appendLog(static_cast<int>(ps::LogLevel::Info),
                      tr("Step %1: validation loss %2").arg(s.step).arg(*s.evalLoss, 0, 'f', 4));
    });
    connect(controller_, &TrainingController::logLine, this, &TrainPage::appendLog);
    connect(controller_, &TrainingController::stateChanged, this, &TrainPage::onStateChanged);
    connect(controller_, &TrainingController::requestChanged, this, &TrainPage::onStateChanged);
    connect(controller_, &TrainingController::finished, this, &TrainPage::onFinished);
    connect(controller_, &TrainingController::activeChanged, this, [this](bool active) {
        form_->setEnabled(!active); // the run uses the settings it started with
        updateButtons();
        Q_EMIT busyChanged(active);
    });
    // Before the first run the charts span the planned steps, so they do not jump at the start.
    const auto sizeEmptyCharts = [this] {
        if (!controller_->isActive() && dashboard_->history().sampleCount() == 0)
            dashboard_->reset(draft_.config().max_steps);
    };
    connect(&draft_, &RunDraft::changed, this, sizeEmptyCharts);
    sizeEmptyCharts();
    updateButtons();
}

TrainPage::~TrainPage() = default;

QWidget* TrainPage::buildControls() {
    auto* row = new QWidget(this);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 4, 0, 4);
    start_ = new QPushButton(glyphIcon(Glyph::Train), tr("&Start"), row);
    start_->setObjectName(QStringLiteral("startButton"));
    start_->setToolTip(tr("Start a new run with these settings (Ctrl+Return)"));
    start_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    start_->setDefault(true);
    pause_ = new QPushButton(tr("&Pause"), row);
    pause_->setObjectName(QStringLiteral("pauseButton"));
    pause_->setToolTip(tr("Pause after the current step; a checkpoint is written, so closing the app loses nothing"));
    stop_ = new QPushButton(tr("S&top"), row);
    stop_->setObjectName(QStringLiteral("stopButton"));
    stop_->setToolTip(tr("Stop after the current step and write a checkpoint; the run can be continued later"));
    continue_ = new QPushButton(tr("&Continue Run"), row);
    continue_->setObjectName(QStringLiteral("continueButton"));
    continue_->setToolTip(tr("Continue the stopped run from its latest checkpoint"));
    connect(start_, &QPushButton::clicked, this, &TrainPage::start);
    connect(pause_, &QPushButton::clicked, this, &TrainPage::togglePause);
    connect(stop_, &QPushButton::clicked, this, &TrainPage::stop);
    connect(continue_, &QPushButton::clicked, this, &TrainPage::continueLastRun);
    for (QPushButton* b : {start_, pause_, stop_, continue_})
        h->addWidget(b);
    h->addSpacing(12);
    progress_ = new TrainingProgress(row);
    h->addWidget(progress_, 1);
    return row;
}

bool TrainPage::isTraining() const {
    return controller_->isActive();
}

bool TrainPage::start() {
    // One run at a time, refused rather than queued: a CPU run already uses every core, so a
    // second one would only halve both, and a queue would hide a run the user forgot.
    if (controller_->isActive()) {
        error_->showError(tr("A run is already in progress"),
                          tr("This window is already training; a second run cannot start at the same time."),
                          tr("Wait for it to finish, or press Stop (a checkpoint is kept), then start again."));
        return false;
    }
    // The line edit being edited commits on focus out; make sure its value is in the draft.
    if (QWidget* focused = focusWidget())
        focused->clearFocus();
    const QStringList problems = draft_.problems();
    if (!problems.isEmpty()) {
        QString advice = tr("Fix the settings named above, then press Start again.");
        if (draft_.config().model_name_or_path.empty() || draft_.config().dataset.empty())
            advice =
                tr("Choose a base model on the Model page and a dataset on the Data page, then press Start again.");
        error_->showError(tr("Training cannot start yet"), problems.join(QLatin1Char('\n')), advice);
        return false;
    }
    error_->clear();
    log_->clear();
    progress_->resetNumbers();
    const ps::RunConfig config = draft_.config();
    dashboard_->reset(config.max_steps > 0 ? config.max_steps : 0);
    lastRunResumable_ = false;
    appendLog(static_cast<int>(ps::LogLevel::Info),
              tr("Starting a %1 run on %2")
                  .arg(toQ(config.finetuning_type), QDir::toNativeSeparators(toQ(config.model_name_or_path))));
    return controller_->start(config);
}

bool TrainPage::continueLastRun() {
    if (controller_->isActive() || lastRunDir_.isEmpty())
        return false;
    error_->clear();
    // The charts keep the run's curve; samples after the checkpoint are replaced as they come.
    appendLog(static_cast<int>(ps::LogLevel::Info), tr("Continuing %1").arg(QDir::toNativeSeparators(lastRunDir_)));
    return controller_->resumeRun(lastRunDir_);
}

void TrainPage::togglePause() {
    if (!controller_->isActive())
        return;
    if (controller_->isPauseRequested())
        controller_->resume();
    else
        controller_->pause();
}

void TrainPage::stop() {
    controller_->stop();
}

bool TrainPage::askToStopForClose() {
    if (!controller_->isActive())
        return true;
    const auto answer = QMessageBox::question(window(), tr("Stop Training?"),
                                              tr("A training run is in progress. Stop it and close PEFT Studio?\n\nA "
                                                 "checkpoint of the last completed step is "
                                                 "written first, so the run can be continued later."),
                                              QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes)
        return false;
    controller_->stop();
    return true;
}

void TrainPage::appendLog(int level, const QString& text) {
    static const char* const prefixes[] = {"debug", "info", "warning", "error"};
    const int index = std::clamp(level, 0, 3);
    log_->appendPlainText(
        QStringLiteral("%1  %2: %3")
            .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), QLatin1String(prefixes[index]), text));
}

void TrainPage::onStateChanged() {
    progress_->setState(controller_->state(), controller_->isPauseRequested(), controller_->isStopRequested());
    updateButtons();
}

void TrainPage::onFinished(const ps::RunSummary& summary) {
    dashboard_->flush();
    if (!summary.runDir.empty())
        lastRunDir_ = toQ(summary.runDir);
    lastRunResumable_ = !summary.runDir.empty() && summary.status != ps::RunStatus::Completed;
    onStateChanged();
    const QString folder = QDir::toNativeSeparators(lastRunDir_);
    switch (summary.status) {
    case ps::RunStatus::Completed:
        Q_EMIT statusMessage(tr("Training completed; the adapter is in %1").arg(folder));
        break;
    case ps::RunStatus::Failed:
        if (summary.runDir.empty())
            error_->showError(tr("Training could not start"), toQ(summary.error),
                              tr("Check the model and data it names (Model and Data pages) and the settings, then "
                                 "press Start again."));
        else
            error_->showError(tr("Training failed"), toQ(summary.error),
                              tr("The log and the last good checkpoint are kept in %1. Change what the message "
                                 "names and start a new run, or press Continue Run to retry from the checkpoint.")
                                  .arg(folder));
        break;
    case ps::RunStatus::Cancelled:
    case ps::RunStatus::Paused:
    case ps::RunStatus::Running:
        Q_EMIT statusMessage(tr("Training stopped; a checkpoint is in %1").arg(folder));
        break;
    }
    Q_EMIT runFinished(summary);
}

void TrainPage::updateButtons() {
    const bool active = controller_->isActive();
    const bool stopping = controller_->isStopRequested();
    start_->setEnabled(!active);
    pause_->setEnabled(active && !stopping && controller_->state() != ps::TrainerState::Preparing);
    pause_->setText(controller_->isPauseRequested() ? tr("&Resume") : tr("&Pause"));
    stop_->setEnabled(active && !stopping);
    continue_->setVisible(!active && lastRunResumable_);
    continue_->setEnabled(!active && lastRunResumable_);
}

} // namespace ps::ui
