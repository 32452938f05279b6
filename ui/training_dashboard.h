#pragma once
// TrainingDashboard — the live charts of a run: loss (raw + smoothed, eval loss on the same axes,
// log-scale toggle), learning rate, memory (RSS or GPU allocated / reserved, labelled) and
// throughput. Samples are stored as they arrive (MetricsHistory keeps all of them); the charts
// redraw on a coalescing timer, so however fast metrics come the GUI redraws at most every
// kRedrawIntervalMs.
#include "metrics_history.h"

#include <QWidget>

class QCheckBox;
class QTimer;

namespace ps::ui {

class LiveChart;

class TrainingDashboard final : public QWidget {
    Q_OBJECT

public:
    static constexpr int kRedrawIntervalMs = 40; // at most 25 redraws a second (ARCHITECTURE.md)

    // Series indexes of the charts, for tests.
    enum LossSeries { RawLoss, SmoothedLoss, EvalLoss };
    enum MemorySeries { MemoryUsed, MemoryReserved };

    explicit TrainingDashboard(QWidget* parent = nullptr);

    const MetricsHistory& history() const { return history_; }
    LiveChart* lossChart() const { return loss_; }
    LiveChart* learningRateChart() const { return lr_; }
    LiveChart* memoryChart() const { return memory_; }
    LiveChart* throughputChart() const { return throughput_; }
    QCheckBox* logScaleToggle() const { return logScale_; }
    // Redraws done so far (each coalesces every sample since the previous one).
    int redrawCount() const { return redraws_; }

public Q_SLOTS:
    void appendSample(const ps::MetricSample& sample);
    // Empties the charts for a new run; `totalSteps` sizes the x axes (0 = unknown yet).
    void reset(std::int64_t totalSteps = 0);
    // Draws pending samples now instead of at the next timer tick.
    void flush();

private:
    void scheduleRedraw();
    void redraw();

    MetricsHistory history_;
    LiveChart* loss_ = nullptr;
    LiveChart* lr_ = nullptr;
    LiveChart* memory_ = nullptr;
    LiveChart* throughput_ = nullptr;
    QCheckBox* logScale_ = nullptr;
    QTimer* redrawTimer_ = nullptr;
    bool dirty_ = false;
    int redraws_ = 0;
};

} // namespace ps::ui
