// From examples to model rows: packing (several whole examples per row, attention blocked
// between them), length-grouped padding batches, and the attention bias for either.
#include "data/tokenize_example.h"
#include "ps/dataset.h"

#include <algorithm>
#include <limits>
#include <map>

namespace ps {

std::vector<std::vector<std::size_t>> packExamples(const TokenizedDataset& data, const std::vector<std::size_t>& order,
                                                   std::int64_t rowLen) {
    if (rowLen < 1)
        throw Error("packing: the row length must be positive, got " + std::to_string(rowLen));
    std::vector<std::vector<std::size_t>> rows;
    // Remaining room -> row, for best fit: the fullest row that still has room for the example.
    // Equal keys keep insertion order, so the result depends only on `order`.
    std::multimap<std::int64_t, std::size_t> room;
    for (std::size_t idx : order) {
        const std::int64_t len = data.length(idx);
        if (len > rowLen)
            throw Error("packing: example " + std::to_string(idx) + " has " + std::to_string(len) +
                        " tokens, more than the row length " + std::to_string(rowLen));
        auto it = room.lower_bound(len);
        std::size_t row;
        std::int64_t left;
        if (it == room.end()) {
            row = rows.size();
            rows.emplace_back();
            left = rowLen;
        } else {
            row = it->second;
            left = it->first;
            room.erase(it);
        }
        rows[row].push_back(idx);
        if (left - len > 0)
            room.emplace(left - len, row);
    }
    return rows;
}

std::vector<std::vector<std::size_t>> lengthGroupedBatches(const TokenizedDataset& data,
                                                           const std::vector<std::size_t>& order, std::size_t batchSize,
                                                           std::uint64_t seed) {
    if (batchSize == 0)
        throw Error("batch size must be positive");
    const std::size_t mega = batchSize * 50;
    std::vector<std::vector<std::size_t>> batches;
    for (std::size_t at = 0; at < order.size(); at += mega) {
        std::vector<std::size_t> group(order.begin() + static_cast<std::ptrdiff_t>(at),
                                       order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), at + mega)));
        std::stable_sort(group.begin(), group.end(),
                         [&](std::size_t a, std::size_t b) { return data.length(a) > data.length(b); });
        for (std::size_t b = 0; b < group.size(); b += batchSize)
            batches.emplace_back(group.begin() + static_cast<std::ptrdiff_t>(b),
                                 group.begin() + static_cast<std::ptrdiff_t>(std::min(group.size(), b + batchSize)));
    }
    if (batches.empty())
        return batches;
    std::vector<std::size_t> ids(batches.size());
    for (std::size_t i = 0; i < ids.size(); ++i)
        ids[i] = i;
    ids = shuffledOrder(std::move(ids), seed);
    std::vector<std::vector<std::size_t>> out;
    out.reserve(batches.size());
    for (std::size_t i : ids)
        out.push_back(std::move(batches[i]));
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
                    std::optional<std::int32_t> padId) {
    TrainingRow row;
    std::int32_t segment = 0;
    for (std::size_t idx : examples) {
        ++segment;
        const auto ids = data.inputIds(idx);
        const auto labels = data.labels(idx);
        for (std::size_t t = 0; t < ids.size(); ++t) {
            row.inputIds.push_back(ids[t]);
            // Nothing inside this example predicts its first token; the previous example's
            // last logit must not be trained on it either.
            row.labels.push_back(t == 0 ? data::kIgnoreIndex : labels[t]);
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

std::vector<float> attentionBias(const std::vector<TrainingRow>& rows) {
    if (rows.empty())
        return {};
    const std::size_t T = rows[0].segmentIds.size();
    for (const auto& r : rows)
        if (r.segmentIds.size() != T)
            throw Error("attention bias: rows have different lengths (" + std::to_string(T) + " and " +
                        std::to_string(r.segmentIds.size()) + "); pad them to one length");
    const float blocked = -std::numeric_limits<float>::infinity();
    std::vector<float> bias(rows.size() * T * T, blocked);
    for (std::size_t b = 0; b < rows.size(); ++b) {
        const auto& seg = rows[b].segmentIds;
        float* m = bias.data() + b * T * T;
        for (std::size_t i = 0; i < T; ++i) {
            if (seg[i] == 0) {
                m[i * T + i] = 0.f; // padding: itself only, so its softmax row is not empty
                continue;
            }
            for (std::size_t j = i + 1; j-- > 0;) {
                if (seg[j] != seg[i])
                    break; // segments are contiguous: earlier keys belong to earlier examples
                m[i * T + j] = 0.f;
            }
        }
    }
    return bias;
}

} // namespace ps
