#include "generation_lane.h"

#include "qt_convert.h"

#include "ps/error.h"

#include <QThread>

namespace ps::ui {

GenerationWorker::~GenerationWorker() = default;

void GenerationWorker::run(quint64 job, const GenerationRequest& r) {
    GenerationOutcome out;
    try {
        if (!generator_ || modelDir_ != r.modelDir || adapterDir_ != r.adapterDir) {
            Q_EMIT loadingModel(job);
            generator_.reset(); // free the old model before loading the next one
            ps::GeneratorConfig config;
            config.modelDir = toStd(r.modelDir);
            config.adapterDir = toStd(r.adapterDir);
            generator_ = std::make_unique<ps::Generator>(config);
            modelDir_ = r.modelDir;
            adapterDir_ = r.adapterDir;
        }
        if (!generator_->tokenizer())
            throw ps::Error(toStd(r.modelDir) + ": no tokenizer (tokenizer.json or tokenizer.model) to turn text into "
                                                "tokens");
        const auto onToken = [this, job](std::int32_t id, const std::string& piece) {
            Q_EMIT token(job, id, QString::fromStdString(piece));
        };
        const ps::GenerationResult res =
            r.chat ? generator_->generateChat(r.messages, r.options, onToken, stop_, r.chatFamily)
                   : generator_->generateText(toStd(r.prompt), r.options, onToken, stop_);
        out.ok = true;
        out.ids = res.ids;
        out.text = QString::fromStdString(res.text);
        out.stop = QString::fromLatin1(ps::generationStopName(res.stop));
        out.promptTokens = res.promptTokens;
        out.seconds = res.prefillSeconds + res.decodeSeconds;
        for (const auto& w : res.warnings)
            out.warnings << QString::fromStdString(w);
    } catch (const ps::Error& e) {
        out.error = QString::fromUtf8(e.what());
        generator_.reset(); // a failed load leaves nothing half-usable behind
        modelDir_.clear();
        adapterDir_.clear();
    } catch (const std::exception& e) {
        // LibTorch reports some failures (e.g. out of memory) as std::exception subclasses.
        out.error = QString::fromUtf8(e.what());
    }
    Q_EMIT finished(job, out);
}

GenerationLane::GenerationLane(const QString& name, QObject* parent) : QObject(parent) {
    qRegisterMetaType<ps::ui::GenerationOutcome>();
    thread_ = new QThread(this);
    thread_->setObjectName(name);
    worker_ = new GenerationWorker(&stop_);
    worker_->moveToThread(thread_);
    connect(thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(worker_, &GenerationWorker::loadingModel, this, [this](quint64 job) {
        if (job == job_)
            Q_EMIT loadingModel();
    });
    connect(worker_, &GenerationWorker::token, this, [this](quint64 job, qint32 id, const QString& piece) {
        if (job == job_)
            Q_EMIT token(id, piece);
    });
    connect(worker_, &GenerationWorker::finished, this, [this](quint64 job, const GenerationOutcome& outcome) {
        if (job != job_)
            return;
        running_ = false;
        Q_EMIT finished(outcome);
    });
    thread_->start();
}

GenerationLane::~GenerationLane() {
    stop_ = true;
    thread_->quit();
    thread_->wait(); // at most one token (or a model load) away
}

void GenerationLane::start(const GenerationRequest& request) {
    stop_ = false;
    running_ = true;
    const quint64 job = ++job_;
    QMetaObject::invokeMethod(
        worker_, [w = worker_, job, request] { w->run(job, request); }, Qt::QueuedConnection);
}

void GenerationLane::stop() {
    stop_ = true;
}

} // namespace ps::ui
