// Trainable-parameter counts equal what peft's print_trainable_parameters() reports for the
// fixture configs, derived by hand below; counting from headers alone (no weights) agrees with
// counting on the injected model.
#include "adapter_test_util.h"

#include "adapters/adapter_config.h"
#include "adapters/model_skeleton.h"
#include "ps/adapter.h"

using namespace ps;
using namespace ps::testing;

Q_DECLARE_METATYPE(ps::AdapterSpec)

class TestAdapterCounts : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void baseModelSizes();
    void fixtureCountsMatchPeft_data();
    void fixtureCountsMatchPeft();
    void specCounts_data();
    void specCounts();
    void headerSkeletonMatchesModel_data();
    void headerSkeletonMatchesModel();
};

namespace {

// Base model sizes (every parameter once; tied embeddings once):
//   tiny-llama: embed 1000*64 = 64000; per layer q 64*64 = 4096, k 32*64 = 2048 (2 kv heads x 16),
//     v 2048, o 4096, gate/up/down 176*64 = 11264 each, 2 norms 64 each -> 46208; x2 layers =
//     92416; final norm 64; lm_head 64000. Total 64000 + 92416 + 64 + 64000 = 220480.
//   tiny-gpt2: wte 1000*64 = 64000, wpe 128*64 = 8192; per layer ln_1 128, c_attn 64*192+192 =
//     12480, attn.c_proj 64*64+64 = 4160, ln_2 128, c_fc 64*256+256 = 16640, mlp.c_proj
//     256*64+64 = 16448 -> 49984; x2 = 99968; ln_f 128. Total 172288.
//   tiny-llama-tied: as tiny-llama with 4 kv heads (k, v 64*64) and no lm_head:
//     64000 + 2 * (4*4096 + 3*11264 + 128) + 64 = 164672.
constexpr std::int64_t kLlama = 220480;
constexpr std::int64_t kGpt2 = 172288;
constexpr std::int64_t kLlamaTied = 164672;

} // namespace

void TestAdapterCounts::baseModelSizes() {
    QCOMPARE(adapters::skeletonFromDir(modelFixture("tiny-llama")).totalParameters(), kLlama);
    QCOMPARE(adapters::skeletonFromDir(modelFixture("tiny-gpt2")).totalParameters(), kGpt2);
    QCOMPARE(adapters::skeletonFromDir(modelFixture("tiny-llama-tied")).totalParameters(), kLlamaTied);
}

