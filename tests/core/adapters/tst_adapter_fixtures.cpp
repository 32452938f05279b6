// Every adapter fixture written by real peft 0.7.1 (tests/fixtures/adapters) loads and gives
// peft's logits; merged, it gives peft's merged_logits.
#include "adapter_test_util.h"

using namespace ps;
using namespace ps::testing;

class TestAdapterFixtures : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void logitsMatchPeft_data();
    void logitsMatchPeft();
    void mergedLogitsMatchPeft_data();
    void mergedLogitsMatchPeft();
    void promptTuningLogitsCoverVirtualTokens();
    void prefixTuningLogitsCoverInputTokensOnly();
};

namespace {

void addFixtureRows(bool mergeableOnly) {
    QTest::addColumn<QString>("fixture");
    const struct {
        const char* row;
        const char* fixture;
        bool mergeable;
    } rows[] = {
        {"LoRA r4 on q,v of a GQA llama (v is 64->32)", "lora-r4-qv", true},
        {"LoRA r8 on all 7 llama projections, dropout off in eval", "lora-r8-all", true},
        {"LoRA on gpt2 fused c_attn Conv1D (fan_in_fan_out)", "lora-gpt2", true},
        {"IA3 llama: k,v scale outputs, down_proj scales inputs", "ia3", true},
        {"IA3 gpt2: c_attn output incl. bias, mlp.c_proj input", "ia3-gpt2", true},
        {"LoHa on llama q,v", "loha", true},
        {"LoKr on llama q,v (full w1 and w2)", "lokr", true},
        {"prompt tuning, 5 virtual tokens on llama", "prompt-tuning", false},
        {"prefix tuning, 5 virtual tokens on gpt2", "prefix-tuning", false},
        {"LoRA bias=all on gpt2 (every bias overridden)", "lora-bias-all", true},
        {"LoRA + modules_to_save lm_head on llama", "lora-modules-to-save", true},
    };
    for (const auto& r : rows)
        if (!mergeableOnly || r.mergeable)
            QTest::newRow(r.row) << QString::fromLatin1(r.fixture);
}

} // namespace

void TestAdapterFixtures::logitsMatchPeft_data() {
    addFixtureRows(false);
}

void TestAdapterFixtures::logitsMatchPeft() {
    QFETCH(QString, fixture);
    const std::string dir = adapterFixture(fixture.toStdString());
    auto pm = adapters::PeftModel::load(dir, loadFloatModel(baseOfAdapterFixture(fixture.toStdString())));
    pm->train(false);
    const auto ids = referenceTensor(dir, "input_ids");
    const auto expected = referenceTensor(dir, "logits");
    const auto logits = logitsOf(*pm, ids);
    QCOMPARE(logits.sizes().vec(), expected.sizes().vec());
    const double diff = maxAbsDiff(logits, expected);
    if (diff > 1e-4)
        QFAIL(qPrintable(QStringLiteral("max abs diff %1 > 1e-4").arg(diff)));
}

void TestAdapterFixtures::mergedLogitsMatchPeft_data() {
    addFixtureRows(true);
}

void TestAdapterFixtures::mergedLogitsMatchPeft() {
    QFETCH(QString, fixture);
    const std::string dir = adapterFixture(fixture.toStdString());
    auto pm = adapters::PeftModel::load(dir, loadFloatModel(baseOfAdapterFixture(fixture.toStdString())));
    pm->merge();
    // After the merge the bare model (no hooks left) must produce the adapted logits.
    for (auto& [path, linear] : pm->model()->linearModules(true))
        QVERIFY2(linear->adapter() == nullptr, path.c_str());
    const auto ids = referenceTensor(dir, "input_ids");
    const auto expected = referenceTensor(dir, "merged_logits");
    QVERIFY(expected.defined());
    const auto logits = logitsOf(pm->model(), ids);
    QCOMPARE(logits.sizes().vec(), expected.sizes().vec());
    const double diff = maxAbsDiff(logits, expected);
    if (diff > 1e-4)
        QFAIL(qPrintable(QStringLiteral("max abs diff %1 > 1e-4").arg(diff)));
}

void TestAdapterFixtures::promptTuningLogitsCoverVirtualTokens() {
    // peft 0.7.1 returns logits for the virtual tokens too: rows 0..4 are the 5 virtual tokens,
    // rows 5..12 the 8 input_ids positions; the model saw positions 0..12.
    const std::string dir = adapterFixture("prompt-tuning");
    auto pm = adapters::PeftModel::load(dir, loadFloatModel(baseOfAdapterFixture("prompt-tuning")));
    QCOMPARE(pm->numPrependedRows(), std::int64_t(5));
    const auto ids = referenceTensor(dir, "input_ids");
    const auto logits = logitsOf(*pm, ids);
    QCOMPARE(logits.sizes().vec(), (std::vector<std::int64_t>{2, 5 + 8, 1000}));
    // The virtual-token rows do not depend on the input (causal attention): same for both rows.
    QVERIFY(maxAbsDiff(logits[0].slice(0, 0, 5), logits[1].slice(0, 0, 5)) < 1e-5);
    QVERIFY(maxAbsDiff(logits, referenceTensor(dir, "logits")) <= 1e-4);
}

void TestAdapterFixtures::prefixTuningLogitsCoverInputTokensOnly() {
    // Prefix tuning: the 5 prefix key/values occupy positions 0..4, so the 8 input tokens get
    // position ids 5..12 and the logits have one row per input_ids position.
    const std::string dir = adapterFixture("prefix-tuning");
    auto pm = adapters::PeftModel::load(dir, loadFloatModel(baseOfAdapterFixture("prefix-tuning")));
    QCOMPARE(pm->numPrependedRows(), std::int64_t(0));
    const auto ids = referenceTensor(dir, "input_ids");
    const auto logits = logitsOf(*pm, ids);
    QCOMPARE(logits.sizes().vec(), (std::vector<std::int64_t>{2, 8, 1000}));
    QVERIFY(maxAbsDiff(logits, referenceTensor(dir, "logits")) <= 1e-4);
    // The same prefixes fed through an explicit cache (as generation does) give the same rows.
    torch::NoGradGuard noGrad;
    auto cache = pm->prefixCache(2);
    QCOMPARE(cache.length(), std::int64_t(5));
    model::ForwardInput in;
    in.inputIds = ids;
    in.cache = &cache;
    QVERIFY(maxAbsDiff(pm->logits(pm->forward(in)), logits) < 1e-5);
    QCOMPARE(cache.length(), std::int64_t(5 + 8));
}

QTEST_APPLESS_MAIN(TestAdapterFixtures)
#include "tst_adapter_fixtures.moc"
