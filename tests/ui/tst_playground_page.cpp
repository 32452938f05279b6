// The Playground: both panes stream exactly the ids ps::Generator produces for the same prompt
// and settings (base alone, and base + adapter), Stop ends both sides, and chat mode keeps a
// conversation per side. The model is a small random Llama with GPT-2's tokenizer made by
// core's initModel; the adapter a LoRA with random (non-zero) factors written here.
#include "adapter_picker.h"
#include "generation_pane.h"
#include "generation_settings_form.h"
#include "playground_page.h"

#include "ps/generate.h"
#include "ps/model_info.h"
#include "ps/model_presets.h"
#include "ps/run_config.h"
#include "ps/safetensors.h"

#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTextEdit>
#include <QtTest>

#include <random>

using namespace ps::ui;

namespace {

// LoRA r=4 on every layer's q_proj and o_proj (hidden -> hidden), factors ~ U(-0.5, 0.5).
void writeLoraAdapter(const QString& dir, const ps::ModelInfo& model) {
    QDir().mkpath(dir);
    const QJsonObject c{
        {QStringLiteral("peft_type"), QStringLiteral("LORA")},
        {QStringLiteral("r"), 4},
        {QStringLiteral("lora_alpha"), 16},
        {QStringLiteral("target_modules"), QJsonArray{QStringLiteral("q_proj"), QStringLiteral("o_proj")}},
        {QStringLiteral("task_type"), QStringLiteral("CAUSAL_LM")},
        {QStringLiteral("base_model_name_or_path"), QStringLiteral("model")}};
    QFile f(dir + QStringLiteral("/adapter_config.json"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(c).toJson());
    f.close();
    const std::int64_t h = model.hiddenSize, r = 4;
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    static std::vector<std::vector<float>> data; // alive until written
    std::vector<ps::TensorToWrite> tensors;
    data.reserve(static_cast<std::size_t>(model.numLayers) * 4);
    for (std::int64_t l = 0; l < model.numLayers; ++l)
        for (const char* proj : {"q_proj", "o_proj"}) {
            const std::string m = "base_model.model.model.layers." + std::to_string(l) + ".self_attn." + proj;
            for (const char* ab : {".lora_A.weight", ".lora_B.weight"}) {
                data.emplace_back(static_cast<std::size_t>(h * r));
                for (auto& x : data.back())
                    x = u(rng);
                const bool isA = std::string(ab) == ".lora_A.weight";
                tensors.push_back({m + ab, ps::DType::F32,
                                   isA ? std::vector<std::int64_t>{r, h} : std::vector<std::int64_t>{h, r},
                                   data.back().data()});
            }
        }
    ps::writeSafetensors((dir + QStringLiteral("/adapter_model.safetensors")).toStdString(), tensors);
}

std::vector<std::int32_t> directIds(const QString& model, const QString& adapter, const QString& prompt,
                                    const ps::GenerationOptions& options) {
    ps::GeneratorConfig c;
    c.modelDir = model.toStdString();
    c.adapterDir = adapter.toStdString();
    ps::Generator gen(c);
    return gen.generateText(prompt.toStdString(), options).ids;
}

} // namespace

class TestPlaygroundPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void panesStreamTheGeneratorsGreedyIds();
    void stopEndsBothSides();
    void chatKeepsAConversationPerSide();
    void runFolderBringsBaseAndTemplate();

private:
    void prepare(PlaygroundPage& page);
    QTemporaryDir tmp_;
    QString model_, adapter_;
};

void TestPlaygroundPage::initTestCase() {
    QVERIFY(tmp_.isValid());
    qputenv("PEFT_STUDIO_RUNS", QFile::encodeName(tmp_.path() + QStringLiteral("/runs")));
    model_ = tmp_.path() + QStringLiteral("/model");
    adapter_ = tmp_.path() + QStringLiteral("/adapter");
    ps::initModel("demo-tiny", std::string(PS_FIXTURES) + "/tokenizers/gpt2", model_.toStdString(), 5);
    writeLoraAdapter(adapter_, ps::inspectModel(model_.toStdString()));
}

void TestPlaygroundPage::prepare(PlaygroundPage& page) {
    page.setBaseDir(model_);
    page.setAdapterSource(adapter_);
    QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 30000);
    QCOMPARE(page.adapterDir(), adapter_);
}

