// Crash safety: `peft-studio-cli train` is SIGKILLed at seeded random points (anywhere, inside a
// checkpoint write, right after a metrics line) at least 20 times. After every kill the run
// folder must be readable (config.yaml, summary.json, every complete checkpoint), metrics.jsonl
// may have one torn final line and no other damage, the catalog opens, and `resume` continues
// from the last complete checkpoint: the train steps in metrics.jsonl stay exactly 1, 2, 3, ...
// with no gap and no repeat, which is what "the first new step is the checkpoint's step + 1"
// means once the resumed process has logged its steps.
//
// Replay a failure with the seed the test prints: PS_KILL_SEED=<seed> ctest -R tst_kill_resume.
// PS_KILL_COUNT sets the number of kills (default 24).
#include "ps/adapter.h"
#include "ps/metrics.h"
#include "ps/model_presets.h"
#include "ps/run_catalog.h"
#include "ps/run_config.h"
#include "ps/runs.h"
#include "train/checkpoint.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <functional>

#include <signal.h>

using namespace ps;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kMaxSteps = 12;
constexpr std::int64_t kSaveSteps = 2;

enum class KillPoint { AnyTime, InsideCheckpointWrite, AfterMetricsLine };

const char* killPointName(KillPoint k) {
    switch (k) {
    case KillPoint::AnyTime: return "at a random time";
    case KillPoint::InsideCheckpointWrite: return "inside a checkpoint write";
    case KillPoint::AfterMetricsLine: return "after a metrics line";
    }
    return "?";
}

bool hasStagingFolder(const QString& checkpointsDir) {
    const QStringList names = QDir(checkpointsDir).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& n : names)
        if (n.contains(QStringLiteral(".tmp-")))
            return true;
    return false;
}

int lineCount(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return static_cast<int>(f.readAll().count('\n'));
}

// Train steps of metrics.jsonl read with Qt's JSON parser (independent of core's reader), and
// how many lines failed to parse and where.
struct RawMetrics {
    std::vector<std::int64_t> trainSteps;
    int badLines = 0;
    bool badLineIsLast = true;
};

RawMetrics readRawMetrics(const QString& path) {
    RawMetrics out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    const QList<QByteArray> lines = f.readAll().split('\n');
    int lastNonEmpty = -1;
    for (int i = 0; i < lines.size(); ++i)
        if (!lines[i].trimmed().isEmpty())
            lastNonEmpty = i;
    for (int i = 0; i < lines.size(); ++i) {
        if (lines[i].trimmed().isEmpty())
            continue;
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(lines[i], &err);
        if (err.error != QJsonParseError::NoError || !doc.isObject()) {
            ++out.badLines;
            out.badLineIsLast = out.badLineIsLast && i == lastNonEmpty;
            continue;
        }
        if (doc.object().value(QStringLiteral("type")).toString() == QStringLiteral("train"))
            out.trainSteps.push_back(doc.object().value(QStringLiteral("step")).toInteger());
    }
    return out;
}

} // namespace

