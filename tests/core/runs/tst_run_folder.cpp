// Run folders: names (sanitised, no path traversal), collision avoidance, the resolved config,
// summary.json / notes.json round trips and finding a run by path, name or prefix.
#include "ps/error.h"
#include "ps/runs.h"
#include "util/file_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <limits>

using namespace ps;
namespace fs = std::filesystem;

namespace {

std::chrono::system_clock::time_point localTime(int y, int mo, int d, int h, int mi, int s) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    return std::chrono::system_clock::from_time_t(std::mktime(&tm));
}

RunConfig configIn(const QTemporaryDir& dir) {
    RunConfig c;
    c.model_name_or_path = "/models/SmolLM2-135M/";
    c.dataset = "train.jsonl";
    c.output_dir = dir.path().toStdString();
    return c;
}

template <typename F> QString errorOf(F f) {
    try {
        f();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestRunFolder final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void folderNameIsTimestampMethodModel() {
        RunConfig c;
        c.model_name_or_path = "HuggingFaceTB/SmolLM2-135M";
        c.finetuning_type = "rslora";
        QCOMPARE(runFolderName(c, localTime(2025, 1, 31, 12, 34, 56)),
                 std::string("20250131-123456-rslora-SmolLM2-135M"));
    }

    void modelShortName_data() {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("folder with trailing slash") << "/models/SmolLM2-135M/"
                                                    << "SmolLM2-135M";
        QTest::newRow("hub id") << "Qwen/Qwen2.5-0.5B"
                                << "Qwen2.5-0.5B";
        QTest::newRow("windows path") << "C:\\models\\tiny-llama"
                                      << "tiny-llama";
        QTest::newRow("HF cache snapshot")
            << "/home/u/.cache/huggingface/hub/models--HuggingFaceTB--SmolLM2-135M/snapshots/12ab34/"
            << "SmolLM2-135M";
        QTest::newRow("empty") << ""
                               << "";
    }
    void modelShortName() {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(ps::modelShortName(input.toStdString())), expected);
    }

    void sanitize_data() {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("path traversal") << "../../etc/passwd"
                                        << "etc-passwd";
        QTest::newRow("spaces and slashes") << "my model/v2"
                                            << "my-model-v2";
        QTest::newRow("only dots") << "..."
                                   << "run";
        QTest::newRow("hidden file") << ".secret"
                                     << "secret";
        QTest::newRow("windows device name") << "CON"
                                             << "_CON";
        QTest::newRow("non-ascii") << "modèle"
                                   << "mod-le";
        QTest::newRow("long name cut at 48") << QString(60, QLatin1Char('a')) << QString(48, QLatin1Char('a'));
        QTest::newRow("shell characters") << "a;rm -rf $HOME|b"
                                          << "a-rm-rf-HOME-b";
    }
    void sanitize() {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(sanitizeNameComponent(input.toStdString())), expected);
    }

    void createsAResolvedRunFolder() {
        QTemporaryDir dir;
        const std::string data = dir.filePath(QStringLiteral("train.jsonl")).toStdString();
        writeFileAtomic(data, "{}\n");
        RunConfig c = configIn(dir);
        c.dataset = data;
        RunConfig resolved;
        const auto now = localTime(2025, 2, 1, 8, 0, 0);
        const std::string run = createRunFolder(c, &resolved, now);
        QCOMPARE(fs::path(run).parent_path(), fs::path(dir.path().toStdString()));
        QCOMPARE(fileName(run), std::string("20250201-080000-lora-SmolLM2-135M"));
        QVERIFY(isRunFolder(run));
        QVERIFY(isDirectory(runCheckpointsDir(run)));
        const RunConfig saved = loadRunConfig(runConfigPath(run));
        QVERIFY(saved == resolved);
        QCOMPARE(saved.run_name, fileName(run));
        QCOMPARE(saved.model_name_or_path, c.model_name_or_path); // not on disk: kept as given (a hub id)
        QVERIFY(fs::path(saved.dataset).is_absolute());
        const RunSummary summary = readRunSummary(run);
        QCOMPARE(summary.status, RunStatus::Running);
        QCOMPARE(summary.startedAt, isoTimestampUtc(now));
        QCOMPARE(summary.runDir, run);

        // Same second, same config: the next run gets a suffix instead of sharing the folder.
        const std::string second = createRunFolder(c, nullptr, now);
        const std::string third = createRunFolder(c, nullptr, now);
        QCOMPARE(fileName(second), fileName(run) + "-2");
        QCOMPARE(fileName(third), fileName(run) + "-3");
        QCOMPARE(listRunFolders(dir.path().toStdString()).size(), std::size_t(3));
    }

    void hostileNamesStayInsideTheRoot() {
        QTemporaryDir dir;
        RunConfig c = configIn(dir);
        c.model_name_or_path = "../../../../tmp/evil/..";
        c.finetuning_type = "../lora";
        const std::string run = createRunFolder(c);
        QCOMPARE(fs::path(run).parent_path(), fs::path(dir.path().toStdString()));
        QVERIFY2(fileName(run).find("..") == std::string::npos, run.c_str());
    }

    void summaryRoundTrip() {
        QTemporaryDir dir;
        const std::string run = dir.path().toStdString();
        RunSummary s;
        s.status = RunStatus::Failed;
        s.finalLoss = std::numeric_limits<double>::quiet_NaN();
        s.bestEvalLoss = 1.875;
        s.bestStep = 40;
        s.steps = 57;
        s.totalSteps = 100;
        s.epochs = 1.425;
        s.tokens = 123456789012ull;
        s.tokensPerSec = 271.25;
        s.peakMemoryBytes = 3ull << 30;
        s.memoryKind = "cuda";
        s.durationSec = 3600.5;
        s.startedAt = "2025-01-31T12:34:56Z";
        s.updatedAt = "2025-01-31T13:34:56Z";
        s.finishedAt = "2025-01-31T13:34:57Z";
        s.error = "loss became NaN at step 57";
        writeRunSummary(run, s);
        const RunSummary back = readRunSummary(run);
        QVERIFY(back == s);
        QVERIFY(std::isnan(*back.finalLoss));
        QVERIFY(!back.finalEvalLoss);

        for (RunStatus st :
             {RunStatus::Running, RunStatus::Completed, RunStatus::Failed, RunStatus::Cancelled, RunStatus::Paused})
            QCOMPARE(parseRunStatus(runStatusName(st)), st);
        QVERIFY(errorOf([] { parseRunStatus("done"); }).contains(QStringLiteral("unknown run status 'done'")));
        writeFileAtomic(runSummaryPath(run), "{\"status\": 3}");
        QVERIFY(errorOf([&] {
                    readRunSummary(run);
                }).contains(QStringLiteral("summary.json: key 'status' must be a string")));
    }

    void annotationsRoundTrip() {
        QTemporaryDir dir;
        const std::string run = dir.path().toStdString();
        QVERIFY(readRunAnnotations(run).tags.empty());
        writeRunAnnotations(run, {{"baseline", "r=16"}, "first try\nwith notes"});
        const RunAnnotations a = readRunAnnotations(run);
        QCOMPARE(a.tags, (std::vector<std::string>{"baseline", "r=16"}));
        QCOMPARE(a.notes, std::string("first try\nwith notes"));
    }

    void findRunFolderByPathNameOrPrefix() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        RunConfig c = configIn(dir);
        const std::string a = createRunFolder(c, nullptr, localTime(2025, 3, 1, 10, 0, 0));
        c.finetuning_type = "ia3";
        const std::string b = createRunFolder(c, nullptr, localTime(2025, 3, 2, 10, 0, 0));
        QCOMPARE(findRunFolder(root, a), a);
        QCOMPARE(findRunFolder(root, fileName(b)), b);
        QCOMPARE(findRunFolder(root, "20250302"), b);
        QVERIFY(errorOf([&] { findRunFolder(root, "2025"); }).contains(QStringLiteral("is ambiguous")));
        QVERIFY(errorOf([&] { findRunFolder(root, "nope"); }).contains(QStringLiteral("no run 'nope'")));
        QVERIFY(!errorOf([&] { findRunFolder(root + "/sub", "../" + fileName(a)); }).isEmpty());
    }
};

QTEST_APPLESS_MAIN(TestRunFolder)
#include "tst_run_folder.moc"