void TestPlaygroundPage::panesStreamTheGeneratorsGreedyIds() {
    PlaygroundPage page;
    page.show();
    prepare(page);
    page.settings()->temperatureBox()->setValue(0.0);
    page.settings()->maxNewTokensBox()->setValue(12);
    const QString prompt = QStringLiteral("The quick brown fox");
    page.setPrompt(prompt);
    QSignalSpy done(&page, &PlaygroundPage::generationFinished);
    QVERIFY(page.generate());
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);

    const ps::GenerationOptions options = page.settings()->options();
    const auto base = directIds(model_, QString(), prompt, options);
    const auto adapted = directIds(model_, adapter_, prompt, options);
    QVERIFY(!base.empty());
    QCOMPARE(page.basePane()->ids(), base);
    QCOMPARE(page.adapterPane()->ids(), adapted);
    // The adapter changes what the model says (its factors are far from zero).
    QVERIFY(base != adapted);
    for (GenerationPane* pane : {page.basePane(), page.adapterPane()}) {
        QVERIFY2(pane->status().contains(QStringLiteral("tokens/s")), qPrintable(pane->status()));
        QVERIFY(pane->view()->toPlainText().startsWith(prompt));
    }
}

void TestPlaygroundPage::stopEndsBothSides() {
    PlaygroundPage page;
    prepare(page);
    page.settings()->maxNewTokensBox()->setValue(900);
    page.setPrompt(QStringLiteral("Once upon a time"));
    QSignalSpy done(&page, &PlaygroundPage::generationFinished);
    QVERIFY(page.generate());
    QVERIFY(page.isGenerating());
    // Stop at once: each generator sees the flag after its first token.
    page.stop();
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);
    QVERIFY(!page.isGenerating());
    for (GenerationPane* pane : {page.basePane(), page.adapterPane()}) {
        QVERIFY2(pane->status().contains(QStringLiteral("cancelled")), qPrintable(pane->status()));
        QVERIFY(pane->ids().size() < 900);
    }
}

void TestPlaygroundPage::chatKeepsAConversationPerSide() {
    PlaygroundPage page;
    prepare(page);
    page.setChatMode(true);
    page.settings()->temperatureBox()->setValue(0.0);
    page.settings()->maxNewTokensBox()->setValue(4);
    QSignalSpy done(&page, &PlaygroundPage::generationFinished);
    page.setPrompt(QStringLiteral("Hello there"));
    QVERIFY(page.generate());
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);
    QVERIFY(page.promptEdit()->toPlainText().isEmpty()); // sent
    page.setPrompt(QStringLiteral("And again"));
    QVERIFY(page.generate());
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 120000);
    for (GenerationPane* pane : {page.basePane(), page.adapterPane()}) {
        const QString text = pane->view()->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("Hello there")) && text.contains(QStringLiteral("And again")),
                 qPrintable(text));
        QCOMPARE(text.count(QStringLiteral("You\n")), 2);
    }
    page.newConversation();
    QVERIFY(page.basePane()->view()->toPlainText().isEmpty());
}

void TestPlaygroundPage::runFolderBringsBaseAndTemplate() {
    const QString run = tmp_.path() + QStringLiteral("/runs/20260101-000000-lora");
    QDir().mkpath(run + QStringLiteral("/adapter"));
    ps::RunConfig config;
    config.model_name_or_path = model_.toStdString();
    config.template_ = "alpaca";
    QFile yaml(run + QStringLiteral("/config.yaml"));
    QVERIFY(yaml.open(QIODevice::WriteOnly));
    yaml.write(QByteArray::fromStdString(ps::runConfigToYaml(config)));
    yaml.close();
    for (const char* f : {"/adapter_config.json", "/adapter_model.safetensors"})
        QVERIFY(QFile::copy(adapter_ + QLatin1String(f), run + QStringLiteral("/adapter") + QLatin1String(f)));

    const PlaygroundSetup s = resolvePlaygroundSetup(run, QString());
    QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
    QCOMPARE(s.baseDir, model_);
    QCOMPARE(QDir::cleanPath(s.adapterDir), QDir::cleanPath(run + QStringLiteral("/adapter")));
    QVERIFY(s.chatFamily.has_value());
    QCOMPARE(*s.chatFamily, ps::ChatFamily::Alpaca);
    // An explicit base wins over the run's; a plain folder has no template hint.
    QCOMPARE(resolvePlaygroundSetup(run, QStringLiteral("/elsewhere")).baseDir, QStringLiteral("/elsewhere"));
    QVERIFY(!resolvePlaygroundSetup(adapter_, model_).chatFamily.has_value());
    // Not an adapter: an error naming it.
    QVERIFY(resolvePlaygroundSetup(tmp_.path() + QStringLiteral("/nope"), QString())
                .error.contains(QStringLiteral("nope")));
}

QTEST_MAIN(TestPlaygroundPage)
#include "tst_playground_page.moc"
