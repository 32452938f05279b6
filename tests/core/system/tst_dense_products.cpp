// system::productInto / product (system/dense_products.h) against float64 products: every layout of
// the operands (rows or columns contiguous), an output that is a view of a wider tensor (the
// columns around it untouched), beta and alpha, NaN in an output that beta = 0 overwrites, the
// parts (1, 2 and 3 give the same bits: the sums over k are never cut), the LibTorch path for
// other dtypes and with the switch off, and autograd through product() where it records.
#include "system/dense_products.h"
#include "system/parallel_parts.h"

#include <QtTest>

#include <torch/torch.h>

#include <cmath>
#include <limits>

using namespace ps;

namespace {

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// A [rows, cols] float32 matrix laid out with its rows contiguous, or its columns (a transposed view).
torch::Tensor matrix(std::int64_t rows, std::int64_t cols, bool columnsContiguous) {
    return columnsContiguous ? torch::randn({cols, rows}).t() : torch::randn({rows, cols});
}

// float32 products sum k terms: a tolerance of a few ulps of the sum of |a||b| per element.
double tolerance(const torch::Tensor& a, const torch::Tensor& b) {
    const auto bound = torch::mm(a.abs().to(torch::kFloat64), b.abs().to(torch::kFloat64)).max().item<double>();
    return 1e-6 * std::max(1.0, bound);
}

struct Shape {
    std::int64_t m, k, n;
};

} // namespace

class TestDenseProducts final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); } // as the trainer runs (oneDNN needs one OpenMP thread)
    void cleanup() {
        system::overrideSmallProductParts(0);
        system::setOneDnnProducts(true);
    }

    void layoutsBetaAlpha_data() {
        QTest::addColumn<bool>("oneDnn");
        QTest::newRow("oneDNN where available") << true;
        QTest::newRow("LibTorch") << false;
    }
    void layoutsBetaAlpha() {
        QFETCH(bool, oneDnn);
        system::setOneDnnProducts(oneDnn);
        torch::manual_seed(3);
        // GPT-2's projection and LoRA shapes, odd sizes, a single row and column, k = 1.
        const Shape shapes[] = {{37, 53, 301}, {928, 768, 2304}, {464, 768, 16}, {16, 928, 768},
                                {1, 64, 200},  {200, 64, 1},     {70, 1, 130}};
        for (const auto& s : shapes)
            for (int layout = 0; layout < 4; ++layout) {
                const auto a = matrix(s.m, s.k, layout & 1), b = matrix(s.k, s.n, layout & 2);
                const auto ref = torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64));
                const double tol = tolerance(a, b);
                // beta = 0 over NaN: the old contents are ignored.
                auto out = torch::full({s.m, s.n}, std::numeric_limits<float>::quiet_NaN());
                system::productInto(out, a, b);
                QVERIFY2(maxAbsDiff(out, ref) <= tol, qPrintable(QStringLiteral("%1x%2x%3 layout %4: %5")
                                                                     .arg(s.m)
                                                                     .arg(s.k)
                                                                     .arg(s.n)
                                                                     .arg(layout)
                                                                     .arg(maxAbsDiff(out, ref))));
                // beta = 1, alpha = -0.5 into columns [3, 3 + n) of a wider output.
                auto wide = torch::randn({s.m, s.n + 7});
                const auto before = wide.clone();
                system::productInto(wide.narrow(1, 3, s.n), a, b, 1.0, -0.5);
                const auto expected = before.narrow(1, 3, s.n).to(torch::kFloat64) - 0.5 * ref;
                QVERIFY(maxAbsDiff(wide.narrow(1, 3, s.n), expected) <= tol);
                QVERIFY(torch::equal(wide.narrow(1, 0, 3), before.narrow(1, 0, 3)));
                QVERIFY(torch::equal(wide.narrow(1, 3 + s.n, 4), before.narrow(1, 3 + s.n, 4)));
                // product(): a fresh tensor.
                QVERIFY(maxAbsDiff(system::product(a, b), ref) <= tol);
            }
    }

    // Split by columns (wide outputs) or rows (LoRA's 16 columns), into 1, 2 or 3 parts: the same bits.
    void partsGiveTheSameBits() {
        torch::manual_seed(5);
        const Shape shapes[] = {{928, 768, 2304}, {928, 3072, 768}, {464, 768, 16}, {301, 97, 1000}, {2304, 928, 16}};
        for (const auto& s : shapes) {
            const auto a = torch::randn({s.m, s.k}), b = torch::randn({s.n, s.k}).t();
            std::vector<torch::Tensor> outs;
            for (int parts : {1, 2, 3}) {
                system::overrideSmallProductParts(parts);
                auto out = torch::empty({s.m, s.n});
                system::productInto(out, a, b);
                outs.push_back(out);
            }
            QVERIFY2(torch::equal(outs[0], outs[1]) && torch::equal(outs[0], outs[2]),
                     qPrintable(QStringLiteral("%1x%2x%3").arg(s.m).arg(s.k).arg(s.n)));
            QVERIFY(maxAbsDiff(outs[0], torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64))) <= tolerance(a, b));
        }
    }

    // float64 and bfloat16 go to LibTorch: the same bits as its mm / addmm.
    void otherDtypesAreLibTorchs() {
        torch::manual_seed(7);
        const auto a = torch::randn({40, 30}, torch::kFloat64), b = torch::randn({30, 50}, torch::kFloat64);
        auto out = torch::randn({40, 50}, torch::kFloat64);
        const auto expected = torch::addmm(out, a, b, 0.5, 2.0);
        system::productInto(out, a, b, 0.5, 2.0);
        QVERIFY(torch::equal(out, expected));
        const auto ab = a.to(torch::kBFloat16), bb = b.to(torch::kBFloat16);
        QVERIFY(torch::equal(system::product(ab, bb), torch::mm(ab, bb)));
    }

    // With grad mode on and an operand that requires grad, product() is LibTorch's mm: autograd records it.
    void autogradRecordsProduct() {
        torch::manual_seed(9);
        const auto a = torch::randn({20, 12}).requires_grad_(true);
        const auto b = torch::randn({12, 33});
        system::product(a, b).sum().backward();
        QVERIFY(a.grad().defined());
        QVERIFY(maxAbsDiff(a.grad(), b.sum(1).unsqueeze(0).expand({20, 12})) <= 1e-5);
    }

    void mismatchedShapesAreAnError() {
        auto out = torch::empty({4, 5});
        QVERIFY_THROWS_EXCEPTION(c10::Error, system::productInto(out, torch::randn({4, 3}), torch::randn({2, 5})));
    }
};

QTEST_GUILESS_MAIN(TestDenseProducts)
#include "tst_dense_products.moc"
