#include "data_analyzer.h"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

namespace ps::ui {

DataAnalyzer::DataAnalyzer(QObject* parent) : QObject(parent) {}

DataAnalyzer::~DataAnalyzer() {
    // A job still running finishes on its own (it owns its inputs) and stops early.
    if (cancel_)
        cancel_->store(true);
}

void DataAnalyzer::start(DataRequest request) {
    if (cancel_)
        cancel_->store(true);
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    if (!request.modelDir.isEmpty() && request.modelDir == tokenizerDir_)
        request.tokenizer = tokenizer_;
    request_ = request;
    const int generation = ++generation_;
    auto* watcher = new QFutureWatcher<DataAnalysis>(this);
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, generation](int value) {
        if (generation == generation_)
            Q_EMIT progress(value);
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        const DataAnalysis result = watcher->future().resultCount() > 0 ? watcher->result() : DataAnalysis{};
        if (result.tokenizer && !result.request.modelDir.isEmpty()) {
            tokenizer_ = result.tokenizer;
            tokenizerDir_ = result.request.modelDir;
        }
        if (generation == generation_)
            Q_EMIT finished(result);
        if (--jobs_ == 0)
            Q_EMIT busyChanged(false);
    });
    if (jobs_++ == 0)
        Q_EMIT busyChanged(true);
    watcher->setFuture(QtConcurrent::run(&analyzeData, request, cancel_));
}

void DataAnalyzer::cancel() {
    if (cancel_)
        cancel_->store(true);
}

} // namespace ps::ui
