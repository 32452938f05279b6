#pragma once
// Runs the Data page's analysis (data_jobs.h) on a worker thread: one at a time, a new request
// cancels the one in flight, Cancel stops it, and the model's tokenizer is loaded once and reused.
// Only the newest request's result is delivered.
#include "data_jobs.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace ps::ui {

class DataAnalyzer final : public QObject {
    Q_OBJECT

public:
    explicit DataAnalyzer(QObject* parent = nullptr);
    ~DataAnalyzer() override;

    void start(DataRequest request);
    void cancel();
    bool isBusy() const { return jobs_ > 0; }
    // The request being worked on or last finished.
    const DataRequest& request() const { return request_; }

Q_SIGNALS:
    void busyChanged(bool busy);
    void progress(int perMille);
    void finished(const ps::ui::DataAnalysis& result);

private:
    DataRequest request_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    std::shared_ptr<const ps::Tokenizer> tokenizer_;
    QString tokenizerDir_;
    int generation_ = 0;
    int jobs_ = 0;
};

} // namespace ps::ui
