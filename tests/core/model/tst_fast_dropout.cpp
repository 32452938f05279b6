// The CPU training dropout (model/fast_dropout.h): the drop rate is p (binomial bounds, also for
// pairs of neighbouring elements, which share one 64-bit draw), the seed decides the mask, the
// mask does not depend on the thread count, kept elements are scaled by exactly 1 / (1 - p),
// and the gradient goes through the same mask.
#include "model/fast_dropout.h"
#include "system/parallel_parts.h"

#include <QtTest>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

using namespace ps;

namespace {

// |observed - expected| within 6 standard deviations of a binomial count.
bool withinBinomial(double count, double n, double prob) {
    const double sd = std::sqrt(n * prob * (1.0 - prob));
    return std::abs(count - n * prob) <= 6.0 * sd + 1.0;
}

} // namespace

class TestFastDropout final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void dropRateIsP_data() {
        QTest::addColumn<double>("p");
        QTest::newRow("0.1") << 0.1;
        QTest::newRow("0.5") << 0.5;
        QTest::newRow("0.03") << 0.03;
        QTest::newRow("0.9") << 0.9;
    }
    void dropRateIsP() {
        QFETCH(double, p);
        torch::manual_seed(1);
        const std::int64_t n = 1000001; // odd: the last word's second lane is unused
        const auto keep = model::dropoutKeepMask({n}, p);
        QCOMPARE(keep.scalar_type(), torch::kBool);
        const double dropped = static_cast<double>(n - keep.sum().item<std::int64_t>());
        QVERIFY2(withinBinomial(dropped, n, p), qPrintable(QString::number(dropped / n)));
        // Neighbours (the two lanes of one draw) and every other pair are independent.
        const auto k = keep.narrow(0, 0, n - 1).to(torch::kInt64);
        const auto a = k.view({-1, 2});
        const double bothKept = static_cast<double>((a.select(1, 0) * a.select(1, 1)).sum().item<std::int64_t>());
        QVERIFY2(withinBinomial(bothKept, a.size(0), (1 - p) * (1 - p)), qPrintable(QString::number(bothKept)));
        const auto b = keep.narrow(0, 1, n - 3).to(torch::kInt64).view({-1, 2}); // pairs across draws
        const double acrossKept = static_cast<double>((b.select(1, 0) * b.select(1, 1)).sum().item<std::int64_t>());
        QVERIFY(withinBinomial(acrossKept, b.size(0), (1 - p) * (1 - p)));
    }

    void theSeedDecidesTheMask() {
        torch::manual_seed(42);
        const auto a = model::dropoutKeepMask({64, 513}, 0.3);
        const auto b = model::dropoutKeepMask({64, 513}, 0.3); // the generator moved on
        torch::manual_seed(42);
        const auto c = model::dropoutKeepMask({64, 513}, 0.3);
        QVERIFY(torch::equal(a, c));
        QVERIFY(!torch::equal(a, b));
    }

    // The mask and the masked values are the same however the work is cut into parts on the
    // helper threads (system/parallel_parts.h; 3 parts: uneven shares).
    void maskDoesNotDependOnTheThreadCount() {
        const auto run = [](int parts) {
            system::overrideSmallProductParts(parts);
            torch::manual_seed(9);
            const auto keep = model::dropoutKeepMask({3, (1 << 19) + 7}, 0.2);
            const auto x = torch::randn({3, (1 << 19) + 7});
            const auto y = model::maskScaled(x, keep, 1.25);
            system::overrideSmallProductParts(0);
            return std::make_pair(keep, y);
        };
        const auto one = run(1), many = run(3);
        QVERIFY(torch::equal(one.first, many.first));
        QVERIFY(torch::equal(one.second, many.second));
    }

    // keepFlags gives any range of the mask dropoutKeepMask draws from the same generator state
    // (odd and even starts and ends, one element, a whole row), and the mask is the documented
    // counter-based draw: element e is lane e % 2 of SplitMix64(seed + (e / 2) * 0x632be59bd9b4e019),
    // kept when the lane >= round(p * 2^32) — computed here independently.
    void keepFlagsGiveAnyRangeOfTheMask() {
        const std::int64_t n = 2 * 1001 + 1;
        torch::manual_seed(21);
        const auto draw = model::drawKeep(0.3);
        torch::manual_seed(21);
        const auto mask = model::dropoutKeepMask({n}, 0.3);
        const bool* m = mask.data_ptr<bool>();
        const auto splitMix64 = [](std::uint64_t z) {
            z += 0x9e3779b97f4a7c15ULL;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            return z ^ (z >> 31);
        };
        const auto threshold = static_cast<std::uint64_t>(0.3 * 4294967296.0 + 0.5);
        QCOMPARE(draw.threshold, threshold);
        for (std::int64_t e = 0; e < n; ++e) {
            const std::uint64_t r = splitMix64(draw.seed + static_cast<std::uint64_t>(e / 2) * 0x632be59bd9b4e019ULL);
            const std::uint64_t lane = e % 2 == 0 ? (r & 0xffffffffULL) : (r >> 32);
            QCOMPARE(m[e], lane >= threshold);
        }
        for (const auto& [first, count] : std::vector<std::pair<std::int64_t, std::int64_t>>{
                 {0, n}, {1, 1}, {2, 1}, {7, 10}, {8, 9}, {3, 37}, {16, 8}, {401, 600}, {n - 1, 1}}) {
            std::vector<char> flags(static_cast<std::size_t>(count));
            model::keepFlags(draw, first, count, reinterpret_cast<bool*>(flags.data()));
            for (std::int64_t j = 0; j < count; ++j)
                QCOMPARE(static_cast<bool>(flags[static_cast<std::size_t>(j)]), m[first + j]);
        }
    }

    // p = 0 keeps every element and p = 1 drops every one, in the vector steps and the tails.
    void keepFlagsAtTheEnds() {
        for (const double p : {0.0, 1.0}) {
            const auto draw = model::drawKeep(p);
            for (const auto& [first, count] : std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 101}, {5, 64}}) {
                std::vector<char> flags(static_cast<std::size_t>(count), 2);
                model::keepFlags(draw, first, count, reinterpret_cast<bool*>(flags.data()));
                for (const char f : flags)
                    QCOMPARE(static_cast<int>(f), p == 0.0 ? 1 : 0);
            }
        }
    }

    // A keep mask that is a view of a larger one — a block of rows and columns, its leading
    // dimensions permuted, as the training attention reads it — masks x element for element
    // like the same mask made contiguous, in 1 or 3 parts.
    void viewsOfALargerMaskMaskElementForElement() {
        torch::manual_seed(4);
        const auto whole = model::dropoutKeepMask({3, 4, 320, 200}, 0.3);
        const auto keep = whole.narrow(2, 11, 290).narrow(3, 23, 151).transpose(0, 1); // [4, 3, 290, 151]
        QVERIFY(!keep.is_contiguous() && keep.stride(-1) == 1);
        const auto x = torch::randn(keep.sizes());
        const auto expected = x * keep.contiguous().to(torch::kFloat32) * 1.5f;
        for (const int parts : {1, 3}) {
            system::overrideSmallProductParts(parts);
            auto inPlace = x.clone();
            model::applyKeepMask_(inPlace, keep, 1.5);
            const auto copied = model::maskScaled(x, keep, 1.5);
            system::overrideSmallProductParts(0);
            QVERIFY(torch::allclose(inPlace, expected, 0, 1e-6));
            QVERIFY(torch::equal(inPlace, copied));
        }
    }

    void keptElementsAreScaledAndGradientsFollowTheMask_data() {
        QTest::addColumn<bool>("contiguous");
        QTest::addColumn<bool>("asDouble");
        QTest::newRow("float32 contiguous (fast path)") << true << false;
        QTest::newRow("transposed view") << false << false;
        QTest::newRow("float64") << true << true;
    }
    void keptElementsAreScaledAndGradientsFollowTheMask() {
        QFETCH(bool, contiguous);
        QFETCH(bool, asDouble);
        const double p = 0.25;
        torch::manual_seed(3);
        auto base = torch::rand({37, 29}) + 0.5; // no zeros: a zero output means dropped
        if (asDouble)
            base = base.to(torch::kFloat64);
        auto x = (contiguous ? base : base.t()).detach().requires_grad_(true);
        const auto y = model::dropout(x, p, true);
        const auto g = torch::randn(y.sizes(), y.options());
        (y * g).sum().backward();
        const auto kept = y.detach().ne(0);
        const double scale = 1.0 / (1.0 - p);
        const auto expectY = torch::where(kept, x.detach() * scale, torch::zeros_like(x));
        QVERIFY((y.detach() - expectY).abs().max().item<double>() <= 1e-6);
        const auto expectGrad = torch::where(kept, g * scale, torch::zeros_like(g));
        QVERIFY((x.grad() - expectGrad).abs().max().item<double>() <= 1e-6);
        const double dropped = static_cast<double>(kept.numel() - kept.sum().item<std::int64_t>());
        QVERIFY(dropped > 0 && dropped < kept.numel());
    }

    void identityWhenNotTrainingOrPIsZero() {
        const auto x = torch::randn({5, 7});
        QVERIFY(model::dropout(x, 0.5, false).is_same(x));
        QVERIFY(model::dropout(x, 0.0, true).is_same(x));
        QCOMPARE(model::dropout(x, 1.0, true).abs().sum().item<double>(), 0.0);
        QCOMPARE(model::dropoutKeepMask({0}, 0.5).numel(), std::int64_t(0));
    }
};

QTEST_APPLESS_MAIN(TestFastDropout)
#include "tst_fast_dropout.moc"
