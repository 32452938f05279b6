#include "train/step_loss.h"

#include "model/causal_lm.h"
#include "train/head_loss.h"

namespace ps::train {

namespace {

model::ForwardInput forwardInput(model::CausalLM& model, const MicroBatch& mb) {
    model::ForwardInput in;
    in.inputIds = mb.inputIds;
    in.positionIds = mb.positionIds;
    // The additive block-diagonal bias is built in float32; attention runs in the weights' dtype.
    in.attentionBias = mb.attentionBias.defined() ? mb.attentionBias.to(model->embeddingWeight().scalar_type())
                                                  : torch::Tensor();
    in.attentionMask = mb.attentionMask;
    return in;
}

} // namespace

torch::Tensor microBatchLossSum(adapters::PeftModel& peft, const MicroBatch& mb) {
    auto hidden = peft.forward(forwardInput(peft.model(), mb));
    if (const auto n = peft.numPrependedRows(); n > 0) // prompt tuning's virtual tokens have no label
        hidden = hidden.narrow(1, n, hidden.size(1) - n);
    auto [rows, targets] = labelledRows(hidden, mb.labels);
    auto head = peft.model()->lmHead();
    if (head->adapter() == nullptr)
        return fusedHeadCrossEntropySum(rows, head->weightOutIn(), head->bias, targets);
    return chunkedHeadCrossEntropySum([&peft](const torch::Tensor& h) { return peft.logits(h); }, rows, targets);
}

torch::Tensor microBatchLossSum(model::CausalLM& model, const MicroBatch& mb) {
    auto hidden = model->forward(forwardInput(model, mb));
    auto [rows, targets] = labelledRows(hidden, mb.labels);
    auto head = model->lmHead();
    return fusedHeadCrossEntropySum(rows, head->weightOutIn(), head->bias, targets);
}

} // namespace ps::train
