// The gated MLP product used while training (gatedActivation: one autograd node for SiLU that
// recomputes silu(gate) in backward) against plain autograd of silu(gate) * up.
#include "model/layers.h"

#include <QtTest>

using namespace ps;

class TestGatedActivation final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesPlainAutograd_data() {
        QTest::addColumn<int>("activation");
        QTest::newRow("silu (fused)") << static_cast<int>(model::Activation::Silu);
        QTest::newRow("gelu_tanh (plain)") << static_cast<int>(model::Activation::GeluTanh);
    }
    void matchesPlainAutograd() {
        QFETCH(int, activation);
        const auto act = static_cast<model::Activation>(activation);
        torch::manual_seed(3);
        // Large gate values too: the derivative of SiLU saturates differently on both sides.
        const auto g0 = torch::randn({3, 5, 16}) * 4.0, u0 = torch::randn({3, 5, 16}), w = torch::randn({3, 5, 16});
        const auto run = [&](bool fused) {
            auto g = g0.clone().requires_grad_(true), u = u0.clone().requires_grad_(true);
            const auto out = fused ? model::gatedActivation(g, u, act) : model::activate(g, act) * u;
            (out * w).sum().backward();
            return std::vector<torch::Tensor>{out.detach(), g.grad(), u.grad()};
        };
        const auto ours = run(true), ref = run(false);
        for (std::size_t i = 0; i < ours.size(); ++i) {
            const double diff = (ours[i] - ref[i]).abs().max().item<double>();
            QVERIFY2(diff < 1e-5, qPrintable(QStringLiteral("tensor %1 differs by %2").arg(i).arg(diff)));
        }
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
