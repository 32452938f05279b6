#include "run_comparison_view.h"

#include "chart_export.h"
#include "live_chart.h"
#include "page_header.h"
#include "qt_convert.h"
#include "run_colors.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPainter>
#include <QSaveFile>
#include <QSlider>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace ps::ui {
namespace {

// A run name for a narrow column header: whole if it fits; else on two lines, broken at the
// separator nearest the middle (run names like "lora-r16-lr5e-4" differ at the end, so both
// halves matter); else elided in the middle.
QString headerLabel(const QString& name, const QFontMetrics& fm, int room) {
    if (fm.horizontalAdvance(name) <= room)
        return name;
    int best = -1;
    for (int i = 1; i < name.size() - 1; ++i) {
        const QChar ch = name.at(i);
        if (ch != QLatin1Char('-') && ch != QLatin1Char('_') && ch != QLatin1Char(' ') && ch != QLatin1Char('.'))
            continue;
        if (best < 0 || std::abs(i - name.size() / 2) < std::abs(best - name.size() / 2))
            best = i;
    }
    if (best > 0) {
        const QString first = name.left(best + (name.at(best) == QLatin1Char(' ') ? 0 : 1)).trimmed();
        const QString second = name.mid(best + 1).trimmed();
        return fm.elidedText(first, Qt::ElideMiddle, room) + QLatin1Char('\n') +
               fm.elidedText(second, Qt::ElideMiddle, room);
    }
    return fm.elidedText(name, Qt::ElideMiddle, room);
}

} // namespace

