#include "train/step_loss.h"

#include "model/causal_lm.h"
#include "train/head_loss.h"
#include "util/env_switch.h"

namespace ps::train {

namespace {

// PS_LAST_LAYER_ROWS=0 runs the last layer on every position and selects the labelled rows
// afterwards (the same loss; for comparisons in benchmarks).
bool lastLayerOnLabelledRows() {
    static const bool off = envIs("PS_LAST_LAYER_ROWS", "0");
    return !off;
}

// The final hidden states of the positions that predict a label, [N, H], and their targets.
// A micro-batch prefix is run first, into a cache the rows then attend to (keys and values
// expanded to every row: their gradients from all rows add up in the prefix's pass).
template <typename Forward>
std::pair<torch::Tensor, torch::Tensor> labelledHidden(Forward&& forward, model::ForwardInput in,
                                                       const MicroBatch& mb, std::int64_t prepended) {
    model::KVCache prefix;
    if (mb.prefixIds.defined()) {
        model::ForwardInput p;
        p.inputIds = mb.prefixIds;
        p.cache = &prefix;
        p.outputRows = torch::empty({0}, torch::kInt64); // its keys and values are all the rows need
        (void)forward(p);
        const auto rows = mb.inputIds.size(0);
        for (auto* kv : {&prefix.keys, &prefix.values})
            for (auto& t : *kv)
                t = t.expand({rows, -1, -1, -1});
        in.cache = &prefix;
    }
    auto [positions, targets] = labelledPositions(mb.labels, prepended);
    if (lastLayerOnLabelledRows()) {
        in.outputRows = positions;
        return {forward(in), targets};
    }
    auto hidden = forward(in);
    return {hidden.reshape({-1, hidden.size(-1)}).index_select(0, positions.to(hidden.device())), targets};
}

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
    // Prompt tuning's virtual tokens come first in each row and have no label.
    auto [rows, targets] = labelledHidden([&peft](const model::ForwardInput& in) { return peft.forward(in); },
                                          forwardInput(peft.model(), mb), mb, peft.numPrependedRows());
    auto head = peft.model()->lmHead();
    if (head->adapter() == nullptr)
        return fusedHeadCrossEntropySum(rows, head->weightOutIn(), head->bias, targets);
    return chunkedHeadCrossEntropySum([&peft](const torch::Tensor& h) { return peft.logits(h); }, rows, targets);
}

torch::Tensor microBatchLossSum(model::CausalLM& model, const MicroBatch& mb) {
    auto [rows, targets] = labelledHidden([&model](const model::ForwardInput& in) { return model->forward(in); },
                                          forwardInput(model, mb), mb, 0);
    auto head = model->lmHead();
    return fusedHeadCrossEntropySum(rows, head->weightOutIn(), head->bias, targets);
}

} // namespace ps::train
