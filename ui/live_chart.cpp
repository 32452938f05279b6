#include "live_chart.h"

#include "plot_decimation.h"
#include "qcustomplot_include.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ps::ui {
namespace {

// The one hue not taken from the palette: a mid-luminance orange that stands out against the
// palette's highlight colour and stays readable on light and dark bases.
const QColor kAccent(0xE0, 0x7B, 0x20);

QColor withAlpha(QColor c, int alpha) {
    c.setAlpha(alpha);
    return c;
}

} // namespace

LiveChart::LiveChart(const QString& title, QWidget* parent) : QWidget(parent) {
    setAccessibleName(title);
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    title_ = new QLabel(title, this);
    QFont f = title_->font();
    f.setBold(true);
    title_->setFont(f);
    header_ = new QHBoxLayout;
    header_->setContentsMargins(0, 0, 0, 0);
    header_->addWidget(title_);
    header_->addStretch(1);
    v->addLayout(header_);

    plot_ = new QCustomPlot(this);
    plot_->setFocusPolicy(Qt::NoFocus);
    plot_->setMinimumHeight(120);
    plot_->xAxis->setLabel(tr("Step"));
    plot_->xAxis->setRange(0, xEnd_);
    plot_->yAxis->setRange(0, 1);
    // Said in the empty plot, so that an empty chart reads as "not yet", not as "broken".
    emptyText_ = new QCPItemText(plot_);
    emptyText_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyText_->position->setCoords(0.5, 0.5);
    emptyText_->setPositionAlignment(Qt::AlignCenter);
    emptyText_->setTextAlignment(Qt::AlignCenter);
    emptyText_->setClipToAxisRect(true);
    plot_->axisRect()->setAutoMargins(QCP::msLeft | QCP::msBottom | QCP::msRight | QCP::msTop);
    plot_->legend->setVisible(false);
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst); // one row above the plot
    plot_->legend->setIconSize(18, 10);
    plot_->legend->setColumnSpacing(12);
    plot_->legend->setMargins(QMargins(4, 0, 4, 0));
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    plot_->legend->setFont(small);
    plot_->xAxis->setTickLabelFont(small);
    plot_->yAxis->setTickLabelFont(small);
    plot_->xAxis->setLabelFont(small);
    plot_->yAxis->setLabelFont(small);
    v->addWidget(plot_, 1);
    applyPalette();
}

LiveChart::~LiveChart() = default;

int LiveChart::addSeries(const QString& name, SeriesStyle style) {
    Series s;
    s.graph = plot_->addGraph();
    s.graph->setName(name);
    s.graph->setAdaptiveSampling(false); // we decimate ourselves, keeping every bucket's extremes
    s.style = style;
    styleSeries(s);
    series_.push_back(std::move(s));
    return static_cast<int>(series_.size()) - 1;
}

void LiveChart::setSeriesColor(int series, const QColor& color) {
    Series& s = series_.at(static_cast<std::size_t>(series));
    s.color = color;
    styleSeries(s);
}

void LiveChart::setSeriesInLegend(int series, bool inLegend) {
    QCPGraph* graph = series_.at(static_cast<std::size_t>(series)).graph;
    if (inLegend)
        graph->addToLegend();
    else
        graph->removeFromLegend();
}

void LiveChart::clearSeries() {
    plot_->clearGraphs();
    series_.clear();
}

void LiveChart::setXLabel(const QString& label) {
    plot_->xAxis->setLabel(label);
}

void LiveChart::setYLabel(const QString& label) {
    plot_->yAxis->setLabel(label);
}

QString LiveChart::yLabel() const {
    return plot_->yAxis->label();
}

void LiveChart::addHeaderWidget(QWidget* widget) {
    header_->addWidget(widget);
}

void LiveChart::setLegendVisible(bool visible) {
    if (visible == legendShown_)
        return;
    legendShown_ = visible;
    // The legend gets its own row above the axes, so it never hides the curves; without a
    // legend the row is removed and the axes take the whole height.
    QCPLayoutGrid* layout = plot_->plotLayout();
    if (visible) {
        layout->insertRow(0);
        layout->addElement(0, 0, plot_->legend);
        layout->setRowStretchFactor(0, 0.001);
    } else {
        layout->take(plot_->legend);
        layout->simplify();
        plot_->axisRect()->insetLayout()->addElement(plot_->legend, Qt::AlignTop | Qt::AlignRight);
    }
    plot_->legend->setVisible(visible);
}

void LiveChart::setLegendWrap(int entriesPerRow) {
    plot_->legend->setWrap(entriesPerRow);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LiveChart::setLogScale(bool on) {
    if (logScale_ == on)
        return;
    logScale_ = on;
    plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on)
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    for (Series& s : series_)
        redecimate(s);
    refresh();
}

void LiveChart::setTickPrecision(int digits) {
    // "gb": plain numbers where they are short (0.002, 0), powers of ten (1·10⁻⁵) otherwise.
    plot_->yAxis->setNumberFormat(QStringLiteral("gb"));
    plot_->yAxis->setNumberPrecision(digits);
}

void LiveChart::setYFromZero(bool on) {
    fromZero_ = on;
}

void LiveChart::setXEnd(double xEnd) {
    xEnd_ = std::max(1.0, xEnd);
}

