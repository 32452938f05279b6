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
torch::Tensor microBatchLossSum(adapters::PeftModel& peft, const MicroBatch& mb);
// The same for the base model alone (evaluation without an adapter).
torch::Tensor microBatchLossSum(model::CausalLM& model, const MicroBatch& mb);

} // namespace ps::train
