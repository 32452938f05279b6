// The CPU training GELU kernel (model/fast_gelu.h) against the tanh formula in double precision
// (gelu_new as transformers writes it): values and derivatives over the whole float range that
// matters, the derivative formula itself against central differences, every tail length equal to
// the same elements inside a longer array (splitting never changes bits), NaN kept, and the
// limits at +-infinity.
#include "model/fast_gelu.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace ps;

namespace {

std::vector<float> inputs() {
    std::vector<float> x;
    for (double v = -20.0; v <= 20.0; v += 1.0 / 256) // dense over the interesting range
        x.push_back(static_cast<float>(v));
    std::mt19937 gen(11);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    for (int i = 0; i < 20000; ++i)
        x.push_back(normal(gen));
    for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 87.0f, -87.0f, 1e4f, -1e4f, 3e38f, -3e38f})
        x.push_back(v);
    return x;
}

// |2u| of gelu_new's tanh argument u = sqrt(2/pi) (x + 0.044715 x^3).
double twoU(double x) {
    return std::min(120.0, std::abs(2.0 * 0.7978845608028654 * (x + 0.044715 * x * x * x))); // beyond: 0 or x
}

} // namespace

class TestFastGelu final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        if (!model::fastGeluTanhAvailable())
            QSKIP("no AVX2 + FMA on this CPU (or PS_FAST_GELU=0): LibTorch's GELU is used instead");
    }

    void valuesMatchTheTanhFormula() {
        const auto x = inputs();
        std::vector<float> y(x.size());
        model::geluTanhForward(x.data(), y.data(), static_cast<long long>(x.size()));
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double ref = model::geluTanhReference(x[i]);
            // float rounding of the exponent 2u (relative 1e-7) is amplified by exp: |2u| 1e-7
            const double tol = (1e-6 + 2e-7 * twoU(x[i])) * std::abs(ref) + 1e-30;
            QVERIFY2(std::abs(y[i] - ref) <= tol,
                     qPrintable(QStringLiteral("gelu(%1) = %2, expected %3").arg(x[i], 0, 'g', 9).arg(y[i], 0, 'g', 9).arg(ref, 0, 'g', 9)));
        }
    }

    void derivativesMatchTheTanhFormula() {
        const auto x = inputs();
        std::vector<float> g(x.size()), dx(x.size());
        std::mt19937 gen(5);
        std::uniform_real_distribution<float> uni(-2.0f, 2.0f);
        for (auto& v : g)
            v = uni(gen);
        model::geluTanhBackward(g.data(), x.data(), dx.data(), static_cast<long long>(x.size()));
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double ref = g[i] * model::geluTanhDerivativeReference(x[i]);
            const double tol = (2e-6 + 2e-7 * twoU(x[i])) * std::max(std::abs(ref), std::abs(static_cast<double>(g[i])) * 1e-1) + 1e-30;
            QVERIFY2(std::abs(dx[i] - ref) <= tol,
                     qPrintable(QStringLiteral("gelu'(%1) * %2 = %3, expected %4").arg(x[i], 0, 'g', 9).arg(g[i]).arg(dx[i], 0, 'g', 9).arg(ref, 0, 'g', 9)));
        }
    }

    // The double-precision reference is transformers' gelu_new, 0.5 x (1 + tanh(u)), where that
    // form does not cancel, and its derivative is the function's slope.
    void referenceIsGeluNew() {
        for (double x = -6.0; x <= 20.0; x += 0.03125) {
            const double tanhForm = 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
            QVERIFY2(std::abs(model::geluTanhReference(x) - tanhForm) <= 1e-12 * std::max(1.0, std::abs(x)),
                     qPrintable(QString::number(x)));
        }
    }

    void referenceDerivativeIsTheSlope() {
        for (double x = -8.0; x <= 8.0; x += 0.0625) {
            const double h = 1e-5;
            const double slope = (model::geluTanhReference(x + h) - model::geluTanhReference(x - h)) / (2 * h);
            QVERIFY2(std::abs(slope - model::geluTanhDerivativeReference(x)) < 1e-8, qPrintable(QString::number(x)));
        }
    }

    // Any length, any offset: an element's value is the same as inside a long array.
    void tailsGiveTheSameBits() {
        const auto x = inputs();
        std::vector<float> g(x.size(), 0.75f), full(x.size()), fullD(x.size());
        model::geluTanhForward(x.data(), full.data(), static_cast<long long>(x.size()));
        model::geluTanhBackward(g.data(), x.data(), fullD.data(), static_cast<long long>(x.size()));
        for (long long first : {0LL, 3LL, 8LL, 1001LL})
            for (long long n = 1; n <= 17; ++n) {
                std::vector<float> y(static_cast<std::size_t>(n)), d(static_cast<std::size_t>(n));
                model::geluTanhForward(x.data() + first, y.data(), n);
                model::geluTanhBackward(g.data() + first, x.data() + first, d.data(), n);
                for (long long i = 0; i < n; ++i) {
                    QCOMPARE(y[static_cast<std::size_t>(i)], full[static_cast<std::size_t>(first + i)]);
                    QCOMPARE(d[static_cast<std::size_t>(i)], fullD[static_cast<std::size_t>(first + i)]);
                }
            }
    }

    void nanAndInfinity() {
        const float inf = std::numeric_limits<float>::infinity();
        const std::vector<float> x = {std::numeric_limits<float>::quiet_NaN(), inf, 2.0f, -inf, 1.0f};
        const std::vector<float> g = {1.0f, 1.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f, 1.0f};
        std::vector<float> y(x.size()), d(x.size());
        model::geluTanhForward(x.data(), y.data(), static_cast<long long>(x.size()));
        model::geluTanhBackward(g.data(), x.data(), d.data(), static_cast<long long>(x.size()));
        QVERIFY(std::isnan(y[0]));
        QVERIFY(std::isnan(d[0]));
        QCOMPARE(y[1], inf);
        QVERIFY(std::isnan(d[2])); // a NaN gradient goes through
        QCOMPARE(y[3], 0.0f);
        QCOMPARE(d[1], 1.0f);
        QCOMPARE(d[3], 0.0f);
        QVERIFY(std::abs(y[4] - model::geluTanhReference(1.0)) < 1e-6);
    }
};

QTEST_APPLESS_MAIN(TestFastGelu)
#include "tst_fast_gelu.moc"
