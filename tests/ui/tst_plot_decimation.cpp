// Display decimation of long metric histories: bounded point count, every bucket's extremes
// kept (spikes survive), short series untouched, the stored history never modified.
#include "plot_decimation.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace ps::ui;

namespace {

// A noisy decaying loss curve with a few spikes, x = 1..n.
void lossCurve(int n, std::vector<double>& x, std::vector<double>& y) {
    x.resize(static_cast<std::size_t>(n));
    y.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        x[static_cast<std::size_t>(i)] = i + 1;
        y[static_cast<std::size_t>(i)] = 2.0 + 3.0 * std::exp(-i / 2000.0) + 0.1 * std::sin(i * 0.37);
    }
    if (n > 1000) {
        y[777] = 50.0;   // a spike
        y[n / 2] = 0.01; // a dip
    }
}

} // namespace

class TestPlotDecimation final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void boundsAndKeepsExtremes_data() {
        QTest::addColumn<int>("points");
        QTest::addColumn<int>("buckets");
        QTest::newRow("100k points on an 800 px plot") << 100000 << 800;
        QTest::newRow("10k points on a 300 px plot") << 10000 << 300;
        QTest::newRow("1601 points just over 2 per bucket") << 1601 << 800;
        QTest::newRow("5000 points, one bucket") << 5000 << 1;
    }
    void boundsAndKeepsExtremes() {
        QFETCH(int, points);
        QFETCH(int, buckets);
        std::vector<double> x, y;
        lossCurve(points, x, y);
        const std::vector<double> xCopy = x, yCopy = y;

        const PlotPoints out = decimateMinMax(x, y, buckets);

        QCOMPARE(out.x.size(), out.y.size());
        QVERIFY2(out.x.size() <= static_cast<std::size_t>(2 * buckets + 2), qPrintable(QString::number(out.x.size())));
        QVERIFY(out.x.size() < static_cast<std::size_t>(points));
        // The global minimum and maximum are drawn, as are the first and last points.
        QCOMPARE(*std::min_element(out.y.begin(), out.y.end()), *std::min_element(y.begin(), y.end()));
        QCOMPARE(*std::max_element(out.y.begin(), out.y.end()), *std::max_element(y.begin(), y.end()));
        QCOMPARE(out.x.front(), x.front());
        QCOMPARE(out.x.back(), x.back());
        QCOMPARE(out.y.back(), y.back());
        // x stays in time order, and every output point is a stored point.
        QVERIFY(std::is_sorted(out.x.begin(), out.x.end()));
        for (std::size_t i = 0; i < out.x.size(); ++i) {
            const auto index = static_cast<std::size_t>(out.x[i]) - 1;
            QCOMPARE(out.y[i], y[index]);
        }
        // The stored history is untouched.
        QVERIFY(x == xCopy);
        QVERIFY(y == yCopy);
    }

    void everyBucketKeepsItsMinAndMax() {
        std::vector<double> x, y;
        lossCurve(20000, x, y);
        const int buckets = 400;
        const PlotPoints out = decimateMinMax(x, y, buckets);
        const double span = x.back() - x.front();
        // For each bucket, the drawn extremes equal the true extremes of the stored points.
        for (int b = 0; b < buckets; ++b) {
            const double lo = x.front() + span * b / buckets, hi = x.front() + span * (b + 1) / buckets;
            double trueMin = std::numeric_limits<double>::infinity(), trueMax = -trueMin;
            double drawnMin = trueMin, drawnMax = -trueMin;
            for (std::size_t i = 1; i + 1 < x.size(); ++i)
                if (x[i] >= lo && (x[i] < hi || b == buckets - 1)) {
                    trueMin = std::min(trueMin, y[i]);
                    trueMax = std::max(trueMax, y[i]);
                }
            for (std::size_t i = 1; i + 1 < out.x.size(); ++i)
                if (out.x[i] >= lo && (out.x[i] < hi || b == buckets - 1)) {
                    drawnMin = std::min(drawnMin, out.y[i]);
                    drawnMax = std::max(drawnMax, out.y[i]);
                }
            QCOMPARE(drawnMin, trueMin);
            QCOMPARE(drawnMax, trueMax);
        }
    }

    void shortSeriesComeBackUnchanged() {
        const std::vector<double> x = {1, 2, 3, 4, 5}, y = {5, 4, 3, 2, 1};
        const PlotPoints out = decimateMinMax(x, y, 800);
        QVERIFY(out.x == x);
        QVERIFY(out.y == y);
        QVERIFY(decimateMinMax({}, {}, 800).x.empty());
    }

    void nonFiniteValuesAreSkipped() {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        const PlotPoints small = decimateMinMax({1, 2, 3, 4}, {1.0, nan, inf, 2.0}, 100);
        QCOMPARE(small.x, (std::vector<double>{1, 4}));
        std::vector<double> x, y;
        lossCurve(5000, x, y);
        y[0] = nan;
        y[2500] = inf;
        y.back() = nan;
        const PlotPoints out = decimateMinMax(x, y, 100);
        QVERIFY(std::all_of(out.y.begin(), out.y.end(), [](double v) { return std::isfinite(v); }));
        QVERIFY(out.x.size() <= 202u);
    }
};

QTEST_APPLESS_MAIN(TestPlotDecimation)
#include "tst_plot_decimation.moc"
