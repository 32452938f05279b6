#include "model_memory_panel.h"

#include "memory_estimate_view.h"
#include "method_catalog.h"
#include "method_jobs.h"
#include "page_header.h"
#include "qt_convert.h"
#include "run_draft.h"

#include <QFutureWatcher>
#include <QLabel>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ps::ui {

namespace {

// The draft keys the estimate depends on (the rest, e.g. the learning rate, change nothing).
bool affectsEstimate(const QStringList& keys) {
    static const QStringList relevant = {
        QStringLiteral("finetuning_type"), QStringLiteral("lora_rank"),      QStringLiteral("lora_target"),
        QStringLiteral("lora_dropout"),    QStringLiteral("num_virtual_tokens"), QStringLiteral("cutoff_len"),
        QStringLiteral("per_device_train_batch_size"), QStringLiteral("bf16"),  QStringLiteral("fp16"),
        QStringLiteral("gradient_checkpointing"), QStringLiteral("optimizer")};
    for (const QString& key : keys)
        if (relevant.contains(key))
            return true;
    return false;
}

} // namespace

ModelMemoryPanel::ModelMemoryPanel(RunDraft& draft, QWidget* parent)
    : QGroupBox(tr("Training memory"), parent), draft_(draft) {
    setObjectName(QStringLiteral("model_memory_panel"));
    auto* v = new QVBoxLayout(this);
    settings_ = secondaryLabel({}, this);
    settings_->setObjectName(QStringLiteral("memory_settings"));
    settings_->setWordWrap(true);
    v->addWidget(settings_);
    view_ = new MemoryEstimateView(this);
    v->addWidget(view_);
    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(150);
    connect(debounce_, &QTimer::timeout, this, &ModelMemoryPanel::start);
    connect(&draft_, &RunDraft::changed, this, [this](const QStringList& keys) {
        if (affectsEstimate(keys))
            schedule();
    });
    view_->clear(tr("Select a model to see what training it needs."));
    settings_->setText(settingsText());
}

QString ModelMemoryPanel::settingsText() const {
    const ps::RunConfig& c = draft_.config();
    const MethodDescription* method = findMethod(toQ(c.finetuning_type));
    QString name = method ? method->title : toQ(c.finetuning_type);
    if (method && method->rank)
        name += tr(" rank %1").arg(c.lora_rank);
    return tr("Fine-tuning with %1, as set on the Method and Train pages.").arg(name);
}

void ModelMemoryPanel::setModelPath(const QString& path) {
    if (path == modelPath_)
        return;
    modelPath_ = path;
    schedule();
}

void ModelMemoryPanel::schedule() {
    const bool was = isBusy();
    pending_ = true;
    debounce_->start();
    if (!was)
        Q_EMIT busyChanged(true);
}

void ModelMemoryPanel::start() {
    pending_ = false;
    settings_->setText(settingsText());
    const int generation = ++generation_;
    if (modelPath_.isEmpty()) {
        view_->clear(tr("Select a model to see what training it needs."));
        if (!isBusy())
            Q_EMIT busyChanged(false);
        return;
    }
    ps::RunConfig config = draft_.config();
    config.model_name_or_path = toStd(modelPath_);
    auto* watcher = new QFutureWatcher<MethodEstimate>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation == generation_) {
            const MethodEstimate r = watcher->result();
            if (!r.model)
                view_->clear(r.modelError);
            else if (!r.counted)
                view_->clear(tr("No estimate: %1").arg(r.methodError));
            else
                view_->setEstimate(r.memory, r.config);
        }
        --jobs_;
        if (!isBusy())
            Q_EMIT busyChanged(false);
    });
    ++jobs_;
    watcher->setFuture(QtConcurrent::run(&estimateMethod, config, std::optional<ps::ModelInfo>{}));
}

} // namespace ps::ui
