// The attention's batched products straight to the BLAS (model/batched_products.h) against
// LibTorch's bmm in float64: every combination of transposed operands, strided (narrowed)
// operands and outputs as the attention's blocks use them, accumulation, and the fallback for
// what a BLAS cannot take (other dtypes, a non-unit last stride of the output).
#include "model/batched_products.h"

#include <QtTest>

#include <string>

using namespace ps;

namespace {

// a [n, m, k] as a plain tensor or as the transpose of a [n, k, m] one; likewise b.
torch::Tensor operand(std::int64_t n, std::int64_t r, std::int64_t c, bool transposed) {
    return transposed ? torch::randn({n, c, r}).transpose(1, 2) : torch::randn({n, r, c});
}

double maxDiff(const torch::Tensor& x, const torch::Tensor& ref) {
    return (x.to(torch::kFloat64) - ref).abs().max().item<double>();
}

} // namespace

class TestBatchedProducts final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        if (!model::directBlasProducts())
            QSKIP("no sgemm_ in this process (or PS_DIRECT_BLAS=0): LibTorch's bmm is used");
    }

    void matchesBmm_data() {
        QTest::addColumn<bool>("ta");
        QTest::addColumn<bool>("tb");
        QTest::addColumn<bool>("narrowOut");
        for (int i = 0; i < 8; ++i)
            QTest::newRow((std::string("a") + (i & 1 ? "^T" : "") + " b" + (i & 2 ? "^T" : "") + (i & 4 ? " out narrowed" : "")).c_str())
                << bool(i & 1) << bool(i & 2) << bool(i & 4);
    }
    void matchesBmm() {
        QFETCH(bool, ta);
        QFETCH(bool, tb);
        QFETCH(bool, narrowOut);
        torch::manual_seed(3);
        const std::int64_t n = 5, m = 7, k = 9, p = 6;
        // Operands that are narrowed column ranges of wider tensors, as the attention's key ranges.
        const auto a = operand(n, m, k + 3, ta).narrow(2, 2, k);
        const auto b = operand(n, k, p + 4, tb).narrow(2, 1, p);
        const auto ref = torch::bmm(a.to(torch::kFloat64), b.to(torch::kFloat64));
        auto wide = torch::full({n, m, p + 5}, 7.0f);
        auto out = narrowOut ? wide.narrow(2, 3, p) : torch::full({n, m, p}, 7.0f);
        model::bmmInto(out, a, b);
        QVERIFY2(maxDiff(out, ref) < 1e-5, qPrintable(QString::number(maxDiff(out, ref))));
        if (narrowOut) { // the columns around the view are untouched
            QVERIFY(torch::all(wide.narrow(2, 0, 3) == 7.0f).item<bool>());
            QVERIFY(torch::all(wide.narrow(2, 3 + p, 2) == 7.0f).item<bool>());
        }
        model::bmmAddInto(out, a, b); // out = 2 a b
        QVERIFY(maxDiff(out, 2.0 * ref) < 2e-5);
    }

    // The direct path and LibTorch's give the same numbers (to rounding) and the same shapes of
    // results in the cases it hands over.
    void fallsBackWhereABlasCannot() {
        torch::manual_seed(4);
        const auto a = torch::randn({3, 4, 5}, torch::kFloat64), b = torch::randn({3, 5, 2}, torch::kFloat64);
        auto out = torch::empty({3, 4, 2}, torch::kFloat64);
        model::bmmInto(out, a, b); // float64: LibTorch
        QVERIFY(torch::allclose(out, torch::bmm(a, b)));
        const auto af = a.to(torch::kFloat32), bf = b.to(torch::kFloat32);
        auto strided = torch::zeros({3, 4, 4}).narrow(2, 0, 4).slice(2, 0, 4, 2); // last stride 2
        model::bmmInto(strided, af, bf);
        QVERIFY(torch::allclose(strided, torch::bmm(af, bf), 1e-5, 1e-5));
        model::setDirectBlasProducts(false);
        auto viaTorch = torch::empty({3, 4, 2});
        model::bmmInto(viaTorch, af, bf);
        model::setDirectBlasProducts(true);
        auto direct = torch::empty({3, 4, 2});
        model::bmmInto(direct, af, bf);
        QVERIFY(torch::allclose(direct, viaTorch, 1e-6, 1e-6));
    }
};

QTEST_APPLESS_MAIN(TestBatchedProducts)
#include "tst_batched_products.moc"