class TestKillResume final : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString runsRoot_;
    QString configPath_;
    std::string modelDir_;
    QProcessEnvironment env_;

    // The run folder that is not in `known` (the one a new `train` made), or "" while there is none.
    QString newRunFolder(const std::vector<std::string>& known) const {
        for (const auto& dir : listRunFolders(runsRoot_.toStdString()))
            if (std::find(known.begin(), known.end(), dir) == known.end())
                return QString::fromStdString(dir);
        return {};
    }

    // Everything a kill must leave intact. Returns "" or what is wrong; `last` gets the step of the
    // newest complete checkpoint (0 when none yet).
    QString checkRunFolder(const QString& runDir, std::int64_t* last) const {
        const std::string dir = runDir.toStdString();
        try {
            loadRunConfig(runConfigPath(dir));
            if (fs::exists(runSummaryPath(dir))) // written right after config.yaml: absent only before that
                readRunSummary(dir);
        } catch (const std::exception& e) {
            return QStringLiteral("config.yaml / summary.json unreadable: ") + QString::fromUtf8(e.what());
        }
        *last = 0;
        for (const auto& entry : fs::directory_iterator(runCheckpointsDir(dir))) {
            const std::string name = entry.path().filename().string();
            if (name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos)
                continue; // a staging folder cut short: ignored by readers, removed by the next write
            try {
                const train::Checkpoint c = train::readCheckpoint(entry.path().string());
                if (c.trainable.empty() || c.state.globalStep < 1)
                    return QStringLiteral("checkpoint %1 is empty").arg(QString::fromStdString(name));
                *last = std::max(*last, c.state.globalStep);
            } catch (const std::exception& e) {
                return QStringLiteral("checkpoint %1 is not complete and loadable: %2")
                    .arg(QString::fromStdString(name), QString::fromUtf8(e.what()));
            }
        }
        const QString metrics = QString::fromStdString(runMetricsPath(dir));
        const RawMetrics raw = readRawMetrics(metrics);
        if (raw.badLines > 1 || !raw.badLineIsLast)
            return QStringLiteral("metrics.jsonl has %1 damaged lines (at most one torn final line allowed)")
                .arg(raw.badLines);
        bool torn = false;
        try {
            readMetricsFile(metrics.toStdString(), &torn); // must skip the torn line, not fail on it
        } catch (const std::exception& e) {
            return QStringLiteral("metrics.jsonl reader failed: ") + QString::fromUtf8(e.what());
        }
        if (torn != (raw.badLines == 1))
            return QStringLiteral("the metrics reader did not report the torn final line");
        for (std::size_t i = 0; i < raw.trainSteps.size(); ++i)
            if (raw.trainSteps[i] != static_cast<std::int64_t>(i) + 1)
                return QStringLiteral("train step %1 at position %2 of metrics.jsonl (expected 1, 2, 3, ...)")
                    .arg(raw.trainSteps[i])
                    .arg(i + 1);
        try {
            RunCatalog catalog(runsRoot_.toStdString());
            bool listed = false;
            for (const auto& r : catalog.list())
                listed = listed || QDir(QString::fromStdString(r.path)) == QDir(runDir);
            if (!listed)
                return QStringLiteral("the run is missing from the catalog");
        } catch (const std::exception& e) {
            return QStringLiteral("the catalog did not open: ") + QString::fromUtf8(e.what());
        }
        return {};
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        runsRoot_ = tmp_.filePath(QStringLiteral("runs"));
        modelDir_ = tmp_.filePath(QStringLiteral("model")).toStdString();
        initModel("demo-tiny", PS_FIXTURES "/tokenizers/gpt2", modelDir_, 7, true);
        RunConfig c;
        c.model_name_or_path = modelDir_;
        c.dataset = PS_SOURCE_DIR "/resources/demo/instructions.jsonl";
        c.dataset_format = "alpaca";
        c.template_ = "alpaca";
        c.finetuning_type = "lora";
        c.lora_rank = 4;
        c.learning_rate = 1e-3;
        c.max_steps = kMaxSteps;
        c.per_device_train_batch_size = 2;
        c.cutoff_len = 64; // the Alpaca prompt alone is ~40 tokens
        c.packing = true;
        c.val_size = 8;
        c.eval_steps = 5;
        c.logging_steps = 1;
        c.save_steps = kSaveSteps;
        c.seed = 5;
        c.output_dir = runsRoot_.toStdString();
        configPath_ = tmp_.filePath(QStringLiteral("run.yaml"));
        saveRunConfig(c, configPath_.toStdString());
        env_ = QProcessEnvironment::systemEnvironment();
        env_.insert(QStringLiteral("XDG_DATA_HOME"), tmp_.filePath(QStringLiteral("data")));
        env_.insert(QStringLiteral("HF_HUB_CACHE"), tmp_.filePath(QStringLiteral("hf-cache")));
        env_.insert(QStringLiteral("PEFT_STUDIO_RUNS"), runsRoot_);
    }

    void killAtRandomPointsThenResume() {
        const quint32 seed = qEnvironmentVariableIsSet("PS_KILL_SEED")
                                 ? static_cast<quint32>(qEnvironmentVariableIntValue("PS_KILL_SEED"))
                                 : QRandomGenerator::global()->generate();
        const int wanted = qEnvironmentVariableIsSet("PS_KILL_COUNT") ? qEnvironmentVariableIntValue("PS_KILL_COUNT") : 24;
        qInfo("kill seed %u (replay: PS_KILL_SEED=%u)", seed, seed);
        QRandomGenerator rng(seed);

        int kills = 0, insideCheckpoint = 0, duringStartup = 0, completedRuns = 0;
        QString runDir;
        while (kills < wanted) {
            const auto point = static_cast<KillPoint>(rng.bounded(3));
            QProcessEnvironment env = env_;
            if (point == KillPoint::InsideCheckpointWrite) // widen the window between the files of a checkpoint
                env.insert(QStringLiteral("PEFT_STUDIO_TEST_CHECKPOINT_DELAY_MS"), QStringLiteral("150"));
            const bool resume = !runDir.isEmpty();
            const QString log = runDir + QStringLiteral("/log.txt");
            const int logLinesAtStart = resume ? lineCount(log) : 0;
            const std::vector<std::string> known = listRunFolders(runsRoot_.toStdString());
            QProcess p;
            p.setProcessEnvironment(env);
            p.setProcessChannelMode(QProcess::MergedChannels);
            p.start(QStringLiteral(PS_CLI), resume ? QStringList{QStringLiteral("resume"), runDir}
                                                   : QStringList{QStringLiteral("train"), configPath_});
            QVERIFY(p.waitForStarted());
            // AnyTime: a quarter of the kills land while the process starts (reading the config,
            // loading the model), the others up to 3 s after its session began (its first log
            // line in the run folder); startup time varies too much between machines to use a
            // fixed delay from the start.
            const bool inStartup = point == KillPoint::AnyTime && resume && rng.bounded(4) == 0;
            const int delayMs = inStartup ? 50 + static_cast<int>(rng.bounded(1000)) : static_cast<int>(rng.bounded(3000));
            const int metricsSteps = 1 + static_cast<int>(rng.bounded(4));
            QElapsedTimer clock, session;
            clock.start();
            int metricsTarget = -1;
            bool killed = false;
            // Poll until the chosen kill point (or the end of the run); 120 s is a hang guard only.
            while (p.state() == QProcess::Running && clock.elapsed() < 120000) {
                if (runDir.isEmpty())
                    runDir = newRunFolder(known); // the new run's folder, once it exists
                const QString dir = runDir;
                bool started = false;
                if (!dir.isEmpty())
                    started = resume ? lineCount(dir + QStringLiteral("/log.txt")) > logLinesAtStart
                                     : QFile::exists(dir + QStringLiteral("/log.txt"));
                if (started && !session.isValid()) {
                    session.start();
                    metricsTarget = lineCount(dir + QStringLiteral("/metrics.jsonl")) + metricsSteps;
                }
                bool now = false;
                if (point == KillPoint::AnyTime)
                    now = inStartup ? clock.elapsed() >= delayMs : session.isValid() && session.elapsed() >= delayMs;
                else if (point == KillPoint::InsideCheckpointWrite)
                    now = session.isValid() && hasStagingFolder(dir + QStringLiteral("/checkpoints"));
                else
                    now = session.isValid() && lineCount(dir + QStringLiteral("/metrics.jsonl")) >= metricsTarget;
                if (now) {
                    if (point == KillPoint::InsideCheckpointWrite)
                        QThread::msleep(rng.bounded(300)); // somewhere among the files being written
                    ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
                    killed = true;
                    break;
                }
                p.waitForFinished(5); // also what lets QProcess notice that the CLI ended
            }
            if (p.state() != QProcess::NotRunning)
                QVERIFY2(p.waitForFinished(30000), "the CLI did not end");
            const QString output = QString::fromUtf8(p.readAll());
            if (!killed) {
                QVERIFY2(clock.elapsed() < 120000, "the run hung");
                QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, qPrintable(output));
                ++completedRuns; // finished before the kill point: start a new run
                runDir.clear();
                continue;
            }
            QVERIFY2(!runDir.isEmpty(), "killed before the run folder existed");
            ++kills;
            insideCheckpoint += point == KillPoint::InsideCheckpointWrite ? 1 : 0;
            duringStartup += inStartup ? 1 : 0;
            const QString context =
                QStringLiteral("kill %1 (%2, seed %3)").arg(kills).arg(QLatin1String(killPointName(point))).arg(seed);
            std::int64_t last = 0;
            const QString problem = checkRunFolder(runDir, &last);
            QVERIFY2(problem.isEmpty(), qPrintable(context + QStringLiteral(": ") + problem));
            qInfo("%s%s: newest complete checkpoint step %lld", qPrintable(context), inStartup ? " at startup" : "",
                  static_cast<long long>(last));
        }
        qInfo("%d kills (%d inside a checkpoint write, %d during startup), %d runs completed before their kill point",
              kills, insideCheckpoint, duringStartup, completedRuns);
        QVERIFY(kills >= wanted);

        // The last resume runs to the end.
        QVERIFY(!runDir.isEmpty()); // the loop ends on a kill, so there is a run to resume
        QProcess p;
        p.setProcessEnvironment(env_);
        p.setProcessChannelMode(QProcess::MergedChannels);
        std::int64_t last = 0;
        QString problem = checkRunFolder(runDir, &last);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        p.start(QStringLiteral(PS_CLI), {QStringLiteral("resume"), runDir});
        const bool ended = p.waitForFinished(180000);
        const QString output = QString::fromUtf8(p.readAll());
        QVERIFY2(ended, qPrintable(p.errorString() + QStringLiteral("\n") + output));
        QVERIFY2(p.exitCode() == 0, qPrintable(output));
        QVERIFY2(output.contains(QStringLiteral("at step %1 of %2").arg(last).arg(kMaxSteps)), qPrintable(output));
        std::int64_t end = 0;
        problem = checkRunFolder(runDir, &end);
        QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("after the final resume: ") + problem));
        QCOMPARE(end, kMaxSteps);
        const RawMetrics raw = readRawMetrics(runDir + QStringLiteral("/metrics.jsonl"));
        QCOMPARE(raw.badLines, 0);
        QCOMPARE(static_cast<std::int64_t>(raw.trainSteps.size()), kMaxSteps); // 1..kMaxSteps, checked above
        QCOMPARE(readRunSummary(runDir.toStdString()).status, RunStatus::Completed);
        validateAdapter(runAdapterDir(runDir.toStdString()), modelDir_);
    }
};

QTEST_GUILESS_MAIN(TestKillResume)
#include "tst_kill_resume.moc"
