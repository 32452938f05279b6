#pragma once
// The estimate of training memory (ps/memory_estimate.h) as a total with its parts and the
// settings it assumes (batch, cutoff_len, bf16, gradient checkpointing). Value labels are named
// memory_total, memory_weights, ... for tests and accessibility tools.
#include "ps/memory_estimate.h"
#include "ps/run_config.h"

#include <QHash>
#include <QWidget>

class QLabel;

namespace ps::ui {

class MemoryEstimateView final : public QWidget {
    Q_OBJECT

public:
    explicit MemoryEstimateView(QWidget* parent = nullptr);

    void setEstimate(const ps::TrainingMemoryEstimate& estimate, const ps::RunConfig& config);
    void clear(const QString& why);
    QString valueText(const QString& key) const;

private:
    QLabel* total_ = nullptr;
    QLabel* assumptions_ = nullptr;
    QHash<QString, QLabel*> values_;
};

} // namespace ps::ui
