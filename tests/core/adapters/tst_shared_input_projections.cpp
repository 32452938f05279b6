// Projections that read one input (q/k/v, gate/up) run as one autograd node while training
// (model/shared_input_projections.h). Checked against independent references: the layers called
// one by one (each a LoRA layer verified against peft's fixtures elsewhere) and central finite
// differences of the grouped node itself; and the fallbacks where grouping would change the
// numbers (DoRA, LoRA dropout, trainable base weights, no gradient recording).
#include "adapter_test_util.h"

#include "adapters/lora.h"
#include "model/model_config.h"
#include "model/shared_input_projections.h"
#include "system/parallel_parts.h"

#include <functional>

using namespace ps;

namespace {

// Whether every output comes from one SharedInputProjection node (a group; of one for one layer).
bool isGrouped(const std::vector<torch::Tensor>& ys) {
    const auto& node = ys.front().grad_fn();
    if (!node || node->name().find("SharedInputProjection") == std::string::npos)
        return false;
    for (const auto& y : ys)
        if (y.grad_fn() != node)
            return false;
    return true;
}

struct Group {
    std::vector<model::Linear> layers;
    std::vector<adapters::LoraLinear> loras; // null where a layer has no adapter

    std::vector<model::LinearImpl*> raw() {
        std::vector<model::LinearImpl*> out;
        for (auto& l : layers)
            out.push_back(l.get());
        return out;
    }
    std::vector<torch::Tensor> trainable() {
        std::vector<torch::Tensor> out;
        for (auto& a : loras)
            if (a) {
                out.push_back(a->loraA);
                out.push_back(a->loraB);
            }
        return out;
    }
};

// Layers in -> outs[j], LoRA of rank ranks[j] (0 = no adapter), B made non-zero so that every
// term of the forward and the gradient matters.
Group makeGroup(std::int64_t in, const std::vector<std::int64_t>& outs, const std::vector<std::int64_t>& ranks,
                bool bias, torch::Dtype dtype, AdapterSpec spec = {}, bool conv1d = false) {
    Group g;
    for (std::size_t j = 0; j < outs.size(); ++j) {
        model::Linear base(in, outs[j], bias, conv1d);
        base->to(dtype);
        {
            torch::NoGradGuard noGrad;
            base->weight.normal_(0.0, 0.3);
            if (bias)
                base->bias.normal_(0.0, 0.3);
        }
        base->weight.requires_grad_(false);
        if (bias)
            base->bias.requires_grad_(false);
        base->path = "layer" + std::to_string(j);
        adapters::LoraLinear lora{nullptr};
        if (ranks[j] > 0) {
            adapters::LayerPlan plan;
            plan.linear.path = base->path;
            plan.linear.in = in;
            plan.linear.out = outs[j];
            plan.linear.hasBias = bias;
            plan.r = ranks[j];
            plan.alpha = 2.0 * static_cast<double>(j + 1);
            plan.scaling = plan.alpha / static_cast<double>(plan.r);
            lora = adapters::LoraLinear(plan, spec, *base);
            torch::NoGradGuard noGrad;
            lora->loraB.normal_(0.0, 0.5);
            base->setAdapter("lora", lora.ptr());
        }
        g.layers.push_back(base);
        g.loras.push_back(lora);
    }
    return g;
}

// sum_j <y_j, w_j> for fixed random weights w_j, so each output's gradient differs.
torch::Tensor weightedSum(const std::vector<torch::Tensor>& ys, std::uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    torch::Tensor total;
    for (const auto& y : ys) {
        const auto w = at::normal(0.0, 1.0, y.sizes(), gen, y.options().requires_grad(false));
        const auto term = (y * w).sum();
        total = total.defined() ? total + term : term;
    }
    return total;
}

struct Result {
    std::vector<torch::Tensor> outputs;
    std::vector<torch::Tensor> grads; // d/dx, then each trainable tensor
    bool grouped = false;
};

Result run(Group& g, const torch::Tensor& x0, bool fused, const std::function<torch::Tensor(std::vector<torch::Tensor>)>& loss) {
    model::setSharedInputFusion(fused);
    auto x = x0.detach().clone().requires_grad_(true);
    for (auto& t : g.trainable())
        t.mutable_grad() = torch::Tensor();
    Result r;
    r.outputs = model::projectSharedInput(g.raw(), x);
    r.grouped = isGrouped(r.outputs);
    loss(r.outputs).backward();
    r.grads.push_back(x.grad());
    for (auto& t : g.trainable())
        r.grads.push_back(t.grad());
    model::setSharedInputFusion(true);
    return r;
}

double relDiff(const torch::Tensor& a, const torch::Tensor& b) {
    const double scale = std::max(1e-30, b.abs().max().item<double>());
    return (a - b).abs().max().item<double>() / scale;
}

void expectSame(const Result& fused, const Result& separate, double tol) {
    QCOMPARE(fused.outputs.size(), separate.outputs.size());
    for (std::size_t j = 0; j < fused.outputs.size(); ++j) {
        QCOMPARE(fused.outputs[j].sizes(), separate.outputs[j].sizes());
        QVERIFY2(relDiff(fused.outputs[j], separate.outputs[j]) <= tol, qPrintable(QStringLiteral("output %1").arg(j)));
    }
    QCOMPARE(fused.grads.size(), separate.grads.size());
    for (std::size_t i = 0; i < fused.grads.size(); ++i) {
        QVERIFY2(fused.grads[i].defined() && separate.grads[i].defined(), qPrintable(QStringLiteral("gradient %1").arg(i)));
        QCOMPARE(fused.grads[i].sizes(), separate.grads[i].sizes());
        const double d = relDiff(fused.grads[i], separate.grads[i]);
        QVERIFY2(d <= tol, qPrintable(QStringLiteral("gradient %1 differs by %2 (relative)").arg(i).arg(d)));
    }
}

} // namespace

