#pragma once
// The Method page: pick the PEFT method (each with a one-line explanation), its rank, alpha,
// dropout or virtual tokens (only the settings that apply are shown) and the target modules of
// the selected model (presets: attention only, all linear layers), and see — live — how many
// parameters it trains, what share of the model that is, the size of the adapter file it will
// write and the memory training will need.
//
// Everything it edits lives in the RunDraft (finetuning_type, lora_rank, lora_alpha,
// lora_dropout, lora_target, num_virtual_tokens). Counting runs on a worker from the model's
// config.json and safetensors headers; it is restarted a moment after the last change.
#include "method_jobs.h"

#include <QWidget>

class QButtonGroup;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QRadioButton;
class QSpinBox;
class QTimer;

namespace ps::ui {

class MemoryEstimateView;
class RunDraft;
class TargetModuleList;

class MethodPage final : public QWidget {
    Q_OBJECT

public:
    explicit MethodPage(RunDraft& draft, QWidget* parent = nullptr);
    ~MethodPage() override;

    bool isBusy() const { return jobs_ > 0 || debounce_active(); }

    // The last estimate shown.
    const MethodEstimate& estimate() const { return estimate_; }
    QRadioButton* methodButton(const QString& name) const;
    TargetModuleList* targets() const { return targets_; }
    MemoryEstimateView* memory() const { return memory_; }
    // The texts shown in the summary ("trainable", "trainable_percent", "adapter_size").
    QString summaryText(const QString& key) const;
    // Whether a setting row ("lora_rank", "lora_alpha", ...) is shown for the current method.
    bool isSettingVisible(const QString& key) const;

Q_SIGNALS:
    void busyChanged(bool busy);

private:
    QWidget* buildMethodList();
    QWidget* buildSettings();
    QWidget* buildSummary();
    void onDraftChanged();
    void syncWidgets();
    void scheduleEstimate();
    void startEstimate();
    void applyEstimate(const MethodEstimate& result);
    void writeTargets(const QString& value);
    bool debounce_active() const;
    void updateBusy();

    RunDraft& draft_;
    QTimer* debounce_ = nullptr;
    MethodEstimate estimate_;
    std::optional<ps::ModelInfo> model_; // inspected model, reused while the path stays the same
    int jobs_ = 0;
    int generation_ = 0;
    bool busy_ = false;

    QButtonGroup* methods_ = nullptr;
    QFormLayout* settingsForm_ = nullptr;
    QSpinBox* rank_ = nullptr;
    QDoubleSpinBox* alpha_ = nullptr;
    QDoubleSpinBox* dropout_ = nullptr;
    QSpinBox* virtualTokens_ = nullptr;
    QWidget* targetsBox_ = nullptr;
    TargetModuleList* targets_ = nullptr;
    QLabel* targetsNote_ = nullptr;
    QLabel* trainable_ = nullptr;
    QLabel* percent_ = nullptr;
    QLabel* adapterSize_ = nullptr;
    QLabel* problem_ = nullptr;
    MemoryEstimateView* memory_ = nullptr;
};

} // namespace ps::ui
