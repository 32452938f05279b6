// GGUF LoRA export: the file read back (header, metadata, tensor names, shapes, values) equals
// the adapter after the documented transforms; methods llama.cpp cannot load are refused with
// an error naming them; the Ollama Modelfile is written next to the file.
#include "../adapters/adapter_test_util.h"

#include "ps/export.h"
#include "ps/gguf.h"

#include <filesystem>
#include <regex>

using namespace ps;
using namespace ps::testing;

namespace {

// HF module suffix -> llama.cpp tensor, written out from llama.cpp's names (constants.py
// TENSOR_NAMES / tensor_mapping.py) for the expectations of this test.
const std::map<std::string, std::string> kSpecNames = {
    {"self_attn.q_proj", "attn_q"}, {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"}, {"self_attn.o_proj", "attn_output"},
    {"mlp.gate_proj", "ffn_gate"},  {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},  {"attn.c_attn", "attn_qkv"},
    {"attn.c_proj", "attn_output"}, {"mlp.c_fc", "ffn_up"},
};

struct ExpectedTensor {
    torch::Tensor values; // torch orientation [rows, cols] = GGML ne {cols, rows}
};

// The convert_hf_to_gguf.py RoPE permutation of rows, written with torch ops.
torch::Tensor permuteRows(const torch::Tensor& w, std::int64_t heads) {
    const auto rows = w.size(0);
    return w.reshape({heads, 2, rows / heads / 2, w.size(1)}).transpose(1, 2).reshape(w.sizes());
}

// Expected GGUF tensors of an adapter fixture: peft key -> "blk.N.<name>.weight.lora_a|b".
std::map<std::string, ExpectedTensor> expectedTensors(const std::string& adapterDir, bool llamaPermute) {
    static const std::regex key(
        R"(base_model\.model\.(?:model\.layers|transformer\.h)\.(\d+)\.(.+)\.lora_([AB])\.weight)");
    std::map<std::string, ExpectedTensor> out;
    for (auto& [name, t] : loadAllTensors(adapterDir + "/adapter_model.safetensors")) {
        std::smatch m;
        if (!std::regex_match(name, m, key))
            throw Error("unexpected tensor " + name);
        const std::string module = m[2];
        torch::Tensor v = t.to(torch::kFloat32);
        if (m[3] == "B" && llamaPermute && module == "self_attn.q_proj")
            v = permuteRows(v, 4); // tiny-llama: 4 attention heads
        if (m[3] == "B" && llamaPermute && module == "self_attn.k_proj")
            v = permuteRows(v, 2); // 2 key/value heads
        const std::string gguf =
            "blk." + std::string(m[1]) + "." + kSpecNames.at(module) + ".weight.lora_" + (m[3] == "A" ? "a" : "b");
        out[gguf] = {v};
    }
    return out;
}

torch::Tensor tensorOf(const GgufFile& f, const GgufTensorInfo& t) {
    auto values = f.floatValues(t);
    return torch::tensor(values).reshape({static_cast<std::int64_t>(t.ne[1]), static_cast<std::int64_t>(t.ne[0])});
}

} // namespace

class TestGgufExport final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void deltaMatchesWhatLlamaCppComputes();
    void f16Payload();
    void rsloraScalingBecomesAlpha();
    void rejectedMethods_data();
    void rejectedMethods();
    void doraIsRejected();
    void modelfileTemplate();
    void outputFolderAndOverwrite();
    void corruptExportIsReportedWithTheFileName();
};

void TestGgufExport::roundTrip_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("architecture");
    QTest::newRow("llama q,v (GQA-narrow v)") << "lora-r4-qv"
                                              << "llama";
    QTest::newRow("llama all 7 projections (k with 2 kv heads)") << "lora-r8-all"
                                                                 << "llama";
    QTest::newRow("gpt2 fused qkv Conv1D (fan_in_fan_out)") << "lora-gpt2"
                                                            << "gpt2";
}

