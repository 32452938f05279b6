#pragma once
// CatalogThread — the Runs page's ps::RunCatalog, on a thread of its own. Opening the catalog
// syncs it with the run folders and every edit touches files, so none of it may run on the GUI
// thread; a RunCatalog is per-thread, so one long-lived thread owns it and runs jobs in the
// order they were posted (a tag edit then a list sees the edit). Jobs hand results back to the
// GUI with QMetaObject::invokeMethod(receiver, ..., Qt::QueuedConnection).
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QThread;

namespace ps {
class RunCatalog;
}

namespace ps::ui {

class CatalogThread final : public QObject {
    Q_OBJECT

public:
    using Job = std::function<void(ps::RunCatalog& catalog)>;

    // The catalog of `runsRoot` is opened by the first job, on the worker thread.
    explicit CatalogThread(const QString& runsRoot, QObject* parent = nullptr);
    // Waits for the job in progress (jobs are short: file reads and SQLite) and closes the catalog.
    ~CatalogThread() override;

    const QString& root() const { return root_; }

    // Runs `job` on the worker thread. A ps::Error or other std::exception thrown by the job (or
    // by opening the catalog) is reported through failed() with its message.
    void post(Job job);

Q_SIGNALS:
    void failed(const QString& message);

private:
    struct State;
    QString root_;
    QThread* thread_ = nullptr;
    QObject* context_ = nullptr; // lives on thread_: jobs are queued to it
    std::shared_ptr<State> state_;
};

} // namespace ps::ui
