// The run comparison against synthetic run folders: the chart's series hold exactly the points
// of each run's metrics.jsonl (any x axis), a run's colour does not depend on the selection order,
// smoothing is the Train page's EMA, the config diff lists exactly the keys that differ, and the
// CSV / PNG / SVG exports hold what they should.
#include "live_chart.h"
#include "metrics_history.h"
#include "qcustomplot_include.h"
#include "run_colors.h"
#include "run_comparison_view.h"
#include "runs_test_folders.h"

#include "ps/run_catalog.h"

#include <QHeaderView>
#include <QImage>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace ps::ui;
using ps::ui::test::evalPoint;
using ps::ui::test::makeRun;
using ps::ui::test::SyntheticRun;
using ps::ui::test::trainPoint;
using ps::ui::test::writeRun;

namespace {

struct Points {
    std::vector<double> x;
    std::vector<double> y;
};

Points graphPoints(const LiveChart& chart, int series) {
    Points p;
    const QCPGraph* g = chart.plot()->graph(series);
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) {
        p.x.push_back(it->key);
        p.y.push_back(it->value);
    }
    return p;
}

QColor graphColor(const LiveChart& chart, int series) {
    return chart.plot()->graph(series)->pen().color();
}

QString idOf(const std::string& dir) {
    return QString::fromStdString(dir).section(QLatin1Char('/'), -1);
}

} // namespace