void TestGgufExport::roundTrip() {
    QFETCH(QString, fixture);
    QFETCH(QString, architecture);
    const std::string dir = adapterFixture(fixture.toStdString());
    TempDir tmp;
    const auto report = exportGgufLora(dir, baseOfAdapterFixture(fixture.toStdString()), tmp.sub("a.gguf"));
    QCOMPARE(report.ggufPath, tmp.sub("a.gguf"));
    const auto f = GgufFile::open(report.ggufPath);
    QCOMPARE(f->version(), 3u);
    QCOMPARE(QString::fromStdString(f->requireString("general.architecture")), architecture);
    QCOMPARE(f->requireString("general.type"), std::string("adapter"));
    QCOMPARE(f->requireString("adapter.type"), std::string("lora"));
    const Json config = parseJsonFile(dir + "/adapter_config.json");
    QCOMPARE(f->requireFloat("adapter.lora.alpha"), config["lora_alpha"].get<double>());
    QCOMPARE(f->find("adapter.lora.alpha")->type, GgufValueType::Float32); // llama.cpp reads it as f32

    const auto expected = expectedTensors(dir, architecture == QLatin1String("llama"));
    QCOMPARE(f->tensors().size(), expected.size());
    const std::int64_t r = config["r"].get<std::int64_t>();
    std::uint64_t previousEnd = 0;
    for (const auto& t : f->tensors()) {
        const auto it = expected.find(t.name);
        QVERIFY2(it != expected.end(), t.name.c_str());
        QCOMPARE(t.type, kGgmlTypeF32);
        QCOMPARE(t.ne.size(), std::size_t(2));
        // lora_a: ne {n_in, r}; lora_b: ne {r, n_out}.
        const bool isA = t.name.back() == 'a';
        QCOMPARE(static_cast<std::int64_t>(isA ? t.ne[1] : t.ne[0]), r);
        const auto got = tensorOf(*f, t);
        QCOMPARE(got.sizes(), it->second.values.sizes());
        QVERIFY2(maxAbsDiff(got, it->second.values) <= 1e-6, t.name.c_str());
        // 32-byte aligned, packed as llama.cpp's loader expects.
        QCOMPARE(t.dataOffset % 32, std::uint64_t(0));
        QCOMPARE(t.offset, (previousEnd + 31) / 32 * 32);
        previousEnd = t.offset + t.nbytes;
    }
}

void TestGgufExport::deltaMatchesWhatLlamaCppComputes() {
    // llama.cpp adds B_g (A_g x) * alpha / r, r = lora_b's ne[0], to the converted base weight,
    // whose q rows are permuted: the GGUF delta must be the permuted peft delta B A * alpha / r.
    const std::string dir = adapterFixture("lora-r4-qv");
    TempDir tmp;
    exportGgufLora(dir, baseOfAdapterFixture("lora-r4-qv"), tmp.sub("q.gguf"));
    const auto f = GgufFile::open(tmp.sub("q.gguf"));
    const double alpha = f->requireFloat("adapter.lora.alpha");
    const auto* a = f->findTensor("blk.1.attn_q.weight.lora_a");
    const auto* b = f->findTensor("blk.1.attn_q.weight.lora_b");
    QVERIFY(a && b);
    const auto delta = torch::matmul(tensorOf(*f, *b), tensorOf(*f, *a)) * (alpha / static_cast<double>(b->ne[0]));
    torch::Tensor peftA, peftB;
    for (auto& [name, t] : loadAllTensors(dir + "/adapter_model.safetensors")) {
        if (name == "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight")
            peftA = t;
        if (name == "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight")
            peftB = t;
    }
    const auto peftDelta = torch::matmul(peftB, peftA) * (8.0 / 4.0); // lora_alpha 8, r 4
    QVERIFY(maxAbsDiff(delta, permuteRows(peftDelta, 4)) <= 1e-6);
    QVERIFY(maxAbsDiff(delta, peftDelta) > 1e-4); // the permutation is not a no-op here
}

void TestGgufExport::f16Payload() {
    const std::string dir = adapterFixture("lora-gpt2");
    TempDir tmp;
    GgufExportOptions options;
    options.dtype = DType::F16;
    exportGgufLora(dir, baseOfAdapterFixture("lora-gpt2"), tmp.sub("h.gguf"), options);
    const auto f = GgufFile::open(tmp.sub("h.gguf"));
    QCOMPARE(f->find("general.file_type")->u, std::uint64_t(1)); // MOSTLY_F16
    const auto expected = expectedTensors(dir, false);
    for (const auto& t : f->tensors()) {
        QCOMPARE(t.type, kGgmlTypeF16);
        const auto& want = expected.at(t.name).values;
        QVERIFY(maxAbsDiff(tensorOf(*f, t), want.to(torch::kFloat16).to(torch::kFloat32)) == 0.0);
    }
    options.dtype = DType::BF16;
    QVERIFY(errorOf([&] {
                exportGgufLora(dir, baseOfAdapterFixture("lora-gpt2"), tmp.sub("b.gguf"), options);
            }).find("f16") != std::string::npos);
}

