// The Model page: opening folders (good and bad), the models table, the empty-cache hint.
// Runs offscreen against an empty Hugging Face cache so that the machine's own cache does not
// leak into the results.
#include "app_settings.h"
#include "core/hub/fake_hub_cache.h"
#include "model_details_view.h"
#include "model_list_model.h"
#include "memory_estimate_view.h"
#include "model_memory_panel.h"
#include "model_page.h"
#include "run_draft.h"

#include "ps/adapter.h"
#include "ps/human_format.h"
#include "ps/memory_estimate.h"
#include "ps/model_info.h"
#include "ps/run_method.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest>

#include <memory>

using namespace ps::ui;

namespace {
const QString kTinyLlama = QStringLiteral(PS_FIXTURES "/models/tiny-llama");
const QString kTinyGpt2 = QStringLiteral(PS_FIXTURES "/models/tiny-gpt2");
} // namespace

class TestModelPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QDir().mkpath(tmp_.path() + QStringLiteral("/empty-cache"));
        qputenv("HF_HUB_CACHE", QFile::encodeName(tmp_.path() + QStringLiteral("/empty-cache")));
    }

    void init() {
        static int n = 0;
        settings_ = std::make_unique<AppSettings>(tmp_.path() + QStringLiteral("/settings-%1.ini").arg(++n));
        page_ = std::make_unique<ModelPage>(*settings_);
        tester_ = std::make_unique<QAbstractItemModelTester>(page_->modelList(),
                                                             QAbstractItemModelTester::FailureReportingMode::QtTest);
        page_->resize(1000, 600);
        page_->show();
        QTRY_VERIFY(!page_->isBusy());
    }

    void cleanup() {
        tester_.reset();
        page_.reset();
        QThreadPool::globalInstance()->waitForDone();
    }

    void emptyCacheShowsTheHint() {
        QVERIFY(page_->isEmptyHintShown());
        auto* hint = page_->findChild<QLabel*>(QStringLiteral("emptyHint"));
        QVERIFY(hint);
        QVERIFY(hint->isVisible());
        QVERIFY(hint->text().contains(QStringLiteral("No models in your Hugging Face cache")));
    }

    void openModelFolderShowsInspectDetails() {
        page_->openFolder(kTinyLlama);
        ModelDetailsView* details = page_->details();
        QTRY_COMPARE(details->valueText(QStringLiteral("model_type")), QStringLiteral("llama"));
        QCOMPARE(details->valueText(QStringLiteral("num_layers")), QStringLiteral("2"));
        QCOMPARE(details->valueText(QStringLiteral("architecture")), QStringLiteral("LlamaForCausalLM"));
        QCOMPARE(details->valueText(QStringLiteral("hidden_size")), QStringLiteral("64"));
        QCOMPARE(details->valueText(QStringLiteral("num_key_value_heads")), QStringLiteral("2"));
        QVERIFY(details->valueText(QStringLiteral("linear_modules")).contains(QStringLiteral("q_proj")));
        // The label the test reads is the one on screen.
        auto* label = details->findChild<QLabel*>(QStringLiteral("model_type"));
        QVERIFY(label && label->isVisible());

        // The folder joins the table and the recent folders, and is the selected row.
        QTRY_VERIFY(!page_->isBusy());
        ModelListModel* models = page_->modelList();
        QCOMPARE(models->rowCount(), 1);
        QVERIFY(!page_->isEmptyHintShown());
        QCOMPARE(models->index(0, ModelListModel::IdColumn).data().toString(), QStringLiteral("tiny-llama"));
        QCOMPARE(models->index(0, ModelListModel::ArchitectureColumn).data().toString(),
                 QStringLiteral("LlamaForCausalLM"));
        QVERIFY(!models->index(0, 0).data(ModelListModel::BrokenRole).toBool());
        QCOMPARE(settings_->recentFolders(), QStringList{QDir::cleanPath(kTinyLlama)});
        QCOMPARE(page_->table()->currentIndex().row(), 0);
    }

    // The Model page's memory panel shows the estimate for the selected model with the draft's
    // method and batch settings, and follows changes of those settings.
    void memoryPanelFollowsTheModelAndTheDraft() {
        RunDraft draft;
        QCOMPARE(draft.setValue(QStringLiteral("finetuning_type"), QStringLiteral("lora")), QString());
        QCOMPARE(draft.setValue(QStringLiteral("lora_rank"), QStringLiteral("4")), QString());
        QCOMPARE(draft.setValue(QStringLiteral("per_device_train_batch_size"), QStringLiteral("2")), QString());
        QCOMPARE(draft.setValue(QStringLiteral("cutoff_len"), QStringLiteral("64")), QString());
        page_->attachMemoryEstimate(&draft);
        ModelMemoryPanel* panel = page_->memoryPanel();
        QVERIFY(panel);
        QCOMPARE(panel->view()->valueText(QStringLiteral("memory_weights")), QStringLiteral("\u2014"));

        const auto expected = [&draft](const QString& dir) {
            ps::RunConfig c = draft.config();
            c.model_name_or_path = dir.toStdString();
            const ps::ModelInfo info = ps::inspectModel(c.model_name_or_path);
            const auto count = ps::countTrainableParameters(c.model_name_or_path, ps::adapterSpecForRun(c));
            const auto e = ps::estimateTrainingMemory(info, c, count.trainable);
            return QStringLiteral("about %1").arg(QString::fromStdString(ps::formatByteSize(e.totalBytes)));
        };
        page_->openFolder(kTinyLlama);
        QTRY_VERIFY(!page_->isBusy());
        const QString rank4 = expected(kTinyLlama);
        QCOMPARE(panel->view()->valueText(QStringLiteral("memory_total")), rank4);
        QVERIFY(panel->settingsText().contains(QStringLiteral("LoRA rank 4")));

        // A bigger batch needs more activation memory: the panel recomputes.
        const QString activations = panel->view()->valueText(QStringLiteral("memory_activations"));
        QCOMPARE(draft.setValue(QStringLiteral("per_device_train_batch_size"), QStringLiteral("8")), QString());
        QTRY_VERIFY(!page_->isBusy());
        QCOMPARE(panel->view()->valueText(QStringLiteral("memory_total")), expected(kTinyLlama));
        QVERIFY(panel->view()->valueText(QStringLiteral("memory_activations")) != activations);

        // Another model: its own estimate.
        page_->openFolder(kTinyGpt2);
        QTRY_VERIFY(!page_->isBusy());
        QCOMPARE(panel->view()->valueText(QStringLiteral("memory_total")), expected(kTinyGpt2));
    }

    void selectingAnotherRowInspectsIt() {
        page_->openFolder(kTinyLlama);
        QTRY_COMPARE(page_->details()->valueText(QStringLiteral("model_type")), QStringLiteral("llama"));
        page_->openFolder(kTinyGpt2);
        QTRY_COMPARE(page_->details()->valueText(QStringLiteral("model_type")), QStringLiteral("gpt2"));
        QTRY_VERIFY(!page_->isBusy());
        QCOMPARE(page_->modelList()->rowCount(), 2);
        // Back to the llama row with the keyboard-equivalent API.
        const int row = page_->modelList()->rowForPath(kTinyLlama);
        QVERIFY(row >= 0);
        QTableView* table = page_->table();
        for (int r = 0; r < table->model()->rowCount(); ++r)
            if (table->model()->index(r, 0).data(ModelListModel::PathRole).toString() == QDir::cleanPath(kTinyLlama))
                table->setCurrentIndex(table->model()->index(r, 0));
        QTRY_COMPARE(page_->details()->valueText(QStringLiteral("model_type")), QStringLiteral("llama"));
    }

    void badFolderShowsAnError_data() {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("expected");
        QTest::newRow("folder without config.json") << QStringLiteral("no-config") << QStringLiteral("config.json");
        QTest::newRow("folder that does not exist") << QStringLiteral("missing") << QStringLiteral("does not exist");
        QTest::newRow("unsupported model_type") << QStringLiteral("bert") << QStringLiteral("not supported");
    }
    void badFolderShowsAnError() {
        QFETCH(QString, folder);
        QFETCH(QString, expected);
        const QString dir = tmp_.path() + QLatin1Char('/') + folder;
        if (folder == QLatin1String("no-config")) {
            QDir().mkpath(dir);
        } else if (folder == QLatin1String("bert")) {
            QDir().mkpath(dir);
            QFile config(dir + QStringLiteral("/config.json"));
            QVERIFY(config.open(QIODevice::WriteOnly));
            config.write(R"({"model_type": "bert", "architectures": ["BertModel"]})");
        }
        page_->openFolder(dir);
        QTRY_COMPARE(page_->details()->state(), ModelDetailsView::State::Error);
        const QString error = page_->details()->errorText();
        QVERIFY2(error.contains(expected), qPrintable(error));
        auto* label = page_->details()->findChild<QLabel*>(QStringLiteral("errorText"));
        QVERIFY(label && label->isVisible());
        QTRY_VERIFY(!page_->isBusy());
        QVERIFY(settings_->recentFolders().isEmpty()); // a folder that cannot be used is not remembered
        QCOMPARE(page_->modelList()->rowCount(), 0);
    }

    // A run config that names a cached model by its Hub id (model_name_or_path: org/name) shows that
    // model, not the last session's, whether the id comes before or after the cache scan; the
    // draft keeps the id (modelChosen gives it back), and an id the cache lacks says so.
    void hubIdSelectsItsCachedSnapshot() {
        FakeCache cache(tmp_.path() + QStringLiteral("/id-cache"));
        cache.addModelFromFixture(QStringLiteral("org/tiny-llama"), kTinyLlama);
        cache.addModelFromFixture(QStringLiteral("org/tiny-gpt2"), kTinyGpt2);
        const QByteArray emptyCache = qgetenv("HF_HUB_CACHE");
        qputenv("HF_HUB_CACHE", QFile::encodeName(cache.root()));
        AppSettings settings(tmp_.path() + QStringLiteral("/settings-hub-id.ini"));
        settings.setLastModel(cache.snapshot(QStringLiteral("org/tiny-gpt2"))); // the last session's model
        {
            ModelPage page(settings);
            QSignalSpy chosen(&page, &ModelPage::modelChosen);
            QSignalSpy status(&page, &ModelPage::statusMessage);
            page.showModel(QStringLiteral("org/tiny-llama")); // before the scan has listed it
            QTRY_VERIFY(!page.isBusy());
            QTRY_COMPARE(page.details()->valueText(QStringLiteral("model_type")), QStringLiteral("llama"));
            QTRY_VERIFY(!chosen.isEmpty());
            QCOMPARE(chosen.last().at(0).toString(), QStringLiteral("org/tiny-llama"));
            QCOMPARE(page.table()->currentIndex().data(ModelListModel::PathRole).toString(),
                     cache.snapshot(QStringLiteral("org/tiny-llama")));

            page.showModel(QStringLiteral("org/tiny-gpt2")); // after the scan
            QTRY_COMPARE(page.details()->valueText(QStringLiteral("model_type")), QStringLiteral("gpt2"));
            QTRY_COMPARE(chosen.last().at(0).toString(), QStringLiteral("org/tiny-gpt2"));

            // Another model picked in the table is chosen by its folder.
            page.openFolder(kTinyLlama);
            QTRY_COMPARE(chosen.last().at(0).toString(), QDir::cleanPath(kTinyLlama));
            QTRY_VERIFY(!page.isBusy());

            status.clear();
            page.showModel(QStringLiteral("org/not-downloaded"));
            bool said = false;
            for (const auto& args : status)
                said = said || args.at(0).toString().contains(QStringLiteral("org/not-downloaded is not in the Hugging Face cache"));
            QVERIFY(said);
        }
        QThreadPool::globalInstance()->waitForDone();
        qputenv("HF_HUB_CACHE", emptyCache);
    }

    void recentFoldersAreListedOnTheNextStart() {
        settings_->addRecentFolder(kTinyLlama);
        settings_->addRecentFolder(tmp_.path() + QStringLiteral("/gone"));
        tester_.reset();
        page_ = std::make_unique<ModelPage>(*settings_);
        tester_ = std::make_unique<QAbstractItemModelTester>(page_->modelList(),
                                                             QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_VERIFY(!page_->isBusy());
        ModelListModel* models = page_->modelList();
        QCOMPARE(models->rowCount(), 2);
        const int gone = models->rowForPath(tmp_.path() + QStringLiteral("/gone"));
        QVERIFY(gone >= 0);
        QVERIFY(models->index(gone, 0).data(ModelListModel::BrokenRole).toBool());
        QVERIFY(models->index(gone, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("does not exist")));
        // The usable one is selected and inspected on start.
        QCOMPARE(page_->details()->valueText(QStringLiteral("model_type")), QStringLiteral("llama"));
    }

private:
    QTemporaryDir tmp_;
    std::unique_ptr<AppSettings> settings_;
    std::unique_ptr<ModelPage> page_;
    std::unique_ptr<QAbstractItemModelTester> tester_;
};

QTEST_MAIN(TestModelPage)
#include "tst_model_page.moc"
