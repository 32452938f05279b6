// peft-studio-cli runs: list / show / compare in text and JSON, and errors for unknown runs.
#include "cli_runner.h"

#include "ps/runs.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

using namespace ps;

namespace {

using test::CliResult;
using test::runCli;

std::string makeRun(const QTemporaryDir& dir, const char* method, double lr, std::int64_t rank, double loss, int day) {
    RunConfig c;
    c.model_name_or_path = "/models/SmolLM2-135M";
    c.dataset = "/data/alpaca.jsonl";
    c.finetuning_type = method;
    c.learning_rate = lr;
    c.lora_rank = rank;
    c.output_dir = dir.path().toStdString();
    std::tm tm{};
    tm.tm_year = 125;
    tm.tm_mon = 0;
    tm.tm_mday = day;
    tm.tm_hour = 12;
    tm.tm_isdst = -1;
    const std::string run = createRunFolder(c, nullptr, std::chrono::system_clock::from_time_t(std::mktime(&tm)));
    RunSummary s = readRunSummary(run);
    s.status = RunStatus::Completed;
    s.finalLoss = loss;
    s.steps = 120;
    s.totalSteps = 120;
    s.tokensPerSec = 321.5;
    s.peakMemoryBytes = 1536ull << 20;
    s.durationSec = 3725;
    writeRunSummary(run, s);
    return run;
}

} // namespace

class TestCliRuns final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void listShowCompare() {
        QTemporaryDir dir;
        const QString root = dir.path();
        const std::string a = makeRun(dir, "lora", 1e-4, 8, 1.5, 1);
        const std::string b = makeRun(dir, "dora", 2e-4, 16, 1.25, 2);
        const QString idA = QString::fromStdString(std::filesystem::path(a).filename().string());
        const QString idB = QString::fromStdString(std::filesystem::path(b).filename().string());

        CliResult r = runCli({QStringLiteral("runs"), QStringLiteral("list"), QStringLiteral("--root"), root});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(idA) && r.out.contains(idB), qPrintable(r.out));
        QVERIFY(r.out.indexOf(idB) < r.out.indexOf(idA)); // newest first
        QVERIFY(r.out.contains(QStringLiteral("1.2500")));
        QVERIFY(r.out.contains(QStringLiteral("1.5 GiB")));
        QVERIFY(r.out.contains(QStringLiteral("1h02m05s")));

        r = runCli({QStringLiteral("runs"), QStringLiteral("--json"), QStringLiteral("--root"), root});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonArray list = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list[0].toObject()[QStringLiteral("method")].toString(), QStringLiteral("dora"));
        QCOMPARE(list[0].toObject()[QStringLiteral("rank")].toInt(), 16);

        r = runCli({QStringLiteral("runs"), QStringLiteral("show"), idA, QStringLiteral("--root"), root});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("completed")));
        QVERIFY(r.out.contains(QStringLiteral("lora r=8 alpha=16")));
        QVERIFY(r.out.contains(QStringLiteral("model_name_or_path: /models/SmolLM2-135M")));

        r = runCli(
            {QStringLiteral("runs"), QStringLiteral("show"), QString::fromStdString(b), QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject shown = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(shown[QStringLiteral("config")].toObject()[QStringLiteral("lora_rank")].toString(),
                 QStringLiteral("16"));
        QCOMPARE(shown[QStringLiteral("summary")].toObject()[QStringLiteral("status")].toString(),
                 QStringLiteral("completed"));

        r = runCli({QStringLiteral("runs"), QStringLiteral("compare"), idA, idB, QStringLiteral("--root"), root});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("learning_rate")) && r.out.contains(QStringLiteral("finetuning_type")) &&
                     r.out.contains(QStringLiteral("lora_rank")),
                 qPrintable(r.out));
        QVERIFY2(!r.out.contains(QStringLiteral("seed")), qPrintable(r.out)); // equal keys are not listed
        QVERIFY(r.out.contains(QStringLiteral("final loss")));

        r = runCli({QStringLiteral("runs"), QStringLiteral("compare"), idA, idB, QStringLiteral("--json"),
                    QStringLiteral("--root"), root});
        const QJsonObject diff =
            QJsonDocument::fromJson(r.out.toUtf8()).object()[QStringLiteral("config_diff")].toObject();
        QCOMPARE(diff.keys(), (QStringList{QStringLiteral("finetuning_type"), QStringLiteral("learning_rate"),
                                           QStringLiteral("lora_rank")}));
        QCOMPARE(diff[QStringLiteral("learning_rate")].toArray()[1].toString(), QStringLiteral("0.0002"));
    }

    void errors() {
        QTemporaryDir dir;
        CliResult r = runCli({QStringLiteral("runs"), QStringLiteral("show"), QStringLiteral("ghost"),
                              QStringLiteral("--root"), dir.path()});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("no run 'ghost'")), qPrintable(r.err));
        r = runCli({QStringLiteral("runs"), QStringLiteral("frobnicate"), QStringLiteral("--root"), dir.path()});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("unknown runs command 'frobnicate'")), qPrintable(r.err));
        r = runCli({QStringLiteral("runs"), QStringLiteral("list"), QStringLiteral("--root"),
                    dir.path() + QStringLiteral("/none")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("No runs under")));
    }
};

QTEST_GUILESS_MAIN(TestCliRuns)
#include "tst_cli_runs.moc"