RunComparisonView::RunComparisonView(QWidget* parent) : QWidget(parent) {
    chart_ = new LiveChart(tr("Loss"), this);
    chart_->setObjectName(QStringLiteral("comparisonChart"));
    chart_->setYLabel(tr("Loss (nats / token)"));
    chart_->setLegendVisible(true);
    chart_->setLegendWrap(4);
    chart_->setEmptyText(tr("Select runs in the table above to compare their loss curves\n"
                            "(Ctrl+click or Shift+click selects several)"));

    // Controls in the chart's header row, where they act.
    axisBox_ = new QComboBox(chart_);
    axisBox_->setObjectName(QStringLiteral("axisBox"));
    axisBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    axisBox_->setToolTip(tr("What the horizontal axis measures"));
    for (const auto axis : {ComparisonAxis::Step, ComparisonAxis::Epoch, ComparisonAxis::Tokens, ComparisonAxis::Time})
        axisBox_->addItem(axisTitle(axis), static_cast<int>(axis));
    connect(axisBox_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this](int i) { setAxis(static_cast<ComparisonAxis>(axisBox_->itemData(i).toInt())); });

    auto* smoothingLabel = new QLabel(tr("Smoothing"), chart_);
    smoothingSlider_ = new QSlider(Qt::Horizontal, chart_);
    smoothingSlider_->setObjectName(QStringLiteral("smoothingSlider"));
    smoothingSlider_->setRange(0, 99);
    smoothingSlider_->setValue(static_cast<int>(smoothing_ * 100));
    smoothingSlider_->setMinimumWidth(50);
    smoothingSlider_->setMaximumWidth(110);
    smoothingSlider_->setToolTip(tr("Exponential moving average of the training loss, as on the Train page "
                                    "(0: raw values). Validation loss is never smoothed."));
    smoothingLabel->setBuddy(smoothingSlider_);
    smoothingValue_ = new QLabel(chart_);
    smoothingValue_->setMinimumWidth(smoothingValue_->fontMetrics().horizontalAdvance(QStringLiteral("0.00")) + 4);
    connect(smoothingSlider_, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 100.0); });

    logScale_ = new QCheckBox(tr("&Log scale"), chart_);
    logScale_->setObjectName(QStringLiteral("comparisonLogScale"));
    connect(logScale_, &QCheckBox::toggled, chart_, &LiveChart::setLogScale);

    exportButton_ = new QToolButton(chart_);
    exportButton_->setObjectName(QStringLiteral("exportButton"));
    exportButton_->setText(tr("Export"));
    exportButton_->setPopupMode(QToolButton::InstantPopup);
    exportButton_->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto* menu = new QMenu(exportButton_);
    menu->addAction(tr("Chart as PNG or SVG\u2026"), this, [this] { chooseExportFile(false); });
    menu->addAction(tr("Metrics as CSV\u2026"), this, [this] { chooseExportFile(true); });
    exportButton_->setMenu(menu);

    chart_->addHeaderWidget(new QLabel(tr("X axis"), chart_));
    chart_->addHeaderWidget(axisBox_);
    chart_->addHeaderWidget(smoothingLabel);
    chart_->addHeaderWidget(smoothingSlider_);
    chart_->addHeaderWidget(smoothingValue_);
    chart_->addHeaderWidget(logScale_);
    chart_->addHeaderWidget(exportButton_);

    auto* legendHint = secondaryLabel(tr("Lines: training loss \u00b7 circles: validation loss"), this);
    auto* chartPane = new QWidget(this);
    auto* cv = new QVBoxLayout(chartPane);
    cv->setContentsMargins(0, 0, 0, 0);
    cv->setSpacing(2);
    cv->addWidget(chart_, 1);
    cv->addWidget(legendHint);

    auto* diffPane = new QWidget(this);
    diffPane->setMinimumWidth(140);
    auto* dv = new QVBoxLayout(diffPane);
    dv->setContentsMargins(0, 0, 0, 0);
    diffTitle_ = sectionTitle(tr("Settings that differ"), diffPane);
    dv->addWidget(diffTitle_);
    diff_ = new QTableWidget(diffPane);
    diff_->setObjectName(QStringLiteral("configDiff"));
    diff_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    diff_->setSelectionMode(QAbstractItemView::ContiguousSelection); // copy a block of values
    diff_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    diff_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    diff_->horizontalHeader()->setStretchLastSection(true);
    diff_->setWordWrap(false);
    // The header does not elide text next to an icon: names are elided here, in the middle
    // (run names tend to differ at the end), whenever a column changes width.
    connect(diff_->horizontalHeader(), &QHeaderView::sectionResized, this, [this] { elideDiffHeaders(); });
    connect(diff_->horizontalHeader(), &QHeaderView::geometriesChanged, this, [this] { elideDiffHeaders(); });
    // Fewer than two runs: say what will appear instead of an empty grid.
    diffStack_ = new QStackedWidget(diffPane);
    diffHint_ = secondaryLabel(QString(), diffStack_);
    diffHint_->setWordWrap(true);
    diffHint_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    diffStack_->addWidget(diffHint_);
    diffStack_->addWidget(diff_);
    dv->addWidget(diffStack_, 1);
    problems_ = secondaryLabel(QString(), diffPane);
    problems_->setWordWrap(true);
    problems_->hide();
    dv->addWidget(problems_);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("comparisonSplitter"));
    split->addWidget(chartPane);
    split->addWidget(diffPane);
    split->setStretchFactor(0, 11);
    split->setStretchFactor(1, 9);
    split->setChildrenCollapsible(false);
    split->setSizes({550, 450}); // proportions: the diff needs room for a column per run

    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->addWidget(split);

    setSmoothing(smoothing_);
    rebuildDiff();
}

RunComparisonView::~RunComparisonView() {
    // QWidget's destructor hides and deletes the children after this one has run: the diff
    // header then reports new geometries to slots of an object that is no longer a
    // RunComparisonView (UBSan, tst_run_comparison). Cut those connections first.
    if (diff_)
        disconnect(diff_->horizontalHeader(), nullptr, this, nullptr);
}

void RunComparisonView::showRuns(const std::vector<RunRef>& runs) {
    refs_ = runs;
    reload();
}

