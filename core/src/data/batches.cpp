// From examples to model rows: packing (several whole examples per row, attention blocked
// between them), length-grouped padding batches, and the attention bias for either.
#include "data/tokenize_example.h"
#include "ps/dataset.h"

#include <algorithm>
#include <limits>
#include <map>

namespace ps {

namespace {

// The tokens an example may share with the other examples of its row: its first tokens up to,
// not including, the last one before its first trained label. With labels[t] the target of the
// logits at t - 1, a shared prefix of p tokens is exact when labels[0..p] are all untrained: the
// prefix itself has no loss, and its last logit (which would predict token p, a different token
// for each example) is not trained either. An example without trained tokens may share all but
// its last token.
std::vector<std::int32_t> shareablePrefix(const TokenizedDataset& data, std::size_t idx) {
    const auto labels = data.labels(idx);
    std::size_t firstTrained = labels.size();
    for (std::size_t t = 0; t < labels.size(); ++t)
        if (labels[t] != data::kIgnoreIndex) {
            firstTrained = t;
            break;
        }
    auto ids = data.inputIds(idx);
    ids.resize(firstTrained == 0 ? 0 : firstTrained - 1);
    return ids;
}

std::int64_t commonPrefix(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b, std::int64_t limit) {
    const auto n = std::min<std::int64_t>(limit, static_cast<std::int64_t>(std::min(a.size(), b.size())));
    std::int64_t i = 0;
    while (i < n && a[static_cast<std::size_t>(i)] == b[static_cast<std::size_t>(i)])
        ++i;
    return i;
}

// How many examples are sorted and packed together (best fit decreasing): large enough for a
// nearly full fill, small enough that an epoch's order stays a shuffle at the scale of the data.
constexpr std::size_t kPackWindow = 1024;

// fn(window) for consecutive windows of `size` examples of `order`, each sorted longest first
// (stable, so equal lengths keep their order).
template <typename Fn>
void forEachLongestFirstWindow(const TokenizedDataset& data, const std::vector<std::size_t>& order, std::size_t size,
                               Fn&& fn) {
    for (std::size_t at = 0; at < order.size(); at += size) {
        std::vector<std::size_t> window(order.begin() + static_cast<std::ptrdiff_t>(at),
                                       order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), at + size)));
        std::stable_sort(window.begin(), window.end(),
                         [&](std::size_t a, std::size_t b) { return data.length(a) > data.length(b); });
        fn(window);
    }
}

// The groups (rows, batches) in shuffledOrder(0..n-1, seed).
std::vector<std::vector<std::size_t>> shuffledGroups(std::vector<std::vector<std::size_t>> groups,
                                                     std::uint64_t seed) {
    std::vector<std::size_t> ids(groups.size());
    for (std::size_t i = 0; i < ids.size(); ++i)
        ids[i] = i;
    std::vector<std::vector<std::size_t>> out;
    out.reserve(groups.size());
    for (std::size_t i : shuffledOrder(std::move(ids), seed))
        out.push_back(std::move(groups[i]));
    return out;
}
} // namespace

std::int64_t sharedPrefixLength(const TokenizedDataset& data, const std::vector<std::size_t>& examples) {
    return examples.size() < 2 ? 0 : commonPromptPrefix(data, examples);
}

std::int64_t commonPromptPrefix(const TokenizedDataset& data, const std::vector<std::size_t>& examples) {
    if (examples.empty())
        return 0;
    const auto first = shareablePrefix(data, examples[0]);
    auto p = static_cast<std::int64_t>(first.size());
    for (std::size_t k = 1; k < examples.size() && p > 0; ++k)
        p = commonPrefix(first, shareablePrefix(data, examples[k]), p);
    return p;
}

bool sharesPromptPrefix(const TokenizedDataset& data, std::size_t idx, const std::vector<std::int32_t>& prefix) {
    const auto n = static_cast<std::int64_t>(prefix.size());
    return commonPrefix(shareablePrefix(data, idx), prefix, n) == n;
}

namespace {

// What the examples of a row share in it, counted from the start of each example: at least the
// `skip` tokens the micro-batch computes ahead of the rows.
std::int64_t sharedInRow(const TokenizedDataset& data, const std::vector<std::size_t>& examples, bool sharePrefix,
                         std::int64_t skip) {
    return sharePrefix ? std::max(sharedPrefixLength(data, examples), skip) : skip;
}

} // namespace

