#pragma once
// The loss of one micro-batch through a PEFT model (internal: torch). Shared by the trainer,
// evaluation (`eval`) and the tests that check gradient accumulation and packing against the
// unbatched computation.
#include "adapters/peft_model.h"
#include "train/batch_plan.h"

#include <torch/torch.h>

namespace ps::train {

// Sum of the cross-entropy over the labelled tokens of `mb` (divide by the step's trained-token
// count to get the mean the optimizer sees). Only the rows with a label reach the output head
// (head_loss.h): no [tokens, vocab] tensor for the whole batch.
class SharedPrefix;
// With `shared` holding the micro-batch's prefixIds, the rows attend to its keys and values;
// otherwise a micro-batch with prefixIds runs its prefix itself first.
torch::Tensor microBatchLossSum(adapters::PeftModel& peft, const MicroBatch& mb, SharedPrefix* shared = nullptr);
// The same for the base model alone (evaluation without an adapter).
torch::Tensor microBatchLossSum(model::CausalLM& model, const MicroBatch& mb);

// Whether the last decoder layer runs only on the rows that predict a label
// (ForwardInput::outputRows; on unless PS_LAST_LAYER_ROWS=0). Off: a whole forward, then the
// selection (the same loss). For in-process comparisons (benchmarks/bench_instruction_step).
void setLastLayerOnLabelledRows(bool on);

// The keys and values of a micro-batch prefix (MicroBatch::prefixIds: an opening every example
// begins with), computed once for several micro-batches — the trainer shares one among the
// micro-batches of an optimizer step, evaluation among all its micro-batches. A pass over P
// tokens runs small, slow products (M = P), so paying it once per step instead of once per
// micro-batch is what makes leaving the opening out of the rows pay (benchmarks/RESULTS.md).
// Each micro-batch's rows read detached copies of the keys and values, whose gradients add up
// over the micro-batches' backward passes; backward() then carries the sum through the prefix's
// pass into the adapter, once: call it after the step's last micro-batch, before the gradients
// are used. Under NoGradGuard nothing is kept for backward. With dropout the step's micro-batches
// share one draw on the prefix (as examples sharing a row's prefix do): the expected gradient is
// the same.
class SharedPrefix {
public:
    SharedPrefix(adapters::PeftModel& peft, const torch::Tensor& ids);
    bool serves(const torch::Tensor& ids) const; // the same tokens as this prefix
    model::KVCache cacheFor(std::int64_t rows) const;
    void backward();

private:
    torch::Tensor ids_;
    std::vector<torch::Tensor> keys_, values_;           // the prefix pass's outputs, per layer
    std::vector<torch::Tensor> keyLeaves_, valueLeaves_; // what the micro-batches read
    bool done_ = false;
};

} // namespace ps::train
