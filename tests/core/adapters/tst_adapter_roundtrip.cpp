// Save -> load keeps every tensor and the logits, for every method on GPT-2 and Llama; the saved
// key names are exactly peft's (a manifest derived by hand, as peft's regression tests keep);
// adapter_config.json holds only the keys the options need.
#include "adapter_test_util.h"

#include "adapters/adapter_config.h"
#include "ps/adapter.h"

using namespace ps;
using namespace ps::testing;

using Keys = std::vector<std::string>;
Q_DECLARE_METATYPE(ps::AdapterSpec)
Q_DECLARE_METATYPE(Keys)

class TestAdapterRoundtrip : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void saveLoadKeepsTensorsAndLogits_data();
    void saveLoadKeepsTensorsAndLogits();
    void savedKeyManifest_data();
    void savedKeyManifest();
    void configHasOnlyNeededKeys();
    void basePathIsNeverAbsolute();
};

namespace {

AdapterSpec make(PeftMethod method) {
    AdapterSpec s;
    s.method = method;
    return s;
}

void addMethodRows() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<AdapterSpec>("spec");
    for (const char* model : {"tiny-gpt2", "tiny-llama"}) {
        const QString m = QString::fromLatin1(model);
        const QByteArray tag = QByteArray(model) + ": ";
        AdapterSpec lora = make(PeftMethod::Lora);
        lora.r = 4;
        lora.alpha = 16;
        QTest::newRow(tag + "LoRA default targets") << m << lora;
        AdapterSpec rs = lora;
        rs.useRslora = true;
        rs.targetModules = {"all-linear"};
        rs.dropout = 0.1;
        QTest::newRow(tag + "rsLoRA all-linear with dropout") << m << rs;
        AdapterSpec dora = lora;
        dora.useDora = true;
        QTest::newRow(tag + "DoRA") << m << dora;
        AdapterSpec patterns = lora;
        patterns.targetModules = {"all-linear"};
        patterns.layersToTransform = {1};
        patterns.rankPattern = {{"mlp\\..*", 2}};
        patterns.alphaPattern = {{".*proj", 3.0}};
        QTest::newRow(tag + "LoRA layers_to_transform + rank/alpha patterns") << m << patterns;
        AdapterSpec saved = lora;
        saved.modulesToSave = {"lm_head", model == std::string("tiny-gpt2") ? "wte" : "embed_tokens"};
        QTest::newRow(tag + "LoRA + modules_to_save head and embedding") << m << saved;
        if (model == std::string("tiny-gpt2")) {
            AdapterSpec all = lora;
            all.bias = "all";
            QTest::newRow(tag + "LoRA bias=all") << m << all;
            AdapterSpec only = lora;
            only.bias = "lora_only";
            QTest::newRow(tag + "LoRA bias=lora_only") << m << only;
        }
        QTest::newRow(tag + "IA3 defaults") << m << make(PeftMethod::Ia3);
        AdapterSpec loha = make(PeftMethod::Loha);
        loha.r = 4;
        loha.alpha = 8;
        QTest::newRow(tag + "LoHa") << m << loha;
        AdapterSpec lokr = make(PeftMethod::Lokr);
        lokr.r = 2;
        lokr.alpha = 4;
        lokr.decomposeBoth = true;
        QTest::newRow(tag + "LoKr low-rank w1 and w2") << m << lokr;
        AdapterSpec prompt = make(PeftMethod::PromptTuning);
        prompt.numVirtualTokens = 4;
        QTest::newRow(tag + "prompt tuning RANDOM") << m << prompt;
        AdapterSpec text = prompt;
        text.promptTuningInit = "TEXT";
        text.promptTuningInitText = "Classify:";
        text.promptTuningInitIds = {17, 42, 99};
        QTest::newRow(tag + "prompt tuning TEXT") << m << text;
        AdapterSpec prefix = make(PeftMethod::PrefixTuning);
        prefix.numVirtualTokens = 3;
        QTest::newRow(tag + "prefix tuning") << m << prefix;
        QTest::newRow(tag + "full fine-tuning") << m << make(PeftMethod::Full);
    }
}

// Adapters start as identities (B = 0, ones, ...): move every trainable tensor so that a
// wrong name or a dropped tensor changes the logits.
void perturb(adapters::PeftModel& pm) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(123);
    for (const auto& [key, t] : pm.tensors())
        t.add_(torch::randn_like(t) * 0.05);
}

std::vector<std::string> savedKeys(const std::string& dir) {
    std::vector<std::string> keys;
    for (const auto& t : inspectAdapter(dir).tensors)
        keys.push_back(t.name);
    return keys;
}

} // namespace

void TestAdapterRoundtrip::saveLoadKeepsTensorsAndLogits_data() {
    addMethodRows();
}

