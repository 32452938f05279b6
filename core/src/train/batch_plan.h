#pragma once
// Which examples go into which micro-batch, epoch by epoch (internal: torch for the tensors).
// Deterministic from (dataset, train indices, config, epoch): a resumed run recomputes the
// epoch's plan and continues at the checkpointed micro-batch index.
#include "ps/adapter.h"
#include "ps/dataset.h"
#include "ps/run_config.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ps::train {

// One model input of several rows: rows are lists of example indices (several when packed).
using MicroBatchPlan = std::vector<std::vector<std::size_t>>;

struct MicroBatch {
    torch::Tensor inputIds;      // [B, T] int64
    torch::Tensor labels;        // [B, T] int64, -100 = no loss
    torch::Tensor positionIds;   // [B, T] int64, restarting per packed example
    torch::Tensor attentionBias; // [B, 1, T, P + T] (block-diagonal causal) or undefined
    torch::Tensor attentionMask; // [B, T] (used instead of the bias for prompt / prefix tuning)
    // [1, P] int64 or undefined: untrained tokens every example of the micro-batch begins with
    // (a template's opening), left out of the rows and computed ahead of them, once per optimizer
    // step (train::SharedPrefix): the rows attend to their keys and values as to a cache.
    torch::Tensor prefixIds;
    std::int64_t tokens = 0;         // real (non-padding) tokens, the prefix counted once
    std::int64_t trainedTokens = 0;  // labels != -100
};

// Whether rows of `method` can be packed (and use a block-diagonal attention bias): prompt and
// prefix tuning put virtual tokens in front of every sequence, which such a mask cannot describe.
inline bool methodAllowsPacking(PeftMethod method) {
    return method != PeftMethod::PromptTuning && method != PeftMethod::PrefixTuning;
}

class BatchPlanner final {
public:
    // `packing` is honoured only when `allowPacking` (prompt / prefix tuning prepend tokens,
    // which a block-diagonal mask cannot describe).
    BatchPlanner(const TokenizedDataset& data, std::vector<std::size_t> trainIndices, const RunConfig& config,
                 bool allowPacking);

    std::vector<MicroBatchPlan> epoch(std::int64_t epoch) const;
    std::int64_t microBatchesPerEpoch() const { return microBatchesPerEpoch_; }
    // With packing, one line on the first epoch's plan: rows, how full the padded batches are
    // and how many tokens shared prefixes leave out. Empty without packing.
    const std::string& packingSummary() const { return packingSummary_; }
    MicroBatch materialise(const MicroBatchPlan& plan, const torch::Device& device) const;
    // Non-packed batches over `indices` in order (for evaluation).
    std::vector<MicroBatchPlan> sequential(const std::vector<std::size_t>& indices) const;

private:
    const TokenizedDataset& data_;
    std::vector<std::size_t> train_;
    std::int64_t batchSize_;
    std::int64_t cutoff_;
    std::uint64_t seed_;
    bool packing_;
    bool sharePrefix_;
    bool useBias_;
    // The opening every training example shares, left out of the rows (empty: none).
    std::vector<std::int32_t> prefix_;
    std::vector<MicroBatchPlan> firstEpoch_; // planned once: its size and summary are needed up front
    std::int64_t microBatchesPerEpoch_ = 0;
    std::string packingSummary_;

    std::vector<MicroBatchPlan> plan(std::int64_t epoch) const;
    std::int64_t prefixLength() const { return static_cast<std::int64_t>(prefix_.size()); }
    std::string summarisePacking(const std::vector<MicroBatchPlan>& plan) const;
};

} // namespace ps::train