void TestGgufExport::rsloraScalingBecomesAlpha() {
    // rsLoRA scales by alpha / sqrt(r); llama.cpp by alpha' / r: alpha' = alpha * sqrt(r).
    const std::string base = modelFixture("tiny-llama");
    AdapterSpec spec;
    spec.r = 4;
    spec.alpha = 8;
    spec.useRslora = true;
    spec.targetModules = {"v_proj"};
    adapters::PeftModel pm(loadFloatModel(base), spec, 3);
    {
        torch::NoGradGuard noGrad;
        for (const auto& [key, t] : pm.tensors())
            t.add_(torch::randn_like(t) * 0.1);
    }
    TempDir tmp;
    pm.save(tmp.sub("rs"), base);
    const auto report = exportGgufLora(tmp.sub("rs"), base, tmp.sub("rs.gguf"));
    QCOMPARE(report.alpha, 16.0);
    const auto f = GgufFile::open(tmp.sub("rs.gguf"));
    QCOMPARE(f->requireFloat("adapter.lora.alpha"), 16.0);
    for (const auto& [key, t] : pm.tensors())
        if (key == "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight")
            QVERIFY(maxAbsDiff(tensorOf(*f, *f->findTensor("blk.0.attn_v.weight.lora_b")), t) <= 1e-6);
}

void TestGgufExport::rejectedMethods_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("named");
    QTest::addColumn<QString>("suggestion");
    QTest::newRow("ia3") << "ia3"
                         << "IA3"
                         << "--format merged";
    QTest::newRow("ia3 on gpt2") << "ia3-gpt2"
                                 << "IA3"
                                 << "--format merged";
    QTest::newRow("loha") << "loha"
                          << "LOHA"
                          << "--format merged";
    QTest::newRow("lokr") << "lokr"
                          << "LOKR"
                          << "--format merged";
    QTest::newRow("prompt tuning") << "prompt-tuning"
                                   << "PROMPT_TUNING"
                                   << "--format peft";
    QTest::newRow("prefix tuning") << "prefix-tuning"
                                   << "PREFIX_TUNING"
                                   << "--format peft";
    QTest::newRow("lora with trained biases") << "lora-bias-all"
                                              << "bias"
                                              << "--format merged";
    QTest::newRow("lora with modules_to_save lm_head") << "lora-modules-to-save"
                                                       << "modules_to_save"
                                                       << "--format merged";
}

void TestGgufExport::rejectedMethods() {
    QFETCH(QString, fixture);
    QFETCH(QString, named);
    QFETCH(QString, suggestion);
    TempDir tmp;
    const std::string err = errorOf([&] {
        exportGgufLora(adapterFixture(fixture.toStdString()), baseOfAdapterFixture(fixture.toStdString()),
                       tmp.sub("x.gguf"));
    });
    QVERIFY2(QString::fromStdString(err).contains(named), err.c_str());
    QVERIFY2(QString::fromStdString(err).contains(suggestion), err.c_str());
    QVERIFY(!isRegularFile(tmp.sub("x.gguf")));
    QVERIFY(!isRegularFile(tmp.sub("Modelfile")));
}

void TestGgufExport::doraIsRejected() {
    const std::string base = modelFixture("tiny-llama");
    AdapterSpec spec;
    spec.r = 4;
    spec.useDora = true;
    spec.targetModules = {"q_proj"};
    adapters::PeftModel pm(loadFloatModel(base), spec, 5);
    TempDir tmp;
    pm.save(tmp.sub("dora"), base);
    const std::string err = errorOf([&] { exportGgufLora(tmp.sub("dora"), base, tmp.sub("d.gguf")); });
    QVERIFY2(err.find("DoRA") != std::string::npos && err.find("--format merged") != std::string::npos, err.c_str());
}

