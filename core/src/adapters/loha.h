#pragma once
// LoHa (peft_type LOHA) — peft's loha.Linear: a Hadamard product of two low-rank products,
//   dW = (w1a @ w1b) * (w2a @ w2b) * alpha / r,   y = base(x) + x dW^T
//   hada_w1_a [out, r], hada_w1_b [r, in], hada_w2_a [out, r], hada_w2_b [r, in];
//   init: w2_b = 0, the others kaiming-uniform(a=sqrt(5)).
// Training only: module_dropout skips the whole delta with that probability, rank_dropout drops
// rows of dW. Merge: W += dW (transposed for Conv1D; peft itself has no LoHa on Conv1D).
#include "adapters/adapter_plan.h"
#include "adapters/layer_adapter.h"

namespace ps::adapters {

std::vector<std::pair<std::string, std::vector<std::int64_t>>> lohaLayerTensors(const LayerPlan& layer);

class LohaLinearImpl final : public LayerAdapterImpl {
public:
    LohaLinearImpl(const LayerPlan& layer, const AdapterSpec& spec, model::LinearImpl& base);

    torch::Tensor forward(const torch::Tensor& x, model::LinearImpl& base) override;
    std::vector<std::pair<std::string, torch::Tensor>> namedTensors() override;
    void mergeInto(model::LinearImpl& base) override;

    // dW as [out, in], float32 (rank dropout applied in training).
    torch::Tensor deltaWeight();

    torch::Tensor w1a, w1b, w2a, w2b;
    double scaling = 1.0;
    double rankDropout = 0.0;
    double moduleDropout = 0.0;
};
TORCH_MODULE(LohaLinear);

// Shared by LoHa and LoKr: drops rows of a delta weight in training (peft's rank_dropout),
// dividing the kept rows by their mean when `rescale` (LoHa always, LoKr per rank_dropout_scale).
torch::Tensor applyRankDropout(const torch::Tensor& weight, double rankDropout, bool rescale);
// Shared by LoHa and LoKr: whether this training step skips the delta (peft's module_dropout).
bool skipModule(bool training, double moduleDropout);

} // namespace ps::adapters
