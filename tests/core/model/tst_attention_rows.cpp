// The training attention's row kernels (model/attention_rows.h) against LibTorch in float64: the
// masked softmax with and without dropout for every tail length, masked scores giving exactly 0,
// a fully masked row, NaN rows, and the softmax backward with the dropout mask against its formula.
#include "model/attention_rows.h"

#include <QtTest>

#include <torch/torch.h>

#include <cmath>
#include <limits>

using namespace ps;

namespace {

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

} // namespace

class TestAttentionRows final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() {
        if (!model::attentionRowKernelsAvailable())
            QSKIP("no AVX2 + FMA on this CPU: the attention keeps LibTorch's operators");
    }

    // Widths 1..40 (every tail after the 8-wide vectors) and 257; a causal-like mask (float32
    // lowest) over part of each row; dropout with scale 1 / (1 - 0.3).
    void maskedSoftmaxMatchesLibTorch() {
        const float lowest = std::numeric_limits<float>::lowest();
        torch::manual_seed(1);
        for (std::int64_t w = 1; w <= 41; ++w) {
            const std::int64_t n = w == 41 ? 257 : w;
            const auto x = torch::randn({3, n}) * 4.0;
            auto mask = torch::zeros({3, n});
            for (std::int64_t r = 0; r < 3; ++r)
                for (std::int64_t j = r + 1; j < n; j += 2)
                    mask[r][j] = lowest;
            const auto keep = torch::rand({3, n}) > 0.3;
            const float scale = 1.0f / 0.7f;
            const auto probs = torch::softmax((x + mask).to(torch::kFloat64), -1);
            const auto dropped = probs * keep.to(torch::kFloat64) * scale;
            auto plain = x.clone(), withDrop = x.clone();
            for (std::int64_t r = 0; r < 3; ++r) {
                model::maskedSoftmaxRow(plain[r].data_ptr<float>(), mask[r].data_ptr<float>(), nullptr, 1.0f, n);
                model::maskedSoftmaxRow(withDrop[r].data_ptr<float>(), mask[r].data_ptr<float>(),
                                        keep[r].data_ptr<bool>(), scale, n);
            }
            QVERIFY2(maxAbsDiff(plain, probs) <= 3e-7, qPrintable(QString::number(n)));
            QVERIFY2(maxAbsDiff(withDrop, dropped) <= 5e-7, qPrintable(QString::number(n)));
            // Masked and dropped entries are exactly 0.
            QVERIFY(plain.masked_select(mask.lt(0)).eq(0).all().item<bool>());
            QVERIFY(withDrop.masked_select(keep.logical_not()).eq(0).all().item<bool>());
        }
    }

    // No mask pointer: plain softmax; a row whose every score is masked: the softmax of its raw
    // scores (the mask cancels, as in torch::softmax).
    void noMaskAndFullyMaskedRows() {
        torch::manual_seed(2);
        const auto x = torch::randn({19});
        auto y = x.clone();
        model::maskedSoftmaxRow(y.data_ptr<float>(), nullptr, nullptr, 1.0f, 19);
        QVERIFY(maxAbsDiff(y, torch::softmax(x.to(torch::kFloat64), 0)) <= 3e-7);
        const auto all = torch::full({19}, std::numeric_limits<float>::lowest());
        auto z = x.clone();
        model::maskedSoftmaxRow(z.data_ptr<float>(), all.data_ptr<float>(), nullptr, 1.0f, 19);
        QVERIFY(maxAbsDiff(z, torch::softmax(x + all, 0)) <= 3e-7);
        QVERIFY(std::abs(z.sum().item<double>() - 1.0) < 1e-5);
    }

    // A NaN in the vector part or in the tail turns the row NaN.
    void nanRowsTurnNaN() {
        for (const std::int64_t at : {3, 17}) {
            auto x = torch::randn({19});
            x[at] = std::numeric_limits<float>::quiet_NaN();
            model::maskedSoftmaxRow(x.data_ptr<float>(), nullptr, nullptr, 1.0f, 19);
            QVERIFY(torch::isnan(x).all().item<bool>());
        }
    }

    // dS = p * (g - sum(g p)), g = keep ? dP * scale : 0, in double, for every tail length.
    void softmaxBackwardMatchesItsFormula() {
        torch::manual_seed(3);
        for (std::int64_t n = 1; n <= 41; ++n) {
            const auto p = torch::softmax(torch::randn({n}) * 3.0, 0);
            const auto dP = torch::randn({n});
            const auto keep = torch::rand({n}) > 0.25;
            for (const bool withKeep : {false, true}) {
                const double scale = withKeep ? 1.0 / 0.75 : 1.0;
                const auto g = withKeep ? dP.to(torch::kFloat64) * keep.to(torch::kFloat64) * scale
                                        : dP.to(torch::kFloat64);
                const auto pd = p.to(torch::kFloat64);
                const auto expected = pd * (g - (g * pd).sum());
                auto dS = dP.clone();
                model::softmaxBackwardRow(p.data_ptr<float>(), dS.data_ptr<float>(),
                                          withKeep ? keep.data_ptr<bool>() : nullptr, static_cast<float>(scale), n);
                QVERIFY2(maxAbsDiff(dS, expected) <= 1e-6, qPrintable(QString::number(n)));
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestAttentionRows)
#include "tst_attention_rows.moc"