std::int64_t rowTokens(const TokenizedDataset& data, const std::vector<std::size_t>& examples, bool sharePrefix,
                       std::int64_t skip) {
    std::int64_t used = 0;
    for (auto idx : examples)
        used += data.length(idx) - skip;
    if (examples.size() > 1)
        used -= static_cast<std::int64_t>(examples.size() - 1) * (sharedInRow(data, examples, sharePrefix, skip) - skip);
    return used;
}

std::vector<std::vector<std::size_t>> packExamples(const TokenizedDataset& data, const std::vector<std::size_t>& order,
                                                   std::int64_t rowLen, const PackOptions& options) {
    if (rowLen < 1)
        throw Error("packing: the row length must be positive, got " + std::to_string(rowLen));
    for (std::size_t idx : order)
        if (data.length(idx) > rowLen)
            throw Error("packing: example " + std::to_string(idx) + " has " + std::to_string(data.length(idx)) +
                        " tokens, more than the row length " + std::to_string(rowLen));
    std::vector<std::vector<std::size_t>> rows;
    // Best fit decreasing: the long examples open the rows, the short ones fill their gaps.
    forEachLongestFirstWindow(data, order, kPackWindow, [&](const std::vector<std::size_t>& window) {
        struct Open {
            std::size_t row;                  // index into rows
            std::vector<std::int32_t> prefix; // the first example's shareable tokens
            std::int64_t shared = 0;          // what its examples share (one example: all of prefix)
        };
        std::vector<Open> open;
        // Room left -> open row; equal keys keep insertion order, so the result depends only on `order`.
        std::multimap<std::int64_t, std::size_t> room;
        for (std::size_t idx : window) {
            const std::int64_t len = data.length(idx);
            std::vector<std::int32_t> prefix;
            if (options.sharePrefixes)
                prefix = shareablePrefix(data, idx);
            // Adding to a row of n examples sharing p tokens, with p' = what remains shared, costs
            // len - n p' + (n - 1) p >= len - |prefix|: the rows with less room cannot take it. The
            // rest are tried fullest first; the example usually shares less than its whole untrained
            // start (the template's part of it), so the first few tend to fail. A window opens at
            // most 1 024 rows, which bounds the scan (planning a 100 000-example epoch added no
            // measurable time to a run).
            const auto least = len - static_cast<std::int64_t>(prefix.size());
            bool placed = false;
            for (auto it = room.lower_bound(least); it != room.end(); ++it) {
                Open& o = open[it->second];
                const auto n = static_cast<std::int64_t>(rows[o.row].size());
                const auto shared = commonPrefix(o.prefix, prefix, o.shared);
                const auto cost = len - n * shared + (n - 1) * o.shared;
                if (cost > it->first)
                    continue;
                rows[o.row].push_back(idx);
                o.shared = shared;
                const std::int64_t left = it->first - cost;
                const std::size_t slot = it->second;
                room.erase(it);
                if (left > 0)
                    room.emplace(left, slot);
                placed = true;
                break;
            }
            if (placed)
                continue;
            rows.push_back({idx});
            const auto shareable = static_cast<std::int64_t>(prefix.size());
            open.push_back({rows.size() - 1, std::move(prefix), shareable});
            if (len < rowLen)
                room.emplace(rowLen - len, open.size() - 1);
        }
    });
    // Sorting made each window's rows run from long examples to short ones: shuffle them.
    return shuffledGroups(std::move(rows), options.seed);
}

std::vector<std::vector<std::size_t>> lengthGroupedBatches(const TokenizedDataset& data,
                                                           const std::vector<std::size_t>& order, std::size_t batchSize,
                                                           std::uint64_t seed) {
    if (batchSize == 0)
        throw Error("batch size must be positive");
    const std::size_t mega = batchSize * 50;
    std::vector<std::vector<std::size_t>> batches;
    forEachLongestFirstWindow(data, order, mega, [&](const std::vector<std::size_t>& group) {
        for (std::size_t b = 0; b < group.size(); b += batchSize)
            batches.emplace_back(group.begin() + static_cast<std::ptrdiff_t>(b),
                                 group.begin() + static_cast<std::ptrdiff_t>(std::min(group.size(), b + batchSize)));
    });
    if (batches.empty())
        return batches;
    auto out = shuffledGroups(std::move(batches), seed);
    // The batch with the longest example goes first (as transformers does): running out of
    // memory should happen in the first step, not an hour in.
    std::size_t longest = 0;
    std::int64_t best = -1;
    for (std::size_t i = 0; i < out.size(); ++i)
        if (!out[i].empty() && data.length(out[i][0]) > best) {
            best = data.length(out[i][0]);
            longest = i;
        }
    std::swap(out[0], out[longest]);
    return out;
}

