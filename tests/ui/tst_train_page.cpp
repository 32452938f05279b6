// The Train page on the demo: a run started from the page reaches the charts (every line of
// metrics.jsonl), completes and is in the run catalog; pause / resume / stop / continue; closing
// the window during a run asks and then stops with a checkpoint; problems and failures are shown
// on the page with what to do.
#include "app_settings.h"
#include "demo_test_env.h"
#include "error_banner.h"
#include "hyperparameter_form.h"
#include "live_chart.h"
#include "main_window.h"
#include "data_page.h"
#include "record_table_model.h"
#include "method_page.h"
#include "model_page.h"
#include "run_draft.h"
#include "runs_page.h"
#include "runs_table_model.h"
#include "train_page.h"
#include "training_controller.h"
#include "training_dashboard.h"
#include "training_progress.h"

#include "ps/run_catalog.h"
#include "ps/runs.h"

#include <QAbstractButton>
#include <QRadioButton>
#include <QCheckBox>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QThreadPool>
#include <QtTest>

#include <memory>

using namespace ps::ui;

namespace {

constexpr int kRunTimeoutMs = 300000;

int metricsLines(const QString& runDir) {
    QFile f(QString::fromStdString(ps::runMetricsPath(runDir.toStdString())));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    int lines = 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        lines += line.trimmed().isEmpty() ? 0 : 1;
    return lines;
}

bool hasCheckpoint(const QString& runDir) {
    return !QDir(QString::fromStdString(ps::runCheckpointsDir(runDir.toStdString())))
                .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                .isEmpty();
}

// Answers the next modal message box with `button` once it is shown.
void answerNextMessageBox(QMessageBox::StandardButton button) {
    auto* poll = new QTimer;
    poll->setInterval(20);
    QObject::connect(poll, &QTimer::timeout, poll, [poll, button] {
        if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
            poll->stop();
            poll->deleteLater();
            box->button(button)->click();
        }
    });
    poll->start();
}

ps::RunSummary lastSummary(const QSignalSpy& spy) {
    return spy.isEmpty() ? ps::RunSummary{} : spy.last().at(0).value<ps::RunSummary>();
}

} // namespace

class TestTrainPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        env_ = std::make_unique<test::DemoTestEnv>();
        QVERIFY2(env_->ok(), qPrintable(env_->error()));
    }
    void cleanup() { QThreadPool::globalInstance()->waitForDone(); }

    void demoRunReachesTheChartsAndTheCatalog() {
        AppSettings settings(env_->path() + QStringLiteral("/flow.ini"));
        MainWindow window(settings);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.modelPage()->openFolder(env_->setup().modelDir);
        window.draft()->setConfig(env_->config(8, 4));
        window.setCurrentPage(StudioPage::Train);
        TrainPage* page = window.trainPage();
        QCOMPARE(window.pageWidget(StudioPage::Train), static_cast<QWidget*>(page));

        QSignalSpy finished(page, &TrainPage::runFinished);
        QTest::mouseClick(page->startButton(), Qt::LeftButton);
        QVERIFY(page->isTraining());
        QVERIFY(window.isBusy());
        QVERIFY(!page->startButton()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        const ps::RunSummary summary = lastSummary(finished);
        QCOMPARE(ps::runStatusName(summary.status), "completed");
        QCOMPARE(summary.steps, std::int64_t(8));
        QVERIFY(!page->isTraining());
        QTRY_VERIFY(!window.isBusy());

        // Every metrics.jsonl line is on the charts: 8 training samples and 2 evaluations.
        const QString runDir = QString::fromStdString(summary.runDir);
        const int lines = metricsLines(runDir);
        TrainingDashboard* dash = page->dashboard();
        QCOMPARE(lines, 10);
        QCOMPARE(static_cast<int>(dash->history().sampleCount()), lines);
        LiveChart* loss = dash->lossChart();
        QCOMPARE(loss->displayedPointCount(TrainingDashboard::RawLoss) +
                     loss->displayedPointCount(TrainingDashboard::EvalLoss),
                 lines);
        QCOMPARE(loss->displayedPointCount(TrainingDashboard::SmoothedLoss), 8);
        QCOMPARE(dash->learningRateChart()->displayedPointCount(0), 8);
        QCOMPARE(dash->throughputChart()->displayedPointCount(0), 8);
        QCOMPARE(dash->memoryChart()->displayedPointCount(TrainingDashboard::MemoryUsed), 8);
        QVERIFY(dash->memoryChart()->yLabel().contains(QStringLiteral("RSS")) ||
                dash->memoryChart()->yLabel().contains(QStringLiteral("GPU")));
        QVERIFY(dash->redrawCount() >= 1);

        // The status line says so and the bar is full only now.
        QCOMPARE(page->progress()->stateText(), QStringLiteral("Completed"));
        QCOMPARE(page->progress()->bar()->value(), page->progress()->bar()->maximum());
        QVERIFY(page->logView()->toPlainText().contains(QStringLiteral("Completed 8 steps")));
        QVERIFY(!page->errorBanner()->isVisible());

        // The run is in the catalog, completed.
        ps::RunCatalog catalog(env_->runsRoot().toStdString());
        const auto record = catalog.find(QFileInfo(runDir).fileName().toStdString());
        QVERIFY(record);
        QCOMPARE(ps::runStatusName(record->status), "completed");
        QCOMPARE(record->steps, std::int64_t(8));
    }

    // The whole new-run flow through the pages' own widgets: the model opened on the Model page,
    // the data file on the Data page, LoRA and its rank picked on the Method page, Start on the
    // Train page; the run completes, reaches the charts, and is in the run catalog.
    void wholeFlowThroughThePages() {
        AppSettings settings(env_->path() + QStringLiteral("/whole-flow.ini"));
        MainWindow window(settings);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const ps::RunConfig demo = env_->config(6, 3);

        window.setCurrentPage(StudioPage::Model);
        window.modelPage()->openFolder(env_->setup().modelDir);
        QTRY_COMPARE(QString::fromStdString(window.draft()->config().model_name_or_path), env_->setup().modelDir);

        window.setCurrentPage(StudioPage::Data);
        window.dataPage()->openFile(env_->setup().dataset);
        QTRY_VERIFY(!window.isBusy());
        QCOMPARE(QString::fromStdString(window.draft()->config().dataset), env_->setup().dataset);
        QVERIFY(window.dataPage()->records()->rowCount() > 0);

        window.setCurrentPage(StudioPage::Method);
        auto* lora = window.methodPage()->findChild<QRadioButton*>(QStringLiteral("method_lora"));
        QVERIFY(lora);
        QTest::mouseClick(lora, Qt::LeftButton);
        auto* rank = window.methodPage()->findChild<QSpinBox*>(QStringLiteral("lora_rank"));
        QVERIFY(rank);
        rank->setValue(4);
        QCOMPARE(window.draft()->config().finetuning_type, std::string("lora"));
        QCOMPARE(window.draft()->config().lora_rank, std::int64_t(4));
        QTRY_VERIFY(!window.isBusy());

        // A short schedule (what the Train page's form writes into the draft).
        for (const auto& [key, value] : {std::pair{"max_steps", "6"}, {"eval_steps", "3"}, {"logging_steps", "1"},
                                         {"save_steps", "1000"}, {"template", demo.template_.c_str()}})
            QCOMPARE(window.draft()->setValue(QString::fromLatin1(key), QString::fromStdString(value)), QString());
        // Its own output folder, not the default runs root: the Runs page has to follow it.
        const QString ownRoot = env_->path() + QStringLiteral("/my-experiments");
        QCOMPARE(window.draft()->setValue(QStringLiteral("output_dir"), ownRoot), QString());
        window.setCurrentPage(StudioPage::Train);
        TrainPage* page = window.trainPage();
        QSignalSpy finished(page, &TrainPage::runFinished);
        QTest::mouseClick(page->startButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        const ps::RunSummary summary = lastSummary(finished);
        QCOMPARE(ps::runStatusName(summary.status), "completed");
        QCOMPARE(page->dashboard()->history().sampleCount(), std::size_t(metricsLines(QString::fromStdString(summary.runDir))));

        const QString id = QFileInfo(QString::fromStdString(summary.runDir)).fileName();
        // The catalog has it (the folders are the truth), and the Runs page shows it.
        QCOMPARE(QFileInfo(QString::fromStdString(summary.runDir)).absolutePath(), ownRoot);
        ps::RunCatalog catalog(ownRoot.toStdString());
        const auto record = catalog.find(id.toStdString());
        QVERIFY(record);
        QCOMPARE(record->rank, std::int64_t(4));
        QTRY_VERIFY(!window.isBusy());
        // The Runs page of the same window lists it (its catalog connection outlived the catalog
        // file that the trainer's catalog rebuilt; it must reopen it, not fail as "readonly").
        RunsPage* runs = window.runsPage();
        QCOMPARE(runs->runsRoot(), ownRoot);
        QTRY_VERIFY(runs->tableModel()->rowForId(id) >= 0);
        const ps::RunRecord& row = runs->tableModel()->runAt(runs->tableModel()->rowForId(id));
        QCOMPARE(row.rank, std::int64_t(4));
        QCOMPARE(ps::runStatusName(row.status), "completed");
        QVERIFY(!window.statusBar()->currentMessage().startsWith(QStringLiteral("Runs:")));
    }

    void logScaleToggleSwitchesTheLossAxis() {
        RunDraft draft;
        TrainPage page(draft);
        QCheckBox* toggle = page.dashboard()->logScaleToggle();
        QVERIFY(!page.dashboard()->lossChart()->isLogScale());
        toggle->click();
        QVERIFY(page.dashboard()->lossChart()->isLogScale());
    }

    void pauseResumeStopAndContinue() {
        RunDraft draft;
        draft.setConfig(env_->config(40, 1000));
        TrainPage page(draft);
        page.show();
        TrainingController* controller = page.controller();
        QSignalSpy metrics(controller, &TrainingController::metricsReceived);
        QSignalSpy finished(&page, &TrainPage::runFinished);
        const auto before = ps::listRunFolders(env_->runsRoot().toStdString());
        QVERIFY(page.start());
        QTRY_VERIFY_WITH_TIMEOUT(metrics.count() >= 1, kRunTimeoutMs);

        // Pause: a checkpoint, summary.json says paused, the thread waits.
        QTest::mouseClick(page.pauseButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(controller->state() == ps::TrainerState::Paused, kRunTimeoutMs);
        QVERIFY(page.isTraining());
        QCOMPARE(page.pauseButton()->text(), QStringLiteral("&Resume"));
        QVERIFY(page.progress()->stateText().startsWith(QStringLiteral("Paused")));
        const auto after = ps::listRunFolders(env_->runsRoot().toStdString());
        QCOMPARE(after.size(), before.size() + 1);
        const QString runDir = QString::fromStdString(after.back());
        QCOMPARE(ps::runStatusName(ps::readRunSummary(runDir.toStdString()).status), "paused");
        QVERIFY(hasCheckpoint(runDir));

        // Resume: training goes on.
        const int pausedAt = metrics.count();
        QTest::mouseClick(page.pauseButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(metrics.count() > pausedAt, kRunTimeoutMs);
        QCOMPARE(page.pauseButton()->text(), QStringLiteral("&Pause"));

        // Stop: cancelled with a checkpoint; the run can be continued.
        QTest::mouseClick(page.stopButton(), Qt::LeftButton);
        QVERIFY(page.progress()->stateText().startsWith(QStringLiteral("Stopping")) || !page.isTraining());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        const ps::RunSummary stopped = lastSummary(finished);
        QCOMPARE(ps::runStatusName(stopped.status), "cancelled");
        QCOMPARE(QString::fromStdString(stopped.runDir), runDir);
        QVERIFY(stopped.steps < 40);
        QVERIFY(hasCheckpoint(runDir));
        QVERIFY(page.continueButton()->isVisible());
        QCOMPARE(page.lastRunDir(), runDir);

        QTest::mouseClick(page.continueButton(), Qt::LeftButton);
        QVERIFY(page.isTraining());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, kRunTimeoutMs);
        const ps::RunSummary done = lastSummary(finished);
        QCOMPARE(ps::runStatusName(done.status), "completed");
        QCOMPARE(done.steps, std::int64_t(40));
        // One curve without duplicates, as in metrics.jsonl.
        QCOMPARE(static_cast<int>(page.dashboard()->history().sampleCount()), metricsLines(runDir));
        QVERIFY(!page.continueButton()->isVisible());
    }

    void closingDuringTrainingAsksThenStops() {
        AppSettings settings(env_->path() + QStringLiteral("/close.ini"));
        MainWindow window(settings);
        window.draft()->setConfig(env_->config(400, 1000));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        TrainPage* page = window.trainPage();
        QSignalSpy metrics(page->controller(), &TrainingController::metricsReceived);
        QSignalSpy finished(page, &TrainPage::runFinished);
        QVERIFY(page->start());
        QTRY_VERIFY_WITH_TIMEOUT(metrics.count() >= 1, kRunTimeoutMs);

        answerNextMessageBox(QMessageBox::Cancel);
        QVERIFY(!window.close());
        QVERIFY(window.isVisible());
        QVERIFY(page->isTraining());

        answerNextMessageBox(QMessageBox::Yes);
        QVERIFY(!window.close()); // not yet: the checkpoint is being written
        QTRY_VERIFY_WITH_TIMEOUT(!window.isVisible(), kRunTimeoutMs);
        QCOMPARE(finished.count(), 1);
        const ps::RunSummary summary = lastSummary(finished);
        QCOMPARE(ps::runStatusName(summary.status), "cancelled");
        QVERIFY(summary.steps < 400);
        QVERIFY(hasCheckpoint(QString::fromStdString(summary.runDir)));
        // The draft was saved with the window state.
        QVERIFY(settings.draftYaml().contains(QStringLiteral("max_steps: 400")));
    }

    void lastDraftIsRestoredOnStart() {
        const QString file = env_->path() + QStringLiteral("/draft.ini");
        const ps::RunConfig config = env_->config(33, 11);
        {
            AppSettings settings(file);
            MainWindow window(settings);
            window.draft()->setConfig(config);
            window.show();
            QTRY_VERIFY(!window.isBusy());
            QVERIFY(window.close());
        }
        AppSettings settings(file);
        MainWindow window(settings);
        window.restoreFromSettings(false);
        QVERIFY(window.draft()->config() == config);
        QTRY_VERIFY(!window.isBusy());
    }

    void problemsBlockTheStartWithAdvice() {
        RunDraft draft; // no model, no data
        TrainPage page(draft);
        page.show();
        QVERIFY(!page.start());
        QVERIFY(!page.isTraining());
        QVERIFY(page.errorBanner()->isVisible());
        QVERIFY(page.errorBanner()->message().contains(QStringLiteral("model_name_or_path")));
        QVERIFY(page.errorBanner()->advice().contains(QStringLiteral("Model page")));
    }

    void failureBeforeTheRunIsShownInTheWindow() {
        RunDraft draft;
        ps::RunConfig config = env_->config(4);
        config.dataset = (env_->path() + QStringLiteral("/no-such-data.jsonl")).toStdString();
        draft.setConfig(config);
        TrainPage page(draft);
        page.show();
        QSignalSpy finished(&page, &TrainPage::runFinished);
        QVERIFY(page.start());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        QCOMPARE(ps::runStatusName(lastSummary(finished).status), "failed");
        QVERIFY(page.errorBanner()->isVisible());
        QCOMPARE(page.errorBanner()->title(), QStringLiteral("Training could not start"));
        QVERIFY2(page.errorBanner()->message().contains(QStringLiteral("no-such-data.jsonl")),
                 qPrintable(page.errorBanner()->message()));
        QVERIFY(!page.errorBanner()->advice().isEmpty());
        QCOMPARE(page.progress()->stateText(), QStringLiteral("Failed"));
        QVERIFY(page.startButton()->isEnabled());
    }

    void formEditsTheDraftAndExplainsKeys() {
        RunDraft draft;
        TrainPage page(draft);
        HyperparameterForm* form = page.form();
        auto* lr = qobject_cast<QLineEdit*>(form->editor(QStringLiteral("learning_rate")));
        QVERIFY(lr);
        lr->setText(QStringLiteral("3e-4"));
        Q_EMIT lr->editingFinished();
        QCOMPARE(draft.config().learning_rate, 3e-4);
        QVERIFY(lr->toolTip().contains(QString::fromStdString(ps::findRunConfigKey("learning_rate")->help)));

        draft.setValue(QStringLiteral("max_steps"), QStringLiteral("77"));
        QCOMPARE(qobject_cast<QSpinBox*>(form->editor(QStringLiteral("max_steps")))->value(), 77);

        lr->setText(QStringLiteral("fast"));
        Q_EMIT lr->editingFinished();
        QVERIFY(!form->problemsText().isEmpty());
        QCOMPARE(draft.config().learning_rate, 3e-4); // the rejected text did not reach the draft
        draft.setValue(QStringLiteral("learning_rate"), QStringLiteral("-1"));
        QVERIFY(form->problemsText().contains(QStringLiteral("> 0")));
    }

private:
    std::unique_ptr<test::DemoTestEnv> env_;
};

QTEST_MAIN(TestTrainPage)
#include "tst_train_page.moc"
