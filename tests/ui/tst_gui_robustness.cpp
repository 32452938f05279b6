// The window stays usable when things go wrong during a run: a run that fails mid-way shows its
// error and Start works again; the model folder deleted while training ends in a clear state (no
// crash) and Start works again once it is back; a second Start while a run is going is refused
// with a message (one run at a time, see docs/RELIABILITY.md) and the first run is not disturbed.
#include "demo_test_env.h"
#include "error_banner.h"
#include "run_draft.h"
#include "train_page.h"
#include "training_controller.h"

#include "ps/runs.h"

#include <QPushButton>
#include <QThreadPool>
#include <QtTest>

using namespace ps::ui;

namespace {

constexpr int kRunTimeoutMs = 300000;

ps::RunSummary lastSummary(const QSignalSpy& spy) {
    return spy.isEmpty() ? ps::RunSummary{} : spy.last().at(0).value<ps::RunSummary>();
}

bool copyFolder(const QString& from, const QString& to) {
    QDir().mkpath(to);
    for (const QString& f : QDir(from).entryList(QDir::Files))
        if (!QFile::copy(from + QLatin1Char('/') + f, to + QLatin1Char('/') + f))
            return false;
    return true;
}

} // namespace

class TestGuiRobustness final : public QObject {
    Q_OBJECT
    std::unique_ptr<test::DemoTestEnv> env_;

    // Starts `config` from a fresh page and waits for the end; returns the summary.
    ps::RunSummary runToEnd(TrainPage& page, RunDraft& draft, const ps::RunConfig& config) {
        draft.setConfig(config);
        QSignalSpy finished(&page, &TrainPage::runFinished);
        if (!page.start())
            return {};
        if (!QTest::qWaitFor([&] { return finished.count() == 1; }, kRunTimeoutMs))
            return {};
        return lastSummary(finished);
    }

private Q_SLOTS:
    void initTestCase() {
        env_ = std::make_unique<test::DemoTestEnv>();
        QVERIFY2(env_->ok(), qPrintable(env_->error()));
    }
    void cleanup() { QThreadPool::globalInstance()->waitForDone(); }

    void failureMidRunIsShownAndStartWorksAgain() {
        RunDraft draft;
        TrainPage page(draft);
        page.show();
        ps::RunConfig diverging = env_->config(6);
        diverging.learning_rate = 1e30; // the weights overflow float32 after the first update: NaN loss
        diverging.max_grad_norm = 0;
        const ps::RunSummary failed = runToEnd(page, draft, diverging);
        QCOMPARE(ps::runStatusName(failed.status), "failed");
        QVERIFY2(failed.error.find("loss became") != std::string::npos, failed.error.c_str());
        QVERIFY(page.errorBanner()->isVisible());
        QCOMPARE(page.errorBanner()->title(), QStringLiteral("Training failed"));
        QVERIFY(page.startButton()->isEnabled());
        QVERIFY(!page.isTraining());

        const ps::RunSummary ok = runToEnd(page, draft, env_->config(2));
        QCOMPARE(ps::runStatusName(ok.status), "completed");
        QVERIFY(!page.errorBanner()->isVisible());
    }

    void modelFolderDeletedMidRunEndsCleanly() {
        const QString model = env_->path() + QStringLiteral("/model-copy");
        QVERIFY(copyFolder(env_->setup().modelDir, model));
        RunDraft draft;
        TrainPage page(draft);
        page.show();
        ps::RunConfig c = env_->config(12);
        c.model_name_or_path = model.toStdString();
        c.save_steps = 3;
        draft.setConfig(c);
        QSignalSpy finished(&page, &TrainPage::runFinished);
        QSignalSpy metrics(page.controller(), &TrainingController::metricsReceived);
        QVERIFY(page.start());
        QVERIFY(QTest::qWaitFor([&] { return metrics.count() >= 1 || finished.count() == 1; }, kRunTimeoutMs));
        QVERIFY(QDir(model).removeRecursively()); // the folder vanishes while the model is in use
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        const ps::RunSummary s = lastSummary(finished);
        // The weights are already in memory, so the run may finish; if it fails, it says why.
        QVERIFY2(s.status == ps::RunStatus::Completed || s.status == ps::RunStatus::Failed,
                 ps::runStatusName(s.status));
        if (s.status == ps::RunStatus::Failed) {
            QVERIFY(page.errorBanner()->isVisible());
            QVERIFY2(!s.error.empty(), "a failed run must say why");
        }
        qInfo("model folder deleted at step %lld: run %s %s", static_cast<long long>(metrics.count()),
              ps::runStatusName(s.status), s.error.c_str());
        QVERIFY(page.startButton()->isEnabled());

        // Deleted and not back: Start reports the missing folder instead of crashing.
        const ps::RunSummary missing = runToEnd(page, draft, c);
        QCOMPARE(ps::runStatusName(missing.status), "failed");
        QVERIFY2(missing.error.find("model-copy") != std::string::npos, missing.error.c_str());
        QVERIFY(page.errorBanner()->isVisible());

        // Back again: Start works.
        QVERIFY(copyFolder(env_->setup().modelDir, model));
        c.max_steps = 2;
        QCOMPARE(ps::runStatusName(runToEnd(page, draft, c).status), "completed");
    }

    void secondStartWhileTrainingIsRefusedWithAMessage() {
        RunDraft draft;
        TrainPage page(draft);
        page.show();
        draft.setConfig(env_->config(30));
        QSignalSpy finished(&page, &TrainPage::runFinished);
        QVERIFY(page.start());
        QVERIFY(page.isTraining());
        QVERIFY(!page.startButton()->isEnabled()); // the button says so first...
        QVERIFY(!page.start());                     // ...and a second start by any other path is refused
        QVERIFY(page.errorBanner()->isVisible());
        QCOMPARE(page.errorBanner()->title(), QStringLiteral("A run is already in progress"));
        QVERIFY(page.isTraining()); // the first run goes on
        page.stop();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        QCOMPARE(ps::runStatusName(lastSummary(finished).status), "cancelled");
        QVERIFY(page.startButton()->isEnabled());
        QCOMPARE(finished.count(), 1); // only one run ever ran
    }
};

QTEST_MAIN(TestGuiRobustness)
#include "tst_gui_robustness.moc"
