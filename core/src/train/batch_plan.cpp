#include "train/batch_plan.h"

#include "util/env_switch.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace ps::train {

BatchPlanner::BatchPlanner(const TokenizedDataset& data, std::vector<std::size_t> trainIndices,
                           const RunConfig& config, bool allowPacking)
    : data_(data), train_(std::move(trainIndices)), batchSize_(std::max<std::int64_t>(1, config.per_device_train_batch_size)),
      cutoff_(config.cutoff_len), seed_(static_cast<std::uint64_t>(config.seed)), packing_(config.packing && allowPacking),
      sharePrefix_(packing_ && config.packing_shared_prefix), useBias_(allowPacking) {
    // The opening all training examples share goes ahead of the rows: an optimizer step computes it
    // once for all its micro-batches (train::SharedPrefix) instead of once per row. Worth it when
    // the step has enough rows: the pass over its P tokens runs products with M = P, several times
    // slower per token than the rows' (measured: once per micro-batch of 4 rows it cost what it
    // saved, benchmarks/RESULTS.md). Not with gradient checkpointing: a cached prefix turns it
    // off in the model.
    if (sharePrefix_ && !config.gradient_checkpointing && !envIs("PS_MICROBATCH_PREFIX", "0")) {
        const auto rowsPerStep = batchSize_ * std::max<std::int64_t>(1, config.gradient_accumulation_steps);
        const auto p = commonPromptPrefix(data_, train_);
        if (p > 0 && rowsPerStep >= 8 && rowsPerStep * p >= 64) {
            const auto ids = data_.inputIds(train_.front());
            prefix_.assign(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(p));
        }
    }
    firstEpoch_ = plan(0);
    microBatchesPerEpoch_ = static_cast<std::int64_t>(firstEpoch_.size());
    if (packing_)
        packingSummary_ = summarisePacking(firstEpoch_);
}

std::string BatchPlanner::summarisePacking(const std::vector<MicroBatchPlan>& plan) const {
    std::int64_t examples = 0, rows = 0, exampleTokens = 0, laidOut = 0, padded = 0;
    for (const auto& mb : plan) {
        std::int64_t longest = 0;
        for (const auto& row : mb) {
            ++rows;
            examples += static_cast<std::int64_t>(row.size());
            for (auto e : row)
                exampleTokens += data_.length(e);
            const auto used = rowTokens(data_, row, sharePrefix_, prefixLength());
            laidOut += used;
            longest = std::max(longest, used);
        }
        padded += longest * static_cast<std::int64_t>(mb.size());
        laidOut += prefixLength(); // once per micro-batch
        padded += prefixLength();
    }
    const auto pct = [](std::int64_t part, std::int64_t whole) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f %%", whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
        return std::string(text);
    };
    std::string out = "packing: " + std::to_string(examples) + " examples in " + std::to_string(rows) + " rows of up to " +
                      std::to_string(cutoff_) + " tokens, " + pct(laidOut, padded) + " of the batch tokens used";
    if (sharePrefix_)
        out += "; shared prompt prefixes leave out " + std::to_string(exampleTokens - laidOut) + " of " +
               std::to_string(exampleTokens) + " tokens (" + pct(exampleTokens - laidOut, exampleTokens) + ")";
    if (!prefix_.empty())
        out += ", the " + std::to_string(prefix_.size()) +
               "-token opening every example begins with computed once per optimizer step";
    return out;
}

std::vector<MicroBatchPlan> BatchPlanner::epoch(std::int64_t epoch) const {
    return epoch == 0 ? firstEpoch_ : plan(epoch);
}