void TestGgufExport::modelfileTemplate() {
    TempDir tmp;
    // A base with a ChatML chat template: detected for the Modelfile.
    const std::string base = tmp.sub("tiny-llama");
    std::filesystem::create_directories(base);
    for (const char* f : {"config.json", "model.safetensors"})
        std::filesystem::copy_file(modelFixture("tiny-llama") + "/" + f, base + "/" + f);
    writeFileAtomic(base + "/tokenizer_config.json",
                    R"({"eos_token": "<|im_end|>", "chat_template": "{% for message in messages %}{{'<|im_start|>' + )"
                    R"(message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"})");
    const auto report = exportGgufLora(adapterFixture("lora-r4-qv"), base, tmp.sub("out"));
    QCOMPARE(report.chatFamily, std::string("chatml"));
    QCOMPARE(report.ggufPath, tmp.sub("out/lora-r4-qv.gguf"));
    const std::string modelfile = readFile(report.modelfilePath);
    QCOMPARE(report.modelfilePath, tmp.sub("out/Modelfile"));
    QVERIFY2(modelfile.find("\nADAPTER ./lora-r4-qv.gguf\n") != std::string::npos, modelfile.c_str());
    QVERIFY2(modelfile.find("\nFROM ./tiny-llama.gguf\n") != std::string::npos, modelfile.c_str());
    QVERIFY(modelfile.find("TEMPLATE \"\"\"{{ if .System }}<|im_start|>system") != std::string::npos);
    QVERIFY(modelfile.find("PARAMETER stop \"<|im_end|>\"") != std::string::npos);

    // An explicit family and FROM win; a base without a template gets a plain prompt.
    GgufExportOptions options;
    options.chatFamily = "llama3";
    options.ollamaFrom = "llama3.2:1b";
    options.overwrite = true;
    exportGgufLora(adapterFixture("lora-r4-qv"), base, tmp.sub("out"), options);
    const std::string llama3 = readFile(tmp.sub("out/Modelfile"));
    QVERIFY(llama3.find("\nFROM llama3.2:1b\n") != std::string::npos);
    QVERIFY(llama3.find("PARAMETER stop \"<|eot_id|>\"") != std::string::npos);
    const auto plain = exportGgufLora(adapterFixture("lora-gpt2"), baseOfAdapterFixture("lora-gpt2"), tmp.sub("p"));
    QCOMPARE(plain.chatFamily, std::string("plain"));
    QVERIFY(readFile(plain.modelfilePath).find("TEMPLATE \"\"\"{{ .Prompt }}\"\"\"") != std::string::npos);
    options.chatFamily = "nonsense";
    QVERIFY(errorOf([&] {
                exportGgufLora(adapterFixture("lora-r4-qv"), base, tmp.sub("out"), options);
            }).find("chatml") != std::string::npos);
}

void TestGgufExport::outputFolderAndOverwrite() {
    TempDir tmp;
    const std::string dir = adapterFixture("lora-gpt2");
    const std::string base = baseOfAdapterFixture("lora-gpt2");
    exportGgufLora(dir, base, tmp.sub("x.gguf"));
    const std::string err = errorOf([&] { exportGgufLora(dir, base, tmp.sub("x.gguf")); });
    QVERIFY2(err.find("--force") != std::string::npos, err.c_str());
    GgufExportOptions options;
    options.overwrite = true;
    options.writeModelfile = false;
    writeFileAtomic(tmp.sub("Modelfile"), "keep");
    exportGgufLora(dir, base, tmp.sub("x.gguf"), options);
    QCOMPARE(readFile(tmp.sub("Modelfile")), std::string("keep"));
    // Nothing but the two outputs was left in the folder (atomic writes clean up).
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path()))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    QCOMPARE(names, (std::vector<std::string>{"Modelfile", "x.gguf"}));
    QVERIFY(errorOf([&] { exportGgufLora(dir, "", tmp.sub("y.gguf")); }).find("--base") != std::string::npos);
}

void TestGgufExport::corruptExportIsReportedWithTheFileName() {
    TempDir tmp;
    exportGgufLora(adapterFixture("lora-r4-qv"), baseOfAdapterFixture("lora-r4-qv"), tmp.sub("c.gguf"));
    const std::string bytes = readFile(tmp.sub("c.gguf"));
    writeFileAtomic(tmp.sub("cut.gguf"), bytes.substr(0, bytes.size() / 2));
    std::string corrupt = bytes;
    corrupt[4] = 9; // version 9
    writeFileAtomic(tmp.sub("bad.gguf"), corrupt);
    for (const char* name : {"cut.gguf", "bad.gguf"}) {
        const std::string err = errorOf([&] { GgufFile::open(tmp.sub(name)); });
        QVERIFY2(err.find(tmp.sub(name)) != std::string::npos, err.c_str());
    }
}

QTEST_APPLESS_MAIN(TestGgufExport)
#include "tst_gguf_export.moc"