void TestAdapterCounts::fixtureCountsMatchPeft_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<qint64>("trainable");
    QTest::addColumn<qint64>("total");
    // LoRA r=4 on q (A 4x64 + B 64x4 = 512) and v (A 4x64 + B 32x4 = 384): 896 per layer, x2.
    QTest::newRow("lora-r4-qv") << QStringLiteral("lora-r4-qv") << qint64(1792) << qint64(kLlama + 1792);
    // LoRA r=8: q 8*64+64*8 = 1024, k 8*64+32*8 = 768, v 768, o 1024, gate 8*64+176*8 = 1920,
    // up 1920, down 8*176+64*8 = 1920 -> 9344 per layer, x2.
    QTest::newRow("lora-r8-all") << QStringLiteral("lora-r8-all") << qint64(18688) << qint64(kLlama + 18688);
    // c_attn 64 -> 192: A 4*64 = 256, B 192*4 = 768 -> 1024 per layer, x2.
    QTest::newRow("lora-gpt2") << QStringLiteral("lora-gpt2") << qint64(2048) << qint64(kGpt2 + 2048);
    // IA3: k [32,1], v [32,1], down_proj [1,176] -> 240 per layer, x2.
    QTest::newRow("ia3") << QStringLiteral("ia3") << qint64(480) << qint64(kLlama + 480);
    // IA3 gpt2: c_attn [192,1], mlp.c_proj [1,256] -> 448 per layer, x2.
    QTest::newRow("ia3-gpt2") << QStringLiteral("ia3-gpt2") << qint64(896) << qint64(kGpt2 + 896);
    // LoHa r=4: q 4 * 256 = 1024; v w1a/w2a 32*4 = 128 each, w1b/w2b 4*64 = 256 each -> 768; x2.
    QTest::newRow("loha") << QStringLiteral("loha") << qint64(3584) << qint64(kLlama + 3584);
    // LoKr: q 64 = 8*8 both ways: w1 [8,8] + w2 [8,8] = 128; v out 32 = 4*8: w1 [4,8] = 32 +
    // w2 [8,8] = 64 -> 96; 224 per layer, x2.
    QTest::newRow("lokr") << QStringLiteral("lokr") << qint64(448) << qint64(kLlama + 448);
    // 5 virtual tokens x hidden 64.
    QTest::newRow("prompt-tuning") << QStringLiteral("prompt-tuning") << qint64(320) << qint64(kLlama + 320);
    // 5 virtual tokens x (2 layers x 2 (k, v) x 64).
    QTest::newRow("prefix-tuning") << QStringLiteral("prefix-tuning") << qint64(1280) << qint64(kGpt2 + 1280);
    // LoRA 2048 + every bias: per layer c_attn 192, attn.c_proj 64, ln_1 64, ln_2 64, c_fc 256,
    // mlp.c_proj 64 = 704, x2 = 1408, + ln_f 64 -> 1472. Biases are base parameters: the total
    // only grows by the LoRA weights.
    QTest::newRow("lora-bias-all") << QStringLiteral("lora-bias-all") << qint64(2048 + 1472) << qint64(kGpt2 + 2048);
    // LoRA 1792 + the lm_head copy 1000*64 = 64000 (peft counts original and copy in the total).
    QTest::newRow("lora-modules-to-save")
        << QStringLiteral("lora-modules-to-save") << qint64(65792) << qint64(kLlama + 65792);
}

void TestAdapterCounts::fixtureCountsMatchPeft() {
    QFETCH(QString, fixture);
    QFETCH(qint64, trainable);
    QFETCH(qint64, total);
    const std::string dir = adapterFixture(fixture.toStdString());
    const std::string base = baseOfAdapterFixture(fixture.toStdString());
    const AdapterSpec spec = adapterSpecFromConfigJson(readFile(dir + "/adapter_config.json"), "adapter_config.json");
    // 1. From headers only.
    const ParameterCount count = countTrainableParameters(base, spec);
    QCOMPARE(count.trainable, std::int64_t(trainable));
    QCOMPARE(count.total, std::int64_t(total));
    // 2. On the loaded model: the tensors that require grad.
    auto pm = adapters::PeftModel::load(dir, loadFloatModel(base));
    QCOMPARE(pm->numTrainable(), std::int64_t(trainable));
    std::int64_t requiringGrad = 0;
    for (const auto& t : pm->trainableParameters())
        requiringGrad += t.requires_grad() ? t.numel() : 0;
    QCOMPARE(requiringGrad, std::int64_t(trainable));
    // 3. The adapter file holds the trained tensors and nothing else.
    QCOMPARE(inspectAdapter(dir).numParameters, std::int64_t(trainable));
}

