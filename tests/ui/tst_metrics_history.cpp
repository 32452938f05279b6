// MetricsHistory keeps every sample as plot columns: smoothed loss, memory kind, and a resumed
// run replacing the samples logged after its checkpoint.
#include "metrics_history.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace ps::ui;

namespace {

ps::MetricSample train(std::int64_t step, double loss, std::uint64_t rss = 100u << 20) {
    ps::MetricSample s;
    s.step = step;
    s.totalSteps = 100;
    s.loss = loss;
    s.learningRate = 1e-3;
    s.tokensPerSec = 1000;
    s.rssBytes = rss;
    return s;
}

ps::MetricSample eval(std::int64_t step, double loss) {
    ps::MetricSample s;
    s.kind = ps::MetricSample::Kind::Eval;
    s.step = step;
    s.totalSteps = 100;
    s.evalLoss = loss;
    return s;
}

} // namespace

class TestMetricsHistory final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void emaIsDebiased() {
        EmaSmoother ema(0.9);
        QVERIFY(std::isnan(ema.add(std::numeric_limits<double>::quiet_NaN())));
        QCOMPARE(ema.add(4.0), 4.0); // the first value is not pulled towards 0
        const double second = ema.add(2.0);
        QVERIFY(second > 2.0 && second < 4.0);
        QCOMPARE(ema.add(std::numeric_limits<double>::infinity()), second); // skipped
    }

    void columnsFollowSamples() {
        MetricsHistory h;
        h.append(train(1, 3.0));
        h.append(train(2, 2.0));
        h.append(eval(2, 2.5));
        QCOMPARE(h.sampleCount(), std::size_t(3));
        QCOMPARE(h.trainStep, (std::vector<double>{1, 2}));
        QCOMPARE(h.loss, (std::vector<double>{3.0, 2.0}));
        QCOMPARE(h.evalLoss, (std::vector<double>{2.5}));
        QCOMPARE(h.memoryMiB, (std::vector<double>{100, 100}));
        QCOMPARE(h.lossSmoothed.size(), std::size_t(2));
        QCOMPARE(h.totalSteps(), std::int64_t(100));
        QCOMPARE(h.lastStep(), std::int64_t(2));
        QVERIFY(h.memoryKind() == MetricsHistory::MemoryKind::Rss);
    }

    void gpuSamplesSwitchTheMemoryKind() {
        MetricsHistory h;
        ps::MetricSample s = train(1, 1.0);
        s.cudaAllocatedBytes = 512u << 20;
        s.cudaReservedBytes = 1024u << 20;
        h.append(s);
        QVERIFY(h.memoryKind() == MetricsHistory::MemoryKind::Cuda);
        QCOMPARE(h.memoryMiB.back(), 512.0);
        QCOMPARE(h.reservedMemoryMiB.back(), 1024.0);
    }

    void resumedRunReplacesLaterSamples() {
        MetricsHistory h;
        for (int step = 1; step <= 6; ++step)
            h.append(train(step, 10.0 - step));
        h.append(eval(3, 5.0));
        h.append(eval(6, 4.0));
        // Resumed from the checkpoint at step 4: steps 5 and 6 are logged again.
        h.append(train(5, 1.0));
        QCOMPARE(h.trainStep, (std::vector<double>{1, 2, 3, 4, 5}));
        QCOMPARE(h.loss.back(), 1.0);
        QCOMPARE(h.lossSmoothed.size(), h.loss.size());
        h.append(eval(6, 3.0));
        QCOMPARE(h.evalLoss, (std::vector<double>{5.0, 3.0}));
        QCOMPARE(h.samples().size(), h.sampleCount());
    }
};

QTEST_APPLESS_MAIN(TestMetricsHistory)
#include "tst_metrics_history.moc"
