// The fused head cross-entropy (gradients computed in forward, chunk by chunk, and scaled in
// backward) against the reference formula: full logits through torch's cross_entropy, with
// ordinary autograd. Uneven chunks, a bias, a trained head, a scaled loss, and no-grad use.
// The row kernel of head_softmax.h against its double-precision reference, which is tied to
// LibTorch's log_softmax in float64; non-finite rows; the split between cores changes no bit.
#include "system/parallel_parts.h"
#include "train/head_loss.h"
#include "train/head_softmax.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace ps;

namespace {

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

struct Case {
    torch::Tensor hidden, weight, bias, targets;
};

Case makeCase(std::int64_t n, std::int64_t h, std::int64_t v, bool withBias, bool trainHead, std::uint64_t seed) {
    torch::manual_seed(seed);
    Case c;
    c.hidden = (torch::randn({n, h}) * 2.0).requires_grad_(true);
    c.weight = (torch::randn({v, h}) * 0.5).requires_grad_(trainHead);
    c.bias = withBias ? (torch::randn({v}) * 0.3).requires_grad_(trainHead) : torch::Tensor();
    c.targets = torch::randint(0, v, {n}, torch::kInt64);
    return c;
}

} // namespace

class TestHeadLoss final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesCrossEntropyOnFullLogits_data() {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("chunk");
        QTest::addColumn<bool>("withBias");
        QTest::addColumn<bool>("trainHead");
        QTest::addColumn<double>("scale");
        QTest::newRow("one chunk") << 37 << 1024 << false << false << 1.0;
        QTest::newRow("uneven chunks, scaled") << 37 << 8 << false << false << 0.37;
        QTest::newRow("bias, trained head") << 29 << 7 << true << true << -2.5;
        QTest::newRow("chunk of one row") << 5 << 1 << true << false << 1.0 / 5.0;
    }
    void matchesCrossEntropyOnFullLogits() {
        QFETCH(int, rows);
        QFETCH(int, chunk);
        QFETCH(bool, withBias);
        QFETCH(bool, trainHead);
        QFETCH(double, scale);
        const std::int64_t h = 16, v = 53;
        Case fused = makeCase(rows, h, v, withBias, trainHead, 11);
        Case ref = makeCase(rows, h, v, withBias, trainHead, 11);

        auto loss = train::fusedHeadCrossEntropySum(fused.hidden, fused.weight, fused.bias, fused.targets, chunk);
        (loss * scale).backward();

        auto logits = torch::matmul(ref.hidden, ref.weight.t());
        if (withBias)
            logits = logits + ref.bias;
        auto refLoss = torch::nn::functional::cross_entropy(
            logits, ref.targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        (refLoss * scale).backward();

        QVERIFY2(std::abs(loss.item<double>() - refLoss.item<double>()) <= 1e-4 * std::abs(refLoss.item<double>()),
                 qPrintable(QStringLiteral("%1 vs %2").arg(loss.item<double>()).arg(refLoss.item<double>())));
        QVERIFY2(maxAbsDiff(fused.hidden.grad(), ref.hidden.grad()) <= 1e-5,
                 qPrintable(QString::number(maxAbsDiff(fused.hidden.grad(), ref.hidden.grad()))));
        QCOMPARE(fused.weight.grad().defined(), trainHead);
        if (trainHead) {
            // The head's gradient sums the chunks' products in float32: a few ulps of its largest
            // element (~36 here) apart from the reference's one product, whatever the BLAS.
            const double largest = ref.weight.grad().abs().max().item<double>();
            QVERIFY2(maxAbsDiff(fused.weight.grad(), ref.weight.grad()) <= 2e-6 * std::max(1.0, largest),
                     qPrintable(QString::number(maxAbsDiff(fused.weight.grad(), ref.weight.grad()))));
            QVERIFY(maxAbsDiff(fused.bias.grad(), ref.bias.grad()) <= 1e-5);
        }
    }

    // The same loss used twice in one graph: both uses' gradients add up.
    void lossUsedTwiceAddsBothGradients() {
        Case fused = makeCase(12, 8, 19, false, false, 3);
        Case ref = makeCase(12, 8, 19, false, false, 3);
        auto loss = train::fusedHeadCrossEntropySum(fused.hidden, fused.weight, fused.bias, fused.targets, 5);
        (loss * 0.25 + loss * loss * 0.01).backward();
        auto refLoss = torch::nn::functional::cross_entropy(
            torch::matmul(ref.hidden, ref.weight.t()), ref.targets,
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        (refLoss * 0.25 + refLoss * refLoss * 0.01).backward();
        QVERIFY(maxAbsDiff(fused.hidden.grad(), ref.hidden.grad()) <= 1e-5);
    }

    // Without gradients (evaluation) the loss is the same and nothing is kept.
    void noGradGivesTheSameLoss() {
        Case c = makeCase(21, 8, 31, true, false, 5);
        double withGrad = train::fusedHeadCrossEntropySum(c.hidden, c.weight, c.bias, c.targets, 4).item<double>();
        torch::NoGradGuard noGrad;
        auto loss = train::fusedHeadCrossEntropySum(c.hidden.detach(), c.weight, c.bias, c.targets, 4);
        QVERIFY(!loss.requires_grad());
        QCOMPARE(loss.item<double>(), withGrad);
    }

    // Large logits (a confident head) must not overflow: the row maximum is subtracted first.
    void largeLogitsStayFinite() {
        Case c = makeCase(6, 4, 9, false, false, 9);
        auto hidden = (c.hidden.detach() * 1000.0).requires_grad_(true);
        auto loss = train::fusedHeadCrossEntropySum(hidden, c.weight, c.bias, c.targets, 4);
        loss.backward();
        QVERIFY(std::isfinite(loss.item<double>()));
        QVERIFY(torch::isfinite(hidden.grad()).all().item<bool>());
        auto ref = torch::nn::functional::cross_entropy(
            torch::matmul(hidden.detach(), c.weight.t()), c.targets,
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        QVERIFY(std::abs(loss.item<double>() - ref.item<double>()) <= 1e-3 * std::max(1.0, std::abs(ref.item<double>())));
    }

    // The positions that predict a label, in the flattened input: labels[t] is predicted at t - 1,
    // and prompt tuning's prepended rows shift every position of a row by their count.
    // The double reference against LibTorch's log_softmax in float64 (independent formula).
    void rowReferenceMatchesLogSoftmax() {
        torch::manual_seed(3);
        const std::int64_t rows = 6, vocab = 301;
        auto logits = torch::randn({rows, vocab}) * 4.0;
        auto targets = torch::randint(0, vocab, {rows}, torch::kInt64);
        const auto logProbs = torch::log_softmax(logits.to(torch::kFloat64), 1);
        const auto expected = -logProbs.gather(1, targets.unsqueeze(1)).squeeze(1);
        auto expectedGrad = logProbs.exp();
        expectedGrad.scatter_add_(1, targets.unsqueeze(1), torch::full({rows, 1}, -1.0, expectedGrad.options()));
        std::vector<double> loss(rows);
        auto work = logits.clone();
        train::softmaxCrossEntropyRowsReference(work.data_ptr<float>(), 0, rows, vocab, vocab,
                                                targets.data_ptr<std::int64_t>(), true, loss.data());
        for (std::int64_t i = 0; i < rows; ++i)
            QVERIFY2(std::abs(loss[i] - expected[i].item<double>()) <= 1e-12 * std::abs(expected[i].item<double>()) + 1e-12,
                     qPrintable(QStringLiteral("row %1: %2 vs %3").arg(i).arg(loss[i]).arg(expected[i].item<double>())));
        QVERIFY(maxAbsDiff(work, expectedGrad) <= 1e-7);
    }

    // The vector kernel against the reference: every tail length (vocab mod 8), a vocabulary the
    // size of GPT-2's, peaked rows, a stride with a gap that must stay untouched, no-grad use.
    void rowKernelMatchesTheReference_data() {
        QTest::addColumn<int>("vocab");
        QTest::addColumn<double>("scale");
        for (int v : {1, 5, 8, 13, 16, 63, 1000})
            QTest::newRow(qPrintable(QStringLiteral("vocab %1").arg(v))) << v << 3.0;
        QTest::newRow("GPT-2 vocabulary") << 50257 << 3.0;
        QTest::newRow("peaked rows") << 999 << 40.0;
    }
    void rowKernelMatchesTheReference() {
        QFETCH(int, vocab);
        QFETCH(double, scale);
        torch::manual_seed(static_cast<std::uint64_t>(vocab));
        const std::int64_t rows = 9, stride = vocab + 3;
        auto logits = torch::randn({rows, stride}) * scale + 5.0;
        auto targets = torch::randint(0, vocab, {rows}, torch::kInt64);
        for (const bool gradient : {true, false}) {
            auto fast = logits.clone(), reference = logits.clone();
            std::vector<double> fastLoss(rows), referenceLoss(rows);
            train::softmaxCrossEntropyRows(fast.data_ptr<float>(), 0, rows, vocab, stride,
                                           targets.data_ptr<std::int64_t>(), gradient, fastLoss.data());
            train::softmaxCrossEntropyRowsReference(reference.data_ptr<float>(), 0, rows, vocab, stride,
                                                    targets.data_ptr<std::int64_t>(), gradient, referenceLoss.data());
            for (std::int64_t i = 0; i < rows; ++i)
                QVERIFY2(std::abs(fastLoss[i] - referenceLoss[i]) <= 2e-6 * std::max(1.0, std::abs(referenceLoss[i])),
                         qPrintable(QStringLiteral("row %1: %2 vs %3").arg(i).arg(fastLoss[i]).arg(referenceLoss[i])));
            QVERIFY(maxAbsDiff(fast, reference) <= 2e-7);
            // The gap after each row's vocabulary is never written.
            QCOMPARE(maxAbsDiff(fast.narrow(1, vocab, stride - vocab), logits.narrow(1, vocab, stride - vocab)), 0.0);
            if (!gradient)
                QCOMPARE(maxAbsDiff(fast, logits), 0.0);
        }
    }

    // A NaN or an infinity makes that row's loss NaN (the trainer stops on it); other rows keep
    // their values, and the whole fused loss is NaN.
    void nonFiniteRowsGiveNaN() {
        const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
        for (const float bad : {nan, inf, -inf}) {
            torch::manual_seed(5);
            // 37 = four 8-wide vectors + a 5-element tail: row 1's bad value sits in the vector
            // part, row 3's in the tail (which the kernels finish with scalar code).
            const std::int64_t rows = 4, vocab = 37;
            auto logits = torch::randn({rows, vocab});
            logits[1][20] = bad;
            logits[3][35] = bad;
            auto targets = torch::tensor({std::int64_t{0}, std::int64_t{1}, std::int64_t{2}, std::int64_t{3}});
            auto reference = logits.clone();
            std::vector<double> loss(rows), referenceLoss(rows);
            train::softmaxCrossEntropyRows(logits.data_ptr<float>(), 0, rows, vocab, vocab,
                                           targets.data_ptr<std::int64_t>(), true, loss.data());
            train::softmaxCrossEntropyRowsReference(reference.data_ptr<float>(), 0, rows, vocab, vocab,
                                                    targets.data_ptr<std::int64_t>(), true, referenceLoss.data());
            for (const std::int64_t badRow : {1, 3}) {
                QVERIFY(std::isnan(loss[badRow]));
                QVERIFY(std::isnan(referenceLoss[badRow]));
            }
            QVERIFY(std::isfinite(loss[0]) && std::isfinite(loss[2]));
            QVERIFY(std::abs(loss[0] - referenceLoss[0]) <= 1e-5);
            QVERIFY(std::abs(loss[2] - referenceLoss[2]) <= 1e-5);
        }
        auto c = makeCase(4, 6, 11, false, false, 9);
        auto weight = c.weight.detach().clone();
        weight[3][2] = nan;
        QVERIFY(std::isnan(train::fusedHeadCrossEntropySum(c.hidden, weight, torch::Tensor(), c.targets).item<double>()));
    }

    // The rows are shared out between cores; each row's loss and gradient come from the same code
    // whatever the split, and the losses are summed in order: 1 and 3 parts give the same bits.
    void splitBetweenCoresChangesNoBit() {
        auto c = makeCase(61, 16, 997, true, false, 11);
        torch::Tensor loss[2], grad[2];
        const int parts[2] = {1, 3};
        for (int k = 0; k < 2; ++k) {
            system::overrideSmallProductParts(parts[k]);
            auto hidden = c.hidden.detach().clone().requires_grad_(true);
            loss[k] = train::fusedHeadCrossEntropySum(hidden, c.weight, c.bias, c.targets, 16);
            loss[k].backward();
            grad[k] = hidden.grad();
        }
        system::overrideSmallProductParts(0);
        QCOMPARE(loss[0].item<float>(), loss[1].item<float>());
        QVERIFY(torch::equal(grad[0], grad[1]));
    }

    void labelledPositionsFollowTheShiftAndThePrependedRows_data() {
        QTest::addColumn<std::int64_t>("prepended");
        QTest::newRow("plain") << std::int64_t{0};
        QTest::newRow("3 virtual tokens") << std::int64_t{3};
    }
    void labelledPositionsFollowTheShiftAndThePrependedRows() {
        QFETCH(std::int64_t, prepended);
        const std::int64_t T = 5;
        // Row 0 trains tokens 2 and 4 (9, 11); row 1 trains tokens 1 and 3 (20, 22); label 0 never counts.
        const auto labels = torch::tensor(std::vector<std::int64_t>{7, -100, 9, -100, 11, 5, 20, -100, 22, -100},
                                          torch::kInt64)
                                .view({2, T});
        const auto [positions, targets] = train::labelledPositions(labels, prepended);
        const std::int64_t width = prepended + T;
        const std::vector<std::int64_t> expected{prepended + 1, prepended + 3, width + prepended + 0,
                                                 width + prepended + 2};
        QCOMPARE(std::vector<std::int64_t>(positions.data_ptr<std::int64_t>(),
                                           positions.data_ptr<std::int64_t>() + positions.numel()),
                 expected);
        QCOMPARE(std::vector<std::int64_t>(targets.data_ptr<std::int64_t>(),
                                           targets.data_ptr<std::int64_t>() + targets.numel()),
                 (std::vector<std::int64_t>{9, 11, 20, 22}));
        QCOMPARE(train::labelledPositions(labels.narrow(1, 0, 1), prepended).positions.numel(), std::int64_t{0});
    }
};

QTEST_APPLESS_MAIN(TestHeadLoss)
#include "tst_head_loss.moc"
