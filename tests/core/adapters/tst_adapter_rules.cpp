// peft's rules reproduced: target matching, layers_to_transform, rank/alpha patterns, LoKr
// factorisation, prompt-tuning TEXT init, IA3 input vs output scaling, config parsing.
#include "adapter_test_util.h"

#include "adapters/adapter_config.h"
#include "adapters/ia3.h"
#include "adapters/lokr.h"
#include "adapters/target_match.h"
#include "ps/adapter.h"

using namespace ps;
using namespace ps::adapters;
using namespace ps::testing;

class TestAdapterRules : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void targetMatching_data();
    void targetMatching();
    void patternKeys();
    void lokrFactorization_data();
    void lokrFactorization();
    void promptTextInit();
    void ia3ScalesOutputOrInput();
    void fixtureConfigsParse();
    void lokrScalingConvention();
    void defaultTargets();
};

Q_DECLARE_METATYPE(ps::adapters::TargetRule)

void TestAdapterRules::targetMatching_data() {
    QTest::addColumn<TargetRule>("rule");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("matches");
    TargetRule list;
    list.list = {"q_proj", "mlp.c_proj"};
    QTest::newRow("list: suffix after a dot") << list << QStringLiteral("model.layers.0.self_attn.q_proj") << true;
    QTest::newRow("list: not a dotted suffix") << list << QStringLiteral("model.layers.0.self_attn.xq_proj") << false;
    QTest::newRow("list: dotted multi-part entry") << list << QStringLiteral("transformer.h.1.mlp.c_proj") << true;
    QTest::newRow("list: attn.c_proj is not mlp.c_proj")
        << list << QStringLiteral("transformer.h.1.attn.c_proj") << false;
    TargetRule regex;
    regex.regex = ".*\\.layers\\.1\\..*(q|v)_proj";
    QTest::newRow("regex: full match") << regex << QStringLiteral("model.layers.1.self_attn.v_proj") << true;
    QTest::newRow("regex: other layer") << regex << QStringLiteral("model.layers.0.self_attn.v_proj") << false;
    TargetRule partial;
    partial.regex = "q_proj";
    QTest::newRow("regex: a partial match is no match")
        << partial << QStringLiteral("model.layers.0.self_attn.q_proj") << false;
    TargetRule layers = list;
    layers.layersToTransform = {1};
    QTest::newRow("layers_to_transform: llama layer 1")
        << layers << QStringLiteral("model.layers.1.self_attn.q_proj") << true;
    QTest::newRow("layers_to_transform: llama layer 0")
        << layers << QStringLiteral("model.layers.0.self_attn.q_proj") << false;
    QTest::newRow("layers_to_transform: gpt2 'h' pattern")
        << layers << QStringLiteral("transformer.h.1.mlp.c_proj") << true;
    TargetRule custom = layers;
    custom.layersPattern = "blocks";
    QTest::newRow("layers_pattern that the path lacks")
        << custom << QStringLiteral("model.layers.1.self_attn.q_proj") << false;
    TargetRule exact;
    exact.list = {"model.layers.0.self_attn.q_proj"};
    exact.layersToTransform = {1};
    QTest::newRow("an exact path ignores layers_to_transform (peft)")
        << exact << QStringLiteral("model.layers.0.self_attn.q_proj") << true;
}

void TestAdapterRules::targetMatching() {
    QFETCH(TargetRule, rule);
    QFETCH(QString, path);
    QFETCH(bool, matches);
    QCOMPARE(targetMatches(rule, path.toStdString()), matches);
}

void TestAdapterRules::patternKeys() {
    // rank_pattern / alpha_pattern keys match as re.match(r"(.*\.)?(key)$", path).
    QVERIFY(patternKeyMatches("q_proj", "model.layers.0.self_attn.q_proj"));
    QVERIFY(!patternKeyMatches("q_proj", "model.layers.0.self_attn.xq_proj"));
    QVERIFY(patternKeyMatches("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.q_proj"));
    QVERIFY(patternKeyMatches("layers\\.1\\..*", "model.layers.1.mlp.up_proj"));
    QVERIFY(!patternKeyMatches("layers\\.1\\..*", "model.layers.0.mlp.up_proj"));
    const std::map<std::string, std::int64_t> ranks{{"mlp\\..*", 2}, {"q_proj", 16}};
    QCOMPARE(patternValue(ranks, "model.layers.0.mlp.down_proj").value_or(8), std::int64_t(2));
    QCOMPARE(patternValue(ranks, "model.layers.0.self_attn.q_proj").value_or(8), std::int64_t(16));
    QCOMPARE(patternValue(ranks, "model.layers.0.self_attn.k_proj").value_or(8), std::int64_t(8));
    QCOMPARE(layerIndexOf("model.layers.12.mlp.up_proj", "").value_or(-1), std::int64_t(12));
    QCOMPARE(layerIndexOf("transformer.h.3.attn.c_attn", "").value_or(-1), std::int64_t(3));
    QVERIFY(!layerIndexOf("lm_head", "").has_value());
}

