#pragma once
// LayerAdapter — the common shape of every per-projection PEFT method (LoRA, IA3, LoHa, LoKr,
// modules_to_save copies): a model::LinearAdapterImpl that also names its tensors (peft's
// suffixes, e.g. "lora_A.weight") and can fold itself into the base layer.
#include "model/linear.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace ps::adapters {

class LayerAdapterImpl : public model::LinearAdapterImpl {
public:
    // (suffix, tensor): saved as "base_model.model.<module path>.<suffix>".
    virtual std::vector<std::pair<std::string, torch::Tensor>> namedTensors() = 0;
    // Folds the adapter into base.weight / base.bias. Base tensors may be read-only views of a
    // memory-mapped checkpoint, so this replaces them (setBaseWeight) instead of writing in place.
    virtual void mergeInto(model::LinearImpl& base) = 0;
};

// Replaces a base layer's weight ([out, in] or Conv1D [in, out] as stored) with `value` (cast to
// the weight's dtype). For a tied head the shared tensor is left alone: the layer gets its own.
void setBaseWeight(model::LinearImpl& base, const torch::Tensor& value);
void setBaseBias(model::LinearImpl& base, const torch::Tensor& value);
// Replaces a parameter's data (not in place) keeping its identity in the module tree.
void replaceData(torch::Tensor& param, const torch::Tensor& value);

// Adapter weights are float32 whatever the base dtype (peft's autocast_adapter_dtype), except
// on a float64 base (gradient checks), where they follow it.
torch::TensorOptions adapterOptions(const model::LinearImpl& base);

// nn.init.kaiming_uniform_(t, a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = t.size(1).
void kaimingUniformSqrt5(torch::Tensor& t);

} // namespace ps::adapters
