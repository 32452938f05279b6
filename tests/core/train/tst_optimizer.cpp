// AdamW / SGD against updates computed by hand (torch.optim formulas re-typed in plain doubles),
// parameter groups as transformers builds them, state save / load, and gradient clipping as
// torch.nn.utils.clip_grad_norm_.
#include "io/torch_tensors.h"
#include "ps/error.h"
#include "ps/run_config.h"
#include "train/grad_clip.h"
#include "train/optimizer.h"
#include "train/param_groups.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace ps;
using namespace ps::train;

namespace {

torch::Tensor param(std::vector<double> values) {
    return torch::tensor(values, torch::kFloat64).set_requires_grad(true);
}

void setGrad(torch::Tensor& p, std::vector<double> g) {
    p.mutable_grad() = torch::tensor(g, torch::kFloat64);
}

std::vector<double> values(const torch::Tensor& t) {
    auto c = t.to(torch::kFloat64).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// torch.optim.AdamW for one scalar, step by step (the reference the test trusts).
struct ScalarAdamW {
    double p, m = 0, v = 0;
    int t = 0;
    void step(double g, double lr, double wd, double b1, double b2, double eps) {
        ++t;
        p *= 1 - lr * wd;
        m = m + (g - m) * (1 - b1); // lerp
        v = v * b2 + (1 - b2) * g * g;
        const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
        p -= lr / bc1 * (m / (std::sqrt(v) / std::sqrt(bc2) + eps));
    }
};

// A small model with every kind of parameter the decay rule distinguishes.
struct RMSNormImpl : torch::nn::Module {
    RMSNormImpl() { weight = register_parameter("weight", torch::ones({4})); }
    torch::Tensor weight;
};
TORCH_MODULE(RMSNorm);

struct BlockImpl : torch::nn::Module {
    BlockImpl() {
        q_proj = register_module("q_proj", torch::nn::Linear(4, 4));
        ln_1 = register_module("ln_1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4})));
        input_layernorm = register_module("input_layernorm", RMSNorm());
        q_norm = register_parameter("q_norm", torch::ones({4})); // by name: "_norm" component suffix
        scale = register_parameter("scale", torch::ones({4}));
        frozen = register_parameter("frozen", torch::ones({4}), /*requires_grad=*/false);
    }
    torch::nn::Linear q_proj{nullptr};
    torch::nn::LayerNorm ln_1{nullptr};
    RMSNorm input_layernorm{nullptr};
    torch::Tensor q_norm, scale, frozen;
};
TORCH_MODULE(Block);

struct TinyModelImpl : torch::nn::Module {
    TinyModelImpl() {
        block = register_module("block", Block());
        norm = register_module("norm", torch::nn::Linear(4, 4)); // a module *named* norm
    }
    Block block{nullptr};
    torch::nn::Linear norm{nullptr};
};
TORCH_MODULE(TinyModel);

} // namespace

class TestOptimizer final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void adamwOneStepByHand() {
        // One step from zero state: m = (1-b1) g, v = (1-b2) g^2, so the update is
        // lr * g / (|g| + eps) after decoupled decay p * (1 - lr * wd).
        torch::Tensor p = param({1.0, -2.0, 0.5, 3.0});
        setGrad(p, {0.1, -0.2, 0.3, 0.0});
        AdamW opt({{"decay", {{"w", p}}, 0.1}});
        opt.step(0.01);
        const std::vector<double> g{0.1, -0.2, 0.3, 0.0}, p0{1.0, -2.0, 0.5, 3.0};
        const auto got = values(p);
        for (int i = 0; i < 4; ++i) {
            const double expected = p0[i] * (1 - 0.01 * 0.1) - 0.01 * g[i] / (std::fabs(g[i]) + 1e-8);
            QVERIFY2(
                std::fabs(got[i] - expected) < 1e-15,
                qPrintable(QStringLiteral("%1: %2 vs %3").arg(i).arg(got[i], 0, 'g', 17).arg(expected, 0, 'g', 17)));
        }
        // A concrete number (Python: 1 * (1 - 0.01 * 0.1) - 0.01 * 0.1 / (0.1 + 1e-8)).
        QVERIFY(std::fabs(got[0] - 0.9890000009999999) < 1e-15);
        QCOMPARE(opt.state("w")->step, std::int64_t(1));
    }

    void adamwSeveralStepsMatchReference() {
        torch::Tensor p = param({0.3, -1.7});
        AdamW opt({{"decay", {{"w", p}}, 0.05}}, AdamWOptions{0.8, 0.95, 1e-6});
        ScalarAdamW r0{0.3}, r1{-1.7};
        const double grads[5][2] = {{0.5, -0.25}, {-0.1, 0.75}, {2.0, 0.0}, {0.01, -3.0}, {-0.5, 0.5}};
        const double lrs[5] = {1e-3, 2e-3, 3e-3, 1e-3, 5e-4};
        for (int s = 0; s < 5; ++s) {
            setGrad(p, {grads[s][0], grads[s][1]});
            opt.step(lrs[s]);
            r0.step(grads[s][0], lrs[s], 0.05, 0.8, 0.95, 1e-6);
            r1.step(grads[s][1], lrs[s], 0.05, 0.8, 0.95, 1e-6);
        }
        const auto got = values(p);
        QVERIFY2(std::fabs(got[0] - r0.p) < 1e-14, qPrintable(QString::number(got[0] - r0.p)));
        QVERIFY2(std::fabs(got[1] - r1.p) < 1e-14, qPrintable(QString::number(got[1] - r1.p)));
    }

    void adamwSkipsParametersWithoutGradient() {
        torch::Tensor a = param({1.0}), b = param({2.0});
        setGrad(a, {0.5});
        AdamW opt({{"decay", {{"a", a}, {"b", b}}, 0.1}});
        opt.step(0.1);
        QCOMPARE(values(b)[0], 2.0); // untouched, not even decayed (as torch)
        QVERIFY(!opt.state("b"));
        QCOMPARE(opt.stateTensors().size(), std::size_t(3));
    }

    void decayParameterNamesFollowTransformers() {
        TinyModel model;
        const auto decay = decayParameterNames(*model);
        // Excluded: biases; everything under the LayerNorm (by type) and the RMSNorm (by class
        // name); "block.q_norm" (a component ending in _norm) and "norm.*" (a component "norm").
        const std::set<std::string> expected{"block.q_proj.weight", "block.scale", "block.frozen"};
        QCOMPARE(decay, expected);
    }

    void noDecayNames_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("noDecay");
        QTest::newRow("llama input_layernorm") << "model.layers.0.input_layernorm.weight" << true;
        QTest::newRow("llama final norm") << "model.norm.weight" << true;
        QTest::newRow("qwen3 q_norm") << "model.layers.0.self_attn.q_norm.weight" << true;
        QTest::newRow("a bias") << "transformer.h.0.attn.c_attn.bias" << true;
        QTest::newRow("lora A") << "model.layers.0.self_attn.q_proj.lora_A.weight" << false;
        QTest::newRow("gpt2 ln_f is recognised by type, not name") << "transformer.ln_f.weight" << false;
        QTest::newRow("norm inside a word") << "model.normalizer.weight" << false;
        QTest::newRow("embedding") << "model.embed_tokens.weight" << false;
    }
    void noDecayNames() {
        QFETCH(QString, name);
        QFETCH(bool, noDecay);
        QCOMPARE(isNoDecayName(name.toStdString()), noDecay);
    }