void RunComparisonView::reload() {
    const int generation = ++generation_;
    if (pending_++ == 0)
        Q_EMIT busyChanged(true);
    auto* watcher = new QFutureWatcher<std::vector<ComparedRun>>(this);
    connect(watcher, &QFutureWatcher<std::vector<ComparedRun>>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation == generation_)
            setRuns(watcher->result());
        if (--pending_ == 0)
            Q_EMIT busyChanged(false);
        if (generation == generation_)
            Q_EMIT loaded();
    });
    watcher->setFuture(QtConcurrent::run([refs = refs_] {
        std::vector<ComparedRun> out;
        for (const RunRef& r : refs)
            out.push_back(loadComparedRun(r.id, r.name, r.dir));
        return out;
    }));
}

void RunComparisonView::setRuns(std::vector<ComparedRun> runs) {
    runs_ = std::move(runs);
    QStringList ids;
    for (const ComparedRun& r : runs_)
        ids << r.id;
    colors_ = assignRunColors(ids);
    rebuildChart();
    rebuildDiff();
}

void RunComparisonView::setAxis(ComparisonAxis axis) {
    axis_ = axis;
    const int i = axisBox_->findData(static_cast<int>(axis));
    if (i != axisBox_->currentIndex())
        axisBox_->setCurrentIndex(i); // re-enters through the signal once
    rebuildChart();
}

void RunComparisonView::setSmoothing(double weight) {
    smoothing_ = std::clamp(weight, 0.0, 0.99);
    const int v = static_cast<int>(std::lround(smoothing_ * 100));
    if (smoothingSlider_->value() != v)
        smoothingSlider_->setValue(v);
    smoothingValue_->setText(QString::number(smoothing_, 'f', 2));
    rebuildChart();
}

RunComparisonView::RunSeries RunComparisonView::seriesFor(const QString& id) const {
    for (const auto& [runId, s] : series_)
        if (runId == id)
            return s;
    return {};
}

void RunComparisonView::rebuildChart() {
    chart_->clearSeries();
    series_.clear();
    chart_->setXLabel(axisTitle(axis_));
    chart_->setXEnd(axis_ == ComparisonAxis::Step ? 10.0 : 0.0);
    for (const ComparedRun& run : runs_) {
        const QColor color = colors_.at(run.id);
        const Curve train = trainLossCurve(run.samples, axis_);
        const Curve eval = evalLossCurve(run.samples, axis_);
        RunSeries s;
        s.raw = chart_->addSeries(run.name, LiveChart::SeriesStyle::Faint);
        chart_->setSeriesColor(s.raw, color);
        chart_->setSeriesInLegend(s.raw, false);
        s.smoothed = chart_->addSeries(run.name, LiveChart::SeriesStyle::Line);
        chart_->setSeriesColor(s.smoothed, color);
        s.eval = chart_->addSeries(tr("%1 (validation)").arg(run.name), LiveChart::SeriesStyle::Markers);
        chart_->setSeriesColor(s.eval, color);
        chart_->setSeriesInLegend(s.eval, false); // one legend entry per run; circles are explained below
        if (smoothing_ > 0) {
            chart_->setSeriesData(s.raw, train.x, train.y);
            chart_->setSeriesData(s.smoothed, train.x, smoothed(train.y, smoothing_));
        } else {
            chart_->setSeriesData(s.smoothed, train.x, train.y);
        }
        chart_->setSeriesData(s.eval, eval.x, eval.y);
        series_.emplace_back(run.id, s);
    }
    chart_->setLegendVisible(!runs_.empty());
    chart_->refresh();
    exportButton_->setEnabled(!runs_.empty());
}

