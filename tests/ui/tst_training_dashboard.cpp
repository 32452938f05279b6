// The live charts without a trainer: samples go to every chart through the coalescing timer, a
// 100k-step history is drawn from a bounded decimated copy while every point stays stored, the
// memory axis says what it shows, and the charts take their colours from the palette.
#include "live_chart.h"
#include "qcustomplot_include.h"
#include "training_dashboard.h"

#include <QSignalSpy>
#include <QtTest>

#include <cmath>

using namespace ps::ui;

namespace {

ps::MetricSample trainSample(std::int64_t step, std::int64_t total) {
    ps::MetricSample s;
    s.step = step;
    s.totalSteps = total;
    s.loss = 2.0 + 8.0 / std::sqrt(static_cast<double>(step)) + 0.05 * std::sin(static_cast<double>(step));
    s.learningRate = 1e-4;
    s.tokensPerSec = 1000 + static_cast<double>(step % 100);
    s.rssBytes = 400ull << 20;
    return s;
}

QPalette darkPalette() {
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x20, 0x20, 0x24));
    p.setColor(QPalette::WindowText, QColor(0xE8, 0xE8, 0xE8));
    p.setColor(QPalette::Base, QColor(0x18, 0x18, 0x1B));
    p.setColor(QPalette::Text, QColor(0xF0, 0xF0, 0xF0));
    p.setColor(QPalette::Highlight, QColor(0x3D, 0xAE, 0xE9));
    p.setColor(QPalette::PlaceholderText, QColor(0xA0, 0xA0, 0xA0));
    return p;
}

} // namespace

class TestTrainingDashboard final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void samplesReachEveryChartOnTheTimer() {
        TrainingDashboard dash;
        dash.resize(900, 600);
        dash.show();
        dash.reset(50);
        const int redrawsBefore = dash.redrawCount();
        for (int step = 1; step <= 20; ++step)
            dash.appendSample(trainSample(step, 50));
        ps::MetricSample eval;
        eval.kind = ps::MetricSample::Kind::Eval;
        eval.step = 20;
        eval.totalSteps = 50;
        eval.evalLoss = 3.0;
        dash.appendSample(eval);
        // One burst, one redraw.
        QTRY_COMPARE(dash.redrawCount(), redrawsBefore + 1);
        QCOMPARE(dash.lossChart()->displayedPointCount(TrainingDashboard::RawLoss), 20);
        QCOMPARE(dash.lossChart()->displayedPointCount(TrainingDashboard::EvalLoss), 1);
        QCOMPARE(dash.learningRateChart()->displayedPointCount(0), 20);
        QCOMPARE(dash.throughputChart()->displayedPointCount(0), 20);
        QCOMPARE(dash.memoryChart()->displayedPointCount(TrainingDashboard::MemoryUsed), 20);
        QCOMPARE(dash.memoryChart()->displayedPointCount(TrainingDashboard::MemoryReserved), 0);
        QVERIFY(dash.memoryChart()->yLabel().contains(QStringLiteral("RSS")));
    }

    void gpuMemoryIsLabelledAsSuch() {
        TrainingDashboard dash;
        ps::MetricSample s = trainSample(1, 10);
        s.cudaAllocatedBytes = 1ull << 30;
        s.cudaReservedBytes = 2ull << 30;
        dash.appendSample(s);
        dash.flush();
        QVERIFY(dash.memoryChart()->yLabel().contains(QStringLiteral("GPU")));
        QCOMPARE(dash.memoryChart()->displayedPointCount(TrainingDashboard::MemoryReserved), 1);
    }

    void longHistoriesAreDecimatedNotDropped() {
        TrainingDashboard dash;
        dash.resize(900, 600);
        dash.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dash));
        const int n = 100000;
        for (int step = 1; step <= n; ++step)
            dash.appendSample(trainSample(step, n));
        dash.flush();
        QCOMPARE(dash.history().trainStep.size(), std::size_t(n)); // every point is kept
        LiveChart* loss = dash.lossChart();
        QCOMPARE(loss->sourcePointCount(TrainingDashboard::RawLoss), n);
        const int drawn = loss->displayedPointCount(TrainingDashboard::RawLoss);
        QVERIFY2(drawn > 100 && drawn <= 2 * loss->plot()->width() + 2, qPrintable(QString::number(drawn)));
        // The drawn curve still reaches the highest stored loss (the spike at step 1).
        const auto* data = loss->plot()->graph(TrainingDashboard::RawLoss)->data().data();
        double drawnMax = 0;
        for (auto it = data->constBegin(); it != data->constEnd(); ++it)
            drawnMax = std::max(drawnMax, it->value);
        QCOMPARE(drawnMax, *std::max_element(dash.history().loss.begin(), dash.history().loss.end()));
    }

    void chartsFollowThePalette() {
        TrainingDashboard dash;
        dash.resize(900, 600);
        for (int step = 1; step <= 30; ++step)
            dash.appendSample(trainSample(step, 30));
        dash.flush();
        const QPalette dark = darkPalette();
        dash.setPalette(dark);
        QCustomPlot* plot = dash.lossChart()->plot();
        QCOMPARE(plot->xAxis->tickLabelColor(), dark.color(QPalette::Text));
        QCOMPARE(plot->yAxis->labelColor(), dark.color(QPalette::Text));
        QCOMPARE(plot->graph(TrainingDashboard::SmoothedLoss)->pen().color(), dark.color(QPalette::Highlight));
    }
};

QTEST_MAIN(TestTrainingDashboard)
#include "tst_training_dashboard.moc"
