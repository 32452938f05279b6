// Attention behaviour against the fixtures' reference logits: left/right padding, packed
// sequences with a block-diagonal attentionBias, incremental decoding with the KV cache,
// sliding windows, and finite outputs for rows with nothing to attend to.
#include "model_test_util.h"

#include "model/attention.h"
#include "model/attention_recompute.h"
#include "model/fast_dropout.h"
#include "system/parallel_parts.h"

#include <QtTest>

#include <functional>
#include <limits>

using namespace ps;

namespace {

constexpr std::int64_t kPad = 3;

void addFixtureRows() {
    QTest::addColumn<QString>("fixture");
    for (const QString& name : test::modelFixtureNames())
        QTest::newRow(qPrintable(name)) << name;
}

torch::Tensor slicePositions(const torch::Tensor& t, std::int64_t from, std::int64_t len) {
    return t.narrow(1, from, len);
}

model::ModelConfig tinyMistral(std::int64_t window, std::int64_t layers) {
    auto c = model::loadModelConfig(test::modelFixture("tiny-mistral"));
    c.slidingWindow = window;
    c.numLayers = layers;
    return c;
}

// Plain-autograd attention written out independently: k/v repeated per query head (as
// transformers' repeat_kv), float32 softmax, then model::dropout (the training dropout; its
// mask and scaling are tested on their own in tst_fast_dropout).
torch::Tensor referenceAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 const torch::Tensor& mask, double divisor, double dropout) {
    const auto groups = q.size(1) / k.size(1);
    const auto kr = k.repeat_interleave(groups, 1), vr = v.repeat_interleave(groups, 1);
    auto scores = torch::matmul(q, kr.transpose(-1, -2)) / divisor + mask;
    auto probs = torch::softmax(scores, -1);
    if (dropout > 0.0)
        probs = model::dropout(probs, dropout, true);
    const auto out = torch::matmul(probs, vr); // [B, H, T, D]
    return out.transpose(1, 2).reshape({q.size(0), q.size(2), q.size(1) * q.size(3)});
}

using AttentionFn = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)>;

// Runs `ours` and referenceAttention on fresh copies of q0/k0/v0 (the same dropout draw for
// both) and checks that the output and dq/dk/dv agree within 1e-5, and that the gradients are
// not all zero (so the comparison is not vacuous).
void expectMatchesReference(const torch::Tensor& q0, const torch::Tensor& k0, const torch::Tensor& v0,
                            const torch::Tensor& mask, double divisor, double dropout, const AttentionFn& ours) {
    const auto gOut = torch::randn({q0.size(0), q0.size(2), q0.size(1) * q0.size(3)});
    const auto run = [&](bool reference) {
        auto q = q0.clone().requires_grad_(true), k = k0.clone().requires_grad_(true),
             v = v0.clone().requires_grad_(true);
        torch::manual_seed(5);
        const auto out = reference ? referenceAttention(q, k, v, mask, divisor, dropout) : ours(q, k, v);
        (out * gOut).sum().backward();
        return std::vector<torch::Tensor>{out.detach(), q.grad(), k.grad(), v.grad()};
    };
    const auto got = run(false), ref = run(true);
    const QString names[] = {QStringLiteral("output"), QStringLiteral("dq"), QStringLiteral("dk"), QStringLiteral("dv")};
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double diff = (got[i] - ref[i]).abs().max().item<double>();
        QVERIFY2(diff < 1e-5, qPrintable(QStringLiteral("%1 differs by %2").arg(names[i]).arg(diff)));
    }
    QVERIFY(ref[1].abs().sum().item<double>() > 0.0);
    QVERIFY(ref[2].abs().sum().item<double>() > 0.0);
}

} // namespace

