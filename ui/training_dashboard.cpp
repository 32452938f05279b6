#include "training_dashboard.h"

#include "live_chart.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QTimer>
#include <QVBoxLayout>

namespace ps::ui {

TrainingDashboard::TrainingDashboard(QWidget* parent) : QWidget(parent) {
    loss_ = new LiveChart(tr("Loss"), this);
    loss_->setObjectName(QStringLiteral("lossChart"));
    loss_->addSeries(tr("Training"), LiveChart::SeriesStyle::Faint);
    loss_->addSeries(tr("Smoothed"), LiveChart::SeriesStyle::Line);
    loss_->addSeries(tr("Validation"), LiveChart::SeriesStyle::Markers);
    loss_->setYLabel(tr("Loss (nats / token)"));
    loss_->setLegendVisible(true);

    lr_ = new LiveChart(tr("Learning rate"), this);
    lr_->setObjectName(QStringLiteral("learningRateChart"));
    lr_->addSeries(tr("Learning rate"), LiveChart::SeriesStyle::Line);
    lr_->setYLabel(tr("Learning rate"));
    lr_->setTickPrecision(3);
    lr_->setYFromZero(true);

    memory_ = new LiveChart(tr("Memory"), this);
    memory_->setObjectName(QStringLiteral("memoryChart"));
    memory_->addSeries(tr("Allocated"), LiveChart::SeriesStyle::Line);
    memory_->addSeries(tr("Reserved"), LiveChart::SeriesStyle::Dashed);
    memory_->setYLabel(tr("Process memory, RSS (MiB)"));
    memory_->setYFromZero(true);

    throughput_ = new LiveChart(tr("Throughput"), this);
    throughput_->setObjectName(QStringLiteral("throughputChart"));
    throughput_->addSeries(tr("Tokens / s"), LiveChart::SeriesStyle::Line);
    throughput_->setYLabel(tr("Trained tokens / s"));
    throughput_->setYFromZero(true);

    logScale_ = new QCheckBox(tr("&Log scale"), loss_);
    logScale_->setObjectName(QStringLiteral("logScaleToggle"));
    logScale_->setToolTip(tr("Show the loss on a logarithmic axis: late, small improvements stay visible."));
    connect(logScale_, &QCheckBox::toggled, this, [this](bool on) { loss_->setLogScale(on); });
    loss_->addHeaderWidget(logScale_);

    auto* grid = new QGridLayout;
    grid->setSpacing(12);
    grid->addWidget(loss_, 0, 0);
    grid->addWidget(lr_, 0, 1);
    grid->addWidget(memory_, 1, 0);
    grid->addWidget(throughput_, 1, 1);
    grid->setColumnStretch(0, 1);
    grid->setColumnStretch(1, 1);

    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->addLayout(grid, 1);

    loss_->setEmptyText(tr("The loss appears here\nwith the first logged step"));
    for (LiveChart* chart : {lr_, memory_, throughput_})
        chart->setEmptyText(tr("Appears with the\nfirst logged step"));

    redrawTimer_ = new QTimer(this);
    redrawTimer_->setSingleShot(true);
    redrawTimer_->setInterval(kRedrawIntervalMs);
    connect(redrawTimer_, &QTimer::timeout, this, &TrainingDashboard::redraw);
}

void TrainingDashboard::appendSample(const ps::MetricSample& sample) {
    history_.append(sample);
    scheduleRedraw();
}

void TrainingDashboard::reset(std::int64_t totalSteps) {
    history_.clear();
    // Unknown before the data is read (epoch-based runs): a short axis until the first sample.
    for (LiveChart* chart : {loss_, lr_, memory_, throughput_})
        chart->setXEnd(totalSteps > 0 ? static_cast<double>(totalSteps) : 10.0);
    dirty_ = true;
    redraw();
}

void TrainingDashboard::flush() {
    if (dirty_)
        redraw();
}

void TrainingDashboard::scheduleRedraw() {
    dirty_ = true;
    // Started only when not already pending: a steady stream of samples still gets a redraw
    // every interval, and a burst costs one.
    if (!redrawTimer_->isActive())
        redrawTimer_->start();
}

void TrainingDashboard::redraw() {
    redrawTimer_->stop();
    if (!dirty_)
        return;
    dirty_ = false;
    ++redraws_;
    const MetricsHistory& h = history_;
    if (h.totalSteps() > 0)
        for (LiveChart* chart : {loss_, lr_, memory_, throughput_})
            chart->setXEnd(static_cast<double>(h.totalSteps()));

    loss_->setSeriesData(RawLoss, h.trainStep, h.loss);
    loss_->setSeriesData(SmoothedLoss, h.trainStep, h.lossSmoothed);
    loss_->setSeriesData(EvalLoss, h.evalStep, h.evalLoss);
    lr_->setSeriesData(0, h.trainStep, h.learningRate);
    throughput_->setSeriesData(0, h.trainStep, h.tokensPerSec);

    const bool gpu = h.memoryKind() == MetricsHistory::MemoryKind::Cuda;
    memory_->setYLabel(gpu ? tr("GPU memory, allocated / reserved (MiB)") : tr("Process memory, RSS (MiB)"));
    memory_->setLegendVisible(gpu);
    memory_->setSeriesData(MemoryUsed, h.trainStep, h.memoryMiB);
    memory_->setSeriesData(MemoryReserved, h.trainStep, gpu ? h.reservedMemoryMiB : std::vector<double>{});

    for (LiveChart* chart : {loss_, lr_, memory_, throughput_})
        chart->refresh();
}

} // namespace ps::ui
