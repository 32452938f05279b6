#include "token_length_histogram.h"

#include <QEvent>
#include <QVBoxLayout>
#include "qcustomplot_include.h"

#include <algorithm>
#include <cmath>

namespace ps::ui {
namespace {

constexpr int kTargetBins = 40;
// The same accent as the live charts: stands out against the palette's highlight colour.
const QColor kCutoffColor(0xE0, 0x7B, 0x20);

QColor withAlpha(QColor c, int alpha) {
    c.setAlpha(alpha);
    return c;
}

// 1, 2, 5, 10, 20, 50, ... at least `raw`.
std::int64_t niceWidth(double raw) {
    std::int64_t step = 1;
    while (true) {
        for (const std::int64_t m : {1, 2, 5})
            if (static_cast<double>(step * m) >= raw)
                return step * m;
        step *= 10;
    }
}

} // namespace

TokenLengthHistogram::TokenLengthHistogram(QWidget* parent) : QWidget(parent) {
    setAccessibleName(tr("Example length histogram"));
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    plot_ = new QCustomPlot(this);
    plot_->setObjectName(QStringLiteral("lengthHistogram"));
    plot_->setFocusPolicy(Qt::NoFocus);
    plot_->setMinimumHeight(140);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    plot_->xAxis->setTickLabelFont(small);
    plot_->yAxis->setTickLabelFont(small);
    plot_->xAxis->setLabelFont(small);
    plot_->yAxis->setLabelFont(small);
    plot_->xAxis->setLabel(tr("tokens per example"));
    plot_->yAxis->setLabel(tr("examples"));
    bars_ = new QCPBars(plot_->xAxis, plot_->yAxis);
    cutoffLine_ = new QCPItemStraightLine(plot_);
    cutoffLabel_ = new QCPItemText(plot_);
    cutoffLabel_->setFont(small);
    cutoffLabel_->position->setTypeX(QCPItemPosition::ptPlotCoords);
    cutoffLabel_->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    cutoffLabel_->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    cutoffLabel_->setPadding(QMargins(0, 2, 4, 0));
    v->addWidget(plot_);
    applyPalette();
    clear();
}

void TokenLengthHistogram::clear() {
    lengths_.clear();
    cutoff_ = 0;
    rebuild();
}

void TokenLengthHistogram::setLengths(std::vector<std::int64_t> lengths, std::int64_t cutoff) {
    lengths_ = std::move(lengths);
    cutoff_ = cutoff;
    rebuild();
}

double TokenLengthHistogram::cutoffMarkerX() const {
    return cutoffLine_->visible() ? cutoffLine_->point1->coords().x() : -1;
}

void TokenLengthHistogram::rebuild() {
    const std::int64_t longest = lengths_.empty() ? 0 : *std::max_element(lengths_.begin(), lengths_.end());
    const std::int64_t span = std::max<std::int64_t>({longest, cutoff_, 1});
    // Bins fit the data, so short examples far below the cutoff are still resolved.
    binWidth_ = niceWidth(static_cast<double>(std::max<std::int64_t>(longest, 1) + 1) / kTargetBins);
    const std::size_t bins = static_cast<std::size_t>(span / binWidth_ + 1);
    counts_.assign(bins, 0);
    for (const std::int64_t n : lengths_)
        ++counts_[static_cast<std::size_t>(std::max<std::int64_t>(0, n) / binWidth_)];
    QVector<double> keys, values;
    double highest = 1;
    for (std::size_t i = 0; i < bins; ++i) {
        keys << (static_cast<double>(i) + 0.5) * static_cast<double>(binWidth_);
        values << static_cast<double>(counts_[i]);
        highest = std::max(highest, values.back());
    }
    bars_->setData(keys, values, true);
    bars_->setWidth(static_cast<double>(binWidth_) * 0.9);
    plot_->xAxis->setRange(0, static_cast<double>(span) * 1.04 + static_cast<double>(binWidth_));
    plot_->yAxis->setRange(0, highest * 1.15);
    const bool marked = cutoff_ > 0 && !lengths_.empty();
    cutoffLine_->setVisible(marked);
    cutoffLabel_->setVisible(marked);
    if (marked) {
        const double x = static_cast<double>(cutoff_);
        cutoffLine_->point1->setCoords(x, 0);
        cutoffLine_->point2->setCoords(x, 1);
        cutoffLabel_->position->setCoords(x, 0.0);
        cutoffLabel_->setText(tr("cutoff_len %1").arg(cutoff_));
        // Keep the label inside the plot when the cutoff is near the left edge.
        const bool leftHalf = x < plot_->xAxis->range().center();
        cutoffLabel_->setPositionAlignment((leftHalf ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignTop);
        cutoffLabel_->setPadding(leftHalf ? QMargins(4, 2, 0, 0) : QMargins(0, 2, 4, 0));
    }
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void TokenLengthHistogram::applyPalette() {
    const QPalette pal = palette();
    const QColor base = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::Text);
    plot_->setBackground(base);
    for (QCPAxis* axis : {plot_->xAxis, plot_->yAxis}) {
        axis->setBasePen(QPen(withAlpha(text, 140), 1));
        axis->setTickPen(QPen(withAlpha(text, 140), 1));
        axis->setSubTickPen(QPen(withAlpha(text, 90), 1));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(withAlpha(pal.color(QPalette::PlaceholderText), 70), 1, Qt::DotLine));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
    plot_->xAxis->grid()->setVisible(false);
    const QColor bar = pal.color(QPalette::Highlight);
    bars_->setPen(Qt::NoPen);
    bars_->setBrush(withAlpha(bar, 200));
    cutoffLine_->setPen(QPen(kCutoffColor, 1.5, Qt::DashLine));
    cutoffLabel_->setColor(kCutoffColor);
    plot_->replot(); // at once: a palette switch is rare, and a grab right after must show it
}

void TokenLengthHistogram::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        applyPalette();
}

} // namespace ps::ui
