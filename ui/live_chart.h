#pragma once
// LiveChart — one titled line chart of the training dashboard. It hides QCustomPlot from the rest
// of the studio (nothing else includes it), follows the widget palette (light and dark), and
// draws each series from a decimated copy of its points (plot_decimation.h) so that a long run
// stays smooth while the caller keeps every point.
#include <QColor>
#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPGraph;
class QCPItemText;
class QHBoxLayout;
class QLabel;

namespace ps::ui {

class LiveChart final : public QWidget {
    Q_OBJECT

public:
    // How a series is drawn; colours come from the palette (Highlight) plus one accent hue that
    // reads on light and dark backgrounds alike.
    enum class SeriesStyle {
        Line,    // the main curve
        Faint,   // raw values behind a smoothed Line
        Dashed,  // a second measure on the same axis (GPU reserved next to allocated)
        Markers, // sparse points (evaluations): accent line with circles
    };

    explicit LiveChart(const QString& title, QWidget* parent = nullptr);
    ~LiveChart() override;

    int addSeries(const QString& name, SeriesStyle style);
    // Draws `series` in `color` instead of the palette's (the run comparison's per-run colours).
    void setSeriesColor(int series, const QColor& color);
    // Leaves `series` out of the legend (a faint raw curve behind its smoothed twin).
    void setSeriesInLegend(int series, bool inLegend);
    // Removes every series (the comparison rebuilds its series when the selection changes).
    void clearSeries();
    int seriesCount() const { return static_cast<int>(series_.size()); }
    void setXLabel(const QString& label);
    void setYLabel(const QString& label);
    QString yLabel() const;
    // Shows the legend, in a row above the axes (charts with more than one series).
    void setLegendVisible(bool visible);
    // Legend entries per row before it wraps (0: all in one row).
    void setLegendWrap(int entriesPerRow);
    // A control next to the title (the loss chart's log-scale toggle).
    void addHeaderWidget(QWidget* widget);
    // Logarithmic y axis (loss); non-positive values are left out of the range.
    void setLogScale(bool on);
    bool isLogScale() const { return logScale_; }
    // Significant digits of the y tick labels (small for the learning rate: 0.002, 1.5e-4).
    void setTickPrecision(int digits);
    // The y range starts at 0 (rates and sizes), instead of hugging the data (loss).
    void setYFromZero(bool on);
    // What the chart says while it has no points ("Appears with the first logged step").
    void setEmptyText(const QString& text);
    // The x range always spans [0, max(xEnd, last point)] so the curve grows into a stable frame.
    void setXEnd(double xEnd);

    // Replaces what `series` shows; `x` ascending. Decimated to the plot width.
    void setSeriesData(int series, const std::vector<double>& x, const std::vector<double>& y);
    // Points currently handed to the plot for `series` (after decimation).
    int displayedPointCount(int series) const;
    // Points last passed to setSeriesData() for `series` (before decimation).
    int sourcePointCount(int series) const;
    // Rescales the axes to the data and redraws (queued: several calls make one repaint).
    void refresh();

    QCustomPlot* plot() const { return plot_; }

protected:
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    struct Series {
        QCPGraph* graph = nullptr;
        SeriesStyle style = SeriesStyle::Line;
        QColor color;          // invalid: the palette's
        std::vector<double> x; // last full data, kept to re-decimate on resize
        std::vector<double> y;
        int displayed = 0;
    };
    void applyPalette();
    void styleSeries(Series& series);
    void redecimate(Series& series);
    void rescale();
    int buckets() const;

    QLabel* title_ = nullptr;
    QHBoxLayout* header_ = nullptr;
    QCPItemText* emptyText_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    std::vector<Series> series_;
    double xEnd_ = 1.0;
    bool logScale_ = false;
    bool legendShown_ = false;
    bool fromZero_ = false;
};

} // namespace ps::ui
