// The export compatibility report: one row per rule, on peft-made fixtures and on adapters
// written here whose tensors (not their folder names) carry the feature under test.
#include "ps/error.h"
#include "ps/export_compat.h"
#include "ps/safetensors.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <map>

using namespace ps;

namespace {

std::string fixture(const std::string& rel) {
    return std::string(PS_FIXTURES) + "/" + rel;
}

struct FakeTensor {
    std::string name;
    std::vector<std::int64_t> shape;
};

// An adapter folder: adapter_config.json = `config`, tensors of zeros with the given names/shapes.
void writeAdapter(const std::string& dir, const Json& config, const std::vector<FakeTensor>& tensors) {
    std::filesystem::create_directories(dir);
    writeFileAtomic(joinPath(dir, "adapter_config.json"), config.dump(2));
    std::vector<std::vector<float>> data;
    std::vector<TensorToWrite> out;
    data.reserve(tensors.size());
    for (const auto& t : tensors) {
        std::int64_t n = 1;
        for (auto d : t.shape)
            n *= d;
        data.emplace_back(static_cast<std::size_t>(n), 0.0f);
        out.push_back({t.name, DType::F32, t.shape, data.back().data()});
    }
    writeSafetensors(joinPath(dir, "adapter_model.safetensors"), out);
}

Json loraConfig(std::int64_t r, const std::vector<std::string>& targets) {
    return Json{{"peft_type", "LORA"},
                {"r", r},
                {"lora_alpha", 2 * r},
                {"target_modules", targets},
                {"bias", "none"},
                {"task_type", "CAUSAL_LM"},
                {"base_model_name_or_path", "tiny-llama"}};
}

// LoRA on layer 0's q_proj of tiny-llama (hidden 64) with rank r.
std::vector<FakeTensor> qProjLora(std::int64_t r) {
    const std::string m = "base_model.model.model.layers.0.self_attn.q_proj";
    return {{m + ".lora_A.weight", {r, 64}}, {m + ".lora_B.weight", {64, r}}};
}

QString verdicts(const CompatReport& r) {
    QStringList out;
    for (const auto& e : r.runtimes)
        out << QString::fromLatin1(compatVerdictName(e.verdict));
    return out.join(QLatin1Char(','));
}

QString allReasons(const CompatReport& r) {
    QString out;
    for (const auto& e : r.runtimes)
        for (const auto& reason : e.reasons)
            out += QString::fromLatin1(exportRuntimeName(e.runtime)) + QStringLiteral(": ") +
                   QString::fromStdString(reason) + QLatin1Char('\n');
    return out;
}

} // namespace

class TestExportCompat final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void rules_data();
    void rules();
    void runtimesInOrderAndFormatted();
    void notAnAdapter();

private:
    QTemporaryDir tmp_;
    std::map<QString, std::string> made_; // crafted adapters by name
};

void TestExportCompat::initTestCase() {
    QVERIFY(tmp_.isValid());
    const std::string root = tmp_.path().toStdString();
    const auto add = [&](const char* name, const Json& config, const std::vector<FakeTensor>& tensors) {
        const std::string dir = joinPath(root, name);
        writeAdapter(dir, config, tensors);
        made_[QLatin1String(name)] = dir;
    };
    const std::string q = "base_model.model.model.layers.0.self_attn.q_proj";
    {
        Json c = loraConfig(4, {"q_proj"});
        c["use_dora"] = true;
        auto t = qProjLora(4);
        t.push_back({q + ".lora_magnitude_vector", {64}});
        add("dora", c, t);
    }
    {
        // The config does not say DoRA, the tensors do: the tensors win.
        auto t = qProjLora(4);
        t.push_back({q + ".lora_magnitude_vector", {64}});
        add("dora-tensors-only", loraConfig(4, {"q_proj"}), t);
    }
    add("embedding-lora", loraConfig(4, {"embed_tokens"}),
        {{"base_model.model.model.embed_tokens.lora_embedding_A", {4, 1000}},
         {"base_model.model.model.embed_tokens.lora_embedding_B", {64, 4}}});
    add("head-lora", loraConfig(4, {"lm_head"}),
        {{"base_model.model.lm_head.lora_A.weight", {4, 64}}, {"base_model.model.lm_head.lora_B.weight", {1000, 4}}});
    add("rank16", loraConfig(16, {"q_proj"}), qProjLora(16));
    // The config says r=8; the tensors have rank 32 (a rank_pattern the config spells differently).
    add("rank32", loraConfig(8, {"q_proj"}), qProjLora(32));
    add("rank600", loraConfig(600, {"q_proj"}), qProjLora(600));
    {
        Json c = loraConfig(4, {"q_proj"});
        c["base_model_name_or_path"] = "/home/someone/models/tiny-llama";
        add("absolute-base", c, qProjLora(4));
    }
    {
        Json c = loraConfig(4, {"q_proj"});
        c["base_model_name_or_path"] = "C:\\models\\tiny-llama";
        add("windows-absolute-base", c, qProjLora(4));
    }
}

