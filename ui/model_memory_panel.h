#pragma once
// The Model page's "Training memory" panel: what training the selected model would need with
// the run's current method, rank, batch, cutoff and precision (the draft's settings), so that a
// user sees whether a model fits before going further. Same estimate as the Method page
// (ps/memory_estimate.h, formula in docs/TRAINING.md), computed on a worker thread from
// config.json and the safetensors headers only.
#include <QGroupBox>
#include <QString>
#include <QStringList>

class QLabel;
class QTimer;

namespace ps::ui {

class MemoryEstimateView;
class RunDraft;

class ModelMemoryPanel final : public QGroupBox {
    Q_OBJECT

public:
    ModelMemoryPanel(RunDraft& draft, QWidget* parent = nullptr);

    // The model to estimate for (the one the details pane shows); empty: none.
    void setModelPath(const QString& path);
    bool isBusy() const { return jobs_ > 0 || pending_; }
    MemoryEstimateView* view() const { return view_; }
    // "LoRA r=8 on all linear layers ..." — the settings the estimate assumes.
    QString settingsText() const;

Q_SIGNALS:
    void busyChanged(bool busy);

private:
    void schedule();
    void start();

    RunDraft& draft_;
    MemoryEstimateView* view_ = nullptr;
    QLabel* settings_ = nullptr;
    QTimer* debounce_ = nullptr;
    QString modelPath_;
    bool pending_ = false;
    int jobs_ = 0;
    int generation_ = 0;
};

} // namespace ps::ui