class TestAttention final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    // The recomputing attention (training) gives plain autograd's output and q/k/v gradients,
    // with grouped kv heads, padding masks and attention dropout (same seed, same dropped entries).
    void recomputingAttentionMatchesAutograd_data() {
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("kvHeads");
        QTest::addColumn<double>("dropout");
        QTest::newRow("mha") << 4 << 4 << 0.0;
        QTest::newRow("gqa") << 6 << 2 << 0.0;
        QTest::newRow("mha, dropout") << 4 << 4 << 0.3;
        QTest::newRow("gqa, dropout") << 6 << 3 << 0.2;
    }
    void recomputingAttentionMatchesAutograd() {
        QFETCH(int, heads);
        QFETCH(int, kvHeads);
        QFETCH(double, dropout);
        const std::int64_t B = 2, T = 7, D = 8;
        torch::manual_seed(11);
        const auto q0 = torch::randn({B, heads, T, D}), k0 = torch::randn({B, kvHeads, T, D}),
                   v0 = torch::randn({B, kvHeads, T, D});
        auto attentionMask = torch::ones({B, T}, torch::kLong);
        attentionMask.index_put_({1, torch::indexing::Slice(0, 2)}, 0); // row 1 left-padded
        const auto mask = model::buildAttentionMasks(B, T, 0, attentionMask, {}, 0, torch::kCPU).full;
        const double divisor = std::sqrt(static_cast<double>(D));
        expectMatchesReference(q0, k0, v0, mask, divisor, dropout, [&](const auto& q, const auto& k, const auto& v) {
            return model::attendRecompute(q, k, v, mask, divisor, dropout);
        });
    }

    // A bias with a heads dimension ([B, H, T, S], e.g. ALiBi-like per-head offsets) reaches each
    // query head, grouped kv heads included; causal per head, it also works with causal blocks.
    void perHeadBiasMatchesAutograd_data() {
        QTest::addColumn<int>("blockRows");
        QTest::newRow("no blocks") << 0;
        QTest::newRow("blocks of 2") << 2;
    }
    void perHeadBiasMatchesAutograd() {
        QFETCH(int, blockRows);
        const std::int64_t B = 2, T = 7, D = 4, H = 6, KV = 2;
        torch::manual_seed(23);
        const auto q0 = torch::randn({B, H, T, D}), k0 = torch::randn({B, KV, T, D}), v0 = torch::randn({B, KV, T, D});
        auto bias = torch::randn({B, H, T, T});
        if (blockRows > 0)
            bias.masked_fill_(torch::ones({T, T}, torch::kBool).triu(1), std::numeric_limits<float>::lowest());
        const double divisor = 2.0;
        expectMatchesReference(q0, k0, v0, bias, divisor, 0.0, [&](const auto& q, const auto& k, const auto& v) {
            return model::attendRecompute(q, k, v, bias, divisor, 0.0, blockRows);
        });
    }

    // Causal blocks (queries a few rows at a time, each against the keys up to its last query)
    // give plain autograd's output and gradients: uneven last block, grouped kv heads, right
    // padding, cached keys before the new tokens (S > T), attention dropout from the same draw.
    void causalBlocksMatchAutograd_data() {
        QTest::addColumn<int>("blockRows");
        QTest::addColumn<int>("past");
        QTest::addColumn<double>("dropout");
        QTest::newRow("blocks of 3, T 10") << 3 << 0 << 0.0;
        QTest::newRow("blocks of 4, 5 cached keys") << 4 << 5 << 0.0;
        QTest::newRow("blocks of 1, dropout") << 1 << 0 << 0.25;
        QTest::newRow("blocks of 6, cached keys, dropout") << 6 << 2 << 0.2;
    }
    void causalBlocksMatchAutograd() {
        QFETCH(int, blockRows);
        QFETCH(int, past);
        QFETCH(double, dropout);
        const std::int64_t B = 2, T = 10, D = 8, H = 6, KV = 2, S = T + past;
        torch::manual_seed(17);
        const auto q0 = torch::randn({B, H, T, D}), k0 = torch::randn({B, KV, S, D}), v0 = torch::randn({B, KV, S, D});
        auto attentionMask = torch::ones({B, S}, torch::kLong);
        attentionMask.index_put_({1, torch::indexing::Slice(S - 3, S)}, 0); // row 1 right-padded
        const auto masks = model::buildAttentionMasks(B, T, past, attentionMask, {}, 0, torch::kCPU);
        QVERIFY(masks.causal);
        const double divisor = std::sqrt(static_cast<double>(D));
        expectMatchesReference(q0, k0, v0, masks.full, divisor, dropout, [&](const auto& q, const auto& k, const auto& v) {
            return model::attendRecompute(q, k, v, masks.full, divisor, dropout, blockRows);
        });
    }

    // Packed rows (a block-diagonal causal bias, different sequence boundaries per row, a shared
    // opening of P keys every query sees, as train::SharedPrefix lays them out): blocks leave out
    // the keys of earlier sequences and give plain autograd's numbers, with grouped kv heads,
    // dropout from the same draw and the work split into parts.
    void packedRowsSkipMaskedKeys_data() {
        QTest::addColumn<int>("prefix");
        QTest::addColumn<double>("dropout");
        QTest::addColumn<int>("parts");
        QTest::newRow("no opening") << 0 << 0.0 << 1;
        QTest::newRow("opening of 5 keys, dropout") << 5 << 0.2 << 1;
        QTest::newRow("opening of 3 keys, 3 parts") << 3 << 0.0 << 3;
        QTest::newRow("dropout, 2 parts") << 0 << 0.25 << 2;
    }
    void packedRowsSkipMaskedKeys() {
        QFETCH(int, prefix);
        QFETCH(double, dropout);
        QFETCH(int, parts);
        const std::int64_t B = 3, T = 48, D = 8, H = 4, KV = 2, P = prefix, S = P + T;
        const std::vector<std::vector<std::int64_t>> lengths = {{20, 28}, {5, 30, 13}, {48}};
        const float lowest = std::numeric_limits<float>::lowest();
        auto bias = torch::full({B, 1, T, S}, lowest);
        for (std::int64_t row = 0; row < B; ++row) {
            std::int64_t start = 0;
            for (const auto len : lengths[static_cast<std::size_t>(row)]) {
                for (std::int64_t i = start; i < start + len; ++i) {
                    bias.index_put_({row, 0, i, torch::indexing::Slice(0, P)}, 0.0f);
                    bias.index_put_({row, 0, i, torch::indexing::Slice(P + start, P + i + 1)}, 0.0f);
                }
                start += len;
            }
        }
        torch::manual_seed(31);
        const auto q0 = torch::randn({B, H, T, D}), k0 = torch::randn({B, KV, S, D}), v0 = torch::randn({B, KV, S, D});
        system::overrideSmallProductParts(parts);
        expectMatchesReference(q0, k0, v0, bias, 2.0, dropout, [&](const auto& q, const auto& k, const auto& v) {
            return model::attendRecompute(q, k, v, bias, 2.0, dropout, 8, 4);
        });
        system::overrideSmallProductParts(0);
    }

    // The key ranges around the longest run of unseen columns.
    void visibleKeyRangesAroundTheLongestGap() {
        using R = std::vector<model::KeyRange>;
        const auto ranges = [](const std::string& flags, std::int64_t minSkipped) {
            std::vector<char> v;
            for (char c : flags)
                v.push_back(c == '1');
            return model::visibleKeyRanges(v, minSkipped);
        };
        QVERIFY((ranges("111000011", 2) == R{{0, 3}, {7, 2}}));
        QVERIFY((ranges("0000111", 3) == R{{4, 3}}));            // leading gap
        QVERIFY((ranges("1110000", 3) == R{{0, 3}}));            // trailing gap
        QVERIFY((ranges("1001000011", 2) == R{{0, 4}, {8, 2}})); // the longest of two gaps
        QVERIFY((ranges("111000011", 5) == R{{0, 9}}));          // gap shorter than asked
        QVERIFY((ranges("111000011", 0) == R{{0, 9}}));          // off
        QVERIFY((ranges("0000", 1) == R{{0, 4}}));               // nothing visible: all of them
    }

    // Split into parts run on helper threads (by batch rows, or by kv heads for a batch of one),
    // the training attention gives the numbers it gives unsplit: output and q/k/v gradients, with
    // a batch mask, a per-head bias, dropout and causal blocks; 3 parts make the shares uneven.
    void splitIntoPartsGivesTheUnsplitNumbers_data() {
        QTest::addColumn<int>("batch");
        QTest::addColumn<bool>("perHeadBias");
        QTest::addColumn<double>("dropout");
        QTest::addColumn<int>("blockRows");
        QTest::newRow("batch 5, padding mask, causal blocks") << 5 << false << 0.0 << 3;
        QTest::newRow("batch 4, per-head bias, dropout") << 4 << true << 0.2 << 0;
        QTest::newRow("batch 1 (split by kv heads), padding mask, dropout, blocks") << 1 << false << 0.25 << 4;
        QTest::newRow("batch 1 (split by kv heads), per-head bias") << 1 << true << 0.0 << 0;
    }
    void splitIntoPartsGivesTheUnsplitNumbers() {
        QFETCH(int, batch);
        QFETCH(bool, perHeadBias);
        QFETCH(double, dropout);
        QFETCH(int, blockRows);
        const std::int64_t B = batch, T = 11, D = 8, H = 8, KV = 4;
        torch::manual_seed(29);
        const auto q0 = torch::randn({B, H, T, D}), k0 = torch::randn({B, KV, T, D}), v0 = torch::randn({B, KV, T, D});
        torch::Tensor mask;
        if (perHeadBias) {
            mask = torch::randn({B, H, T, T});
            mask.masked_fill_(torch::ones({T, T}, torch::kBool).triu(1), std::numeric_limits<float>::lowest());
        } else {
            auto attentionMask = torch::ones({B, T}, torch::kLong);
            attentionMask.index_put_({B - 1, torch::indexing::Slice(T - 2, T)}, 0); // last row right-padded
            mask = model::buildAttentionMasks(B, T, 0, attentionMask, {}, 0, torch::kCPU).full;
        }
        const auto gOut = torch::randn({B, T, H * D});
        const auto run = [&](int parts) {
            system::overrideSmallProductParts(parts);
            auto q = q0.clone().requires_grad_(true), k = k0.clone().requires_grad_(true),
                 v = v0.clone().requires_grad_(true);
            torch::manual_seed(5);
            const auto out = model::attendRecompute(q, k, v, mask, 2.5, dropout, blockRows);
            (out * gOut).sum().backward();
            system::overrideSmallProductParts(0);
            return std::vector<torch::Tensor>{out.detach(), q.grad(), k.grad(), v.grad()};
        };
        const auto whole = run(1), split = run(3);
        for (std::size_t i = 0; i < whole.size(); ++i) {
            const double diff = (whole[i] - split[i]).abs().max().item<double>();
            QVERIFY2(diff <= 1e-6, qPrintable(QStringLiteral("tensor %1 differs by %2").arg(i).arg(diff)));
        }
        QVERIFY(whole[1].abs().sum().item<double>() > 0.0);
        // And the split is the plain-autograd attention (not merely self-consistent).
        system::overrideSmallProductParts(3);
        expectMatchesReference(q0, k0, v0, mask, 2.5, dropout, [&](const auto& q, const auto& k, const auto& v) {
            return model::attendRecompute(q, k, v, mask, 2.5, dropout, blockRows);
        });
        system::overrideSmallProductParts(0);
    }

    // Causal blocks are used only where the masks allow them.
    void masksKnowWhenTheyAreCausal() {
        const std::int64_t T = 6;
        QVERIFY(model::buildAttentionMasks(2, T, 0, {}, {}, 0, torch::kCPU).causal);
        QVERIFY(model::buildAttentionMasks(1, T, 4, {}, {}, 0, torch::kCPU).causal);
        auto right = torch::ones({2, T}, torch::kLong);
        right.index_put_({0, torch::indexing::Slice(T - 2, T)}, 0);
        QVERIFY(model::buildAttentionMasks(2, T, 0, right, {}, 0, torch::kCPU).causal);
        // Left padding: the first queries of row 0 see nothing, and transformers softmaxes such a
        // row over every key, which a block would not.
        auto left = torch::ones({2, T}, torch::kLong);
        left.index_put_({0, torch::indexing::Slice(0, 2)}, 0);
        QVERIFY(!model::buildAttentionMasks(2, T, 0, left, {}, 0, torch::kCPU).causal);
        // Packed sequences (block-diagonal causal bias, as the trainer builds it): causal.
        const auto idx = torch::arange(T, torch::kInt64);
        const auto segment = idx.div(3, "floor");
        const auto allowed =
            (segment.unsqueeze(1) == segment.unsqueeze(0)).logical_and(idx.unsqueeze(0) <= idx.unsqueeze(1));
        const auto inf = std::numeric_limits<float>::infinity();
        auto packed = torch::zeros({1, 1, T, T}).masked_fill(allowed.logical_not(), -inf);
        QVERIFY(model::buildAttentionMasks(1, T, 0, {}, packed, 0, torch::kCPU).causal);
        // A bias that lets query 1 see key 4, or leaves query 2 nothing: not causal.
        auto future = packed.clone();
        future[0][0][1][4] = 0.0f;
        QVERIFY(!model::buildAttentionMasks(1, T, 0, {}, future, 0, torch::kCPU).causal);
        auto empty = packed.clone();
        empty[0][0][2].fill_(-inf);
        QVERIFY(!model::buildAttentionMasks(1, T, 0, {}, empty, 0, torch::kCPU).causal);
        // plainCausal (fused kernels take is_causal instead of the mask): only the bare causal
        // mask, which is then exactly the lower triangle.
        const auto plain = model::buildAttentionMasks(2, T, 0, {}, {}, 0, torch::kCPU);
        QVERIFY(plain.plainCausal);
        const auto lower = torch::ones({T, T}, torch::kBool).tril();
        QVERIFY(torch::equal(plain.full.view({T, T}) == 0, lower));
        QVERIFY(model::buildAttentionMasks(2, T, 0, {}, {}, T, torch::kCPU).plainCausal);     // window not active
        QVERIFY(!model::buildAttentionMasks(2, T, 0, {}, {}, T - 1, torch::kCPU).plainCausal); // window active
        QVERIFY(!model::buildAttentionMasks(1, T, 4, {}, {}, 0, torch::kCPU).plainCausal);     // cached keys
        QVERIFY(!model::buildAttentionMasks(2, T, 0, right, {}, 0, torch::kCPU).plainCausal);  // padding
        QVERIFY(!model::buildAttentionMasks(1, T, 0, {}, packed, 0, torch::kCPU).plainCausal); // a bias
        QVERIFY(model::buildAttentionMasks(2, T, 0, torch::ones({2, T}, torch::kLong), {}, 0, torch::kCPU).plainCausal);
        QCOMPARE(model::causalBlockRows(64), std::int64_t(0));
        QCOMPARE(model::causalBlockRows(256), std::int64_t(64));
        QCOMPARE(model::causalBlockRows(1000), std::int64_t(125));
    }

    // Row 0 is padded (left or right) with kPad pad tokens; row 1 has kPad more real tokens.
    // The real tokens of row 0 and the first T tokens of row 1 must give the reference logits.
    void paddingGivesUnpaddedLogits_data() {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<bool>("left");
        for (const QString& name : test::modelFixtureNames()) {
            QTest::newRow(qPrintable(name + QStringLiteral(" left padding"))) << name << true;
            QTest::newRow(qPrintable(name + QStringLiteral(" right padding"))) << name << false;
        }
    }
    void paddingGivesUnpaddedLogits() {
        QFETCH(QString, fixture);
        QFETCH(bool, left);
        const auto ref = test::loadReference(fixture.toStdString());
        auto m = model::loadCausalLM(test::modelFixture(fixture.toStdString()));
        const auto T = ref.inputIds.size(1);
        const auto pads = torch::full({1, kPad}, 0, torch::kInt64);
        const auto row0 = left ? torch::cat({pads, ref.inputIds.narrow(0, 0, 1)}, 1)
                               : torch::cat({ref.inputIds.narrow(0, 0, 1), pads}, 1);
        const auto row1 = torch::cat({ref.inputIds.narrow(0, 1, 1), torch::full({1, kPad}, 5, torch::kInt64)}, 1);
        auto mask = torch::ones({2, T + kPad}, torch::kInt64);
        mask[0].narrow(0, left ? 0 : T, kPad).zero_();
        model::ForwardInput in;
        in.inputIds = torch::cat({row0, row1}, 0);
        in.attentionMask = mask;
        const auto logits = test::logitsOf(m, in);
        QVERIFY(torch::isfinite(logits).all().item<bool>());
        const auto real0 = logits[0].narrow(0, left ? kPad : 0, T);
        QVERIFY2(test::maxAbsDiff(real0, ref.logits[0]) <= 1e-4,
                 qPrintable(QString::number(test::maxAbsDiff(real0, ref.logits[0]))));
        QVERIFY(test::maxAbsDiff(logits[1].narrow(0, 0, T), ref.logits[1]) <= 1e-4);
    }

    // Both reference rows packed into one row, positions restarting at 0 for the second, with a
    // block-diagonal causal bias: each segment gives its own reference logits.
    void blockDiagonalBiasSeparatesPackedSequences_data() { addFixtureRows(); }
    void blockDiagonalBiasSeparatesPackedSequences() {
        QFETCH(QString, fixture);
        const auto ref = test::loadReference(fixture.toStdString());
        auto m = model::loadCausalLM(test::modelFixture(fixture.toStdString()));
        const auto T = ref.inputIds.size(1);
        model::ForwardInput in;
        in.inputIds = ref.inputIds.reshape({1, 2 * T});
        const auto pos = torch::arange(T, torch::kInt64);
        in.positionIds = torch::cat({pos, pos}).unsqueeze(0);
        const auto idx = torch::arange(2 * T, torch::kInt64);
        const auto segment = idx.div(T, "floor");
        const auto allowed =
            (segment.unsqueeze(1) == segment.unsqueeze(0)).logical_and(idx.unsqueeze(0) <= idx.unsqueeze(1));
        in.attentionBias = torch::zeros({1, 1, 2 * T, 2 * T})
                               .masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
        const auto logits = test::logitsOf(m, in);
        QVERIFY(test::maxAbsDiff(logits[0].narrow(0, 0, T), ref.logits[0]) <= 1e-4);
        QVERIFY(test::maxAbsDiff(logits[0].narrow(0, T, T), ref.logits[1]) <= 1e-4);
    }

    // Prefill T - n tokens into the cache, then decode the last n one step (n tokens) at a time.
    void kvCacheDecodingMatchesFullForward_data() {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<int>("stepTokens");
        QTest::addColumn<bool>("leftPadded");
        for (const QString& name : test::modelFixtureNames()) {
            QTest::newRow(qPrintable(name + QStringLiteral(" one token per step"))) << name << 1 << false;
            QTest::newRow(qPrintable(name + QStringLiteral(" three tokens per step"))) << name << 3 << false;
            QTest::newRow(qPrintable(name + QStringLiteral(" left padded, one token per step"))) << name << 1 << true;
        }
    }
    void kvCacheDecodingMatchesFullForward() {
        QFETCH(QString, fixture);
        QFETCH(int, stepTokens);
        QFETCH(bool, leftPadded);
        const auto ref = test::loadReference(fixture.toStdString());
        auto m = model::loadCausalLM(test::modelFixture(fixture.toStdString()));
        const std::int64_t T = ref.inputIds.size(1);
        const std::int64_t pad = leftPadded ? 2 : 0;
        const std::int64_t B = leftPadded ? 1 : 2;
        auto ids = ref.inputIds.narrow(0, 0, B);
        auto expected = ref.logits.narrow(0, 0, B);
        auto mask = torch::ones({B, T + pad}, torch::kInt64);
        if (leftPadded) {
            ids = torch::cat({torch::zeros({1, pad}, torch::kInt64), ids}, 1);
            mask.narrow(1, 0, pad).zero_();
        }
        const std::int64_t decoded = 2 * stepTokens;
        const std::int64_t prefill = T + pad - decoded;
        model::KVCache cache;
        model::ForwardInput in;
        in.inputIds = slicePositions(ids, 0, prefill);
        in.cache = &cache;
        if (leftPadded)
            in.attentionMask = mask.narrow(1, 0, prefill);
        auto first = test::logitsOf(m, in);
        QCOMPARE(cache.length(), prefill);
        QVERIFY(test::maxAbsDiff(first.narrow(1, pad, prefill - pad), expected.narrow(1, 0, prefill - pad)) <= 1e-4);
        for (std::int64_t at = prefill; at < T + pad; at += stepTokens) {
            model::ForwardInput step;
            step.inputIds = slicePositions(ids, at, stepTokens);
            step.cache = &cache;
            if (leftPadded)
                step.attentionMask = mask.narrow(1, 0, at + stepTokens);
            const auto logits = test::logitsOf(m, step);
            const double diff = test::maxAbsDiff(logits, expected.narrow(1, at - pad, stepTokens));
            QVERIFY2(diff <= 1e-4, qPrintable(QStringLiteral("at %1: %2").arg(at).arg(diff)));
        }
        QCOMPARE(cache.length(), T + pad);
    }

    // With one layer, a query at position t sees exactly keys t-W+1..t; so its logits equal a
    // forward of that slice alone (with its original position ids).
    void slidingWindowLimitsWhatAQuerySees() {
        const std::int64_t W = 3, T = 9;
        auto m = model::randomCausalLM(tinyMistral(W, 1), 11);
        const auto ids = torch::randint(0, 1000, {1, T}, torch::kInt64);
        const auto full = test::logitsOf(m, ids);
        for (std::int64_t t = W - 1; t < T; ++t) {
            model::ForwardInput in;
            in.inputIds = ids.narrow(1, t - W + 1, W);
            in.positionIds = torch::arange(t - W + 1, t + 1, torch::kInt64).unsqueeze(0);
            const auto window = test::logitsOf(m, in);
            QVERIFY2(test::maxAbsDiff(window[0][W - 1], full[0][t]) <= 1e-4, qPrintable(QString::number(t)));
        }
        // Without the window the last position sees everything, so the numbers differ.
        auto noWindow = model::randomCausalLM(tinyMistral(0, 1), 11);
        QVERIFY(test::maxAbsDiff(test::logitsOf(noWindow, ids)[0][T - 1], full[0][T - 1]) > 1e-3);
    }

    void slidingWindowWithKvCache() {
        const std::int64_t W = 3, T = 9;
        auto m = model::randomCausalLM(tinyMistral(W, 2), 12);
        const auto ids = torch::randint(0, 1000, {2, T}, torch::kInt64);
        const auto full = test::logitsOf(m, ids);
        model::KVCache cache;
        model::ForwardInput in;
        in.inputIds = ids.narrow(1, 0, 5);
        in.cache = &cache;
        test::logitsOf(m, in);
        for (std::int64_t at = 5; at < T; ++at) {
            model::ForwardInput step;
            step.inputIds = ids.narrow(1, at, 1);
            step.cache = &cache;
            QVERIFY(test::maxAbsDiff(test::logitsOf(m, step), full.narrow(1, at, 1)) <= 1e-4);
        }
    }

    void rowsWithNothingToAttendToStayFinite_data() { addFixtureRows(); }
    void rowsWithNothingToAttendToStayFinite() {
        QFETCH(QString, fixture);
        auto m = model::loadCausalLM(test::modelFixture(fixture.toStdString()));
        model::ForwardInput in;
        in.inputIds = torch::ones({2, 4}, torch::kInt64);
        in.attentionMask = torch::ones({2, 4}, torch::kInt64);
        in.attentionMask[1].zero_(); // a row that is all padding
        QVERIFY(torch::isfinite(test::logitsOf(m, in)).all().item<bool>());
        model::ForwardInput biased;
        biased.inputIds = torch::ones({1, 4}, torch::kInt64);
        biased.attentionBias = torch::full({1, 1, 4, 4}, -std::numeric_limits<float>::infinity());
        QVERIFY(torch::isfinite(test::logitsOf(m, biased)).all().item<bool>());
    }

    void positionIdsFollowTransformers() {
        const auto mask = torch::tensor({0, 0, 1, 1, 1, 1, 1, 0}, torch::kInt64).view({2, 4});
        const auto pos = model::defaultPositionIds(mask, 2, 4, 0, torch::kCPU);
        QCOMPARE(pos.numel(), std::int64_t(8));
        const std::vector<std::int64_t> expected{1, 1, 0, 1, 0, 1, 2, 1};
        const auto flat = pos.contiguous().flatten();
        QCOMPARE(std::vector<std::int64_t>(flat.data_ptr<std::int64_t>(), flat.data_ptr<std::int64_t>() + 8), expected);
        // With a cache only the new tokens' positions are returned.
        const auto last = model::defaultPositionIds(mask, 2, 1, 3, torch::kCPU).contiguous();
        QCOMPARE(last[0][0].item<std::int64_t>(), 1);
        QCOMPARE(last[1][0].item<std::int64_t>(), 1);
        const auto plain = model::defaultPositionIds(torch::Tensor(), 1, 3, 5, torch::kCPU);
        QCOMPARE(plain[0][2].item<std::int64_t>(), 7);
    }
};

QTEST_APPLESS_MAIN(TestAttention)
#include "tst_attention.moc"