void TestExportCompat::rules_data() {
    QTest::addColumn<QString>("adapter");  // fixture "adapters/x" or a crafted name
    QTest::addColumn<QString>("base");     // fixture "models/x" or ""
    QTest::addColumn<QString>("expected"); // peft,transformers,vLLM,llama.cpp
    QTest::addColumn<QString>("reason");   // a substring of some reason ("" = none needed)

    QTest::newRow("plain LoRA on llama: loads everywhere") << "adapters/lora-r4-qv"
                                                           << "models/tiny-llama"
                                                           << "ok,ok,ok,ok"
                                                           << "";
    QTest::newRow("LoRA on gpt2 Conv1D: GGUF has attn_qkv") << "adapters/lora-gpt2"
                                                            << "models/tiny-gpt2"
                                                            << "ok,ok,ok,ok"
                                                            << "";
    QTest::newRow("DoRA: vLLM and llama.cpp refuse the magnitude vectors") << "dora"
                                                                           << "models/tiny-llama"
                                                                           << "ok,ok,unsupported,unsupported"
                                                                           << "DoRA magnitude vectors";
    QTest::newRow("DoRA seen in the tensors although the config omits use_dora") << "dora-tensors-only"
                                                                                 << "models/tiny-llama"
                                                                                 << "ok,ok,unsupported,unsupported"
                                                                                 << "peft 0.9";
    QTest::newRow("LoHa: peft only, transformers 5 with a warning") << "adapters/loha"
                                                                    << "models/tiny-llama"
                                                                    << "ok,warning,unsupported,unsupported"
                                                                    << "transformers 4.x";
    QTest::newRow("LoKr: peft only, transformers 5 with a warning") << "adapters/lokr"
                                                                    << "models/tiny-llama"
                                                                    << "ok,warning,unsupported,unsupported"
                                                                    << "LOKR";
    QTest::newRow("IA3: transformers' PEFT integration loads it, vLLM and llama.cpp do not")
        << "adapters/ia3"
        << "models/tiny-llama"
        << "ok,ok,unsupported,unsupported"
        << "LoRA adapters only, not IA3";
    QTest::newRow("prompt tuning: peft only") << "adapters/prompt-tuning"
                                              << "models/tiny-llama"
                                              << "ok,unsupported,unsupported,unsupported"
                                              << "virtual tokens";
    QTest::newRow("prefix tuning: peft only") << "adapters/prefix-tuning"
                                              << "models/tiny-gpt2"
                                              << "ok,unsupported,unsupported,unsupported"
                                              << "PeftModel.from_pretrained";
    QTest::newRow("modules_to_save lm_head: vLLM and llama.cpp refuse") << "adapters/lora-modules-to-save"
                                                                        << "models/tiny-llama"
                                                                        << "ok,ok,unsupported,unsupported"
                                                                        << "modules_to_save (lm_head)";
    QTest::newRow("bias=all: vLLM needs --enable-lora-bias, GGUF cannot") << "adapters/lora-bias-all"
                                                                          << "models/tiny-gpt2"
                                                                          << "ok,ok,warning,unsupported"
                                                                          << "--enable-lora-bias";
    QTest::newRow("embedding LoRA: vLLM and llama.cpp refuse") << "embedding-lora"
                                                               << "models/tiny-llama"
                                                               << "ok,ok,unsupported,unsupported"
                                                               << "model.embed_tokens";
    QTest::newRow("lm_head LoRA on an untied model: llama.cpp has output.weight") << "head-lora"
                                                                                  << "models/tiny-llama"
                                                                                  << "ok,ok,unsupported,ok"
                                                                                  << "output head (lm_head)";
    QTest::newRow("lm_head LoRA on a tied model: no llama.cpp output tensor") << "head-lora"
                                                                              << "models/tiny-llama-tied"
                                                                              << "ok,ok,unsupported,unsupported"
                                                                              << "tied embeddings";
    QTest::newRow("rank 16: vLLM's default max rank") << "rank16"
                                                      << "models/tiny-llama"
                                                      << "ok,ok,ok,ok"
                                                      << "";
    QTest::newRow("rank 32 from the tensors: vLLM needs --max-lora-rank 32") << "rank32"
                                                                             << "models/tiny-llama"
                                                                             << "ok,ok,warning,ok"
                                                                             << "--max-lora-rank 32";
    QTest::newRow("rank 600: above vLLM's largest max rank") << "rank600"
                                                             << "models/tiny-llama"
                                                             << "ok,ok,unsupported,ok"
                                                             << "above vLLM's largest";
    QTest::newRow("absolute base path: not portable") << "absolute-base"
                                                      << "models/tiny-llama"
                                                      << "warning,warning,ok,ok"
                                                      << "/home/someone/models/tiny-llama";
    QTest::newRow("Windows absolute base path: not portable") << "windows-absolute-base"
                                                              << "models/tiny-llama"
                                                              << "warning,warning,ok,ok"
                                                              << "only exists on this machine";
    QTest::newRow("no base model: llama.cpp architecture unchecked") << "adapters/lora-r4-qv"
                                                                     << ""
                                                                     << "ok,ok,ok,warning"
                                                                     << "not checked";
}

