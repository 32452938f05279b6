// The adapter file size the Method page shows before training equals the size of the file that
// saving the adapter writes, for every method (byte for byte: header and data).
#include "adapter_test_util.h"

#include "ps/adapter.h"
#include "ps/adapter_file_size.h"

#include <QFileInfo>

using namespace ps;
using namespace ps::testing;

Q_DECLARE_METATYPE(ps::AdapterSpec)

class TestAdapterFileSize : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void estimateEqualsSavedFile_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<AdapterSpec>("spec");
        const QString llama = QStringLiteral("tiny-llama"), gpt2 = QStringLiteral("tiny-gpt2");
        AdapterSpec lora;
        lora.r = 4;
        QTest::newRow("LoRA llama default targets r4") << llama << lora;
        AdapterSpec all = lora;
        all.targetModules = {"all-linear"};
        all.r = 16;
        QTest::newRow("LoRA gpt2 all-linear r16") << gpt2 << all;
        AdapterSpec dora = lora;
        dora.useDora = true;
        QTest::newRow("DoRA llama r4") << llama << dora;
        AdapterSpec ia3;
        ia3.method = PeftMethod::Ia3;
        QTest::newRow("IA3 llama") << llama << ia3;
        AdapterSpec loha;
        loha.method = PeftMethod::Loha;
        loha.targetModules = {"q_proj", "v_proj"};
        QTest::newRow("LoHa llama q,v") << llama << loha;
        AdapterSpec lokr;
        lokr.method = PeftMethod::Lokr;
        lokr.targetModules = {"all-linear"};
        QTest::newRow("LoKr llama all-linear") << llama << lokr;
        AdapterSpec prompt;
        prompt.method = PeftMethod::PromptTuning;
        prompt.numVirtualTokens = 7;
        QTest::newRow("prompt tuning gpt2") << gpt2 << prompt;
        AdapterSpec prefix;
        prefix.method = PeftMethod::PrefixTuning;
        QTest::newRow("prefix tuning llama") << llama << prefix;
        AdapterSpec full;
        full.method = PeftMethod::Full;
        QTest::newRow("full fine-tuning gpt2") << gpt2 << full;
    }

    void estimateEqualsSavedFile() {
        QFETCH(QString, model);
        QFETCH(AdapterSpec, spec);
        const std::string base = modelFixture(model.toStdString());
        const AdapterFileEstimate estimate = estimateAdapterFile(base, spec);
        QCOMPARE(estimate.numParameters, countTrainableParameters(base, spec).trainable);

        adapters::PeftModel pm(loadFloatModel(base), spec, 1);
        QTemporaryDir out;
        const std::string dir = out.filePath(QStringLiteral("adapter")).toStdString();
        pm.save(dir, base);
        const QFileInfo file(QString::fromStdString(dir + "/" + estimate.fileName));
        QVERIFY2(file.exists(), qPrintable(file.filePath()));
        QCOMPARE(estimate.bytes, std::uint64_t(file.size()));
        QCOMPARE(estimate.numTensors, std::int64_t(pm.tensors().size()));
    }
};

QTEST_APPLESS_MAIN(TestAdapterFileSize)
#include "tst_adapter_file_size.moc"
