#include "catalog_thread.h"

#include "qt_convert.h"

#include "ps/error.h"
#include "ps/run_catalog.h"

#include <QThread>

#include <exception>

namespace ps::ui {

// Touched only on the worker thread (the catalog is created and destroyed there).
struct CatalogThread::State {
    std::unique_ptr<ps::RunCatalog> catalog;
};

CatalogThread::CatalogThread(const QString& runsRoot, QObject* parent)
    : QObject(parent), root_(runsRoot), state_(std::make_shared<State>()) {
    thread_ = new QThread(this);
    thread_->setObjectName(QStringLiteral("run catalog"));
    context_ = new QObject; // no parent: it moves to the thread
    context_->moveToThread(thread_);
    connect(thread_, &QThread::finished, context_, &QObject::deleteLater);
    thread_->start();
}

CatalogThread::~CatalogThread() {
    // The last job closes the catalog on its own thread; then the thread ends.
    QMetaObject::invokeMethod(
        context_, [state = state_] { state->catalog.reset(); }, Qt::QueuedConnection);
    thread_->quit();
    thread_->wait();
}

void CatalogThread::post(Job job) {
    QMetaObject::invokeMethod(
        context_,
        [this, state = state_, job = std::move(job), root = toStd(root_)] {
            QString error;
            try {
                if (!state->catalog)
                    state->catalog = std::make_unique<ps::RunCatalog>(root);
                job(*state->catalog);
                return;
            } catch (const std::exception& e) {
                error = QString::fromUtf8(e.what());
            }
            // `this` is only used on the GUI thread, where it is alive: the destructor waits for
            // this thread before the object goes away, and a queued call to a deleted object is dropped.
            QMetaObject::invokeMethod(
                this, [this, error] { Q_EMIT failed(error); }, Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

} // namespace ps::ui
