// Gradients: trainable tensors receive them, frozen base weights do not; finite-difference checks
// (float64) of one LoRA, one DoRA and one LoHa layer, on a Linear and on a GPT-2 Conv1D.
#include "adapter_test_util.h"

#include "adapters/loha.h"
#include "adapters/lora.h"

#include <set>

using namespace ps;
using namespace ps::testing;

Q_DECLARE_METATYPE(ps::AdapterSpec)

class TestAdapterGradients : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void onlyTrainableTensorsGetGradients_data();
    void onlyTrainableTensorsGetGradients();
    void loraLayerFiniteDifferences_data();
    void loraLayerFiniteDifferences();
    void doraLayerFiniteDifferences_data();
    void doraLayerFiniteDifferences();
    void lohaLayerFiniteDifferences();
    void dropoutOnlyInTraining();
};

namespace {

constexpr std::int64_t kIn = 6, kOut = 5, kRank = 3;

model::Linear makeBase(bool conv1d) {
    model::Linear base(kIn, kOut, true, conv1d);
    base->to(torch::kFloat64);
    torch::NoGradGuard noGrad;
    base->weight.normal_(0.0, 0.5);
    base->bias.normal_(0.0, 0.5);
    base->path = "layer";
    base->weight.requires_grad_(false);
    base->bias.requires_grad_(false);
    return base;
}

adapters::LayerPlan makePlan(bool conv1d) {
    adapters::LayerPlan plan;
    plan.linear.path = "layer";
    plan.linear.in = kIn;
    plan.linear.out = kOut;
    plan.linear.conv1d = conv1d;
    plan.linear.hasBias = true;
    plan.r = kRank;
    plan.alpha = 4.5;
    plan.scaling = plan.alpha / static_cast<double>(plan.r);
    return plan;
}

// Central differences of f with respect to every element of t (in place, restored).
torch::Tensor numericGradient(const std::function<double()>& f, torch::Tensor t) {
    torch::NoGradGuard noGrad;
    const double eps = 1e-6;
    auto grad = torch::zeros_like(t);
    auto flat = t.view(-1);
    auto g = grad.view(-1);
    for (std::int64_t i = 0; i < flat.numel(); ++i) {
        const double v = flat[i].item<double>();
        flat[i] = v + eps;
        const double up = f();
        flat[i] = v - eps;
        const double down = f();
        flat[i] = v;
        g[i] = (up - down) / (2 * eps);
    }
    return grad;
}

void expectClose(const torch::Tensor& analytic, const torch::Tensor& numeric, const char* what) {
    QVERIFY2(analytic.defined(), what);
    const double err = (analytic - numeric).abs().max().item<double>();
    const double scale = std::max(1.0, numeric.abs().max().item<double>());
    QVERIFY2(err / scale < 1e-7,
             qPrintable(QStringLiteral("%1: gradient error %2").arg(QString::fromLatin1(what)).arg(err)));
}

} // namespace

void TestAdapterGradients::onlyTrainableTensorsGetGradients_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<AdapterSpec>("spec");
    auto spec = [](PeftMethod m) {
        AdapterSpec s;
        s.method = m;
        s.r = 4;
        return s;
    };
    AdapterSpec lora = spec(PeftMethod::Lora);
    lora.targetModules = {"all-linear"};
    lora.modulesToSave = {"lm_head"};
    QTest::newRow("LoRA all-linear + lm_head copy, llama") << QStringLiteral("tiny-llama") << lora;
    AdapterSpec dora = spec(PeftMethod::Lora);
    dora.useDora = true;
    QTest::newRow("DoRA, llama") << QStringLiteral("tiny-llama") << dora;
    AdapterSpec bias = spec(PeftMethod::Lora);
    bias.bias = "all";
    bias.modulesToSave = {"wte"};
    QTest::newRow("LoRA bias=all + wte copy, gpt2") << QStringLiteral("tiny-gpt2") << bias;
    QTest::newRow("IA3, gpt2") << QStringLiteral("tiny-gpt2") << spec(PeftMethod::Ia3);
    QTest::newRow("LoHa, llama") << QStringLiteral("tiny-llama") << spec(PeftMethod::Loha);
    QTest::newRow("LoKr, llama") << QStringLiteral("tiny-llama") << spec(PeftMethod::Lokr);
    QTest::newRow("prompt tuning, llama") << QStringLiteral("tiny-llama") << spec(PeftMethod::PromptTuning);
    QTest::newRow("prefix tuning, gpt2") << QStringLiteral("tiny-gpt2") << spec(PeftMethod::PrefixTuning);
    QTest::newRow("prefix tuning, GQA llama") << QStringLiteral("tiny-llama") << spec(PeftMethod::PrefixTuning);
    QTest::newRow("full fine-tuning, gpt2") << QStringLiteral("tiny-gpt2") << spec(PeftMethod::Full);
}