void LiveChart::setSeriesData(int series, const std::vector<double>& x, const std::vector<double>& y) {
    Series& s = series_.at(static_cast<std::size_t>(series));
    s.x = x;
    s.y = y;
    redecimate(s);
}

int LiveChart::displayedPointCount(int series) const {
    return series_.at(static_cast<std::size_t>(series)).displayed;
}

int LiveChart::sourcePointCount(int series) const {
    return static_cast<int>(series_.at(static_cast<std::size_t>(series)).x.size());
}

int LiveChart::buckets() const {
    // One bucket per pixel column of the widget (a little more than the axis rect, which is
    // only laid out at the next replot).
    return std::max(100, plot_->width());
}

void LiveChart::redecimate(Series& s) {
    PlotPoints points = decimateMinMax(s.x, s.y, buckets());
    if (logScale_) {
        // A log axis cannot show values <= 0; leaving them out beats drawing them at -inf.
        PlotPoints positive;
        for (std::size_t i = 0; i < points.x.size(); ++i)
            if (points.y[i] > 0) {
                positive.x.push_back(points.x[i]);
                positive.y.push_back(points.y[i]);
            }
        points = std::move(positive);
    }
    s.graph->setData(QVector<double>(points.x.begin(), points.x.end()),
                     QVector<double>(points.y.begin(), points.y.end()), true);
    s.displayed = static_cast<int>(points.x.size());
}

void LiveChart::rescale() {
    double lastX = 0;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const Series& s : series_) {
        if (!s.x.empty())
            lastX = std::max(lastX, s.x.back());
        for (auto it = s.graph->data()->constBegin(); it != s.graph->data()->constEnd(); ++it) {
            lo = std::min(lo, it->value);
            hi = std::max(hi, it->value);
        }
    }
    plot_->xAxis->setRange(0, std::max(xEnd_, lastX));
    if (!(lo <= hi)) { // no data yet
        plot_->yAxis->setRange(logScale_ ? QCPRange(0.1, 10) : QCPRange(0, 1));
        return;
    }
    if (logScale_) {
        // Padding by a factor keeps the margins even on a log axis.
        plot_->yAxis->setRange(lo / 1.25, hi * 1.25);
        return;
    }
    // Linear: rates and sizes start at zero, so a small wobble does not look like a cliff.
    if (fromZero_)
        lo = std::min(lo, 0.0);
    const double pad = hi > lo ? (hi - lo) * 0.08 : std::max(std::abs(hi) * 0.1, 1e-9);
    plot_->yAxis->setRange(fromZero_ && lo >= 0 ? 0 : lo - pad, hi + pad);
}

void LiveChart::setEmptyText(const QString& text) {
    emptyText_->setText(text);
}

void LiveChart::refresh() {
    const bool empty = std::all_of(series_.begin(), series_.end(), [](const Series& s) { return s.displayed == 0; });
    emptyText_->setVisible(empty);
    plot_->yAxis->setTickLabels(!empty); // no made-up 0..1 scale
    rescale();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LiveChart::styleSeries(Series& s) {
    const QColor primary = s.color.isValid() ? s.color : palette().color(QPalette::Highlight);
    const QColor accent = s.color.isValid() ? s.color : kAccent;
    QPen pen;
    pen.setCosmetic(true);
    switch (s.style) {
    case SeriesStyle::Line:
        pen.setColor(primary);
        pen.setWidthF(2.0);
        s.graph->setScatterStyle(QCPScatterStyle::ssNone);
        break;
    case SeriesStyle::Faint:
        pen.setColor(withAlpha(primary, 110));
        pen.setWidthF(1.0);
        s.graph->setScatterStyle(QCPScatterStyle::ssNone);
        break;
    case SeriesStyle::Dashed:
        pen.setColor(primary);
        pen.setWidthF(1.5);
        pen.setStyle(Qt::DashLine);
        s.graph->setScatterStyle(QCPScatterStyle::ssNone);
        break;
    case SeriesStyle::Markers:
        pen.setColor(accent);
        pen.setWidthF(1.5);
        s.graph->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, accent, palette().color(QPalette::Base), 6));
        break;
    }
    s.graph->setPen(pen);
}

void LiveChart::applyPalette() {
    const QPalette pal = palette();
    const QColor base = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::Text);
    const QColor grid = withAlpha(pal.color(QPalette::PlaceholderText), 70);
    plot_->setBackground(base);
    for (QCPAxis* axis : {plot_->xAxis, plot_->yAxis, plot_->xAxis2, plot_->yAxis2}) {
        axis->setBasePen(QPen(withAlpha(text, 140), 1));
        axis->setTickPen(QPen(withAlpha(text, 140), 1));
        axis->setSubTickPen(QPen(withAlpha(text, 90), 1));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
    plot_->legend->setBrush(Qt::NoBrush);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->legend->setTextColor(text);
    emptyText_->setColor(pal.color(QPalette::PlaceholderText));
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    emptyText_->setFont(small);
    for (Series& s : series_)
        styleSeries(s);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LiveChart::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        applyPalette();
}

void LiveChart::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    // The bucket count follows the plot width: re-decimate from the full data.
    for (Series& s : series_)
        redecimate(s);
    refresh();
}

} // namespace ps::ui
