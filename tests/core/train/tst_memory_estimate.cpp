// The training-memory estimate against a MEASURED peak: each row runs one real training step
// (ps/train_benchmark.h: a random model of a preset shape, the method on all linear layers,
// AdamW) in a fresh child process — peak RSS is a per-process high-water mark — and compares
// the child's peak resident set size with estimateTrainingMemory() for the same shape and
// settings. The tolerance is stated in docs/TRAINING.md ("Memory estimate").
#include "ps/memory_estimate.h"
#include "ps/model_presets.h"
#include "ps/train_benchmark.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace ps;

namespace {

// Relative tolerance of the estimate against the measured peak.
constexpr double kTolerance = 0.20;

// Child mode: `--measure PRESET METHOD RANK BATCH SEQ` runs one step and prints the result.
int measure(char** argv) {
    TrainBenchOptions o;
    o.preset = argv[2];
    o.method = argv[3];
    o.rank = std::stoll(argv[4]);
    o.batch = std::stoll(argv[5]);
    o.seq = std::stoll(argv[6]);
    o.steps = 1;
    const TrainBenchResult r = runTrainBenchmark(o);
    std::printf("peak_mib=%.3f trainable=%lld total=%lld\n", r.peakRssMiB,
                static_cast<long long>(r.trainableParameters), static_cast<long long>(r.totalParameters));
    return 0;
}

// The shape of a preset, as inspectModel() would report it for a folder made from it.
ModelInfo presetInfo(const std::string& preset, std::int64_t baseParameters) {
    const QJsonObject c = QJsonDocument::fromJson(QByteArray::fromStdString(modelPresetConfigJson(preset))).object();
    auto get = [&c](const char* key, const char* alt) {
        return static_cast<std::int64_t>(c.contains(QLatin1String(key)) ? c.value(QLatin1String(key)).toDouble()
                                                                        : c.value(QLatin1String(alt)).toDouble());
    };
    ModelInfo m;
    m.modelType = c.value(QStringLiteral("model_type")).toString().toStdString();
    m.hiddenSize = get("hidden_size", "n_embd");
    m.numLayers = get("num_hidden_layers", "n_layer");
    m.numAttentionHeads = get("num_attention_heads", "n_head");
    m.numKeyValueHeads = c.contains(QStringLiteral("num_key_value_heads")) ? get("num_key_value_heads", "") : 0;
    m.intermediateSize = c.contains(QStringLiteral("intermediate_size")) ? get("intermediate_size", "") : 0;
    m.vocabSize = get("vocab_size", "");
    m.numParameters = baseParameters;
    return m;
}

} // namespace

