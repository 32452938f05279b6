// Order, split, packing and padding: seeded shuffles are reproducible, the split honours
// val_size, packed rows never split an example and restart positions per example, and the
// attention bias blocks every cross-example and future position.
#include "data_test_util.h"

#include "data/tokenize_example.h"
#include "data/tokenized_storage.h"

#include <cmath>
#include <numeric>
#include <set>

using namespace ps;
using namespace ps::testing;

namespace {

// A dataset of the given examples: token ids, and the index of each one's first trained token
// (every token from there on is trained; the example's length means none is).
TokenizedDataset makeExamples(const std::vector<std::pair<std::vector<std::uint32_t>, std::size_t>>& examples) {
    auto s = std::make_shared<TokenizedDataset::Storage>();
    s->ownOffsets.push_back(0);
    for (const auto& [ids, firstTrained] : examples) {
        for (std::size_t t = 0; t < ids.size(); ++t)
            s->ownTokens.push_back(t >= firstTrained ? (ids[t] | data::kTrainedBit) : ids[t]);
        s->ownOffsets.push_back(s->ownTokens.size());
    }
    s->tokens = s->ownTokens.data();
    s->offsets = s->ownOffsets.data();
    s->numExamples = examples.size();
    s->padId = 7;
    return TokenizedDataset(std::move(s));
}

// A dataset whose example i has lengths[i] tokens: ids 1000*i + t; every token trained but
// the first (as the tokenizer side produces them).
TokenizedDataset makeDataset(const std::vector<std::int64_t>& lengths) {
    std::vector<std::pair<std::vector<std::uint32_t>, std::size_t>> examples;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        std::vector<std::uint32_t> ids;
        for (std::int64_t t = 0; t < lengths[i]; ++t)
            ids.push_back(static_cast<std::uint32_t>(1000 * i + static_cast<std::size_t>(t)));
        examples.push_back({ids, 1});
    }
    return makeExamples(examples);
}

std::vector<std::size_t> iota(std::size_t n) {
    std::vector<std::size_t> v(n);
    std::iota(v.begin(), v.end(), std::size_t{0});
    return v;
}

} // namespace

