#pragma once
// Small building blocks shared by the architectures: token/position embeddings, LayerNorm,
// RMSNorm and the MLP activations (internal header: includes torch). Parameters are named
// "weight" / "bias" like torch.nn's, and allocated uninitialised (loading or
// randomCausalLM fills them).
#include "model/model_config.h"

#include <torch/torch.h>

namespace ps::model {

class EmbeddingImpl final : public torch::nn::Module {
public:
    EmbeddingImpl(std::int64_t count, std::int64_t dim);
    torch::Tensor forward(const torch::Tensor& ids) const;
    torch::Tensor weight; // [count, dim]
};
TORCH_MODULE(Embedding);

class LayerNormImpl final : public torch::nn::Module {
public:
    LayerNormImpl(std::int64_t dim, double eps);
    torch::Tensor forward(const torch::Tensor& x) const;
    torch::Tensor weight;
    torch::Tensor bias;
    double eps;
};
TORCH_MODULE(LayerNorm);

// Llama RMSNorm: computed in float32 and cast back, as transformers does, so bf16 models
// normalise with full precision. `addOne` is Gemma's (1 + weight) scaling.
class RMSNormImpl final : public torch::nn::Module {
public:
    RMSNormImpl(std::int64_t dim, double eps, bool addOne);
    torch::Tensor forward(const torch::Tensor& x) const;
    torch::Tensor weight;
    double eps;
    bool addOne;
};
TORCH_MODULE(RMSNorm);

torch::Tensor activate(const torch::Tensor& x, Activation act);
// activate(gate) * up, the gated MLP's product. For SiLU while training, one autograd node that
// keeps only gate and up and recomputes silu(gate) in backward (instead of also keeping
// silu(gate), an [tokens, intermediate] tensor per layer); same values as the plain expression.
torch::Tensor gatedActivation(const torch::Tensor& gate, const torch::Tensor& up, Activation act);

} // namespace ps::model