void RunComparisonView::rebuildDiff() {
    std::vector<const ComparedRun*> withConfig;
    QStringList problems;
    for (const ComparedRun& r : runs_) {
        if (r.config)
            withConfig.push_back(&r);
        if (!r.error.isEmpty())
            problems << tr("%1: %2").arg(r.name, r.error);
    }
    problems_->setText(problems.join(QLatin1Char('\n')));
    problems_->setVisible(!problems.isEmpty());

    const auto diff = configDiff(runs_);
    diff_->clear();
    diff_->setColumnCount(static_cast<int>(withConfig.size()));
    for (int c = 0; c < static_cast<int>(withConfig.size()); ++c) {
        const ComparedRun& r = *withConfig[static_cast<std::size_t>(c)];
        auto* item = new QTableWidgetItem(runSwatchIcon(colors_.at(r.id)), r.name);
        item->setData(Qt::UserRole, r.name);
        item->setToolTip(QStringLiteral("%1\n%2").arg(r.name, QDir::toNativeSeparators(r.dir)));
        diff_->setHorizontalHeaderItem(c, item);
    }
    diff_->setRowCount(static_cast<int>(diff.size()));
    for (int row = 0; row < static_cast<int>(diff.size()); ++row) {
        const auto& d = diff[static_cast<std::size_t>(row)];
        auto* key = new QTableWidgetItem(toQ(d.key));
        if (const auto* k = ps::findRunConfigKey(d.key))
            key->setToolTip(toQ(k->help));
        diff_->setVerticalHeaderItem(row, key);
        for (int c = 0; c < static_cast<int>(d.values.size()); ++c) {
            auto* item = new QTableWidgetItem(toQ(d.values[static_cast<std::size_t>(c)]));
            item->setToolTip(item->text()); // long paths are elided in the cell
            diff_->setItem(row, c, item);
        }
    }
    // A few runs share the width (names elide, tooltips have them whole); many scroll.
    if (diff_->columnCount() <= 4) {
        diff_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    } else {
        diff_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
        diff_->resizeColumnsToContents();
        for (int c = 0; c < diff_->columnCount(); ++c)
            diff_->setColumnWidth(c, std::min(diff_->columnWidth(c), 220));
    }

    elideDiffHeaders();
    // Stretched sections get their final widths at the next layout pass.
    QMetaObject::invokeMethod(this, &RunComparisonView::elideDiffHeaders, Qt::QueuedConnection);
    diffTitle_->setText(diff.empty() ? tr("Settings that differ")
                                     : tr("Settings that differ (%n)", nullptr, static_cast<int>(diff.size())));
    diffHint_->setText(withConfig.size() < 2
                           ? tr("Select two or more runs: the settings in which they differ are listed here, one "
                                "column per run.")
                           : tr("None: the selected runs used identical settings."));
    diffStack_->setCurrentIndex(withConfig.size() < 2 || diff.empty() ? 0 : 1);
}

void RunComparisonView::elideDiffHeaders() {
    const QFontMetrics fm(diff_->horizontalHeader()->font());
    for (int c = 0; c < diff_->columnCount(); ++c) {
        QTableWidgetItem* item = diff_->horizontalHeaderItem(c);
        if (!item)
            continue;
        const int room = std::max(diff_->horizontalHeader()->sectionSize(c) - 30, 24); // padding, swatch
        const QString text = headerLabel(item->data(Qt::UserRole).toString(), fm, room);
        if (item->text() != text)
            item->setText(text);
    }
}

QString RunComparisonView::exportChart(const QString& path) const {
    if (QFileInfo(path).suffix().compare(QStringLiteral("svg"), Qt::CaseInsensitive) == 0)
        return exportChartSvg(*chart_, path);
    return exportChartPng(*chart_, path);
}

QString RunComparisonView::exportCsv(const QString& path) const {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return tr("Cannot save %1: %2").arg(path, file.errorString());
    file.write(metricsCsv(runs_).toUtf8());
    if (!file.commit())
        return tr("Cannot save %1: %2").arg(path, file.errorString());
    return {};
}

void RunComparisonView::chooseExportFile(bool csv) {
    const QString path = csv ? QFileDialog::getSaveFileName(this, tr("Export metrics"),
                                                            QStringLiteral("runs-metrics.csv"), tr("CSV files (*.csv)"))
                             : QFileDialog::getSaveFileName(this, tr("Export chart"), QStringLiteral("runs-loss.png"),
                                                            tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty())
        return;
    const QString error = csv ? exportCsv(path) : exportChart(path);
    Q_EMIT statusMessage(error.isEmpty() ? tr("Saved %1").arg(QDir::toNativeSeparators(path)) : error);
}

} // namespace ps::ui