class TestDataBatches final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void shuffleIsSeededAndStable() {
        const auto a = shuffledOrder(iota(10), 42);
        QCOMPARE(a, shuffledOrder(iota(10), 42));
        QVERIFY(a != shuffledOrder(iota(10), 43));
        auto sorted = a;
        std::sort(sorted.begin(), sorted.end());
        QCOMPARE(sorted, iota(10));
        // std::mt19937_64's output is fixed by the C++ standard and the draw is our own code, so
        // this order is the same with every compiler and standard library. Golden value from an
        // independent Python implementation of mt19937-64 and the documented draw.
        QCOMPARE(a, (std::vector<std::size_t>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6}));
        QCOMPARE(shuffledOrder({}, 1), std::vector<std::size_t>{});
        QCOMPARE(shuffledOrder({5}, 1), std::vector<std::size_t>{5});
    }

    void split_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<double>("valSize");
        QTest::addColumn<int>("expectedVal");
        QTest::newRow("no validation") << 100 << 0.0 << 0;
        QTest::newRow("fraction 0.1 of 100") << 100 << 0.1 << 10;
        QTest::newRow("fraction rounds: 0.15 of 7") << 7 << 0.15 << 1;
        QTest::newRow("tiny fraction still gives one") << 50 << 0.001 << 1;
        QTest::newRow("count 25") << 100 << 25.0 << 25;
    }
    void split() {
        QFETCH(int, n);
        QFETCH(double, valSize);
        QFETCH(int, expectedVal);
        const DataSplit s = splitTrainValidation(static_cast<std::size_t>(n), valSize, 7);
        QCOMPARE(static_cast<int>(s.validation.size()), expectedVal);
        QCOMPARE(static_cast<int>(s.train.size()), n - expectedVal);
        std::set<std::size_t> all(s.train.begin(), s.train.end());
        all.insert(s.validation.begin(), s.validation.end());
        QCOMPARE(static_cast<int>(all.size()), n);
        QVERIFY(std::is_sorted(s.train.begin(), s.train.end()));
        const DataSplit again = splitTrainValidation(static_cast<std::size_t>(n), valSize, 7);
        QCOMPARE(again.validation, s.validation);
        if (expectedVal >= 5 && expectedVal < n / 2)
            QVERIFY(splitTrainValidation(static_cast<std::size_t>(n), valSize, 8).validation != s.validation);
    }

    void splitErrors_data() {
        QTest::addColumn<double>("valSize");
        QTest::addColumn<QString>("message");
        QTest::newRow("everything") << 10.0 << "val_size 10 leaves no training examples (the dataset has 10)";
        QTest::newRow("not whole") << 2.5
                                   << "val_size 2.5 is neither a fraction below 1 nor a whole number of examples";
        QTest::newRow("negative") << -0.1
                                  << "val_size must be 0, a fraction below 1 or a whole number of examples, got -0.1";
    }
    void splitErrors() {
        QFETCH(double, valSize);
        QFETCH(QString, message);
        QString got;
        try {
            splitTrainValidation(10, valSize, 1);
        } catch (const Error& e) {
            got = q(e.what());
        }
        QCOMPARE(got, message);
    }

    void packingKeepsExamplesWholeAndRestartsPositions() {
        const std::vector<std::int64_t> lengths = {5, 9, 3, 16, 7, 2, 11, 4, 8, 6, 1, 13};
        const auto ds = makeDataset(lengths);
        const std::int64_t rowLen = 16;
        const auto order = shuffledOrder(iota(lengths.size()), 3);
        const auto rows = packExamples(ds, order, rowLen);
        std::multiset<std::size_t> seen;
        std::int64_t used = 0;
        for (const auto& examples : rows) {
            const TrainingRow row = makeRow(ds, examples, rowLen);
            QCOMPARE(static_cast<std::int64_t>(row.inputIds.size()), rowLen);
            std::size_t at = 0;
            for (std::size_t k = 0; k < examples.size(); ++k) {
                const std::size_t idx = examples[k];
                seen.insert(idx);
                const auto ids = ds.inputIds(idx);
                const auto labels = ds.labels(idx);
                used += static_cast<std::int64_t>(ids.size());
                for (std::size_t t = 0; t < ids.size(); ++t, ++at) {
                    QCOMPARE(row.inputIds[at], ids[t]);                          // contiguous, never split
                    QCOMPARE(row.positionIds[at], static_cast<std::int32_t>(t)); // restart per example
                    QCOMPARE(row.segmentIds[at], static_cast<std::int32_t>(k + 1));
                    QCOMPARE(row.labels[at], t == 0 ? -100 : labels[t]);
                }
            }
            for (; at < row.inputIds.size(); ++at) {
                QCOMPARE(row.segmentIds[at], 0);
                QCOMPARE(row.labels[at], -100);
                QCOMPARE(row.inputIds[at], ds.padId());
            }
        }
        QCOMPARE(seen.size(), lengths.size());
        QCOMPARE(std::set<std::size_t>(seen.begin(), seen.end()).size(), lengths.size()); // each exactly once
        const std::int64_t total = std::accumulate(lengths.begin(), lengths.end(), std::int64_t{0});
        QCOMPARE(used, total);
        QCOMPARE(static_cast<std::int64_t>(rows.size()), (total + rowLen - 1) / rowLen); // best fit is tight here
        QCOMPARE(rows, packExamples(ds, order, rowLen));                                 // deterministic

        QString error;
        try {
            packExamples(ds, order, 8);
        } catch (const Error& e) {
            error = q(e.what());
        }
        QCOMPARE(error, QStringLiteral("packing: example 3 has 16 tokens, more than the row length 8"));
    }

    void sharedPrefixesAreUntrainedAndLaidOutOnce() {
        const auto ds = makeExamples({
            {{1, 2, 3, 4, 50, 51, 52}, 5},     // may share 1 2 3 4 (labels 0..4 untrained)
            {{1, 2, 3, 9, 60, 61}, 4},         // may share 1 2 3
            {{1, 2, 3, 4, 5, 70, 71, 72}, 6},  // may share 1 2 3 4 5
            {{1, 2, 3, 4, 80, 81}, 1},         // trained from its second token: shares nothing
            {{8, 2, 3, 4, 90}, 5},             // nothing trained: may share 8 2 3 4, but starts with 8
        });
        QCOMPARE(sharedPrefixLength(ds, {0, 2}), std::int64_t{4});
        QCOMPARE(sharedPrefixLength(ds, {2, 0}), std::int64_t{4});
        QCOMPARE(sharedPrefixLength(ds, {0, 1, 2}), std::int64_t{3});
        QCOMPARE(sharedPrefixLength(ds, {0}), std::int64_t{0});
        QCOMPARE(sharedPrefixLength(ds, {0, 3}), std::int64_t{0});
        QCOMPARE(sharedPrefixLength(ds, {0, 4}), std::int64_t{0});
        QCOMPARE(rowTokens(ds, {0, 2}, true), std::int64_t{7 + 8 - 4});
        QCOMPARE(rowTokens(ds, {0, 1, 2}, true), std::int64_t{7 + 6 + 8 - 2 * 3});
        QCOMPARE(rowTokens(ds, {0, 2}, false), std::int64_t{15});

        // The first example whole, then the second without the 4 tokens it shares; its tokens keep
        // their own positions, and its first one in the row (already untrained) stays untrained.
        const TrainingRow row = makeRow(ds, {0, 2}, 12, std::nullopt, true);
        QCOMPARE(row.sharedPrefix, 4);
        QCOMPARE(row.inputIds, (std::vector<std::int32_t>{1, 2, 3, 4, 50, 51, 52, 5, 70, 71, 72, 7}));
        QCOMPARE(row.positionIds, (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5, 6, 4, 5, 6, 7, 0}));
        QCOMPARE(row.segmentIds, (std::vector<std::int32_t>{1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0}));
        QCOMPARE(row.labels,
                 (std::vector<std::int32_t>{-100, -100, -100, -100, -100, 51, 52, -100, -100, 71, 72, -100}));
        // Every trained label of both examples is in the row, once.
        std::multiset<std::int32_t> want, got;
        for (std::size_t e : {0, 2})
            for (auto l : ds.labels(e))
                if (l != -100)
                    want.insert(l);
        for (auto l : row.labels)
            if (l != -100)
                got.insert(l);
        QCOMPARE(got, want);
        QCOMPARE(makeRow(ds, {0, 2}).sharedPrefix, 0); // off unless asked for

        // The second example sees the shared prefix and itself, never the first one's own tokens.
        const auto bias = attentionBias({row});
        const char* allowed[12] = {"100000000000", "110000000000", "111000000000", "111100000000",
                                   "111110000000", "111111000000", "111111100000", "111100010000",
                                   "111100011000", "111100011100", "111100011110", "000000000001"};
        for (int i = 0; i < 12; ++i)
            for (int j = 0; j < 12; ++j) {
                const float v = bias[static_cast<std::size_t>(i * 12 + j)];
                if (allowed[i][j] == '1')
                    QVERIFY2(v == 0.0f, qPrintable(QStringLiteral("query %1 key %2").arg(i).arg(j)));
                else
                    QVERIFY2(std::isinf(v) && v < 0, qPrintable(QStringLiteral("query %1 key %2").arg(i).arg(j)));
            }
    }

    // A prefix every example of a micro-batch begins with is left out of its rows (the micro-batch
    // computes it once, ahead of them): rows start at token `skip` with their own positions, the
    // row's own sharing counts after it, and every real token sees the `skip` keys ahead.
    void microBatchPrefixIsLeftOutOfTheRows() {
        const auto ds = makeExamples({
            {{1, 2, 3, 4, 50, 51, 52}, 5},    // may share 1 2 3 4
            {{1, 2, 3, 9, 60, 61}, 4},        // may share 1 2 3
            {{1, 2, 3, 4, 5, 70, 71, 72}, 6}, // may share 1 2 3 4 5
            {{1, 2, 9, 80, 81}, 3},           // may share 1 2
        });
        QCOMPARE(commonPromptPrefix(ds, {0, 1, 2}), std::int64_t{3});
        QCOMPARE(commonPromptPrefix(ds, {0, 1, 2, 3}), std::int64_t{2});
        QCOMPARE(commonPromptPrefix(ds, {2}), std::int64_t{5});
        QCOMPARE(commonPromptPrefix(ds, {}), std::int64_t{0});
        QVERIFY(sharesPromptPrefix(ds, 1, {1, 2, 3}));
        QVERIFY(!sharesPromptPrefix(ds, 3, {1, 2, 3}));
        QVERIFY(!sharesPromptPrefix(ds, 1, {1, 2, 3, 9})); // 9 is the token before its first label

        // Rows {0, 2} and {1} after a 3-token micro-batch prefix.
        const TrainingRow a = makeRow(ds, {0, 2}, 9, std::nullopt, true, 3);
        QCOMPARE(a.sharedPrefix, 1); // token 4, shared in the row after the micro-batch's 1 2 3
        QCOMPARE(a.inputIds, (std::vector<std::int32_t>{4, 50, 51, 52, 5, 70, 71, 72, 7}));
        QCOMPARE(a.positionIds, (std::vector<std::int32_t>{3, 4, 5, 6, 4, 5, 6, 7, 0}));
        QCOMPARE(a.segmentIds, (std::vector<std::int32_t>{1, 1, 1, 1, 2, 2, 2, 2, 0}));
        QCOMPARE(a.labels, (std::vector<std::int32_t>{-100, -100, 51, 52, -100, -100, 71, 72, -100}));
        QCOMPARE(rowTokens(ds, {0, 2}, true, 3), std::int64_t{8});
        const TrainingRow b = makeRow(ds, {1}, 9, std::nullopt, true, 3);
        QCOMPARE(b.sharedPrefix, 0);
        QCOMPARE(b.inputIds, (std::vector<std::int32_t>{9, 60, 61, 7, 7, 7, 7, 7, 7}));
        QCOMPARE(b.positionIds, (std::vector<std::int32_t>{3, 4, 5, 0, 0, 0, 0, 0, 0}));
        QCOMPARE(rowTokens(ds, {1}, true, 3), std::int64_t{3});
        // Without row sharing, later examples still leave out the micro-batch's tokens.
        QCOMPARE(makeRow(ds, {0, 2}, 0, std::nullopt, false, 3).inputIds,
                 (std::vector<std::int32_t>{4, 50, 51, 52, 4, 5, 70, 71, 72}));
        QCOMPARE(rowTokens(ds, {0, 2}, false, 3), std::int64_t{9});

        // [2 rows, 1, 9 queries, 3 + 9 keys]: the prefix keys for every real token, then the row.
        const auto bias = attentionBias({a, b}, 3);
        QCOMPARE(bias.size(), std::size_t(2 * 9 * 12));
        const char* allowedA[9] = {"111100000000", "111110000000", "111111000000", "111111100000", "111100010000",
                                   "111100011000", "111100011100", "111100011110", "000000000001"};
        const char* allowedB[9] = {"111100000000", "111110000000", "111111000000", "000000100000", "000000010000",
                                   "000000001000", "000000000100", "000000000010", "000000000001"};
        for (int r = 0; r < 2; ++r)
            for (int i = 0; i < 9; ++i)
                for (int j = 0; j < 12; ++j) {
                    const float v = bias[static_cast<std::size_t>((r * 9 + i) * 12 + j)];
                    const char want = (r == 0 ? allowedA : allowedB)[i][j];
                    QVERIFY2(want == '1' ? v == 0.0f : std::isinf(v) && v < 0,
                             qPrintable(QStringLiteral("row %1 query %2 key %3").arg(r).arg(i).arg(j)));
                }

        // The rows a packing makes fit with the prefix in the row and without it: a row holds it once.
        PackOptions pack;
        pack.sharePrefixes = true;
        for (const auto& r : packExamples(ds, {0, 1, 2}, 8, pack))
            QCOMPARE(rowTokens(ds, r, true, 3) + 3, rowTokens(ds, r, true));
    }

    void packingSharesPrefixesAndFillsRows() {
        // 400 examples that start with one 12-token "system prompt", then a prompt of their own,
        // then a trained response; lengths 20 .. 140.
        std::vector<std::pair<std::vector<std::uint32_t>, std::size_t>> examples;
        std::uint64_t x = 12345;
        const auto next = [&](std::uint64_t n) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            return (x >> 33) % n;
        };
        std::int64_t total = 0;
        for (int i = 0; i < 400; ++i) {
            const auto prompt = 14 + next(40), response = 4 + next(80);
            std::vector<std::uint32_t> ids;
            for (std::uint32_t t = 0; t < 12; ++t)
                ids.push_back(100 + t);
            while (ids.size() < prompt + response)
                ids.push_back(static_cast<std::uint32_t>(1000 + next(5000)));
            total += static_cast<std::int64_t>(ids.size());
            examples.push_back({ids, prompt});
        }
        const auto ds = makeExamples(examples);
        const std::int64_t rowLen = 256;
        const auto order = shuffledOrder(iota(examples.size()), 9);
        PackOptions share;
        share.sharePrefixes = true;
        share.seed = 4;
        const auto rows = packExamples(ds, order, rowLen, share);
        const auto plain = packExamples(ds, order, rowLen);
        QCOMPARE(rows, packExamples(ds, order, rowLen, share)); // deterministic
        for (const auto* packing : {&rows, &plain}) {
            std::multiset<std::size_t> seen;
            for (const auto& r : *packing) {
                const bool shared = packing == &rows;
                QVERIFY(rowTokens(ds, r, shared) <= rowLen);
                QCOMPARE(static_cast<std::int64_t>(makeRow(ds, r, 0, std::nullopt, shared).inputIds.size()),
                         rowTokens(ds, r, shared));
                seen.insert(r.begin(), r.end());
            }
            QCOMPARE(seen.size(), examples.size());
            QCOMPARE(std::set<std::size_t>(seen.begin(), seen.end()).size(), examples.size()); // each once
        }
        // Best fit decreasing leaves little room: within 3 % of the fewest rows the tokens allow.
        const auto fewest = (total + rowLen - 1) / rowLen;
        QVERIFY2(static_cast<double>(plain.size()) <= 1.03 * static_cast<double>(fewest),
                 qPrintable(QStringLiteral("%1 rows, at least %2").arg(plain.size()).arg(fewest)));
        // Each row shares the 12 tokens (at least) once per example after its first.
        std::int64_t laidOut = 0;
        for (const auto& r : rows) {
            if (r.size() > 1)
                QVERIFY(sharedPrefixLength(ds, r) >= 12);
            laidOut += rowTokens(ds, r, true);
        }
        QVERIFY(laidOut <= total - 12 * static_cast<std::int64_t>(examples.size() - rows.size()));
        QVERIFY2(rows.size() < plain.size(), qPrintable(QStringLiteral("%1 vs %2").arg(rows.size()).arg(plain.size())));
        // Different seeds order the rows differently.
        PackOptions other = share;
        other.seed = 5;
        QVERIFY(packExamples(ds, order, rowLen, other) != rows);
    }

    void attentionBiasBlocksOtherExamplesAndTheFuture() {
        const auto ds = makeDataset({3, 2});
        const TrainingRow row = makeRow(ds, {0, 1}, 6); // segments 1 1 1 2 2 0
        QCOMPARE(row.segmentIds, (std::vector<std::int32_t>{1, 1, 1, 2, 2, 0}));
        QCOMPARE(row.positionIds, (std::vector<std::int32_t>{0, 1, 2, 0, 1, 0}));
        const auto bias = attentionBias({row, row});
        QCOMPARE(bias.size(), std::size_t(2 * 6 * 6));
        const char* allowed[6] = {"100000", "110000", "111000", "000100", "000110", "000001"};
        for (int b = 0; b < 2; ++b)
            for (int i = 0; i < 6; ++i)
                for (int j = 0; j < 6; ++j) {
                    const float v = bias[static_cast<std::size_t>((b * 6 + i) * 6 + j)];
                    if (allowed[i][j] == '1')
                        QCOMPARE(v, 0.0f);
                    else
                        QVERIFY(std::isinf(v) && v < 0);
                }
        QString error;
        try {
            attentionBias({row, makeRow(ds, {0})});
        } catch (const Error& e) {
            error = q(e.what());
        }
        QCOMPARE(error,
                 QStringLiteral("attention bias: rows have different lengths (6 and 3); pad them to one length"));
    }

    void unpackedRowEqualsTheExample() {
        // The "packed and unpacked loss equal" test of the trainer compares makeRow(ds, {a, b})
        // against makeRow(ds, {a}) and makeRow(ds, {b}): the per-token data must line up.
        const auto ds = makeDataset({4, 3});
        const TrainingRow packed = makeRow(ds, {0, 1});
        const TrainingRow a = makeRow(ds, {0});
        const TrainingRow b = makeRow(ds, {1});
        std::vector<std::int32_t> ids = a.inputIds, labels = a.labels, pos = a.positionIds;
        ids.insert(ids.end(), b.inputIds.begin(), b.inputIds.end());
        labels.insert(labels.end(), b.labels.begin(), b.labels.end());
        pos.insert(pos.end(), b.positionIds.begin(), b.positionIds.end());
        QCOMPARE(packed.inputIds, ids);
        QCOMPARE(packed.labels, labels);
        QCOMPARE(packed.positionIds, pos);
    }

    void lengthGroupedBatchesCoverEverythingLongestFirst() {
        std::vector<std::int64_t> lengths;
        for (int i = 0; i < 230; ++i)
            lengths.push_back(1 + (i * 37) % 101);
        const auto ds = makeDataset(lengths);
        const auto order = shuffledOrder(iota(lengths.size()), 11);
        const auto batches = lengthGroupedBatches(ds, order, 4, 11);
        QCOMPARE(batches, lengthGroupedBatches(ds, order, 4, 11));
        std::set<std::size_t> seen;
        std::int64_t padded = 0, real = 0;
        for (const auto& b : batches) {
            QVERIFY(!b.empty() && b.size() <= 4);
            std::int64_t longest = 0;
            for (std::size_t i = 0; i < b.size(); ++i) {
                QVERIFY(seen.insert(b[i]).second);
                if (i)
                    QVERIFY(ds.length(b[i]) <= ds.length(b[i - 1])); // sorted within a batch
                longest = std::max(longest, ds.length(b[i]));
                real += ds.length(b[i]);
            }
            padded += longest * static_cast<std::int64_t>(b.size());
            const TrainingRow r = makeRow(ds, {b.back()}, longest);
            QCOMPARE(static_cast<std::int64_t>(r.inputIds.size()), longest);
        }
        QCOMPARE(seen.size(), lengths.size());
        QCOMPARE(ds.length(batches[0][0]), std::int64_t(101));                  // the longest example comes first
        QVERIFY(static_cast<double>(real) / static_cast<double>(padded) > 0.9); // grouping keeps padding low
    }
};

QTEST_APPLESS_MAIN(TestDataBatches)
#include "tst_data_batches.moc"
