// Bad adapter folders fail loudly with a message naming the tensor (peft ignores unknown keys
// and only warns about missing ones), both when loading and when validating from headers.
#include "adapter_test_util.h"

#include "ps/adapter.h"

#include <filesystem>

using namespace ps;
using namespace ps::testing;

class TestAdapterErrors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void badTensorsAreNamed_data();
    void badTensorsAreNamed();
    void badConfigsAreExplained_data();
    void badConfigsAreExplained();
    void missingFiles();
};

namespace {

const std::string kFixture = "lora-r4-qv";
const std::string kPrefix = "base_model.model.model.layers.";

// Copies the lora-r4-qv fixture into `dir`, letting `edit` change its tensors and `config` its JSON.
void writeVariant(const std::string& dir, const std::function<void(NamedTensors&)>& edit,
                  const std::function<void(Json&)>& config = {}) {
    const std::string src = adapterFixture(kFixture);
    NamedTensors tensors = loadAllTensors(src + "/adapter_model.safetensors");
    edit(tensors);
    saveTensors(dir + "/adapter_model.safetensors", tensors);
    Json j = parseJsonFile(src + "/adapter_config.json");
    if (config)
        config(j);
    writeFileAtomic(dir + "/adapter_config.json", j.dump(2));
}

// Both ways of using an adapter folder must fail with `needle` in the message.
void expectBoth(const std::string& dir, const std::string& needle) {
    const std::string base = baseOfAdapterFixture(kFixture);
    const std::string loadError = errorOf([&] { adapters::PeftModel::load(dir, loadFloatModel(base)); });
    const std::string validateError = errorOf([&] { validateAdapter(dir, base); });
    QVERIFY2(loadError.find(needle) != std::string::npos,
             qPrintable(QString::fromStdString("load: '" + loadError + "' lacks '" + needle + "'")));
    QVERIFY2(validateError.find(needle) != std::string::npos,
             qPrintable(QString::fromStdString("validate: '" + validateError + "' lacks '" + needle + "'")));
}

} // namespace

void TestAdapterErrors::badTensorsAreNamed_data() {
    QTest::addColumn<QString>("what");
    QTest::newRow("unknown key: k_proj is not a target") << QStringLiteral("unknown");
    QTest::newRow("missing key: layer 1 v_proj lora_B dropped") << QStringLiteral("missing");
    QTest::newRow("shape mismatch: lora_A [4, 63]") << QStringLiteral("shape");
    QTest::newRow("nonexistent module: layer 7 of a 2-layer model") << QStringLiteral("nonexistent");
    QTest::newRow("stray key without the peft prefix") << QStringLiteral("stray");
}

void TestAdapterErrors::badTensorsAreNamed() {
    QFETCH(QString, what);
    TempDir tmp;
    const std::string kind = what.toStdString();
    std::string needle;
    writeVariant(tmp.path(), [&](NamedTensors& t) {
        if (kind == "unknown") {
            needle = kPrefix + "0.self_attn.k_proj.lora_A.weight";
            t.emplace_back(needle, torch::zeros({4, 64}));
        } else if (kind == "missing") {
            needle = kPrefix + "1.self_attn.v_proj.lora_B.weight";
            t.erase(std::remove_if(t.begin(), t.end(), [&](const auto& p) { return p.first == needle; }), t.end());
        } else if (kind == "shape") {
            needle = kPrefix + "0.self_attn.q_proj.lora_A.weight";
            for (auto& [name, tensor] : t)
                if (name == needle)
                    tensor = torch::zeros({4, 63});
        } else if (kind == "nonexistent") {
            needle = kPrefix + "7.self_attn.q_proj.lora_A.weight";
            t.emplace_back(needle, torch::zeros({4, 64}));
        } else {
            needle = "model.layers.0.self_attn.q_proj.weight";
            t.emplace_back(needle, torch::zeros({64, 64}));
        }
    });
    expectBoth(tmp.path(), "'" + needle + "'");
    if (kind == "shape")
        expectBoth(tmp.path(), "[4, 63]");
    if (kind == "nonexistent")
        expectBoth(tmp.path(), "does not exist");
    if (kind == "missing")
        expectBoth(tmp.path(), "missing tensor");
}

void TestAdapterErrors::badConfigsAreExplained_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("needle");
    QTest::newRow("target module not in the model")
        << QStringLiteral("target_modules") << QStringLiteral("[\"query_key_value\"]")
        << QStringLiteral("query_key_value");
    QTest::newRow("target that is a norm, not a projection")
        << QStringLiteral("target_modules") << QStringLiteral("[\"input_layernorm\"]")
        << QStringLiteral("not a projection");
    QTest::newRow("unsupported peft_type")
        << QStringLiteral("peft_type") << QStringLiteral("\"ADALORA\"") << QStringLiteral("ADALORA");
    QTest::newRow("seq-cls task") << QStringLiteral("task_type") << QStringLiteral("\"SEQ_CLS\"")
                                  << QStringLiteral("SEQ_CLS");
    QTest::newRow("r of the wrong type") << QStringLiteral("r") << QStringLiteral("\"four\"") << QStringLiteral("'r'");
    QTest::newRow("bad regex target") << QStringLiteral("target_modules") << QStringLiteral("\"model.(q_proj\"")
                                      << QStringLiteral("invalid regex");
}

void TestAdapterErrors::badConfigsAreExplained() {
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, needle);
    TempDir tmp;
    writeVariant(
        tmp.path(), [](NamedTensors&) {}, [&](Json& j) { j[key.toStdString()] = Json::parse(value.toStdString()); });
    expectBoth(tmp.path(), needle.toStdString());
    expectBoth(tmp.path(), "adapter_config.json");
}

void TestAdapterErrors::missingFiles() {
    TempDir tmp;
    const std::string base = baseOfAdapterFixture(kFixture);
    QVERIFY(errorOf([&] { validateAdapter(tmp.sub("nope"), base); }).find("not") != std::string::npos);
    QVERIFY(errorOf([&] { adapters::PeftModel::load(tmp.path(), loadFloatModel(base)); }).find("adapter_config.json") !=
            std::string::npos);
    writeVariant(tmp.path(), [](NamedTensors&) {});
    std::filesystem::rename(tmp.sub("adapter_model.safetensors"), tmp.sub("adapter_model.bin"));
    QVERIFY(errorOf([&] { adapters::PeftModel::load(tmp.path(), loadFloatModel(base)); }).find("adapter_model.bin") !=
            std::string::npos);
    // A prompt-tuning adapter cannot be merged; the export says so before loading anything.
    const std::string err = errorOf([&] {
        exportMerged(adapterFixture("prompt-tuning"), baseOfAdapterFixture("prompt-tuning"), tmp.sub("out"),
                     DType::F32);
    });
    QVERIFY2(err.find("cannot be merged") != std::string::npos, err.c_str());
}

QTEST_APPLESS_MAIN(TestAdapterErrors)
#include "tst_adapter_errors.moc"