class TestMemoryEstimate final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void estimateIsNearTheMeasuredPeak_data() {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("rank");
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("seq");
        // The output head's chunk dominates a small model with a large vocabulary.
        QTest::newRow("demo-tiny LoRA r8, 4 x 256 tokens")
            << QStringLiteral("demo-tiny") << QStringLiteral("lora") << 8 << 4 << 256;
        // Attention probabilities (heads x T per token) grow with the sequence length.
        QTest::newRow("demo-tiny LoRA r8, 2 x 1024 tokens")
            << QStringLiteral("demo-tiny") << QStringLiteral("lora") << 8 << 2 << 1024;
        // Gradients and both AdamW moments for every weight.
        QTest::newRow("demo-tiny full fine-tuning, 4 x 256 tokens")
            << QStringLiteral("demo-tiny") << QStringLiteral("full") << 8 << 4 << 256;
        // Weights (124M float32) dominate.
        QTest::newRow("gpt2-124m LoRA r16, 1 x 128 tokens")
            << QStringLiteral("gpt2-124m") << QStringLiteral("lora") << 16 << 1 << 128;
    }

    void estimateIsNearTheMeasuredPeak() {
        QFETCH(QString, preset);
        QFETCH(QString, method);
        QFETCH(int, rank);
        QFETCH(int, batch);
        QFETCH(int, seq);
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(),
                    {QStringLiteral("--measure"), preset, method, QString::number(rank), QString::number(batch),
                     QString::number(seq)});
        QVERIFY(child.waitForFinished(30 * 60 * 1000));
        QCOMPARE(child.exitCode(), 0);
        const QString out = QString::fromUtf8(child.readAllStandardOutput()).trimmed();
        QRegularExpression re(QStringLiteral("peak_mib=([0-9.]+) trainable=(\\d+) total=(\\d+)"));
        const QRegularExpressionMatch m = re.match(out);
        QVERIFY2(m.hasMatch(), qPrintable(out));
        const double measuredMiB = m.captured(1).toDouble();
        const std::int64_t trainable = m.captured(2).toLongLong();
        const std::int64_t total = m.captured(3).toLongLong();

        RunConfig config;
        config.finetuning_type = method.toStdString();
        config.lora_rank = rank;
        config.per_device_train_batch_size = batch;
        config.cutoff_len = seq;
        const std::int64_t base = method == QLatin1String("full") ? total : total - trainable;
        const TrainingMemoryEstimate e =
            estimateTrainingMemory(presetInfo(preset.toStdString(), base), config, trainable);
        const double estimatedMiB = static_cast<double>(e.totalBytes) / (1024.0 * 1024.0);
        const double error = (estimatedMiB - measuredMiB) / measuredMiB;
        qInfo("%s: measured %.0f MiB, estimated %.0f MiB (weights %.0f, trainable %.0f, activations %.0f, head "
              "%.0f, runtime %.0f): %+.1f %%",
              QTest::currentDataTag(), measuredMiB, estimatedMiB, e.weightsBytes / 1048576.0,
              e.trainableBytes / 1048576.0, e.activationBytes / 1048576.0, e.headBytes / 1048576.0,
              e.runtimeBytes / 1048576.0, 100.0 * error);
        QVERIFY2(std::abs(error) <= kTolerance,
                 qPrintable(QStringLiteral("estimate %1 MiB vs measured %2 MiB").arg(estimatedMiB).arg(measuredMiB)));
    }

    void partsAddUpAndFollowTheSettings() {
        ModelInfo m = presetInfo("demo-tiny", 7'000'000);
        RunConfig c;
        c.per_device_train_batch_size = 4;
        c.cutoff_len = 256;
        const auto e = estimateTrainingMemory(m, c, 70'000);
        QCOMPARE(e.totalBytes, e.weightsBytes + e.trainableBytes + e.activationBytes + e.headBytes + e.runtimeBytes);
        QCOMPARE(e.weightsBytes, std::uint64_t(7'000'000) * 4);
        // Weight, gradient, two AdamW moments and the update's temporary, float32.
        QCOMPARE(e.trainableBytes, std::uint64_t(70'000) * 20);
        // Twice the batch: twice the activations.
        RunConfig twice = c;
        twice.per_device_train_batch_size = 8;
        const auto doubled = static_cast<std::int64_t>(estimateTrainingMemory(m, twice, 70'000).activationBytes);
        QVERIFY(std::llabs(doubled - 2 * static_cast<std::int64_t>(e.activationBytes)) <= 1);
        // Full fine-tuning trains every weight in float32 with its gradient and AdamW state.
        RunConfig full = c;
        full.finetuning_type = "full";
        QCOMPARE(estimateTrainingMemory(m, full, 7'000'000).trainableBytes, std::uint64_t(7'000'000) * 16);
        // bf16 halves the frozen weights; gradient checkpointing keeps fewer activations.
        RunConfig bf16 = c;
        bf16.bf16 = true;
        QCOMPARE(estimateTrainingMemory(m, bf16, 70'000).weightsBytes, e.weightsBytes / 2);
        RunConfig ckpt = c;
        ckpt.gradient_checkpointing = true;
        QVERIFY(estimateTrainingMemory(m, ckpt, 70'000).activationBytes < e.activationBytes);
    }
};

int main(int argc, char** argv) {
    if (argc >= 7 && std::strcmp(argv[1], "--measure") == 0)
        return measure(argv);
    // A real training step of each shape takes minutes on a small, busy machine.
    if (!qEnvironmentVariableIsSet("QTEST_FUNCTION_TIMEOUT"))
        qputenv("QTEST_FUNCTION_TIMEOUT", "3000000");
    QCoreApplication app(argc, argv);
    TestMemoryEstimate test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_memory_estimate.moc"