void TestAdapterRules::lokrFactorization_data() {
    QTest::addColumn<qint64>("dim");
    QTest::addColumn<qint64>("factor");
    QTest::addColumn<qint64>("m");
    QTest::addColumn<qint64>("n");
    QTest::newRow("768 -> 24 x 32") << qint64(768) << qint64(-1) << qint64(24) << qint64(32);
    QTest::newRow("4096 -> 64 x 64") << qint64(4096) << qint64(-1) << qint64(64) << qint64(64);
    QTest::newRow("64 -> 8 x 8") << qint64(64) << qint64(-1) << qint64(8) << qint64(8);
    QTest::newRow("32 -> 4 x 8") << qint64(32) << qint64(-1) << qint64(4) << qint64(8);
    QTest::newRow("176 -> 11 x 16") << qint64(176) << qint64(-1) << qint64(11) << qint64(16);
    QTest::newRow("prime 97 -> 1 x 97") << qint64(97) << qint64(-1) << qint64(1) << qint64(97);
    QTest::newRow("decompose_factor 4 of 176 -> 4 x 44") << qint64(176) << qint64(4) << qint64(4) << qint64(44);
    QTest::newRow("decompose_factor 64 of 128 -> 2 x 64 (m <= n)")
        << qint64(128) << qint64(64) << qint64(2) << qint64(64);
    QTest::newRow("decompose_factor 8 caps m at 8 for 4096") << qint64(4096) << qint64(8) << qint64(8) << qint64(512);
}

void TestAdapterRules::lokrFactorization() {
    QFETCH(qint64, dim);
    QFETCH(qint64, factor);
    QFETCH(qint64, m);
    QFETCH(qint64, n);
    const auto [gm, gn] = adapters::lokrFactorization(dim, factor);
    QCOMPARE(qint64(gm), m);
    QCOMPARE(qint64(gn), n);
}

void TestAdapterRules::promptTextInit() {
    QCOMPARE(promptInitIds({1, 2, 3}, 7), (std::vector<std::int64_t>{1, 2, 3, 1, 2, 3, 1}));
    QCOMPARE(promptInitIds({1, 2, 3}, 2), (std::vector<std::int64_t>{1, 2}));
    QCOMPARE(promptInitIds({5}, 3), (std::vector<std::int64_t>{5, 5, 5}));
    QVERIFY(!errorOf([] { promptInitIds({}, 3); }).empty());

    const std::string base = modelFixture("tiny-gpt2");
    AdapterSpec spec;
    spec.method = PeftMethod::PromptTuning;
    spec.numVirtualTokens = 5;
    spec.promptTuningInit = "TEXT";
    spec.promptTuningInitText = "Hello";
    spec.promptTuningInitIds = {17, 42};
    PeftModel pm(loadFloatModel(base), spec, 0);
    auto model = loadFloatModel(base);
    torch::NoGradGuard noGrad;
    const auto expected = model->embed(torch::tensor({17, 42, 17, 42, 17}, torch::kInt64).unsqueeze(0)).squeeze(0);
    QVERIFY(maxAbsDiff(pm.tensors()[0].second, expected) == 0.0);
    // The config says TEXT (and names a tokenizer, which peft requires for TEXT configs).
    TempDir tmp;
    pm.save(tmp.path(), base);
    const Json config = parseJsonFile(tmp.sub("adapter_config.json"));
    QCOMPARE(config["prompt_tuning_init"].get<std::string>(), std::string("TEXT"));
    QCOMPARE(config["prompt_tuning_init_text"].get<std::string>(), std::string("Hello"));
    QCOMPARE(config["tokenizer_name_or_path"].get<std::string>(), std::string("tiny-gpt2"));
    spec.promptTuningInitIds = {5000};
    QVERIFY(errorOf([&] { PeftModel bad(loadFloatModel(base), spec, 0); }).find("5000") != std::string::npos);
}

void TestAdapterRules::ia3ScalesOutputOrInput() {
    model::Linear base(3, 2, true, false);
    {
        torch::NoGradGuard noGrad;
        base->weight.copy_(torch::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}));
        base->bias.copy_(torch::tensor({0.5, -0.5}));
    }
    LayerPlan plan;
    plan.linear = {"x", 3, 2, false, true, false};
    const auto x = torch::tensor({{1.0f, 1.0f, 1.0f}});
    torch::NoGradGuard noGrad;
    Ia3LinearImpl out(plan, *base);
    QCOMPARE(out.scale.sizes().vec(), (std::vector<std::int64_t>{2, 1}));
    out.scale.copy_(torch::tensor({{2.0f}, {3.0f}}));
    // (W x + b) * l: (6.5, 14.5) * (2, 3), bias included.
    QVERIFY(maxAbsDiff(out.forward(x, *base), torch::tensor({{13.0f, 43.5f}})) < 1e-6);
    plan.feedforward = true;
    Ia3LinearImpl in(plan, *base);
    QCOMPARE(in.scale.sizes().vec(), (std::vector<std::int64_t>{1, 3}));
    in.scale.copy_(torch::tensor({{1.0f, 0.0f, 2.0f}}));
    // W (x * l) + b: x * l = (1, 0, 2) -> (1 + 6 + 0.5, 4 + 12 - 0.5).
    QVERIFY(maxAbsDiff(in.forward(x, *base), torch::tensor({{7.5f, 15.5f}})) < 1e-6);
}

