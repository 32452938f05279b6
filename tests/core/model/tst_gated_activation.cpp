// The gated MLP product used while training (gatedActivation: one autograd node for SiLU that
// recomputes silu(gate) in backward; GELU's own node) against plain autograd of act(gate) * up;
// split into parts on helper threads (3 uneven ranges), the same bits as one part.
#include "model/layers.h"
#include "system/parallel_parts.h"

#include <QtTest>

using namespace ps;

class TestGatedActivation final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesPlainAutograd_data() {
        QTest::addColumn<int>("activation");
        QTest::addColumn<int>("features"); // 3 x 70 x 1000 elements: enough for 3 parts
        QTest::newRow("silu (fused)") << static_cast<int>(model::Activation::Silu) << 16;
        QTest::newRow("silu (fused), in parts") << static_cast<int>(model::Activation::Silu) << 1000;
        QTest::newRow("gelu_tanh") << static_cast<int>(model::Activation::GeluTanh) << 16;
        QTest::newRow("gelu_tanh, in parts") << static_cast<int>(model::Activation::GeluTanh) << 1000;
        QTest::newRow("gelu (exact), in parts") << static_cast<int>(model::Activation::Gelu) << 1000;
    }
    void matchesPlainAutograd() {
        QFETCH(int, activation);
        QFETCH(int, features);
        const auto act = static_cast<model::Activation>(activation);
        torch::manual_seed(3);
        const std::int64_t rows = features > 16 ? 70 : 5;
        // Large gate values too: the derivative of SiLU saturates differently on both sides.
        const auto g0 = torch::randn({3, rows, features}) * 4.0, u0 = torch::randn({3, rows, features}),
                   w = torch::randn({3, rows, features});
        const auto run = [&](bool fused, int parts) {
            system::overrideSmallProductParts(parts);
            auto g = g0.clone().requires_grad_(true), u = u0.clone().requires_grad_(true);
            // The reference: LibTorch's own functions, recorded by autograd as they are.
            const auto plain = act == model::Activation::Silu ? torch::silu(g)
                               : act == model::Activation::Gelu ? torch::gelu(g)
                                                                : torch::gelu(g, "tanh");
            const auto out = fused ? model::gatedActivation(g, u, act) : plain * u;
            (out * w).sum().backward();
            system::overrideSmallProductParts(0);
            return std::vector<torch::Tensor>{out.detach(), g.grad(), u.grad()};
        };
        const auto ours = run(true, 3), ref = run(false, 1), onePart = run(true, 1);
        for (std::size_t i = 0; i < ours.size(); ++i) {
            const double diff = (ours[i] - ref[i]).abs().max().item<double>();
            QVERIFY2(diff < 1e-5, qPrintable(QStringLiteral("tensor %1 differs by %2").arg(i).arg(diff)));
            QVERIFY2(torch::equal(ours[i], onePart[i]), qPrintable(QStringLiteral("tensor %1: parts change bits").arg(i)));
        }
    }

    // GPT-2's MLP while training: GELU runs as its own node (the one split into parts above).
    void geluTrainingUsesItsNode() {
        const auto x = torch::randn({4, 8}).requires_grad_(true);
        const auto y = model::activate(x, model::Activation::GeluTanh);
        QVERIFY(y.grad_fn() && y.grad_fn()->name().find("GeluFunction") != std::string::npos);
        torch::NoGradGuard noGrad;
        QVERIFY(!model::activate(x, model::Activation::GeluTanh).requires_grad());
    }

    // Without gradients (inference) the plain expression runs: no autograd node at all.
    void inferenceBuildsNoGraph() {
        torch::NoGradGuard noGrad;
        const auto g = torch::randn({2, 4}).requires_grad_(true), u = torch::randn({2, 4});
        const auto out = model::gatedActivation(g, u, model::Activation::Silu);
        QVERIFY(!out.requires_grad());
        QVERIFY(torch::allclose(out, torch::silu(g) * u));
    }
};

QTEST_APPLESS_MAIN(TestGatedActivation)
#include "tst_gated_activation.moc"
