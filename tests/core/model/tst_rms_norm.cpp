// RMSNorm while training (RMSNormImpl::forward as one autograd node with a closed-form backward)
// against plain autograd of transformers' expression w * (x * rsqrt(mean(x^2) + eps)), in float64
// for the reference; its backward split by rows into parts on helper threads gives the same bits.
#include "model/layers.h"
#include "system/parallel_parts.h"

#include <QtTest>

using namespace ps;

namespace {

torch::Tensor reference(const torch::Tensor& x, const torch::Tensor& w, double eps) {
    return w * (x * torch::rsqrt(x.square().mean(-1, true) + eps));
}

} // namespace

class TestRmsNorm final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void trainingNodeMatchesAutograd_data() {
        QTest::addColumn<bool>("trainableWeight");
        QTest::addColumn<double>("eps");
        QTest::addColumn<int>("positions"); // 3 x 70 rows: enough for 3 parts
        QTest::newRow("frozen weight (LoRA)") << false << 1e-6 << 7;
        QTest::newRow("trained weight (full fine-tuning)") << true << 1e-5 << 7;
        QTest::newRow("eps dominates tiny rows") << false << 1.0 << 7;
        QTest::newRow("frozen weight, rows in parts") << false << 1e-6 << 70;
        QTest::newRow("trained weight, rows in parts") << true << 1e-5 << 70;
    }
    void trainingNodeMatchesAutograd() {
        QFETCH(bool, trainableWeight);
        QFETCH(double, eps);
        QFETCH(int, positions);
        torch::manual_seed(8);
        const std::int64_t H = 24;
        const auto x0 = torch::randn({3, positions, H}) * 2.0, gOut = torch::randn({3, positions, H});
        model::RMSNorm norm(H, eps, false);
        {
            torch::NoGradGuard noGrad;
            norm->weight.normal_(1.0, 0.3);
        }
        norm->weight.requires_grad_(trainableWeight);
        system::overrideSmallProductParts(1);
        auto x1 = x0.clone().requires_grad_(true);
        (norm(x1) * gOut).sum().backward();
        norm->weight.mutable_grad() = torch::Tensor();
        auto x = x0.clone().requires_grad_(true);
        system::overrideSmallProductParts(3);
        const auto out = norm(x);
        QVERIFY(out.grad_fn() && out.grad_fn()->name().find("RmsNormFunction") != std::string::npos);
        (out * gOut).sum().backward();
        system::overrideSmallProductParts(0);
        QVERIFY2(torch::equal(x.grad(), x1.grad()), "parts change the input gradient's bits");

        auto xr = x0.to(torch::kFloat64).requires_grad_(true);
        auto wr = norm->weight.detach().to(torch::kFloat64).requires_grad_(trainableWeight);
        const auto ref = reference(xr, wr, eps);
        (ref * gOut.to(torch::kFloat64)).sum().backward();

        auto close = [](const torch::Tensor& a, const torch::Tensor& b) {
            const double scale = std::max(1.0, b.abs().max().item<double>());
            return (a.to(torch::kFloat64) - b).abs().max().item<double>() <= 2e-6 * scale;
        };
        QVERIFY2(close(out.detach(), ref.detach()), "output");
        QVERIFY2(close(x.grad(), xr.grad()), "input gradient");
        if (trainableWeight)
            QVERIFY2(close(norm->weight.grad(), wr.grad()), "weight gradient");
        else
            QVERIFY(!norm->weight.grad().defined());
    }

    // Outside training (no gradient recorded) the expression is evaluated directly; the same numbers.
    void inferenceIsTheSameExpression() {
        torch::manual_seed(9);
        model::RMSNorm norm(16, 1e-6, false);
        {
            torch::NoGradGuard noGrad;
            norm->weight.normal_(1.0, 0.3);
        }
        norm->weight.requires_grad_(false);
        const auto x = torch::randn({4, 16});
        const auto trained = norm(x.clone().requires_grad_(true)).detach();
        torch::NoGradGuard noGrad;
        QVERIFY(torch::equal(norm(x), trained));
    }
};

QTEST_APPLESS_MAIN(TestRmsNorm)
#include "tst_rms_norm.moc"
