// One process trains a run folder at a time: a second holder (another thread's trainer, or a
// `peft-studio-cli resume` of the same run) is refused with a clear message, and the lock goes
// away with its holder, so a killed process never leaves a run that cannot be resumed.
#include "cli_runner.h"
#include "ps/runs.h"
#include "runs/run_lock.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace ps;

class TestRunLock final : public QObject {
    Q_OBJECT

    static std::string makeRun(const QTemporaryDir& dir) {
        RunConfig c;
        c.model_name_or_path = "/models/none";
        c.dataset = "/data/none.jsonl";
        c.output_dir = dir.path().toStdString();
        return createRunFolder(c);
    }

private Q_SLOTS:
    void secondHolderIsRefusedUntilTheFirstEnds() {
        QTemporaryDir dir;
        const std::string run = makeRun(dir);
        auto first = std::make_unique<runs::RunLock>(run);
        try {
            runs::RunLock second(run);
            QFAIL("a second lock on the same run was granted");
        } catch (const std::exception& e) {
            QVERIFY2(std::string(e.what()).find("in use by another process") != std::string::npos, e.what());
        }
        first.reset();
        runs::RunLock again(run); // released with its holder
    }

    void cliResumeOfARunInUseIsRefused() {
        QTemporaryDir dir;
        const std::string run = makeRun(dir);
        {
            runs::RunLock held(run);
            const test::CliResult r = test::runCli({QStringLiteral("resume"), QString::fromStdString(run)});
            QVERIFY(r.exitCode != 0);
            QVERIFY2(r.err.contains(QStringLiteral("in use by another process")), qPrintable(r.err));
        }
        // Free again: resume gets past the lock (and fails later, on the missing model, by name).
        const test::CliResult r = test::runCli({QStringLiteral("resume"), QString::fromStdString(run)});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(!r.err.contains(QStringLiteral("in use")) && r.err.contains(QStringLiteral("/models/none")),
                 qPrintable(r.err));
    }
};

QTEST_APPLESS_MAIN(TestRunLock)
#include "tst_run_lock.moc"