class TestRunComparison final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        root_ = tmp_.path() + QStringLiteral("/runs");
        QDir().mkpath(root_);
        SyntheticRun a = makeRun(QStringLiteral("small lr"), "lora", 8, 1e-4);
        a.minutesAgo = 30;
        for (int step = 1; step <= 12; ++step)
            a.samples.push_back(trainPoint(step, 3.0 - 0.1 * step + 0.05 * std::sin(step)));
        a.samples.push_back(evalPoint(6, 2.8));
        a.samples.push_back(evalPoint(12, 2.5));
        SyntheticRun b = makeRun(QStringLiteral("big lr, rank 16"), "lora", 16, 5e-4);
        b.minutesAgo = 20;
        for (int step = 1; step <= 8; ++step)
            b.samples.push_back(trainPoint(step, 2.9 - 0.2 * step));
        b.samples.push_back(evalPoint(8, 1.9));
        a_ = writeRun(root_, a);
        b_ = writeRun(root_, b);
        samplesA_ = a.samples;
        samplesB_ = b.samples;
    }

    void overlaysEachRunsMetrics() {
        RunComparisonView view;
        view.resize(1000, 500);
        view.show();
        view.setSmoothing(0);
        QSignalSpy loaded(&view, &RunComparisonView::loaded);
        view.showRuns({ref(a_), ref(b_)});
        QVERIFY(loaded.wait());
        for (const auto axis : {ComparisonAxis::Step, ComparisonAxis::Tokens, ComparisonAxis::Time}) {
            view.setAxis(axis);
            for (const auto& [dir, samples] : {std::pair(a_, samplesA_), std::pair(b_, samplesB_)}) {
                const auto series = view.seriesFor(idOf(dir));
                QVERIFY(series.smoothed >= 0 && series.eval >= 0);
                // Expected straight from the samples written to metrics.jsonl.
                Points train, eval;
                for (const auto& s : samples) {
                    const double x = axis == ComparisonAxis::Step     ? static_cast<double>(s.step)
                                     : axis == ComparisonAxis::Tokens ? static_cast<double>(s.tokensSeen)
                                                                      : s.elapsedSec / 60.0;
                    Points& p = s.kind == ps::MetricSample::Kind::Eval ? eval : train;
                    p.x.push_back(x);
                    p.y.push_back(s.kind == ps::MetricSample::Kind::Eval ? *s.evalLoss : *s.loss);
                }
                const Points shownTrain = graphPoints(*view.chart(), series.smoothed);
                const Points shownEval = graphPoints(*view.chart(), series.eval);
                QCOMPARE(shownTrain.x, train.x);
                QCOMPARE(shownTrain.y, train.y);
                QCOMPARE(shownEval.x, eval.x);
                QCOMPARE(shownEval.y, eval.y);
                QCOMPARE(graphPoints(*view.chart(), series.raw).x.size(), std::size_t(0)); // no smoothing
            }
        }
        QCOMPARE(view.chart()->plot()->xAxis->label(), axisTitle(ComparisonAxis::Time));
    }

    void coloursFollowTheRunNotTheOrder() {
        RunComparisonView view;
        QSignalSpy loaded(&view, &RunComparisonView::loaded);
        view.showRuns({ref(a_), ref(b_)});
        QVERIFY(loaded.wait());
        const QColor a1 = graphColor(*view.chart(), view.seriesFor(idOf(a_)).smoothed);
        const QColor b1 = graphColor(*view.chart(), view.seriesFor(idOf(b_)).smoothed);
        QVERIFY(a1 != b1);
        QCOMPARE(a1, view.colors().at(idOf(a_)));
        view.showRuns({ref(b_), ref(a_)});
        QVERIFY(loaded.wait());
        QCOMPARE(graphColor(*view.chart(), view.seriesFor(idOf(a_)).smoothed), a1);
        QCOMPARE(graphColor(*view.chart(), view.seriesFor(idOf(b_)).smoothed), b1);
        QCOMPARE(graphColor(*view.chart(), view.seriesFor(idOf(b_)).eval), b1);
    }

    void runsPreferringOneColourGetTwo() {
        // Two ids that hash to the same palette slot (found by search, so the test does not
        // depend on the hash's particular values).
        QString x, y;
        for (int i = 0; i < 100 && y.isEmpty(); ++i)
            for (int j = i + 1; j < 100 && y.isEmpty(); ++j)
                if (runColor(QStringLiteral("run-%1").arg(i, 3, 10, QLatin1Char('0'))) ==
                    runColor(QStringLiteral("run-%1").arg(j, 3, 10, QLatin1Char('0')))) {
                    x = QStringLiteral("run-%1").arg(i, 3, 10, QLatin1Char('0'));
                    y = QStringLiteral("run-%1").arg(j, 3, 10, QLatin1Char('0'));
                }
        QVERIFY(!y.isEmpty());
        const auto xy = assignRunColors({x, y});
        QCOMPARE(xy, assignRunColors({y, x}));
        QVERIFY(xy.at(x) != xy.at(y));
        QCOMPARE(xy.at(x), runColor(x)); // the older (first by id) keeps its own colour
    }

    void smoothingIsTheTrainPagesEma() {
        RunComparisonView view;
        view.setRuns({loadComparedRun(idOf(b_), QStringLiteral("b"), QString::fromStdString(b_))});
        view.setSmoothing(0.6);
        const auto series = view.seriesFor(idOf(b_));
        const Points raw = graphPoints(*view.chart(), series.raw);
        const Points smooth = graphPoints(*view.chart(), series.smoothed);
        QCOMPARE(raw.y.size(), std::size_t(8));
        // Debiased EMA written out: s_n = w s_(n-1) + (1-w) v_n, shown as s_n / (1 - w^n).
        double s = 0, wn = 1;
        for (std::size_t i = 0; i < raw.y.size(); ++i) {
            s = 0.6 * s + 0.4 * raw.y[i];
            wn *= 0.6;
            QVERIFY(std::abs(smooth.y[i] - s / (1 - wn)) < 1e-12);
        }
    }

    void configDiffShowsExactlyTheKeysThatDiffer() {
        RunComparisonView view;
        QSignalSpy loaded(&view, &RunComparisonView::loaded);
        view.showRuns({ref(a_), ref(b_)});
        QVERIFY(loaded.wait());
        const QTableWidget* t = view.diffTable();
        QStringList keys;
        for (int r = 0; r < t->rowCount(); ++r)
            keys << t->verticalHeaderItem(r)->text();
        // The two configs differ in rank and learning rate only (run_name is never listed).
        QCOMPARE(keys, (QStringList{QStringLiteral("lora_rank"), QStringLiteral("learning_rate")}));
        QCOMPARE(t->columnCount(), 2);
        // The whole name (the header shows it elided to the column width).
        QCOMPARE(t->horizontalHeaderItem(0)->data(Qt::UserRole).toString(), QStringLiteral("small lr"));
        QCOMPARE(t->item(0, 0)->text(), QStringLiteral("8"));
        QCOMPARE(t->item(0, 1)->text(), QStringLiteral("16"));

        // The same runs twice: nothing differs.
        view.showRuns({ref(a_), ref(a_)});
        QVERIFY(loaded.wait());
        QCOMPARE(view.diffTable()->rowCount(), 0);
    }

    void csvHoldsEverySample() {
        RunComparisonView view;
        QSignalSpy loaded(&view, &RunComparisonView::loaded);
        view.showRuns({ref(a_), ref(b_)});
        QVERIFY(loaded.wait());
        const QString path = tmp_.path() + QStringLiteral("/metrics.csv");
        QCOMPARE(view.exportCsv(path), QString());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QStringLiteral("run,run_id,kind,step,epoch,tokens,elapsed_sec,loss,eval_loss,"
                                               "learning_rate,grad_norm,tokens_per_sec,rss_bytes"));
        QCOMPARE(lines.size(), 1 + static_cast<int>(samplesA_.size() + samplesB_.size()));
        // Row 1: the first sample of run a, every number as written.
        const QStringList first = lines.at(1).split(QLatin1Char(','));
        QCOMPARE(first.at(0), QStringLiteral("small lr"));
        QCOMPARE(first.at(1), idOf(a_));
        QCOMPARE(first.at(2), QStringLiteral("train"));
        QCOMPARE(first.at(3).toLongLong(), samplesA_[0].step);
        QCOMPARE(first.at(5).toULongLong(), samplesA_[0].tokensSeen);
        QCOMPARE(first.at(7).toDouble(), *samplesA_[0].loss);
        QVERIFY(first.at(8).isEmpty()); // no eval loss on a train sample
        // Run b's name has a comma: quoted.
        const QString bRow = lines.at(1 + static_cast<int>(samplesA_.size()));
        QVERIFY2(bRow.startsWith(QStringLiteral("\"big lr, rank 16\",")), qPrintable(bRow));
        const QString lastRow = lines.last();
        QVERIFY(lastRow.contains(QStringLiteral(",eval,8,")));
        QVERIFY(lastRow.contains(QStringLiteral(",1.8999999999999999,")) || lastRow.contains(QStringLiteral(",1.9,")));
    }

    void chartExportsPngAndSvg() {
        RunComparisonView view;
        view.resize(900, 450);
        view.show();
        view.setRuns({loadComparedRun(idOf(a_), QStringLiteral("a"), QString::fromStdString(a_))});
        const QString png = tmp_.path() + QStringLiteral("/loss.png");
        const QString svg = tmp_.path() + QStringLiteral("/loss.svg");
        QCOMPARE(view.exportChart(png), QString());
        QCOMPARE(view.exportChart(svg), QString());
        const QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= 2 * view.chart()->plot()->width() - 2);
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.contains("</svg>"));
        QVERIFY(text.contains("<path") || text.contains("<polyline"));
        QCOMPARE(view.exportChart(tmp_.path() + QStringLiteral("/no-such-dir/x.png")).isEmpty(), false);
    }

    void tornFinalLineIsIgnored() {
        SyntheticRun c = makeRun(QStringLiteral("crashed"), "lora", 8, 1e-4);
        c.samples = {trainPoint(1, 2.0), trainPoint(2, 1.9)};
        const std::string dir = writeRun(root_, c);
        QFile f(QString::fromStdString(ps::runMetricsPath(dir)));
        QVERIFY(f.open(QIODevice::Append));
        f.write("{\"type\":\"train\",\"step\":3,\"lo"); // the crash cut it here
        f.close();
        const ComparedRun run = loadComparedRun(idOf(dir), QStringLiteral("crashed"), QString::fromStdString(dir));
        QCOMPARE(run.samples.size(), std::size_t(2));
        QVERIFY2(run.error.isEmpty(), qPrintable(run.error));
    }

private:
    RunRef ref(const std::string& dir) const {
        return {idOf(dir), QString::fromStdString(ps::readRunRecord(dir).name), QString::fromStdString(dir)};
    }

    QTemporaryDir tmp_;
    QString root_;
    std::string a_, b_;
    std::vector<ps::MetricSample> samplesA_, samplesB_;
};

QTEST_MAIN(TestRunComparison)
#include "tst_run_comparison.moc"