void TestAdapterRoundtrip::saveLoadKeepsTensorsAndLogits() {
    QFETCH(QString, model);
    QFETCH(AdapterSpec, spec);
    const std::string base = modelFixture(model.toStdString());
    adapters::PeftModel pm(loadFloatModel(base), spec, 7);
    perturb(pm);
    pm.train(false);
    torch::manual_seed(5);
    const auto ids = torch::randint(0, 1000, {2, 6}, torch::kInt64);
    const auto logits = logitsOf(pm, ids);

    TempDir tmp;
    const std::string dir = tmp.sub("adapter");
    pm.save(dir, base);
    validateAdapter(dir, base);
    auto loaded = adapters::PeftModel::load(dir, loadFloatModel(base));
    QCOMPARE(loaded->spec().method, spec.method);
    QCOMPARE(loaded->tensors().size(), pm.tensors().size());
    for (std::size_t i = 0; i < pm.tensors().size(); ++i) {
        QCOMPARE(loaded->tensors()[i].first, pm.tensors()[i].first);
        QVERIFY2(torch::equal(loaded->tensors()[i].second, pm.tensors()[i].second), pm.tensors()[i].first.c_str());
    }
    loaded->train(false);
    QVERIFY(maxAbsDiff(logitsOf(*loaded, ids), logits) <= 1e-6);
    QCOMPARE(loaded->numTrainable(), pm.numTrainable());

    if (loaded->canMerge()) {
        loaded->merge();
        const auto merged = logitsOf(loaded->model(), ids);
        QVERIFY2(maxAbsDiff(merged, logits) <= 1e-4, qPrintable(QString::number(maxAbsDiff(merged, logits))));
    } else {
        QVERIFY(!errorOf([&] { loaded->merge(); }).empty());
    }
}

void TestAdapterRoundtrip::savedKeyManifest_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<AdapterSpec>("spec");
    QTest::addColumn<Keys>("expected");
    const QString llama = QStringLiteral("tiny-llama"), gpt2 = QStringLiteral("tiny-gpt2");
    const std::string L = "base_model.model.model.layers.";
    const std::string H = "base_model.model.transformer.h.";
    {
        AdapterSpec s = make(PeftMethod::Lora); // default llama targets: q_proj, v_proj
        QTest::newRow("LoRA llama defaults")
            << llama << s << Keys{L + "0.self_attn.q_proj.lora_A.weight", L + "0.self_attn.q_proj.lora_B.weight",
                                  L + "0.self_attn.v_proj.lora_A.weight", L + "0.self_attn.v_proj.lora_B.weight",
                                  L + "1.self_attn.q_proj.lora_A.weight", L + "1.self_attn.q_proj.lora_B.weight",
                                  L + "1.self_attn.v_proj.lora_A.weight", L + "1.self_attn.v_proj.lora_B.weight"};
    }
    {
        AdapterSpec s = make(PeftMethod::Lora);
        s.useDora = true;
        s.targetModules = {"o_proj"};
        s.layersToTransform = {1};
        QTest::newRow("DoRA llama o_proj of layer 1")
            << llama << s
            << Keys{L + "1.self_attn.o_proj.lora_A.weight", L + "1.self_attn.o_proj.lora_B.weight",
                    L + "1.self_attn.o_proj.lora_magnitude_vector"};
    }
    {
        AdapterSpec s = make(PeftMethod::Lora);
        s.bias = "lora_only";
        QTest::newRow("LoRA gpt2 bias=lora_only")
            << gpt2 << s << Keys{H + "0.attn.c_attn.base_layer.bias", H + "0.attn.c_attn.lora_A.weight",
                                 H + "0.attn.c_attn.lora_B.weight",   H + "1.attn.c_attn.base_layer.bias",
                                 H + "1.attn.c_attn.lora_A.weight",   H + "1.attn.c_attn.lora_B.weight"};
    }
    {
        AdapterSpec s = make(PeftMethod::Lora);
        s.targetRegex = "model\\.layers\\.0\\.self_attn\\.q_proj";
        s.modulesToSave = {"lm_head", "embed_tokens"};
        QTest::newRow("LoRA llama regex target + modules_to_save")
            << llama << s
            << Keys{"base_model.model.lm_head.weight", "base_model.model.model.embed_tokens.weight",
                    L + "0.self_attn.q_proj.lora_A.weight", L + "0.self_attn.q_proj.lora_B.weight"};
    }
    {
        QTest::newRow("IA3 gpt2 defaults") << gpt2 << make(PeftMethod::Ia3)
                                           << Keys{H + "0.attn.c_attn.ia3_l", H + "0.mlp.c_proj.ia3_l",
                                                   H + "1.attn.c_attn.ia3_l", H + "1.mlp.c_proj.ia3_l"};
    }
    {
        AdapterSpec s = make(PeftMethod::Loha);
        s.targetModules = {"down_proj"};
        QTest::newRow("LoHa llama down_proj")
            << llama << s
            << Keys{L + "0.mlp.down_proj.hada_w1_a", L + "0.mlp.down_proj.hada_w1_b", L + "0.mlp.down_proj.hada_w2_a",
                    L + "0.mlp.down_proj.hada_w2_b", L + "1.mlp.down_proj.hada_w1_a", L + "1.mlp.down_proj.hada_w1_b",
                    L + "1.mlp.down_proj.hada_w2_a", L + "1.mlp.down_proj.hada_w2_b"};
    }
    {
        // q_proj 64x64 factors as 8x8 both ways; r=2 < 8/2: both factors low-rank.
        AdapterSpec s = make(PeftMethod::Lokr);
        s.r = 2;
        s.decomposeBoth = true;
        s.targetModules = {"q_proj"};
        QTest::newRow("LoKr llama q_proj decompose_both")
            << llama << s << Keys{L + "0.self_attn.q_proj.lokr_w1_a", L + "0.self_attn.q_proj.lokr_w1_b",
                                  L + "0.self_attn.q_proj.lokr_w2_a", L + "0.self_attn.q_proj.lokr_w2_b",
                                  L + "1.self_attn.q_proj.lokr_w1_a", L + "1.self_attn.q_proj.lokr_w1_b",
                                  L + "1.self_attn.q_proj.lokr_w2_a", L + "1.self_attn.q_proj.lokr_w2_b"};
    }
    QTest::newRow("prompt tuning") << llama << make(PeftMethod::PromptTuning) << Keys{"prompt_embeddings"};
    QTest::newRow("prefix tuning") << gpt2 << make(PeftMethod::PrefixTuning) << Keys{"prompt_embeddings"};
}

