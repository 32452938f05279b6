// MetricSample JSON lines and metrics.jsonl: exact round trips (NaN included), a torn final line
// ignored, damage elsewhere reported with its line, and the appender cutting a torn tail.
#include "ps/error.h"
#include "ps/metrics.h"
#include "runs/append_only_file.h"
#include "util/file_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <limits>

using namespace ps;

namespace {

MetricSample trainSample(std::int64_t step) {
    MetricSample s;
    s.kind = MetricSample::Kind::Train;
    s.step = step;
    s.totalSteps = 100;
    s.epoch = step / 40.0;
    s.loss = 2.5 - step * 0.01;
    s.learningRate = 1e-4 * step / 100.0;
    s.gradNorm = 0.75;
    s.tokensPerSec = 312.5;
    s.tokensSeen = 1000u * static_cast<std::uint64_t>(step);
    s.elapsedSec = 1.5 * step;
    s.etaSec = 150.0 - 1.5 * step;
    s.rssBytes = 123456789;
    s.peakRssBytes = 223456789;
    s.timestampMs = 1738326896000 + step;
    return s;
}

void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string readText(const std::string& path) {
    return readFile(path);
}

} // namespace

class TestMetrics final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sampleRoundTrip_data() {
        QTest::addColumn<int>("which");
        QTest::newRow("train step with every field") << 0;
        QTest::newRow("eval event") << 1;
        QTest::newRow("NaN loss and infinite grad norm") << 2;
        QTest::newRow("CUDA memory") << 3;
        // The file accepts "nan" for every number; a sample once did not equal its own round
        // trip when epoch / tokens_per_sec / elapsed_sec was NaN (found by fuzz_metrics).
        QTest::newRow("NaN epoch, throughput and elapsed time") << 4;
    }
    void sampleRoundTrip() {
        QFETCH(int, which);
        MetricSample s = trainSample(10);
        if (which == 1) {
            s = MetricSample{};
            s.kind = MetricSample::Kind::Eval;
            s.step = 50;
            s.epoch = 1.25;
            s.evalLoss = 2.0;
        } else if (which == 2) {
            s.loss = std::numeric_limits<double>::quiet_NaN();
            s.gradNorm = std::numeric_limits<double>::infinity();
        } else if (which == 3) {
            s.cudaAllocatedBytes = 1ull << 33;
            s.cudaReservedBytes = 1ull << 34;
            s.cudaPeakBytes = (1ull << 34) + 1;
        } else if (which == 4) {
            s.epoch = std::numeric_limits<double>::quiet_NaN();
            s.tokensPerSec = std::numeric_limits<double>::quiet_NaN();
            s.elapsedSec = std::numeric_limits<double>::infinity();
        }
        const std::string line = metricSampleToJson(s);
        QVERIFY(line.find('\n') == std::string::npos);
        const MetricSample back = metricSampleFromJson(line, "m.jsonl line 1");
        QVERIFY2(back == s, line.c_str());
        if (which == 2) {
            QVERIFY(std::isnan(*back.loss));
            QVERIFY(std::isinf(*back.gradNorm));
        }
    }

    void absentValuesAreLeftOut() {
        MetricSample eval;
        eval.kind = MetricSample::Kind::Eval;
        eval.step = 5;
        eval.evalLoss = std::log(8.0);
        const std::string line = metricSampleToJson(eval);
        QVERIFY(line.find("\"type\":\"eval\"") != std::string::npos);
        QVERIFY(line.find("\"loss\"") == std::string::npos);
        QVERIFY(line.find("grad_norm") == std::string::npos);
        QVERIFY(line.find("cuda") == std::string::npos);
        QVERIFY(std::fabs(*eval.evalPerplexity() - 8.0) < 1e-12);
        QVERIFY(!trainSample(1).evalPerplexity());
    }

    void readerIgnoresATornFinalLine() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("metrics.jsonl")).toStdString();
        std::string text;
        for (int step = 1; step <= 3; ++step)
            text += metricSampleToJson(trainSample(step)) + "\n";
        writeText(path, text + metricSampleToJson(trainSample(4)).substr(0, 25));
        bool torn = false;
        const auto samples = readMetricsFile(path, &torn);
        QCOMPARE(samples.size(), std::size_t(3));
        QVERIFY(torn);
        QVERIFY(samples[2] == trainSample(3));

        writeText(path, text + std::string(64, '\0')); // a crash can leave zeros instead
        QCOMPARE(readMetricsFile(path, &torn).size(), std::size_t(3));
        QVERIFY(!torn);
        writeText(path, text);
        QCOMPARE(readMetricsFile(path, &torn).size(), std::size_t(3));
        QVERIFY(!torn);
    }

    void damageBeforeTheLastLineIsAnError() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("metrics.jsonl")).toStdString();
        writeText(path, metricSampleToJson(trainSample(1)) + "\n{\"type\":\"tra\n" +
                            metricSampleToJson(trainSample(3)) + "\n");
        QString error;
        try {
            readMetricsFile(path);
        } catch (const Error& e) {
            error = QString::fromStdString(e.what());
        }
        QVERIFY2(error.startsWith(QString::fromStdString(path + " line 2: invalid JSON")), qPrintable(error));
        // A number beyond double's range is nlohmann's out_of_range, not parse_error: once not a
        // ps::Error (it ended the process; found by fuzzing). Now an error naming the line.
        writeText(path, "{\"type\":\"train\",\"step\":1,\"loss\":1e999}\n" + metricSampleToJson(trainSample(2)) + "\n");
        error.clear();
        try {
            readMetricsFile(path);
        } catch (const Error& e) {
            error = QString::fromStdString(e.what());
        }
        QCOMPARE(error, QString::fromStdString(path + " line 1: invalid JSON: number overflow parsing '1e999'"));
        writeText(path, "{\"type\":\"tune\",\"step\":1}\n{\"type\":\"train\",\"step\":2}\n");
        try {
            readMetricsFile(path);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString::fromStdString(e.what()).contains(QStringLiteral("line 1: 'type' must be train or eval")),
                     e.what());
        }
    }

    void missingFileReadsAsNoSamples() { QVERIFY(readMetricsFile("/nonexistent/metrics.jsonl").empty()); }

    void appenderCutsATornTailBeforeAppending() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("run/metrics.jsonl")).toStdString();
        {
            runs::AppendOnlyFile f(path); // creates the folder and the file
            f.appendLine(metricSampleToJson(trainSample(1)));
            f.appendLine(metricSampleToJson(trainSample(2)));
        }
        const std::string good = readText(path);
        writeText(path, good + "{\"type\":\"train\",\"st");
        {
            runs::AppendOnlyFile f(path);
            f.appendLine(metricSampleToJson(trainSample(3)));
            f.sync();
        }
        QCOMPARE(readText(path), good + metricSampleToJson(trainSample(3)) + "\n");
        bool torn = true;
        QCOMPARE(readMetricsFile(path, &torn).size(), std::size_t(3));
        QVERIFY(!torn);

        writeText(path, "no newline at all");
        QCOMPARE(runs::AppendOnlyFile::repairTornTail(path), std::size_t(17));
        QCOMPARE(readText(path), std::string());
    }

    void truncateAfterStepForResume() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("metrics.jsonl")).toStdString();
        std::string text;
        for (int step = 1; step <= 6; ++step)
            text += metricSampleToJson(trainSample(step)) + "\n";
        writeText(path, text + "{\"torn");
        QCOMPARE(truncateMetricsAfterStep(path, 4), std::size_t(3)); // steps 5, 6 and the torn line
        const auto samples = readMetricsFile(path);
        QCOMPARE(samples.size(), std::size_t(4));
        QCOMPARE(samples.back().step, std::int64_t(4));
        QCOMPARE(truncateMetricsAfterStep(path, 10), std::size_t(0));
    }
};

QTEST_APPLESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
