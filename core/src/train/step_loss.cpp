#include "train/step_loss.h"

#include "model/causal_lm.h"
#include "train/head_loss.h"
#include "util/env_switch.h"

#include <atomic>

namespace ps::train {

namespace {

// PS_LAST_LAYER_ROWS=0 runs the last layer on every position and selects the labelled rows
// afterwards (the same loss; for comparisons in benchmarks).
std::atomic<bool>& lastLayerSwitch() {
    static std::atomic<bool> on{!envIs("PS_LAST_LAYER_ROWS", "0")};
    return on;
}

bool lastLayerOnLabelledRows() {
    return lastLayerSwitch();
}

// The keys and values of `ids` [1, P], one [1, KV, P, D] per layer.
template <typename Forward> model::KVCache runPrefix(Forward&& forward, const torch::Tensor& ids) {
    model::KVCache cache;
    model::ForwardInput p;
    p.inputIds = ids;
    p.cache = &cache;
    p.outputRows = torch::empty({0}, torch::kInt64); // its keys and values are all the rows need
    (void)forward(p);
    return cache;
}

model::KVCache expandedTo(model::KVCache cache, std::int64_t rows) {
    for (auto* kv : {&cache.keys, &cache.values})
        for (auto& t : *kv)
            t = t.expand({rows, -1, -1, -1});
    return cache;
}

// The final hidden states of the positions that predict a label, [N, H], and their targets. A
// micro-batch prefix is read from `shared`, or else run first (keys and values expanded to every
// row: their gradients from all rows add up in the prefix's pass); the rows attend to it as to a cache.
template <typename Forward>
std::pair<torch::Tensor, torch::Tensor> labelledHidden(Forward&& forward, model::ForwardInput in,
                                                       const MicroBatch& mb, std::int64_t prepended,
                                                       const SharedPrefix* shared = nullptr) {
    model::KVCache prefix;
    if (mb.prefixIds.defined()) {
        const auto rows = mb.inputIds.size(0);
        prefix = shared && shared->serves(mb.prefixIds) ? shared->cacheFor(rows)
                                                        : expandedTo(runPrefix(forward, mb.prefixIds), rows);
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

void setLastLayerOnLabelledRows(bool on) {
    lastLayerSwitch() = on;
}

SharedPrefix::SharedPrefix(adapters::PeftModel& peft, const torch::Tensor& ids) : ids_(ids) {
    auto cache = runPrefix([&peft](const model::ForwardInput& in) { return peft.forward(in); }, ids);
    keys_ = std::move(cache.keys);
    values_ = std::move(cache.values);
    for (const auto& k : keys_)
        keyLeaves_.push_back(k.detach().requires_grad_(k.requires_grad()));
    for (const auto& v : values_)
        valueLeaves_.push_back(v.detach().requires_grad_(v.requires_grad()));
}

bool SharedPrefix::serves(const torch::Tensor& ids) const {
    return ids.sizes() == ids_.sizes() && ids.device() == ids_.device() && torch::equal(ids, ids_);
}

model::KVCache SharedPrefix::cacheFor(std::int64_t rows) const {
    model::KVCache cache;
    cache.keys = keyLeaves_;
    cache.values = valueLeaves_;
    return expandedTo(std::move(cache), rows);
}

void SharedPrefix::backward() {
    if (done_)
        return;
    done_ = true;
    std::vector<torch::Tensor> outputs, grads;
    for (std::size_t l = 0; l < keys_.size(); ++l)
        for (const auto& [out, leaf] : {std::pair{keys_[l], keyLeaves_[l]}, std::pair{values_[l], valueLeaves_[l]}})
            if (out.requires_grad() && leaf.grad().defined()) {
                outputs.push_back(out);
                grads.push_back(leaf.grad());
            }
    if (!outputs.empty())
        torch::autograd::backward(outputs, grads);
}

torch::Tensor microBatchLossSum(adapters::PeftModel& peft, const MicroBatch& mb, SharedPrefix* shared) {
    // Prompt tuning's virtual tokens come first in each row and have no label.
    auto [rows, targets] = labelledHidden([&peft](const model::ForwardInput& in) { return peft.forward(in); },
                                          forwardInput(peft.model(), mb), mb, peft.numPrependedRows(), shared);
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