TrainingRow makeRow(const TokenizedDataset& data, const std::vector<std::size_t>& examples, std::int64_t padTo,
                    std::optional<std::int32_t> padId, bool sharePrefix, std::int64_t skip) {
    TrainingRow row;
    for (std::size_t idx : examples)
        if (skip > 0 && static_cast<std::int64_t>(shareablePrefix(data, idx).size()) < skip)
            throw Error("example " + std::to_string(idx) + " cannot leave its first " + std::to_string(skip) +
                        " tokens to the micro-batch (they are not all untrained)");
    const std::int64_t shared = sharedInRow(data, examples, sharePrefix, skip);
    row.sharedPrefix = static_cast<std::int32_t>(examples.size() > 1 ? shared - skip : 0);
    std::int32_t segment = 0;
    for (std::size_t idx : examples) {
        ++segment;
        const auto ids = data.inputIds(idx);
        const auto labels = data.labels(idx);
        // The first example is laid out whole (after the micro-batch's `skip` tokens); the others
        // without the prefix it already holds.
        const auto from = static_cast<std::size_t>(segment == 1 ? skip : shared);
        for (std::size_t t = from; t < ids.size(); ++t) {
            row.inputIds.push_back(ids[t]);
            // Nothing inside this example predicts its first token; the previous example's
            // last logit must not be trained on it either (after a shared prefix, this label is
            // untrained anyway: sharedPrefixLength stops before the first trained one).
            row.labels.push_back(t == from ? data::kIgnoreIndex : labels[t]);
            row.positionIds.push_back(static_cast<std::int32_t>(t));
            row.segmentIds.push_back(segment);
        }
    }
    if (padTo > 0) {
        const auto used = static_cast<std::int64_t>(row.inputIds.size());
        if (used > padTo)
            throw Error("row of " + std::to_string(used) + " tokens does not fit the padded length " +
                        std::to_string(padTo));
        const auto n = static_cast<std::size_t>(padTo);
        row.inputIds.resize(n, padId.value_or(data.padId()));
        row.labels.resize(n, data::kIgnoreIndex);
        row.positionIds.resize(n, 0);
        row.segmentIds.resize(n, 0);
    }
    return row;
}

std::vector<float> attentionBias(const std::vector<TrainingRow>& rows, std::int64_t prefixKeys) {
    if (rows.empty())
        return {};
    const std::size_t T = rows[0].segmentIds.size();
    for (const auto& r : rows)
        if (r.segmentIds.size() != T)
            throw Error("attention bias: rows have different lengths (" + std::to_string(T) + " and " +
                        std::to_string(r.segmentIds.size()) + "); pad them to one length");
    const auto P = static_cast<std::size_t>(std::max<std::int64_t>(0, prefixKeys));
    const std::size_t S = P + T; // keys per query: the micro-batch's prefix, then the row
    const float blocked = -std::numeric_limits<float>::infinity();
    std::vector<float> bias(rows.size() * T * S, blocked);
    for (std::size_t b = 0; b < rows.size(); ++b) {
        const auto& seg = rows[b].segmentIds;
        float* m = bias.data() + b * T * S;
        for (std::size_t i = 0; i < T; ++i) {
            float* q = m + i * S; // query i's keys
            if (seg[i] == 0) {
                q[P + i] = 0.f; // padding: itself only, so its softmax row is not empty
                continue;
            }
            std::fill(q, q + P, 0.f); // every example begins with the micro-batch's prefix
            for (std::size_t j = i + 1; j-- > 0;) {
                if (seg[j] != seg[i])
                    break; // segments are contiguous: earlier keys belong to earlier examples
                q[P + j] = 0.f;
            }
            if (seg[i] > 1) // a later example also sees the prefix it shares with the first one
                for (std::size_t j = 0; j < static_cast<std::size_t>(rows[b].sharedPrefix); ++j)
                    q[P + j] = 0.f;
        }
    }
    return bias;
}

} // namespace ps