void TestAdapterCounts::specCounts_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<AdapterSpec>("spec");
    QTest::addColumn<qint64>("trainable");
    const QString llama = QStringLiteral("tiny-llama"), gpt2 = QStringLiteral("tiny-gpt2");
    AdapterSpec dora;
    dora.r = 4;
    dora.useDora = true;
    // LoRA q,v 1792 + magnitudes q 64 + v 32 per layer (x2 = 192).
    QTest::newRow("DoRA llama q,v r4") << llama << dora << qint64(1792 + 192);
    AdapterSpec allLinear;
    allLinear.r = 4;
    allLinear.targetModules = {"all-linear"};
    // c_attn 4*64+192*4 = 1024, attn.c_proj 256+256 = 512, c_fc 256+256*4 = 1280,
    // mlp.c_proj 4*256+64*4 = 1280 -> 4096 per layer, x2 (lm_head excluded).
    QTest::newRow("LoRA all-linear gpt2 r4") << gpt2 << allLinear << qint64(8192);
    AdapterSpec patterns;
    patterns.r = 8;
    patterns.targetModules = {"all-linear"};
    patterns.rankPattern = {{"mlp\\..*", 2}};
    patterns.layersToTransform = {1};
    // Layer 1 only. Attention r=8: 1024 + 768 + 768 + 1024 = 3584; MLP r=2: gate 2*64+176*2 =
    // 480, up 480, down 2*176+64*2 = 480 -> 1440. Total 5024.
    QTest::newRow("LoRA rank_pattern + layers_to_transform") << llama << patterns << qint64(5024);
    AdapterSpec lokr;
    lokr.method = PeftMethod::Lokr;
    lokr.r = 2;
    lokr.decomposeBoth = true;
    lokr.targetModules = {"q_proj"};
    // q 64x64 = (8x8) (x) (8x8); r=2 < 8/2: w1_a [8,2] + w1_b [2,8] + w2_a [8,2] + w2_b [2,8] = 64, x2.
    QTest::newRow("LoKr decompose_both r2") << llama << lokr << qint64(128);
    AdapterSpec prefix;
    prefix.method = PeftMethod::PrefixTuning;
    prefix.numVirtualTokens = 5;
    // GQA: kv_dim = 2 kv heads x head_dim 16 = 32; 5 x (2 layers x 2 x 32) = 640.
    QTest::newRow("prefix tuning on GQA llama") << llama << prefix << qint64(640);
    AdapterSpec full;
    full.method = PeftMethod::Full;
    QTest::newRow("full fine-tuning, tied llama") << QStringLiteral("tiny-llama-tied") << full << qint64(kLlamaTied);
    AdapterSpec embed;
    embed.r = 4;
    embed.modulesToSave = {"wte"};
    // c_attn LoRA 2048 + the wte copy 1000*64.
    QTest::newRow("LoRA + modules_to_save wte on tied gpt2") << gpt2 << embed << qint64(2048 + 64000);
}

void TestAdapterCounts::specCounts() {
    QFETCH(QString, model);
    QFETCH(AdapterSpec, spec);
    QFETCH(qint64, trainable);
    const std::string base = modelFixture(model.toStdString());
    QCOMPARE(countTrainableParameters(base, spec).trainable, std::int64_t(trainable));
    adapters::PeftModel pm(loadFloatModel(base), spec, 0);
    QCOMPARE(pm.numTrainable(), std::int64_t(trainable));
    std::int64_t n = 0;
    for (const auto& t : pm.trainableParameters())
        n += t.numel();
    QCOMPARE(n, std::int64_t(trainable));
}

void TestAdapterCounts::headerSkeletonMatchesModel_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"tiny-gpt2", "tiny-llama", "tiny-llama-tied", "tiny-mistral"})
        QTest::newRow(m) << QString::fromLatin1(m);
}

void TestAdapterCounts::headerSkeletonMatchesModel() {
    QFETCH(QString, model);
    const std::string dir = modelFixture(model.toStdString());
    const auto fromHeader = adapters::skeletonFromDir(dir);
    auto m = loadFloatModel(dir);
    const auto fromModel = adapters::skeletonFromModel(*m);
    QCOMPARE(fromHeader.totalParameters(), fromModel.totalParameters());
    QCOMPARE(fromHeader.linears.size(), fromModel.linears.size());
    for (const auto& l : fromModel.linears) {
        const auto* h = fromHeader.findLinear(l.path);
        QVERIFY2(h, l.path.c_str());
        QCOMPARE(h->in, l.in);
        QCOMPARE(h->out, l.out);
        QCOMPARE(h->conv1d, l.conv1d);
        QCOMPARE(h->hasBias, l.hasBias);
        QCOMPARE(h->isHead, l.isHead);
    }
    QCOMPARE(fromHeader.embeddingPath, fromModel.embeddingPath);
    QCOMPARE(fromHeader.headDim, fromModel.headDim);
}

QTEST_APPLESS_MAIN(TestAdapterCounts)
#include "tst_adapter_counts.moc"
