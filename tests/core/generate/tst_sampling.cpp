// Logits processing on hand-made logits, checked against transformers' warpers computed by
// hand: repetition penalty, temperature, top-k (ties kept), top-p, min-p, their order, and the
// sampler's determinism for a seed.
#include "generate/sampling.h"
#include "ps/error.h"

#include <torch/torch.h>

#include <QtTest>

#include <cmath>
#include <limits>
#include <set>

using namespace ps;

namespace {

torch::Tensor row(std::initializer_list<float> v) {
    return torch::tensor(std::vector<float>(v), torch::kFloat32);
}

// Indices of the tokens that survived filtering (finite logits).
std::set<std::int64_t> kept(const torch::Tensor& logits) {
    std::set<std::int64_t> out;
    for (std::int64_t i = 0; i < logits.size(0); ++i)
        if (std::isfinite(logits[i].item<float>()))
            out.insert(i);
    return out;
}

torch::Tensor logitsOfProbs(std::initializer_list<double> probs) {
    std::vector<float> v;
    for (const double p : probs)
        v.push_back(static_cast<float>(std::log(p)));
    return torch::tensor(v, torch::kFloat32);
}

} // namespace

class TstSampling final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void repetitionPenaltyFollowsTransformers() {
        // transformers: score < 0 ? score * penalty : score / penalty, for each id of the input
        // (a repeated id counts once); other tokens untouched.
        auto logits = row({2.0f, -1.0f, 0.5f, 3.0f, -2.0f});
        gen::applyRepetitionPenalty(logits, {0, 1, 1, 4, 0}, 2.0);
        QCOMPARE(logits[0].item<float>(), 1.0f);
        QCOMPARE(logits[1].item<float>(), -2.0f);
        QCOMPARE(logits[2].item<float>(), 0.5f);
        QCOMPARE(logits[3].item<float>(), 3.0f);
        QCOMPARE(logits[4].item<float>(), -4.0f);
    }

    void topK_data() {
        QTest::addColumn<int>("k");
        QTest::addColumn<QList<int>>("expected");
        QTest::newRow("k=1 keeps the argmax") << 1 << QList<int>{3};
        QTest::newRow("k=2") << 2 << QList<int>{0, 3};
        QTest::newRow("k=3 keeps both tokens tied with the 3rd") << 3 << QList<int>{0, 2, 3, 5};
        QTest::newRow("k larger than the vocabulary keeps all") << 10 << QList<int>{0, 1, 2, 3, 4, 5};
        QTest::newRow("k=0 is off") << 0 << QList<int>{0, 1, 2, 3, 4, 5};
    }
    void topK() {
        QFETCH(int, k);
        QFETCH(QList<int>, expected);
        auto logits = row({2.0f, -1.0f, 1.0f, 3.0f, 0.0f, 1.0f});
        gen::filterTopK(logits, k);
        std::set<std::int64_t> want(expected.begin(), expected.end());
        QCOMPARE(kept(logits), want);
    }

    void topP_data() {
        QTest::addColumn<double>("topP");
        QTest::addColumn<QList<int>>("expected");
        // probs 0.5, 0.25, 0.15, 0.1 (ids 2, 0, 3, 1). Ascending cumulative: 0.1, 0.25, 0.5, 1;
        // removed where cumulative <= 1 - top_p.
        QTest::newRow("0.6 keeps the two most likely") << 0.6 << QList<int>{0, 2};
        QTest::newRow("0.7 keeps the two most likely") << 0.7 << QList<int>{0, 2};
        QTest::newRow("0.8 adds the third") << 0.8 << QList<int>{0, 2, 3};
        QTest::newRow("0.3 keeps only the top token") << 0.3 << QList<int>{2};
        QTest::newRow("0.01 still keeps the top token") << 0.01 << QList<int>{2};
        QTest::newRow("1.0 is off") << 1.0 << QList<int>{0, 1, 2, 3};
    }
    void topP() {
        QFETCH(double, topP);
        QFETCH(QList<int>, expected);
        auto logits = logitsOfProbs({0.25, 0.1, 0.5, 0.15});
        gen::filterTopP(logits, topP);
        std::set<std::int64_t> want(expected.begin(), expected.end());
        QCOMPARE(kept(logits), want);
    }

    void minP_data() {
        QTest::addColumn<double>("minP");
        QTest::addColumn<QList<int>>("expected");
        // probs 0.25, 0.1, 0.5, 0.15: threshold = min_p * 0.5.
        QTest::newRow("0.1 (threshold 0.05) keeps all") << 0.1 << QList<int>{0, 1, 2, 3};
        QTest::newRow("0.25 (threshold 0.125) drops 0.1") << 0.25 << QList<int>{0, 2, 3};
        QTest::newRow("0.4 (threshold 0.2) keeps 0.25 and 0.5") << 0.4 << QList<int>{0, 2};
        QTest::newRow("1.0 keeps only the top token") << 1.0 << QList<int>{2};
    }
    void minP() {
        QFETCH(double, minP);
        QFETCH(QList<int>, expected);
        auto logits = logitsOfProbs({0.25, 0.1, 0.5, 0.15});
        gen::filterMinP(logits, minP);
        std::set<std::int64_t> want(expected.begin(), expected.end());
        QCOMPARE(kept(logits), want);
    }

    // Temperature comes before top-p: at T=0.5 the distribution sharpens (probs^2 renormalised:
    // 0.5^2=.25, .25^2=.0625, .15^2=.0225, .1^2=.01 -> .724, .181, .065, .029), so top_p 0.8
    // keeps two tokens where at T=1 it keeps three.
    void temperatureIsAppliedBeforeTopP() {
        SamplingOptions o;
        o.topP = 0.8;
        o.temperature = 1.0;
        QCOMPARE(kept(gen::processLogits(logitsOfProbs({0.25, 0.1, 0.5, 0.15}), {}, o)).size(), std::size_t(3));
        o.temperature = 0.5;
        const auto out = gen::processLogits(logitsOfProbs({0.25, 0.1, 0.5, 0.15}), {}, o);
        QCOMPARE(kept(out), (std::set<std::int64_t>{0, 2}));
        // The surviving logits are divided by the temperature.
        QVERIFY(std::abs(out[2].item<float>() - 2.0f * std::log(0.5f)) < 1e-6);
    }

    // The repetition penalty comes first, so it can move a token out of the top-k.
    void repetitionPenaltyIsAppliedBeforeTopK() {
        SamplingOptions o;
        o.temperature = 1.0;
        o.topK = 1;
        o.repetitionPenalty = 4.0;
        const auto out = gen::processLogits(row({3.0f, 1.0f, 0.5f}), {0}, o);
        QCOMPARE(kept(out), (std::set<std::int64_t>{1}));
    }

    void greedyIsArgmaxAfterRepetitionPenalty() {
        SamplingOptions o; // temperature 0
        gen::TokenSampler plain(o);
        QCOMPARE(plain.next(row({0.1f, 2.0f, 1.5f}), {1}), 1);
        o.repetitionPenalty = 2.0;
        gen::TokenSampler penalised(o);
        QCOMPARE(penalised.next(row({0.1f, 2.0f, 1.5f}), {1}), 2);
    }

    void topKOneEqualsGreedy() {
        torch::manual_seed(3);
        SamplingOptions sample;
        sample.temperature = 1.3;
        sample.topK = 1;
        sample.seed = 99;
        gen::TokenSampler sampler(sample);
        gen::TokenSampler greedy(SamplingOptions{});
        for (int i = 0; i < 20; ++i) {
            const auto logits = torch::randn({500});
            QCOMPARE(sampler.next(logits, {}), greedy.next(logits, {}));
        }
    }

    void sameSeedSameTokens() {
        SamplingOptions o;
        o.temperature = 1.0;
        o.seed = 1234;
        torch::manual_seed(0);
        std::vector<torch::Tensor> rows;
        for (int i = 0; i < 50; ++i)
            rows.push_back(torch::randn({300}));
        auto draw = [&](std::uint64_t seed) {
            o.seed = seed;
            gen::TokenSampler s(o);
            std::vector<std::int32_t> out;
            for (const auto& r : rows)
                out.push_back(s.next(r, out));
            return out;
        };
        QCOMPARE(draw(1234), draw(1234));
        QVERIFY(draw(1234) != draw(1235));
    }

    // Draws follow the distribution: 20000 draws from (0.5, 0.3, 0.2) land within 2%.
    void samplingFollowsTheDistribution() {
        SamplingOptions o;
        o.temperature = 1.0;
        o.seed = 7;
        gen::TokenSampler s(o);
        const auto logits = logitsOfProbs({0.5, 0.3, 0.2});
        int counts[3] = {0, 0, 0};
        const int n = 20000;
        for (int i = 0; i < n; ++i)
            ++counts[s.next(logits, {})];
        QVERIFY(std::abs(counts[0] / double(n) - 0.5) < 0.02);
        QVERIFY(std::abs(counts[1] / double(n) - 0.3) < 0.02);
        QVERIFY(std::abs(counts[2] / double(n) - 0.2) < 0.02);
    }

    void filteredTokensAreNeverDrawn() {
        SamplingOptions o;
        o.temperature = 2.0;
        o.topP = 0.6;
        o.seed = 5;
        gen::TokenSampler s(o);
        // At T=2 the probabilities become .262, .166, .370, .203: top_p 0.6 keeps ids 2 and 0.
        const auto logits = logitsOfProbs({0.25, 0.1, 0.5, 0.15});
        for (int i = 0; i < 500; ++i) {
            const auto id = s.next(logits, {});
            QVERIFY2(id == 0 || id == 2, qPrintable(QString::number(id)));
        }
    }

    void invalidOptionsAreErrors_data() {
        QTest::addColumn<QString>("field");
        QTest::addColumn<double>("value");
        QTest::newRow("negative temperature") << QStringLiteral("temperature") << -0.5;
        QTest::newRow("top_p 0") << QStringLiteral("top_p") << 0.0;
        QTest::newRow("top_p above 1") << QStringLiteral("top_p") << 1.5;
        QTest::newRow("min_p above 1") << QStringLiteral("min_p") << 2.0;
        QTest::newRow("repetition penalty 0") << QStringLiteral("repetition_penalty") << 0.0;
        QTest::newRow("negative top_k") << QStringLiteral("top_k") << -1.0;
    }
    void invalidOptionsAreErrors() {
        QFETCH(QString, field);
        QFETCH(double, value);
        SamplingOptions o;
        if (field == QStringLiteral("temperature"))
            o.temperature = value;
        else if (field == QStringLiteral("top_p"))
            o.topP = value;
        else if (field == QStringLiteral("min_p"))
            o.minP = value;
        else if (field == QStringLiteral("repetition_penalty"))
            o.repetitionPenalty = value;
        else
            o.topK = static_cast<std::int64_t>(value);
        try {
            gen::validateSampling(o);
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(field), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TstSampling)
#include "tst_sampling.moc"
