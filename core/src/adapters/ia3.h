#pragma once
// IA3 (peft_type IA3) — peft's ia3.Linear: a learned vector scales a projection's output
// (ia3_l [out, 1], bias included) or, for feed-forward modules, its input (ia3_l [1, in]).
// Init: ones. Merge: W *= l (broadcast over the stored layout), output scaling also scales b.
#include "adapters/adapter_plan.h"
#include "adapters/layer_adapter.h"

namespace ps::adapters {

std::vector<std::pair<std::string, std::vector<std::int64_t>>> ia3LayerTensors(const LayerPlan& layer);

class Ia3LinearImpl final : public LayerAdapterImpl {
public:
    Ia3LinearImpl(const LayerPlan& layer, model::LinearImpl& base);

    torch::Tensor forward(const torch::Tensor& x, model::LinearImpl& base) override;
    std::vector<std::pair<std::string, torch::Tensor>> namedTensors() override;
    void mergeInto(model::LinearImpl& base) override;

    torch::Tensor scale; // ia3_l
    bool feedforward = false;
};
TORCH_MODULE(Ia3Linear);

} // namespace ps::adapters
