// The Method page on the tiny fixture models: picking a method and its settings writes the run
// draft, the trainable-parameter count equals a hand formula (LoRA: r x (in + out) per adapted
// projection), the target checklist follows the model and its presets, only the settings that
// apply are shown, and the adapter size and memory estimate are filled in.
#include "app_settings.h"
#include "main_window.h"
#include "memory_estimate_view.h"
#include "method_page.h"
#include "model_page.h"
#include "run_draft.h"
#include "target_module_list.h"

#include "ps/adapter_file_size.h"
#include "ps/human_format.h"
#include "ps/run_method.h"

#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest>

#include <memory>

using namespace ps::ui;

namespace {

const QString kTinyLlama = QStringLiteral(PS_FIXTURES "/models/tiny-llama");
const QString kTinyGpt2 = QStringLiteral(PS_FIXTURES "/models/tiny-gpt2");

// tiny-llama: hidden 64, 4 heads of 16 (q, o 64 wide), 2 kv heads (k, v 32 wide), MLP 176, 2
// layers, 220480 parameters (tests/core/adapters/tst_adapter_counts.cpp derives it).
// tiny-gpt2: hidden 64, c_attn 64 -> 192, c_fc 64 -> 256, 2 layers, 172288 parameters.
constexpr std::int64_t kLayers = 2;
constexpr std::int64_t kLlamaParams = 220480;
constexpr std::int64_t kGpt2Params = 172288;

std::int64_t lora(std::int64_t r, std::int64_t in, std::int64_t out) {
    return r * (in + out); // A [r, in] + B [out, r]
}

QString trainableText(std::int64_t n) {
    return QStringLiteral("%1 trainable parameters").arg(QLocale().toString(static_cast<qlonglong>(n)));
}

} // namespace

class TestMethodPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QDir().mkpath(tmp_.path() + QStringLiteral("/empty-cache"));
        qputenv("HF_HUB_CACHE", QFile::encodeName(tmp_.path() + QStringLiteral("/empty-cache")));
        qputenv("PEFT_STUDIO_RUNS", QFile::encodeName(tmp_.path() + QStringLiteral("/runs"))); // not the user's
    }

    void init() {
        draft_ = std::make_unique<RunDraft>();
        QCOMPARE(draft_->setValue(QStringLiteral("model_name_or_path"), kTinyLlama), QString());
        page_ = std::make_unique<MethodPage>(*draft_);
        page_->resize(1000, 700);
        page_->show();
        QTRY_VERIFY(!page_->isBusy() && page_->estimate().counted);
    }

    void cleanup() {
        page_.reset();
        draft_.reset();
        QThreadPool::globalInstance()->waitForDone();
    }

    void pickingLoraOnQueryAndValueByHand() {
        QSignalSpy changed(draft_.get(), &RunDraft::changed);
        page_->methodButton(QStringLiteral("dora"))->click();
        QCOMPARE(draft_->value(QStringLiteral("finetuning_type")), QStringLiteral("dora"));
        page_->methodButton(QStringLiteral("lora"))->click();
        QCOMPARE(draft_->value(QStringLiteral("finetuning_type")), QStringLiteral("lora"));
        page_->findChild<QSpinBox*>(QStringLiteral("lora_rank"))->setValue(4);
        QCOMPARE(draft_->config().lora_rank, std::int64_t(4));
        QTRY_VERIFY(!page_->isBusy());

        // Every module is checked for lora_target "all"; keep q_proj and v_proj only.
        auto* list = page_->findChild<QListWidget*>(QStringLiteral("targetModules"));
        QVERIFY(list);
        QCOMPARE(list->count(), 7);
        for (int i = 0; i < list->count(); ++i) {
            QCOMPARE(list->item(i)->checkState(), Qt::Checked);
            const QString name = list->item(i)->text();
            if (name != QLatin1String("q_proj") && name != QLatin1String("v_proj"))
                list->item(i)->setCheckState(Qt::Unchecked);
        }
        QCOMPARE(draft_->value(QStringLiteral("lora_target")), QStringLiteral("q_proj,v_proj"));
        QTRY_VERIFY(!page_->isBusy());
        QVERIFY(page_->estimate().counted);

        const std::int64_t expected = kLayers * (lora(4, 64, 64) + lora(4, 64, 32));
        QCOMPARE(expected, std::int64_t(1792));
        QCOMPARE(page_->summaryText(QStringLiteral("trainable")), trainableText(expected));
        const double share = 100.0 * static_cast<double>(expected) / static_cast<double>(kLlamaParams + expected);
        QVERIFY2(page_->summaryText(QStringLiteral("trainable_percent")).contains(QLocale().toString(share, 'f', 2)),
                 qPrintable(page_->summaryText(QStringLiteral("trainable_percent"))));

        // The adapter file: what core says saving will write (its test compares with a real file).
        const auto file = ps::estimateAdapterFile(kTinyLlama.toStdString(), ps::adapterSpecForRun(draft_->config()));
        QVERIFY(file.bytes > std::uint64_t(expected) * 4); // float32 weights and a header
        QVERIFY(page_->summaryText(QStringLiteral("adapter_size"))
                    .contains(QString::fromStdString(ps::formatByteSize(file.bytes))));
        QVERIFY(page_->memory()->valueText(QStringLiteral("memory_total")).startsWith(QStringLiteral("about")));

        QStringList keys;
        for (const QList<QVariant>& args : std::as_const(changed))
            keys << args.first().toStringList();
        for (const char* key : {"finetuning_type", "lora_rank", "lora_target"})
            QVERIFY2(keys.contains(QLatin1String(key)), key);
    }

    void countsMatchHandFormulas_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("rank");
        QTest::addColumn<QString>("target");
        QTest::addColumn<int>("virtualTokens");
        QTest::addColumn<qint64>("trainable");
        const QString all = QStringLiteral("all");
        const qint64 llamaAll = kLayers * (lora(8, 64, 64) + 2 * lora(8, 64, 32) + lora(8, 64, 64) +
                                           2 * lora(8, 64, 176) + lora(8, 176, 64));
        QTest::newRow("LoRA r8 all linear llama")
            << kTinyLlama << QStringLiteral("lora") << 8 << all << 20 << qint64(llamaAll);
        QTest::newRow("rsLoRA r8 all linear llama (same count)")
            << kTinyLlama << QStringLiteral("rslora") << 8 << all << 20 << qint64(llamaAll);
        // DoRA adds a magnitude per output feature of each adapted projection.
        QTest::newRow("DoRA r4 q,v llama")
            << kTinyLlama << QStringLiteral("dora") << 4 << QStringLiteral("q_proj,v_proj") << 20
            << qint64(kLayers * (lora(4, 64, 64) + lora(4, 64, 32) + 64 + 32));
        QTest::newRow("LoRA r4 attention gpt2")
            << kTinyGpt2 << QStringLiteral("lora") << 4 << QStringLiteral("c_attn,attn.c_proj") << 20
            << qint64(kLayers * (lora(4, 64, 192) + lora(4, 64, 64)));
        // IA3 with the default targets: a vector per output of k, v and per input of down_proj.
        QTest::newRow("IA3 llama defaults")
            << kTinyLlama << QStringLiteral("ia3") << 8 << all << 20 << qint64(kLayers * (32 + 32 + 176));
        QTest::newRow("prompt tuning 10 tokens llama")
            << kTinyLlama << QStringLiteral("prompt") << 8 << all << 10 << qint64(10 * 64);
        // Prefix tuning: keys and values of every layer, kv heads x head dim wide.
        QTest::newRow("prefix tuning 5 tokens llama")
            << kTinyLlama << QStringLiteral("prefix") << 8 << all << 5 << qint64(5 * kLayers * 2 * 32);
        QTest::newRow("full fine-tuning gpt2")
            << kTinyGpt2 << QStringLiteral("full") << 8 << all << 20 << qint64(kGpt2Params);
    }
    void countsMatchHandFormulas() {
        QFETCH(QString, model);
        QFETCH(QString, method);
        QFETCH(int, rank);
        QFETCH(QString, target);
        QFETCH(int, virtualTokens);
        QFETCH(qint64, trainable);
        QCOMPARE(draft_->setValue(QStringLiteral("model_name_or_path"), model), QString());
        QCOMPARE(draft_->setValue(QStringLiteral("finetuning_type"), method), QString());
        QCOMPARE(draft_->setValue(QStringLiteral("lora_rank"), QString::number(rank)), QString());
        QCOMPARE(draft_->setValue(QStringLiteral("lora_target"), target), QString());
        QCOMPARE(draft_->setValue(QStringLiteral("num_virtual_tokens"), QString::number(virtualTokens)), QString());
        QTRY_VERIFY(!page_->isBusy());
        QVERIFY2(page_->estimate().counted, qPrintable(page_->estimate().methodError));
        QCOMPARE(page_->estimate().count.trainable, std::int64_t(trainable));
        QCOMPARE(page_->summaryText(QStringLiteral("trainable")), trainableText(trainable));
        QVERIFY(page_->methodButton(method)->isChecked());
    }

    void onlyTheSettingsThatApplyAreShown_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<bool>("rank");
        QTest::addColumn<bool>("dropout");
        QTest::addColumn<bool>("virtualTokens");
        QTest::addColumn<bool>("targets");
        QTest::newRow("lora") << QStringLiteral("lora") << true << true << false << true;
        QTest::newRow("lokr") << QStringLiteral("lokr") << true << false << false << true;
        QTest::newRow("ia3") << QStringLiteral("ia3") << false << false << false << true;
        QTest::newRow("prompt") << QStringLiteral("prompt") << false << false << true << false;
        QTest::newRow("full") << QStringLiteral("full") << false << false << false << false;
    }
    void onlyTheSettingsThatApplyAreShown() {
        QFETCH(QString, method);
        QFETCH(bool, rank);
        QFETCH(bool, dropout);
        QFETCH(bool, virtualTokens);
        QFETCH(bool, targets);
        page_->methodButton(method)->click();
        QCOMPARE(page_->isSettingVisible(QStringLiteral("lora_rank")), rank);
        QCOMPARE(page_->isSettingVisible(QStringLiteral("lora_dropout")), dropout);
        QCOMPARE(page_->isSettingVisible(QStringLiteral("num_virtual_tokens")), virtualTokens);
        QCOMPARE(page_->targets()->isVisibleTo(page_.get()), targets);
        QTRY_VERIFY(!page_->isBusy());
    }

    void presetsWriteTheTargets() {
        page_->findChild<QPushButton*>(QStringLiteral("presetAttention"))->click();
        QCOMPARE(draft_->value(QStringLiteral("lora_target")), QStringLiteral("q_proj,k_proj,v_proj,o_proj"));
        QTRY_VERIFY(!page_->isBusy());
        QCOMPARE(page_->estimate().count.trainable, kLayers * (2 * lora(8, 64, 64) + 2 * lora(8, 64, 32)));
        QCOMPARE(page_->targets()->checkedModules(), (QStringList{QStringLiteral("q_proj"), QStringLiteral("k_proj"),
                                                                  QStringLiteral("v_proj"), QStringLiteral("o_proj")}));
        page_->findChild<QPushButton*>(QStringLiteral("presetAllLinear"))->click();
        QCOMPARE(draft_->value(QStringLiteral("lora_target")), QStringLiteral("all"));
        // IA3 keeps its default targets for "all": the checklist shows which those are.
        page_->methodButton(QStringLiteral("ia3"))->click();
        QTRY_VERIFY(!page_->isBusy());
        QCOMPARE(page_->targets()->checkedModules(),
                 (QStringList{QStringLiteral("k_proj"), QStringLiteral("v_proj"), QStringLiteral("down_proj")}));
    }

    void withoutAModelThePageSaysWhatToDo() {
        QCOMPARE(draft_->setValue(QStringLiteral("model_name_or_path"), QString()), QString());
        QTRY_VERIFY(!page_->isBusy());
        QVERIFY(!page_->estimate().model);
        QVERIFY(page_->summaryText(QStringLiteral("trainable_percent")).contains(QStringLiteral("Model page")));
    }

    void theModelPageChoosesTheRunsModel() {
        AppSettings settings(tmp_.path() + QStringLiteral("/window.ini"));
        MainWindow window(settings);
        window.modelPage()->openFolder(kTinyGpt2);
        QTRY_COMPARE(window.draft()->value(QStringLiteral("model_name_or_path")), QDir::cleanPath(kTinyGpt2));
        QTRY_VERIFY(!window.isBusy());
        MethodPage* page = window.methodPage();
        QVERIFY(page->estimate().counted);
        // The default method: LoRA r8 on every linear layer of GPT-2 (c_attn, attn.c_proj, c_fc, mlp.c_proj).
        QCOMPARE(page->estimate().count.trainable,
                 kLayers * (lora(8, 64, 192) + lora(8, 64, 64) + lora(8, 64, 256) + lora(8, 256, 64)));
        QCOMPARE(page->targets()->modules(), (QStringList{QStringLiteral("c_attn"), QStringLiteral("attn.c_proj"),
                                                          QStringLiteral("c_fc"), QStringLiteral("mlp.c_proj")}));
    }

private:
    QTemporaryDir tmp_;
    std::unique_ptr<RunDraft> draft_;
    std::unique_ptr<MethodPage> page_;
};

QTEST_MAIN(TestMethodPage)
#include "tst_method_page.moc"