void TestAdapterGradients::onlyTrainableTensorsGetGradients() {
    QFETCH(QString, model);
    QFETCH(AdapterSpec, spec);
    adapters::PeftModel pm(loadFloatModel(modelFixture(model.toStdString())), spec, 3);
    {
        // Zero-initialised factors (LoRA B, LoHa w2_b, LoKr w1) would give their partners zero
        // gradients: move everything off the init first.
        torch::NoGradGuard noGrad;
        for (const auto& [key, t] : pm.tensors())
            t.add_(torch::randn_like(t) * 0.05);
    }
    pm.train(true);
    torch::manual_seed(9);
    model::ForwardInput in;
    in.inputIds = torch::randint(0, 1000, {2, 5}, torch::kInt64);
    const auto logits = pm.logits(pm.forward(in));
    (logits * torch::randn_like(logits)).sum().backward();

    std::set<const void*> trainable;
    for (const auto& [key, t] : pm.tensors()) {
        trainable.insert(t.unsafeGetTensorImpl());
        QVERIFY2(t.grad().defined(), key.c_str());
        QVERIFY2(t.grad().abs().sum().item<double>() > 0.0, key.c_str());
    }
    for (const auto& item : pm.model()->named_parameters(true)) {
        if (trainable.count(item.value().unsafeGetTensorImpl()))
            continue;
        QVERIFY2(!item.value().requires_grad(), item.key().c_str());
        QVERIFY2(!item.value().grad().defined(), item.key().c_str());
    }
}

void TestAdapterGradients::loraLayerFiniteDifferences_data() {
    QTest::addColumn<bool>("conv1d");
    QTest::newRow("Linear") << false;
    QTest::newRow("GPT-2 Conv1D (fan_in_fan_out)") << true;
}

void TestAdapterGradients::loraLayerFiniteDifferences() {
    QFETCH(bool, conv1d);
    torch::manual_seed(1);
    auto base = makeBase(conv1d);
    AdapterSpec spec;
    adapters::LoraLinearImpl lora(makePlan(conv1d), spec, *base);
    QCOMPARE(lora.loraA.scalar_type(), torch::kFloat64);
    {
        torch::NoGradGuard noGrad;
        lora.loraB.normal_(0.0, 0.5);
    }
    lora.eval();
    auto x = torch::randn({2, 3, kIn}, torch::kFloat64).requires_grad_(true);
    const auto g = torch::randn({2, 3, kOut}, torch::kFloat64);
    auto f = [&] { return (lora.forward(x, *base) * g).sum(); };
    // Forward: base(x) + s * B A x.
    {
        torch::NoGradGuard noGrad;
        const auto expected =
            base->baseForward(x) + torch::matmul(torch::matmul(x, lora.loraA.t()), lora.loraB.t()) * 1.5;
        QVERIFY(maxAbsDiff(lora.forward(x, *base), expected) < 1e-12);
    }
    f().backward();
    auto value = [&] { return f().item<double>(); };
    expectClose(lora.loraA.grad(), numericGradient(value, lora.loraA), "lora_A");
    expectClose(lora.loraB.grad(), numericGradient(value, lora.loraB), "lora_B");
    expectClose(x.grad(), numericGradient(value, x.detach()), "input");
    QVERIFY(!base->weight.grad().defined());
}

void TestAdapterGradients::doraLayerFiniteDifferences_data() {
    loraLayerFiniteDifferences_data();
}

