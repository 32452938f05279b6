// Learning-rate schedules against transformers' lambdas, re-typed here from
// transformers/optimization.py (get_*_schedule_with_warmup) independently of lr_schedule.cpp,
// plus hand-computed values at chosen steps.
#include "ps/error.h"
#include "train/lr_schedule.h"

#include <QtTest>

#include <cmath>

using namespace ps::train;

namespace {

// transformers' lr_lambda functions, Python semantics (max over ints, then float division).
double reference(const QString& kind, long long step, long long warmup, long long total) {
    const auto fmax = [](long long a, long long b) { return static_cast<double>(a > b ? a : b); };
    if (kind == QLatin1String("constant"))
        return 1.0;
    if (step < warmup)
        return static_cast<double>(step) / fmax(1, warmup);
    if (kind == QLatin1String("constant_with_warmup"))
        return 1.0;
    if (kind == QLatin1String("linear")) {
        const double v = static_cast<double>(total - step) / fmax(1, total - warmup);
        return v > 0.0 ? v : 0.0;
    }
    const double progress = static_cast<double>(step - warmup) / fmax(1, total - warmup);
    const double v = 0.5 * (1.0 + std::cos(M_PI * 0.5 * 2.0 * progress));
    return v > 0.0 ? v : 0.0;
}

} // namespace

class TestLrSchedule final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesTransformersLambdas_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<qint64>("warmup");
        QTest::addColumn<qint64>("total");
        for (const char* kind : {"constant", "constant_with_warmup", "linear", "cosine"}) {
            QTest::addRow("%s, 10 warm-up of 100", kind) << QString::fromLatin1(kind) << qint64(10) << qint64(100);
            QTest::addRow("%s, no warm-up", kind) << QString::fromLatin1(kind) << qint64(0) << qint64(37);
            QTest::addRow("%s, warm-up longer than the run", kind)
                << QString::fromLatin1(kind) << qint64(50) << qint64(20);
            QTest::addRow("%s, one step", kind) << QString::fromLatin1(kind) << qint64(0) << qint64(1);
        }
    }
    void matchesTransformersLambdas() {
        QFETCH(QString, kind);
        QFETCH(qint64, warmup);
        QFETCH(qint64, total);
        const LrSchedule s(parseScheduleKind(kind.toStdString()), 3e-4, warmup, total);
        for (long long step = 0; step <= total + 5; ++step) {
            const double expected = reference(kind, step, warmup, total);
            QVERIFY2(s.factor(step) == expected, qPrintable(QStringLiteral("step %1: %2 vs %3")
                                                                .arg(step)
                                                                .arg(s.factor(step), 0, 'g', 17)
                                                                .arg(expected, 0, 'g', 17)));
            QCOMPARE(s.lr(step), 3e-4 * expected);
        }
    }

    void handComputedValues_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<qint64>("step");
        QTest::addColumn<double>("expected");
        // 10 warm-up steps of 110 total: 100 decay steps.
        QTest::newRow("first update has lr 0 during warm-up") << "linear" << qint64(0) << 0.0;
        QTest::newRow("warm-up is linear") << "cosine" << qint64(5) << 0.5;
        QTest::newRow("peak right after warm-up") << "cosine" << qint64(10) << 1.0;
        QTest::newRow("cosine at the middle is one half") << "cosine" << qint64(60) << 0.5;
        QTest::newRow("cosine at a quarter") << "cosine" << qint64(35) << 0.5 * (1.0 + std::sqrt(0.5));
        QTest::newRow("cosine ends at zero") << "cosine" << qint64(110) << 0.0;
        QTest::newRow("linear at the middle") << "linear" << qint64(60) << 0.5;
        QTest::newRow("linear past the end stays zero") << "linear" << qint64(200) << 0.0;
        QTest::newRow("constant ignores warm-up") << "constant" << qint64(0) << 1.0;
        QTest::newRow("constant with warm-up") << "constant_with_warmup" << qint64(4) << 0.4;
    }
    void handComputedValues() {
        QFETCH(QString, kind);
        QFETCH(qint64, step);
        QFETCH(double, expected);
        const LrSchedule s(parseScheduleKind(kind.toStdString()), 1.0, 10, 110);
        QVERIFY2(std::fabs(s.factor(step) - expected) < 1e-15, qPrintable(QString::number(s.factor(step), 'g', 17)));
    }

    void warmupFromRatioRoundsUp() {
        QCOMPARE(warmupStepsFor(95, 0, 0.1), std::int64_t(10));
        QCOMPARE(warmupStepsFor(100, 0, 0.07), std::int64_t(8)); // math.ceil(100 * 0.07) == 8 in Python too
        QCOMPARE(warmupStepsFor(100, 0, 0.1), std::int64_t(10));
        QCOMPARE(warmupStepsFor(100, 3, 0.5), std::int64_t(3));
        QCOMPARE(warmupStepsFor(100, 0, 0.0), std::int64_t(0));
    }

    void namesRoundTrip() {
        for (auto k :
             {ScheduleKind::Constant, ScheduleKind::ConstantWithWarmup, ScheduleKind::Linear, ScheduleKind::Cosine})
            QCOMPARE(parseScheduleKind(scheduleKindName(k)), k);
        try {
            parseScheduleKind("polynomial");
            QFAIL("expected an error");
        } catch (const ps::Error& e) {
            QVERIFY(std::string(e.what()).find("got 'polynomial'") != std::string::npos);
        }
    }
};

QTEST_APPLESS_MAIN(TestLrSchedule)
#include "tst_lr_schedule.moc"
