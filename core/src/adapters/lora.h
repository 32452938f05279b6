#pragma once
// LoRA (peft_type LORA), with rsLoRA scaling and DoRA — peft's lora.Linear.
//
//   y = base(x) + B(A(dropout(x))) * s,    s = alpha / r   (rsLoRA: alpha / sqrt(r))
//   A [r, in] kaiming-uniform(a=sqrt(5)) (or N(0, 1/r) with gaussian init), B [out, r] zeros.
//   DoRA adds m [out] (init: the row norms of W) and computes
//   y = m / ||W + s B A||_row * (W x + s B A x) + bias, the norm detached from the graph
//   (DoRA paper section 4.3), in peft's form base(x) + (m/n - 1) W x + m/n s B A x.
//   Merge: W += s B A (DoRA: W' = m/||W + s B A||_row * (W + s B A)); transposed for Conv1D.
// Adapter weights are float32 whatever the base dtype (peft's autocast_adapter_dtype); the
// input is cast to them and the result back to the base output's dtype.
#include "adapters/adapter_plan.h"
#include "adapters/layer_adapter.h"

namespace ps::adapters {

// The tensors LoRA saves for one layer (suffix, shape).
std::vector<std::pair<std::string, std::vector<std::int64_t>>> loraLayerTensors(const LayerPlan& layer, bool dora);

class LoraLinearImpl final : public LayerAdapterImpl {
public:
    // `base` provides the shapes (and DoRA's initial magnitude).
    LoraLinearImpl(const LayerPlan& layer, const AdapterSpec& spec, model::LinearImpl& base);

    torch::Tensor forward(const torch::Tensor& x, model::LinearImpl& base) override;
    // LoRA without DoRA, when no dropout applies (evaluation, or lora_dropout 0).
    std::optional<model::LowRankDelta> lowRankDelta() const override;
    std::vector<std::pair<std::string, torch::Tensor>> namedTensors() override;
    void mergeInto(model::LinearImpl& base) override;

    // B A * s as [out, in] (float32).
    torch::Tensor deltaWeight() const;

    torch::Tensor loraA;     // [r, in]
    torch::Tensor loraB;     // [out, r]
    torch::Tensor magnitude; // [out], DoRA only
    double scaling = 1.0;
    double dropout = 0.0;
    bool dora = false;
};
TORCH_MODULE(LoraLinear);

} // namespace ps::adapters