class TestSharedInputProjections : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void groupedEqualsOneByOne_data() {
        QTest::addColumn<bool>("bias");
        QTest::addColumn<QVector<int>>("outs");
        QTest::addColumn<QVector<int>>("ranks");
        QTest::newRow("q/k/v, grouped kv heads, every layer adapted") << false << QVector<int>{12, 4, 4} << QVector<int>{3, 3, 3};
        QTest::newRow("q/k/v with bias (qwen2), ranks differ") << true << QVector<int>{12, 4, 4} << QVector<int>{2, 5, 1};
        QTest::newRow("only q and v adapted") << false << QVector<int>{12, 4, 4} << QVector<int>{4, 0, 2};
        QTest::newRow("gate/up") << false << QVector<int>{20, 20} << QVector<int>{3, 3};
        QTest::newRow("no adapter at all") << false << QVector<int>{7, 9} << QVector<int>{0, 0};
    }
    void groupedEqualsOneByOne() {
        QFETCH(bool, bias);
        QFETCH(QVector<int>, outs);
        QFETCH(QVector<int>, ranks);
        torch::manual_seed(11);
        auto g = makeGroup(10, {outs.begin(), outs.end()}, {ranks.begin(), ranks.end()}, bias, torch::kFloat64);
        const auto x = torch::randn({2, 5, 10}, torch::kFloat64);
        auto loss = [](std::vector<torch::Tensor> ys) { return weightedSum(ys, 5); };
        const auto fused = run(g, x, true, loss);
        const auto separate = run(g, x, false, loss);
        QVERIFY(fused.grouped);
        QVERIFY(!separate.grouped);
        expectSame(fused, separate, 1e-12);
    }

    // The grouped node's own gradient against central differences of its forward (float64).
    void groupedGradientMatchesFiniteDifferences() {
        torch::manual_seed(12);
        auto g = makeGroup(6, {5, 3}, {2, 3}, true, torch::kFloat64);
        auto x = torch::randn({4, 6}, torch::kFloat64).requires_grad_(true);
        auto ys = model::projectSharedInput(g.raw(), x);
        QVERIFY(isGrouped(ys));
        weightedSum(ys, 9).backward();
        std::vector<torch::Tensor> probes{x};
        for (auto& t : g.trainable())
            probes.push_back(t);
        for (auto& p : probes) {
            torch::NoGradGuard noGrad;
            auto flat = p.view(-1);
            const double eps = 1e-6;
            for (std::int64_t i = 0; i < flat.numel(); ++i) {
                const double v = flat[i].item<double>();
                auto f = [&] { return weightedSum(model::projectSharedInput(g.raw(), x), 9).item<double>(); };
                flat[i] = v + eps;
                const double up = f();
                flat[i] = v - eps;
                const double down = f();
                flat[i] = v;
                const double numeric = (up - down) / (2 * eps);
                const double analytic = p.grad().view(-1)[i].item<double>();
                QVERIFY2(std::abs(numeric - analytic) <= 1e-6 * std::max(1.0, std::abs(numeric)),
                         qPrintable(QStringLiteral("element %1: %2 vs %3").arg(i).arg(analytic).arg(numeric)));
            }
        }
    }

    // Only some outputs reach the loss (e.g. a head that uses q alone): the others get no gradient.
    void anUnusedOutputContributesNothing() {
        torch::manual_seed(13);
        auto g = makeGroup(8, {6, 6, 6}, {2, 2, 2}, false, torch::kFloat64);
        const auto x = torch::randn({3, 8}, torch::kFloat64);
        auto loss = [](std::vector<torch::Tensor> ys) { return weightedSum({ys[0], ys[2]}, 3); };
        const auto fused = run(g, x, true, loss);
        const auto separate = run(g, x, false, loss);
        QVERIFY(fused.grouped);
        // The middle layer's adapter gets no gradient either way (undefined or zero).
        for (std::size_t i : {std::size_t{3}, std::size_t{4}}) {
            const auto& a = fused.grads[i];
            QVERIFY(!a.defined() || a.abs().max().item<double>() == 0.0);
            QVERIFY(!separate.grads[i].defined() || separate.grads[i].abs().max().item<double>() == 0.0);
        }
        for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{6}})
            QVERIFY2(relDiff(fused.grads[i], separate.grads[i]) <= 1e-12, qPrintable(QString::number(i)));
    }

    // One layer with LoRA (o_proj, down_proj, GPT-2's Conv1D layers) runs as a node of its own
    // while training, with the numbers of the plain LoRA forward: outputs and every gradient.
    void aSingleLayerUsesTheNode_data() {
        QTest::addColumn<bool>("conv1d");
        QTest::newRow("linear") << false;
        QTest::newRow("conv1d (GPT-2)") << true;
    }
    void aSingleLayerUsesTheNode() {
        QFETCH(bool, conv1d);
        torch::manual_seed(15);
        auto g = makeGroup(8, {5}, {3}, true, torch::kFloat64, {}, conv1d);
        const auto x = torch::randn({2, 3, 8}, torch::kFloat64);
        auto loss = [](std::vector<torch::Tensor> ys) { return weightedSum(ys, 4); };
        const auto node = run(g, x, true, loss);
        const auto plain = run(g, x, false, loss);
        QVERIFY(node.grouped);
        QVERIFY(!plain.grouped);
        QCOMPARE(node.grads.size(), std::size_t{3});
        expectSame(node, plain, 1e-12);
    }

    // The rank-r products split by rows across helper threads (3 parts, uneven: 211 rows) give
    // the numbers of no split and of the layers one by one: outputs and every gradient, with a
    // layer whose output gets no gradient.
    void rowPartsGiveTheUnsplitNumbers() {
        torch::manual_seed(16);
        auto g = makeGroup(10, {12, 4, 4}, {3, 2, 3}, true, torch::kFloat64);
        const auto x = torch::randn({211, 10}, torch::kFloat64);
        auto loss = [](std::vector<torch::Tensor> ys) { return weightedSum({ys[0], ys[2]}, 6); };
        system::overrideSmallProductParts(3);
        const auto split = run(g, x, true, loss);
        system::overrideSmallProductParts(1);
        const auto whole = run(g, x, true, loss);
        system::overrideSmallProductParts(0);
        const auto separate = run(g, x, false, loss);
        QVERIFY(split.grouped);
        for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{6}}) {
            QVERIFY2(relDiff(split.grads[i], whole.grads[i]) <= 1e-12, qPrintable(QString::number(i)));
            QVERIFY2(relDiff(split.grads[i], separate.grads[i]) <= 1e-12, qPrintable(QString::number(i)));
        }
        for (std::size_t j = 0; j < split.outputs.size(); ++j)
            QVERIFY(relDiff(split.outputs[j], separate.outputs[j]) <= 1e-12);
    }

    // Where grouping would not compute the same thing, the layers run one by one.
    void fallsBackWhereGroupingDoesNotApply() {
        torch::manual_seed(14);
        const auto x = torch::randn({3, 8}, torch::kFloat32).requires_grad_(true);
        AdapterSpec dora;
        dora.useDora = true;
        auto withDora = makeGroup(8, {6, 6}, {2, 2}, false, torch::kFloat32, dora);
        QVERIFY(!isGrouped(model::projectSharedInput(withDora.raw(), x)));

        AdapterSpec dropout;
        dropout.dropout = 0.1;
        auto withDropout = makeGroup(8, {6, 6}, {2, 2}, false, torch::kFloat32, dropout);
        for (auto& l : withDropout.loras)
            l->train(true);
        QVERIFY(!isGrouped(model::projectSharedInput(withDropout.raw(), x)));
        for (auto& l : withDropout.loras)
            l->train(false); // evaluation: the dropout is off, so the layers group again
        QVERIFY(isGrouped(model::projectSharedInput(withDropout.raw(), x)));

        auto trainableBase = makeGroup(8, {6, 6}, {2, 2}, false, torch::kFloat32);
        trainableBase.layers[1]->weight.requires_grad_(true);
        QVERIFY(!isGrouped(model::projectSharedInput(trainableBase.raw(), x)));

        auto plain = makeGroup(8, {6, 6}, {2, 2}, false, torch::kFloat32);
        {
            torch::NoGradGuard noGrad;
            QVERIFY(!model::projectSharedInput(plain.raw(), x)[0].grad_fn());
        }
        model::setSharedInputFusion(false);
        QVERIFY(!isGrouped(model::projectSharedInput(plain.raw(), x)));
        model::setSharedInputFusion(true);
        QVERIFY(isGrouped(model::projectSharedInput(plain.raw(), x)));
    }

    // A whole llama-family model with LoRA on every projection: the training loss and every
    // adapter gradient are the same with the grouped q/k/v and gate/up as without (float32).
    void llamaTrainingStepIsUnchanged_data() {
        QTest::addColumn<QString>("modelType");
        QTest::newRow("llama (grouped kv heads)") << QStringLiteral("llama");
        QTest::newRow("qwen2 (q/k/v bias)") << QStringLiteral("qwen2");
    }
    void llamaTrainingStepIsUnchanged() {
        QFETCH(QString, modelType);
        const auto json = QStringLiteral(R"({"model_type":"%1","hidden_size":64,"intermediate_size":96,
            "num_hidden_layers":2,"num_attention_heads":8,"num_key_value_heads":2,"vocab_size":120,
            "max_position_embeddings":64,"rms_norm_eps":1e-6,"initializer_range":0.2})").arg(modelType);
        auto m = model::randomCausalLM(model::parseModelConfig(Json::parse(json.toStdString()), "config.json"), 21);
        AdapterSpec spec;
        spec.r = 4;
        spec.alpha = 8;
        spec.targetModules = {"all-linear"};
        adapters::PeftModel pm(m, spec, 3);
        pm.train(true);
        {
            torch::NoGradGuard noGrad; // B = 0 at init would hide the B terms
            for (auto& [name, t] : pm.tensors())
                if (name.find("lora_B") != std::string::npos)
                    t.normal_(0.0, 0.05);
        }
        torch::manual_seed(4);
        const auto ids = torch::randint(0, 120, {2, 13}, torch::kInt64);
        auto step = [&](bool fused) {
            model::setSharedInputFusion(fused);
            for (auto& t : pm.trainableParameters())
                t.mutable_grad() = torch::Tensor();
            model::ForwardInput in;
            in.inputIds = ids;
            const auto logits = pm.logits(pm.forward(in));
            const auto loss = torch::nn::functional::cross_entropy(
                logits.narrow(1, 0, 12).reshape({-1, 120}), ids.narrow(1, 1, 12).reshape({-1}));
            loss.backward();
            std::vector<torch::Tensor> grads;
            for (auto& t : pm.trainableParameters())
                grads.push_back(t.grad().clone());
            model::setSharedInputFusion(true);
            return std::make_pair(loss.item<double>(), grads);
        };
        const auto [fusedLoss, fusedGrads] = step(true);
        const auto [plainLoss, plainGrads] = step(false);
        QVERIFY2(std::abs(fusedLoss - plainLoss) <= 1e-6 * std::abs(plainLoss),
                 qPrintable(QStringLiteral("%1 vs %2").arg(fusedLoss).arg(plainLoss)));
        QCOMPARE(fusedGrads.size(), plainGrads.size());
        QVERIFY(!fusedGrads.empty());
        for (std::size_t i = 0; i < fusedGrads.size(); ++i) {
            const double d = relDiff(fusedGrads[i], plainGrads[i]);
            QVERIFY2(d <= 1e-4, qPrintable(QStringLiteral("gradient %1 differs by %2 (relative)").arg(i).arg(d)));
        }
    }
};

QTEST_APPLESS_MAIN(TestSharedInputProjections)
#include "tst_shared_input_projections.moc"