    void noDecayGroupIsUntouchedByDecay() {
        TinyModel model;
        const auto groups = makeParamGroups(*model, 0.5);
        QCOMPARE(groups.size(), std::size_t(2));
        QCOMPARE(groups[0].name, std::string("decay"));
        QCOMPARE(groups[0].weightDecay, 0.5);
        QCOMPARE(groups[1].name, std::string("no_decay"));
        QCOMPARE(groups[1].weightDecay, 0.0);
        for (const auto& g : groups)
            for (const auto& [name, p] : g.params)
                QVERIFY2(name != "block.frozen", "frozen parameters are not optimised");

        // Zero gradients: Adam's update is 0 / (0 + eps) = 0, so only the decay moves weights.
        std::map<std::string, torch::Tensor> before;
        for (const auto& g : groups)
            for (const auto& [name, p] : g.params) {
                torch::NoGradGuard ng;
                p.copy_(torch::rand_like(p) + 0.5);
                p.mutable_grad() = torch::zeros_like(p);
                before[name] = p.detach().clone();
            }
        AdamW opt(groups);
        opt.step(0.1);
        for (const auto& g : groups)
            for (const auto& [name, p] : g.params) {
                const torch::Tensor expected = g.weightDecay > 0 ? before[name] * (1 - 0.1 * 0.5) : before[name];
                QVERIFY2(torch::equal(p.detach(), expected), name.c_str());
            }
    }

    void sgdWithMomentumByHand() {
        torch::Tensor p = param({1.0});
        Sgd opt({{"decay", {{"w", p}}, 0.1}}, SgdOptions{0.9});
        // step 1: d = g + wd p = 0.5 + 0.1 = 0.6; buf = 0.6; p = 1 - 0.1 * 0.6 = 0.94
        setGrad(p, {0.5});
        opt.step(0.1);
        QVERIFY(std::fabs(values(p)[0] - 0.94) < 1e-15);
        // step 2: d = 0.5 + 0.094 = 0.594; buf = 0.9 * 0.6 + 0.594 = 1.134; p = 0.94 - 0.1134
        setGrad(p, {0.5});
        opt.step(0.1);
        QVERIFY(std::fabs(values(p)[0] - (0.94 - 0.1134)) < 1e-15);
        QCOMPARE(opt.stateTensors().size(), std::size_t(1));
    }

