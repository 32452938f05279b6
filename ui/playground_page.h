#pragma once
// The Playground page: the same prompt (or chat conversation) through the base model and
// through base + adapter, side by side, streaming token by token, with the same seed and
// settings. The adapter is any run's (from the catalog) or any adapter folder; the base model
// defaults to the run's. Each side is a GenerationLane (its own worker thread and cached
// Generator); Stop cancels both; tokens/s and the stop reason show under each pane.
#include "ps/chat_template.h"
#include "ps/generate.h"

#include <QWidget>

#include <optional>

#include <vector>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace ps::ui {

class AdapterPicker;
class ErrorBanner;
class GenerationLane;
class GenerationPane;
class GenerationSettingsForm;
struct GenerationOutcome;

// What the page needs to know about its adapter and base, read on a worker thread.
struct PlaygroundSetup {
    QString source;
    QString adapterDir; // resolved (a run's adapter/ folder)
    QString name;       // run name or folder name
    QString baseHint;   // the run's model
    QString baseDir;    // the base the defaults were read from
    ps::GenerationOptions defaults;
    // Chat mode renders with the template the run trained with (its `template` setting) when
    // that is a known family, so the adapter sees the format it learned; otherwise (auto, or a
    // plain adapter folder) with the tokenizer's own chat template. Both sides use the same.
    std::optional<ps::ChatFamily> chatFamily;
    QString error;
};
PlaygroundSetup resolvePlaygroundSetup(const QString& source, const QString& baseDir);

class PlaygroundPage final : public QWidget {
    Q_OBJECT

public:
    explicit PlaygroundPage(QWidget* parent = nullptr);
    ~PlaygroundPage() override;

    void setAdapterSource(const QString& path);
    void setBaseDir(const QString& dir);
    void setPrompt(const QString& text);
    void setChatMode(bool chat);

    bool isBusy() const;
    bool isGenerating() const;

    AdapterPicker* picker() const { return picker_; }
    GenerationPane* basePane() const { return basePane_; }
    GenerationPane* adapterPane() const { return adapterPane_; }
    GenerationSettingsForm* settings() const { return settings_; }
    QPushButton* generateButton() const { return generate_; }
    QPushButton* stopButton() const { return stop_; }
    QPlainTextEdit* promptEdit() const { return prompt_; }
    QCheckBox* chatToggle() const { return chat_; }
    ErrorBanner* errorBanner() const { return error_; }
    QString adapterDir() const { return setup_.adapterDir; }

public Q_SLOTS:
    // Starts both sides (deferred until the adapter and base are resolved). False, with the
    // reason on the page, when it cannot start.
    bool generate();
    void stop();
    void newConversation();

Q_SIGNALS:
    void busyChanged(bool busy);
    void generationFinished();

private:
    QWidget* buildSourceRow();
    QWidget* buildInput();
    void resolve();
    void applySetup(const PlaygroundSetup& setup);
    void startLanes();
    void onLaneFinished(GenerationPane* pane, std::vector<ps::ChatMessage>* history, const GenerationOutcome& outcome);
    void updateButtons();

    AdapterPicker* picker_ = nullptr;
    QLineEdit* base_ = nullptr;
    ErrorBanner* error_ = nullptr;
    GenerationPane* basePane_ = nullptr;
    GenerationPane* adapterPane_ = nullptr;
    GenerationSettingsForm* settings_ = nullptr;
    QCheckBox* chat_ = nullptr;
    QLabel* chatInfo_ = nullptr;
    QPushButton* newChat_ = nullptr;
    QPlainTextEdit* prompt_ = nullptr;
    QPushButton* generate_ = nullptr;
    QPushButton* stop_ = nullptr;
    GenerationLane* baseLane_ = nullptr;
    GenerationLane* adapterLane_ = nullptr;

    PlaygroundSetup setup_;
    int resolveSerial_ = 0;
    int resolving_ = 0;
    bool pendingGenerate_ = false;
    bool baseEdited_ = false;
    int lanesRunning_ = 0;
    std::vector<ps::ChatMessage> baseChat_, adapterChat_; // each side's own conversation
};

} // namespace ps::ui
