#pragma once
// RunComparisonView — the lower pane of the Runs page: the selected runs' training loss (smoothed,
// raw behind it) and validation loss overlaid on one chart, each run in its own colour (run_colors.h),
// against step / epoch / tokens / time; the settings that differ between them; and export of the
// chart (PNG, SVG) and of the runs' metrics (CSV). Metrics are read on a worker thread.
#include "run_comparison_data.h"

#include <QColor>
#include <QString>
#include <QWidget>

#include <map>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;
class QStackedWidget;
class QTableWidget;
class QToolButton;

namespace ps::ui {

class LiveChart;

struct RunRef {
    QString id;
    QString name;
    QString dir;
};

class RunComparisonView final : public QWidget {
    Q_OBJECT

public:
    explicit RunComparisonView(QWidget* parent = nullptr);
    ~RunComparisonView() override;

    // Shows these runs (in this order in the diff table; colours do not depend on it). Their
    // files are read on a worker thread; loaded() follows. Calling again while a read is in
    // flight supersedes it.
    void showRuns(const std::vector<RunRef>& runs);
    // Re-reads the runs on display (a live run wrote new metrics).
    void reload();
    // Shows already-read runs at once (used by showRuns' worker result; tests call it too).
    void setRuns(std::vector<ComparedRun> runs);
    const std::vector<ComparedRun>& runs() const { return runs_; }
    bool isLoading() const { return pending_ > 0; }
    // The colour of each run on display (run_colors.h: independent of the order of the runs).
    const std::map<QString, QColor>& colors() const { return colors_; }

    void setAxis(ComparisonAxis axis);
    ComparisonAxis axis() const { return axis_; }
    // 0 (raw) .. 0.99; default 0.6 (the Train page, logging every step, draws with 0.9).
    void setSmoothing(double weight);
    double smoothing() const { return smoothing_; }

    struct RunSeries {
        int raw = -1;      // faint raw training loss (empty when smoothing is off)
        int smoothed = -1; // the run's line: smoothed training loss (raw when smoothing is off)
        int eval = -1;     // validation loss, with markers
    };
    // The chart series of run `id` (all -1 when it is not shown).
    RunSeries seriesFor(const QString& id) const;
    LiveChart* chart() const { return chart_; }
    QTableWidget* diffTable() const { return diff_; }

    // "" on success, else the reason (also shown to the user by the export buttons).
    QString exportChart(const QString& path) const; // .svg -> SVG, anything else PNG
    QString exportCsv(const QString& path) const;

Q_SIGNALS:
    void loaded();
    void busyChanged(bool busy);
    void statusMessage(const QString& message);

private:
    void rebuildChart();
    void rebuildDiff();
    void elideDiffHeaders();
    void chooseExportFile(bool csv);

    LiveChart* chart_ = nullptr;
    QComboBox* axisBox_ = nullptr;
    QSlider* smoothingSlider_ = nullptr;
    QLabel* smoothingValue_ = nullptr;
    QCheckBox* logScale_ = nullptr;
    QToolButton* exportButton_ = nullptr;
    QLabel* diffTitle_ = nullptr;
    QTableWidget* diff_ = nullptr;
    QStackedWidget* diffStack_ = nullptr;
    QLabel* diffHint_ = nullptr;
    QLabel* problems_ = nullptr;

    std::vector<RunRef> refs_;
    std::vector<ComparedRun> runs_;
    std::vector<std::pair<QString, RunSeries>> series_;
    std::map<QString, QColor> colors_;
    ComparisonAxis axis_ = ComparisonAxis::Step;
    double smoothing_ = 0.6; // TensorBoard's default: runs logged every few steps have few points to average
    int generation_ = 0;     // results of superseded reads are dropped
    int pending_ = 0;
};

} // namespace ps::ui