std::vector<MicroBatchPlan> BatchPlanner::plan(std::int64_t epoch) const {
    const auto order = shuffledOrder(train_, seed_ + static_cast<std::uint64_t>(epoch));
    std::vector<MicroBatchPlan> out;
    if (packing_) {
        PackOptions pack;
        pack.sharePrefixes = sharePrefix_;
        pack.seed = seed_ + static_cast<std::uint64_t>(epoch);
        const auto rows = packExamples(data_, order, cutoff_, pack);
        for (std::size_t i = 0; i < rows.size(); i += static_cast<std::size_t>(batchSize_)) {
            MicroBatchPlan mb(rows.begin() + static_cast<std::ptrdiff_t>(i),
                              rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), i + batchSize_)));
            out.push_back(std::move(mb));
        }
        return out;
    }
    for (const auto& batch : lengthGroupedBatches(data_, order, static_cast<std::size_t>(batchSize_), seed_ + epoch)) {
        MicroBatchPlan mb;
        for (auto e : batch)
            mb.push_back({e});
        out.push_back(std::move(mb));
    }
    return out;
}

std::vector<MicroBatchPlan> BatchPlanner::sequential(const std::vector<std::size_t>& indices) const {
    std::vector<MicroBatchPlan> out;
    for (std::size_t i = 0; i < indices.size(); i += static_cast<std::size_t>(batchSize_)) {
        MicroBatchPlan mb;
        for (std::size_t j = i; j < std::min(indices.size(), i + batchSize_); ++j)
            mb.push_back({indices[j]});
        out.push_back(std::move(mb));
    }
    return out;
}

MicroBatch BatchPlanner::materialise(const MicroBatchPlan& plan, const torch::Device& device) const {
    // The training examples all begin with prefix_; other micro-batches (validation) use it when
    // every example of theirs does.
    std::int64_t skip = prefixLength();
    for (const auto& row : plan)
        for (auto e : row)
            if (skip > 0 && !sharesPromptPrefix(data_, e, prefix_))
                skip = 0;
    std::int64_t maxLen = 1;
    for (const auto& row : plan) {
        maxLen = std::max(maxLen, rowTokens(data_, row, sharePrefix_, skip));
    }
    std::vector<TrainingRow> rows;
    rows.reserve(plan.size());
    for (const auto& row : plan)
        rows.push_back(makeRow(data_, row, maxLen, data_.padId(), sharePrefix_, skip));
    const auto b = static_cast<std::int64_t>(rows.size());
    auto ids = torch::empty({b, maxLen}, torch::kInt64);
    auto labels = torch::empty({b, maxLen}, torch::kInt64);
    auto pos = torch::empty({b, maxLen}, torch::kInt64);
    auto mask = torch::empty({b, maxLen}, torch::kInt64);
    MicroBatch mb;
    for (std::int64_t r = 0; r < b; ++r) {
        const auto& row = rows[static_cast<std::size_t>(r)];
        auto* pi = ids[r].data_ptr<std::int64_t>();
        auto* pl = labels[r].data_ptr<std::int64_t>();
        auto* pp = pos[r].data_ptr<std::int64_t>();
        auto* pm = mask[r].data_ptr<std::int64_t>();
        for (std::int64_t t = 0; t < maxLen; ++t) {
            pi[t] = row.inputIds[static_cast<std::size_t>(t)];
            pl[t] = row.labels[static_cast<std::size_t>(t)];
            pp[t] = row.positionIds[static_cast<std::size_t>(t)];
            pm[t] = row.segmentIds[static_cast<std::size_t>(t)] > 0 ? 1 : 0;
            mb.tokens += pm[t];
            mb.trainedTokens += pl[t] != -100 ? 1 : 0;
        }
    }
    mb.inputIds = ids.to(device);
    mb.labels = labels.to(device);
    if (useBias_) {
        mb.positionIds = pos.to(device);
        auto bias = attentionBias(rows, skip);
        mb.attentionBias =
            torch::from_blob(bias.data(), {b, 1, maxLen, skip + maxLen}, torch::kFloat32).clone().to(device);
        if (skip > 0) {
            mb.prefixIds = torch::tensor(std::vector<std::int64_t>(prefix_.begin(), prefix_.begin() + skip), torch::kInt64)
                               .view({1, skip})
                               .to(device);
            mb.tokens += skip;
        }
    } else {
        mb.attentionMask = mask.to(device);
    }
    return mb;
}

} // namespace ps::train