void TestAdapterRules::fixtureConfigsParse() {
    auto spec = [](const char* f) {
        return adapterSpecFromConfigJson(readFile(adapterFixture(f) + "/adapter_config.json"), f);
    };
    const AdapterSpec lora = spec("lora-r8-all");
    QCOMPARE(lora.method, PeftMethod::Lora);
    QCOMPARE(lora.r, std::int64_t(8));
    QCOMPARE(lora.alpha, 16.0);
    QCOMPARE(lora.dropout, 0.1);
    QCOMPARE(lora.targetModules.size(), std::size_t(7));
    QCOMPARE(spec("lora-bias-all").bias, std::string("all"));
    QCOMPARE(spec("lora-modules-to-save").modulesToSave, std::vector<std::string>{"lm_head"});
    QCOMPARE(spec("ia3").feedforwardModules, std::vector<std::string>{"down_proj"});
    QCOMPARE(spec("loha").method, PeftMethod::Loha);
    QCOMPARE(spec("prompt-tuning").numVirtualTokens, std::int64_t(5));
    QCOMPARE(spec("prefix-tuning").method, PeftMethod::PrefixTuning);
    const AdapterInfo info = inspectAdapter(adapterFixture("lora-gpt2"));
    QCOMPARE(info.peftType, std::string("LORA"));
    QCOMPARE(info.baseModel, std::string("tiny-gpt2"));
    QCOMPARE(info.tensors.size(), std::size_t(4));
    QVERIFY(info.canMerge);
    QVERIFY(!inspectAdapter(adapterFixture("prefix-tuning")).canMerge);
}

void TestAdapterRules::lokrScalingConvention() {
    // peft < 0.14 (the fixture, no "rank_dropout_scale" key) left alpha / r out of LoKr.
    QVERIFY(adapterSpecFromConfigJson(readFile(adapterFixture("lokr") + "/adapter_config.json"), "lokr").lokrUnscaled);
    // What we write applies alpha / r (peft >= 0.14) and says so with the key, so that older peft
    // refuses the config rather than computing a different delta.
    AdapterSpec spec;
    spec.method = PeftMethod::Lokr;
    spec.r = 4;
    spec.alpha = 8;
    const std::string base = modelFixture("tiny-llama");
    PeftModel pm(loadFloatModel(base), spec, 0);
    QCOMPARE(pm.plan().layers.front().scaling, 2.0);
    TempDir tmp;
    pm.save(tmp.path(), base);
    const Json config = parseJsonFile(tmp.sub("adapter_config.json"));
    QVERIFY(config.contains("rank_dropout_scale"));
    QVERIFY(!adapterSpecFromConfigJson(readFile(tmp.sub("adapter_config.json")), "saved").lokrUnscaled);
    // alpha == r: both conventions agree, the config stays loadable by old peft.
    spec.alpha = 4;
    PeftModel same(loadFloatModel(base), spec, 0);
    TempDir tmp2;
    same.save(tmp2.path(), base);
    QVERIFY(!parseJsonFile(tmp2.sub("adapter_config.json")).contains("rank_dropout_scale"));
}

void TestAdapterRules::defaultTargets() {
    QCOMPARE(defaultTargetModules("gpt2", PeftMethod::Lora), std::vector<std::string>{"c_attn"});
    QCOMPARE(defaultTargetModules("llama", PeftMethod::Loha), (std::vector<std::string>{"q_proj", "v_proj"}));
    QCOMPARE(defaultTargetModules("mistral", PeftMethod::Ia3),
             (std::vector<std::string>{"k_proj", "v_proj", "down_proj"}));
    QCOMPARE(defaultTargetModules("qwen2", PeftMethod::Ia3),
             (std::vector<std::string>{"q_proj", "v_proj", "down_proj"}));
    QCOMPARE(defaultFeedforwardModules("gpt2"), std::vector<std::string>{"mlp.c_proj"});
    QVERIFY(errorOf([] { defaultTargetModules("bert", PeftMethod::Lora); }).find("bert") != std::string::npos);
    // IA3 with explicit targets: the feed-forward list must be a subset.
    AdapterSpec spec;
    spec.method = PeftMethod::Ia3;
    spec.targetModules = {"q_proj"};
    spec.feedforwardModules = {"down_proj"};
    QVERIFY(errorOf([&] { countTrainableParameters(modelFixture("tiny-llama"), spec); }).find("subset") !=
            std::string::npos);
}

QTEST_APPLESS_MAIN(TestAdapterRules)
#include "tst_adapter_rules.moc"