void TestAdapterRoundtrip::savedKeyManifest() {
    QFETCH(QString, model);
    QFETCH(AdapterSpec, spec);
    QFETCH(Keys, expected);
    const std::string base = modelFixture(model.toStdString());
    adapters::PeftModel pm(loadFloatModel(base), spec, 1);
    TempDir tmp;
    pm.save(tmp.sub("a"), base);
    const Keys actual = savedKeys(tmp.sub("a"));
    for (std::size_t i = 0; i < std::max(actual.size(), expected.size()); ++i)
        QCOMPARE(i < actual.size() ? actual[i] : std::string("<none>"),
                 i < expected.size() ? expected[i] : std::string("<none>"));
}

void TestAdapterRoundtrip::configHasOnlyNeededKeys() {
    AdapterSpec s = make(PeftMethod::Lora);
    s.r = 4;
    s.alpha = 16;
    s.dropout = 0.05;
    const std::string base = modelFixture("tiny-gpt2");
    adapters::PeftModel pm(loadFloatModel(base), s, 1);
    TempDir tmp;
    pm.save(tmp.path(), base);
    // peft's layout: sorted keys, indent 2, no trailing newline; fan_in_fan_out true because
    // c_attn is a Conv1D; no use_dora / use_rslora keys when they are off (peft 0.7 rejects them).
    const std::string expected = R"({
  "base_model_name_or_path": "tiny-gpt2",
  "bias": "none",
  "fan_in_fan_out": true,
  "inference_mode": true,
  "init_lora_weights": true,
  "lora_alpha": 16,
  "lora_dropout": 0.05,
  "peft_type": "LORA",
  "r": 4,
  "revision": null,
  "target_modules": [
    "c_attn"
  ],
  "task_type": "CAUSAL_LM"
})";
    QCOMPARE(readFile(tmp.sub("adapter_config.json")), expected);
    const auto file = SafetensorsFile::open(tmp.sub("adapter_model.safetensors"));
    QCOMPARE(file->metadata().at("format"), std::string("pt"));
}

void TestAdapterRoundtrip::basePathIsNeverAbsolute() {
    const std::string base = modelFixture("tiny-llama");
    adapters::PeftModel pm(loadFloatModel(base), make(PeftMethod::Ia3), 1);
    TempDir tmp;
    pm.save(tmp.path(), base); // an absolute path
    QCOMPARE(inspectAdapter(tmp.path()).baseModel, std::string("tiny-llama"));
    QCOMPARE(adapters::portableBaseModelName(
                 "/home/u/.cache/huggingface/hub/models--HuggingFaceTB--SmolLM2-135M/snapshots/abc123"),
             std::string("HuggingFaceTB/SmolLM2-135M"));
    QCOMPARE(adapters::portableBaseModelName("HuggingFaceTB/SmolLM2-135M"), std::string("HuggingFaceTB/SmolLM2-135M"));
    QCOMPARE(adapters::portableBaseModelName("/models/my-llama/"), std::string("my-llama"));
}

QTEST_APPLESS_MAIN(TestAdapterRoundtrip)
#include "tst_adapter_roundtrip.moc"