    void stateRoundTripContinuesIdentically_data() {
        QTest::addColumn<QString>("kind");
        QTest::newRow("adamw") << "adamw";
        QTest::newRow("sgd with momentum") << "sgd";
    }
    void stateRoundTripContinuesIdentically() {
        QFETCH(QString, kind);
        RunConfig config;
        config.optimizer = kind.toStdString();
        config.sgd_momentum = 0.9;
        torch::manual_seed(1);
        torch::Tensor a = torch::randn({3, 4}).set_requires_grad(true);
        torch::Tensor b = a.detach().clone().set_requires_grad(true);
        auto optA = makeOptimizer(config, {{"decay", {{"layer.weight", a}}, 0.01}});
        for (int s = 0; s < 3; ++s) {
            a.mutable_grad() = torch::randn({3, 4});
            optA->step(1e-2);
        }
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("optimizer.safetensors")).toStdString();
        saveTensors(path, optA->stateTensors(), optA->stateMetadata());
        {
            torch::NoGradGuard ng;
            b.copy_(a);
        }
        auto optB = makeOptimizer(config, {{"decay", {{"layer.weight", b}}, 0.01}});
        auto meta = SafetensorsFile::open(path)->metadata();
        optB->loadStateTensors(loadAllTensors(path), meta, path);
        const torch::Tensor g = torch::randn({3, 4});
        a.mutable_grad() = g.clone();
        b.mutable_grad() = g.clone();
        optA->step(1e-2);
        optB->step(1e-2);
        QVERIFY(torch::equal(a, b));
    }

    void loadStateRejectsMismatches() {
        torch::Tensor p = torch::zeros({2, 2}, torch::kFloat32).set_requires_grad(true);
        AdamW opt({{"decay", {{"w", p}}, 0.0}});
        const std::map<std::string, std::string> meta{{"optimizer", "adamw"}};
        const auto errorOf = [&](const NamedTensors& state, const std::map<std::string, std::string>& m) {
            try {
                opt.loadStateTensors(state, m, "optimizer.safetensors");
            } catch (const Error& e) {
                return std::string(e.what());
            }
            return std::string();
        };
        const auto z = torch::zeros({2, 2});
        const auto one = torch::tensor({std::int64_t(1)});
        QVERIFY(errorOf({{"w.exp_avg", z}}, {{"optimizer", "sgd"}}).find("written by the sgd optimizer") !=
                std::string::npos);
        QVERIFY(errorOf({{"v.exp_avg", z}, {"v.exp_avg_sq", z}, {"v.step", one}}, meta)
                    .find("'v', which is not a trainable") != std::string::npos);
        QVERIFY(errorOf({{"w.exp_avg", torch::zeros({3})}}, meta).find("has shape [3], the parameter has [2, 2]") !=
                std::string::npos);
        QVERIFY(errorOf({{"w.exp_avg", z}, {"w.step", one}}, meta).find("incomplete") != std::string::npos);
        QVERIFY(errorOf({{"w.exp_avg", z}, {"w.exp_avg_sq", z}, {"w.step", one}}, meta).empty());
    }

    void zeroGradDropsGradients() {
        torch::Tensor p = param({1.0});
        setGrad(p, {1.0});
        Sgd opt({{"decay", {{"w", p}}, 0.0}});
        opt.zeroGrad();
        QVERIFY(!p.grad().defined());
    }

    void clipGradNormAsTorch() {
        torch::Tensor a = torch::zeros({2}).set_requires_grad(true);
        torch::Tensor b = torch::zeros({1}).set_requires_grad(true);
        torch::Tensor none = torch::zeros({1}).set_requires_grad(true);
        a.mutable_grad() = torch::tensor({3.0f, 4.0f});
        b.mutable_grad() = torch::tensor({12.0f});
        // total = sqrt(5^2 + 12^2) = 13
        const double total = clipGradNorm({a, b, none}, 6.5);
        QCOMPARE(total, 13.0);
        const float coef = 1.0f / (13.0f + 1e-6f) * 6.5f; // torch: (total + 1e-6).reciprocal() * max_norm, in float32
        QVERIFY(torch::equal(a.grad(), torch::tensor({3.0f, 4.0f}) * coef));
        QVERIFY(std::fabs(a.grad()[0].item<double>() - 1.5) < 1e-6);

        a.mutable_grad() = torch::tensor({3.0f, 4.0f});
        b.mutable_grad() = torch::tensor({12.0f});
        QCOMPARE(clipGradNorm({a, b}, 100.0), 13.0); // below the limit: coefficient clamped to 1
        QVERIFY(torch::equal(a.grad(), torch::tensor({3.0f, 4.0f})));
        QCOMPARE(clipGradNorm({a, b}, 0.0), 13.0); // 0 = report only
        QVERIFY(torch::equal(b.grad(), torch::tensor({12.0f})));
        QCOMPARE(clipGradNorm({none}, 1.0), 0.0);
    }
};

QTEST_APPLESS_MAIN(TestOptimizer)
#include "tst_optimizer.moc"
