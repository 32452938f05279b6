#pragma once
// GenerationLane — one ps::Generator on its own worker thread, for one side of the Playground
// (base model, or base + adapter). The generator is loaded on the worker the first time it is
// needed and kept until the model or adapter changes, so a second prompt starts at once.
// Tokens come back to the GUI thread through queued signals; stop() sets the flag the generator
// checks after every token. Two lanes run in parallel (core allows one generation per
// Generator, and any number of Generators).
#include "ps/chat_template.h"
#include "ps/generate.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

class QThread;

namespace ps::ui {

struct GenerationRequest {
    QString modelDir;
    QString adapterDir; // "" = the base model alone
    bool chat = false;
    QString prompt;                           // text mode
    std::vector<ps::ChatMessage> messages;    // chat mode: the conversation so far, ending with the user turn
    std::optional<ps::ChatFamily> chatFamily; // chat mode: nullopt = the tokenizer's template
    ps::GenerationOptions options;
};

struct GenerationOutcome {
    bool ok = false;
    QString error;
    std::vector<std::int32_t> ids; // the new tokens
    QString text;
    QString stop; // generationStopName
    std::int64_t promptTokens = 0;
    double seconds = 0.0; // prefill + decode, model loading excluded
    QStringList warnings;

    double tokensPerSecond() const { return seconds > 0.0 ? static_cast<double>(ids.size()) / seconds : 0.0; }
};

class GenerationWorker;

class GenerationLane final : public QObject {
    Q_OBJECT

public:
    explicit GenerationLane(const QString& name, QObject* parent = nullptr);
    ~GenerationLane() override; // stops a generation in flight and joins the thread

    void start(const GenerationRequest& request);
    void stop();
    bool isRunning() const { return running_; }

Q_SIGNALS:
    void loadingModel();                         // the generator is being (re)loaded
    void token(qint32 id, const QString& piece); // one per generated token
    void finished(const ps::ui::GenerationOutcome& outcome);

private:
    QThread* thread_ = nullptr;
    GenerationWorker* worker_ = nullptr;
    std::atomic<bool> stop_{false};
    quint64 job_ = 0; // tokens of an older job (none in practice: one job at a time) are ignored
    bool running_ = false;
};

// Lives on a lane's thread; owns the cached Generator.
class GenerationWorker final : public QObject {
    Q_OBJECT

public:
    explicit GenerationWorker(const std::atomic<bool>* stop) : stop_(stop) {}
    ~GenerationWorker() override;
    void run(quint64 job, const GenerationRequest& request);

Q_SIGNALS:
    void loadingModel(quint64 job);
    void token(quint64 job, qint32 id, const QString& piece);
    void finished(quint64 job, const ps::ui::GenerationOutcome& outcome);

private:
    const std::atomic<bool>* stop_;
    std::unique_ptr<ps::Generator> generator_;
    QString modelDir_, adapterDir_;
};

} // namespace ps::ui

Q_DECLARE_METATYPE(ps::ui::GenerationOutcome)
