#pragma once
// ps::model::Linear — every projection of every architecture is one of these, so that PEFT
// methods can wrap any of them by module path (internal header: includes torch).
//
// Weight layout follows the checkpoint: nn.Linear stores [out, in]; GPT-2's Conv1D stores
// [in, out] (`conv1d == true`) and computes y = x @ W + b. The parameter names are "weight" and
// "bias", so named_parameters() of a model yields exactly the transformers state-dict keys.
//
// Adapter hook: a LinearAdapter (itself a torch Module, registered as a child under the name
// the adapter method chooses, e.g. "lora") replaces the forward. Its forward receives the input
// and the base layer, so it can compute base(x) + delta (LoRA, LoHa, LoKr), scale the input or
// the output (IA3), or renormalise (DoRA).
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>

namespace ps::model {

class LinearImpl;

// An adapter whose forward is exactly base(x) + scaling * (x A^T) B^T on the unchanged input
// (LoRA without DoRA and without active dropout). Layers that read one input can then be run as
// one group (model/shared_input_projections.h).
struct LowRankDelta {
    torch::Tensor a; // [r, in]
    torch::Tensor b; // [out, r]
    double scaling = 1.0;
};

// The dtype an adapter's low-rank products run in for input x, its weights being `master`
// (float32). On CUDA with bf16/fp16 activations: the activations' dtype, as peft under
// torch.autocast (the trainable weights stay float32 and get their gradients through the cast).
// Elsewhere the master dtype: on the CPU, bf16 GEMMs were measured no faster.
inline torch::ScalarType lowRankComputeDtype(const torch::Tensor& x, torch::ScalarType master) {
    const auto t = x.scalar_type();
    return x.is_cuda() && (t == torch::kBFloat16 || t == torch::kHalf) ? t : master;
}

class LinearAdapterImpl : public torch::nn::Module {
public:
    ~LinearAdapterImpl() override = default;
    virtual torch::Tensor forward(const torch::Tensor& x, LinearImpl& base) = 0;
    // The low-rank form of this adapter's forward in its current mode, or nothing.
    virtual std::optional<LowRankDelta> lowRankDelta() const { return std::nullopt; }
};

class LinearImpl : public torch::nn::Module {
public:
    // Parameters are allocated uninitialised (loadCausalLM / randomCausalLM fill them).
    LinearImpl(std::int64_t inFeatures, std::int64_t outFeatures, bool bias, bool conv1d);
    // A bias-free layer whose [out, in] weight is another module's parameter (a tied lm_head).
    // The weight is NOT registered here, so named_parameters() lists it once, under its owner,
    // as transformers does; dtype/device moves of the owner carry over (same TensorImpl).
    explicit LinearImpl(const torch::Tensor& sharedWeight);

    // y = x W^T + b (or x W + b for conv1d), ignoring any adapter.
    torch::Tensor baseForward(const torch::Tensor& x) const;
    // The weight as [out, in] (a view for conv1d).
    torch::Tensor weightOutIn() const;
    torch::Tensor forward(const torch::Tensor& x);

    // Installs `adapter` (registered as child module `name`); replaces a previous one.
    void setAdapter(const std::string& name, std::shared_ptr<LinearAdapterImpl> adapter);
    void clearAdapter();
    LinearAdapterImpl* adapter() const { return adapter_.get(); }
    const std::string& adapterName() const { return adapterName_; }

    std::int64_t inFeatures = 0;
    std::int64_t outFeatures = 0;
    bool conv1d = false;
    std::string path; // HF module path, e.g. "model.layers.0.self_attn.q_proj"
    torch::Tensor weight;
    torch::Tensor bias; // undefined when the layer has none
    bool tied = false;  // weight shared with (and registered by) another module

private:
    std::shared_ptr<LinearAdapterImpl> adapter_;
    std::string adapterName_;
};
TORCH_MODULE(Linear);

} // namespace ps::model