void TestAdapterGradients::doraLayerFiniteDifferences() {
    QFETCH(bool, conv1d);
    torch::manual_seed(2);
    auto base = makeBase(conv1d);
    AdapterSpec spec;
    spec.useDora = true;
    adapters::LoraLinearImpl dora(makePlan(conv1d), spec, *base);
    // Init: m = row norms of W.
    QVERIFY(maxAbsDiff(dora.magnitude, base->weightOutIn().norm(2, torch::IntArrayRef{1})) < 1e-12);
    {
        torch::NoGradGuard noGrad;
        dora.loraB.normal_(0.0, 0.5);
        dora.magnitude.add_(torch::randn_like(dora.magnitude) * 0.3);
    }
    dora.eval();
    auto x = torch::randn({4, kIn}, torch::kFloat64).requires_grad_(true);
    const auto g = torch::randn({4, kOut}, torch::kFloat64);
    auto f = [&] { return (dora.forward(x, *base) * g).sum(); };
    f().backward();

    // The DoRA reference with the norm held at its current value n0 (peft detaches it):
    // y = m/n0 * (W x + s B A x) + b.
    const auto W = base->weightOutIn().detach();
    const auto n0 = (W + dora.deltaWeight().detach()).norm(2, torch::IntArrayRef{1});
    auto reference = [&] {
        torch::NoGradGuard noGrad;
        const auto inner =
            torch::matmul(x, W.t()) + torch::matmul(torch::matmul(x, dora.loraA.t()), dora.loraB.t()) * 1.5;
        return ((dora.magnitude / n0) * inner + base->bias) * g;
    };
    {
        torch::NoGradGuard noGrad;
        QVERIFY(maxAbsDiff((dora.forward(x, *base) * g), reference()) < 1e-12);
    }
    auto frozenNorm = [&] { return reference().sum().item<double>(); };
    auto value = [&] { return f().item<double>(); };
    // m and x do not enter the norm: the plain forward's differences apply.
    expectClose(dora.magnitude.grad(), numericGradient(value, dora.magnitude), "lora_magnitude_vector");
    expectClose(x.grad(), numericGradient(value, x.detach()), "input");
    // A and B enter the norm, which has no gradient: compare with the frozen-norm function.
    expectClose(dora.loraA.grad(), numericGradient(frozenNorm, dora.loraA), "lora_A (detached norm)");
    expectClose(dora.loraB.grad(), numericGradient(frozenNorm, dora.loraB), "lora_B (detached norm)");
}

void TestAdapterGradients::lohaLayerFiniteDifferences() {
    torch::manual_seed(3);
    auto base = makeBase(false);
    AdapterSpec spec;
    spec.method = PeftMethod::Loha;
    adapters::LohaLinearImpl loha(makePlan(false), spec, *base);
    QVERIFY(loha.w2b.abs().sum().item<double>() == 0.0); // peft's init: w2_b = 0
    {
        torch::NoGradGuard noGrad;
        loha.w2b.normal_(0.0, 0.5);
    }
    loha.eval();
    auto x = torch::randn({3, kIn}, torch::kFloat64).requires_grad_(true);
    const auto g = torch::randn({3, kOut}, torch::kFloat64);
    auto f = [&] { return (loha.forward(x, *base) * g).sum(); };
    {
        torch::NoGradGuard noGrad;
        const auto dW = torch::matmul(loha.w1a, loha.w1b) * torch::matmul(loha.w2a, loha.w2b) * 1.5;
        QVERIFY(maxAbsDiff(loha.forward(x, *base), base->baseForward(x) + torch::matmul(x, dW.t())) < 1e-12);
    }
    f().backward();
    auto value = [&] { return f().item<double>(); };
    expectClose(loha.w1a.grad(), numericGradient(value, loha.w1a), "hada_w1_a");
    expectClose(loha.w1b.grad(), numericGradient(value, loha.w1b), "hada_w1_b");
    expectClose(loha.w2a.grad(), numericGradient(value, loha.w2a), "hada_w2_a");
    expectClose(loha.w2b.grad(), numericGradient(value, loha.w2b), "hada_w2_b");
    expectClose(x.grad(), numericGradient(value, x.detach()), "input");
}

void TestAdapterGradients::dropoutOnlyInTraining() {
    torch::manual_seed(4);
    auto base = makeBase(false);
    AdapterSpec spec;
    spec.dropout = 0.5;
    adapters::LoraLinearImpl lora(makePlan(false), spec, *base);
    {
        torch::NoGradGuard noGrad;
        lora.loraB.normal_(0.0, 0.5);
    }
    const auto x = torch::randn({8, kIn}, torch::kFloat64);
    torch::NoGradGuard noGrad;
    lora.eval();
    QVERIFY(torch::equal(lora.forward(x, *base), lora.forward(x, *base)));
    lora.train(true);
    QVERIFY(!torch::equal(lora.forward(x, *base), lora.forward(x, *base)));
}

QTEST_APPLESS_MAIN(TestAdapterGradients)
#include "tst_adapter_gradients.moc"