void TestExportCompat::rules() {
    QFETCH(QString, adapter);
    QFETCH(QString, base);
    QFETCH(QString, expected);
    QFETCH(QString, reason);
    const auto it = made_.find(adapter);
    const std::string dir = it != made_.end() ? it->second : fixture(adapter.toStdString());
    const std::string baseDir = base.isEmpty() ? std::string() : fixture(base.toStdString());
    const CompatReport r = exportCompatibility(dir, baseDir);
    QCOMPARE(verdicts(r), expected);
    // Every verdict other than ok says why.
    for (const auto& e : r.runtimes)
        if (e.verdict != CompatVerdict::Ok)
            QVERIFY2(!e.reasons.empty(), exportRuntimeName(e.runtime));
    if (!reason.isEmpty())
        QVERIFY2(allReasons(r).contains(reason), qPrintable(allReasons(r)));
}

void TestExportCompat::runtimesInOrderAndFormatted() {
    const CompatReport r = exportCompatibility(made_.at(QStringLiteral("dora")), fixture("models/tiny-llama"));
    QCOMPARE(r.runtimes.size(), std::size_t(4));
    QCOMPARE(r.runtimes[0].runtime, ExportRuntime::Peft);
    QCOMPARE(r.runtimes[3].runtime, ExportRuntime::LlamaCpp);
    QCOMPARE(r.worst(), CompatVerdict::Unsupported);
    QCOMPARE(QString::fromStdString(r.method), QStringLiteral("DoRA r=4"));
    const QString text = QString::fromStdString(formatCompatReport(r));
    QVERIFY2(text.contains(QStringLiteral("[unsupported] vLLM")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("[ok] peft")), qPrintable(text));
}

void TestExportCompat::notAnAdapter() {
    try {
        exportCompatibility(tmp_.path().toStdString() + "/nothing-here");
        QFAIL("expected an error");
    } catch (const Error& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("nothing-here")), e.what());
    }
}

QTEST_APPLESS_MAIN(TestExportCompat)
#include "tst_export_compat.moc"
