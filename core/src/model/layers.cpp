#include "model/layers.h"

#include <torch/autograd.h>

namespace ps::model {

EmbeddingImpl::EmbeddingImpl(std::int64_t count, std::int64_t dim) {
    weight = register_parameter("weight", torch::empty({count, dim}));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) const {
    return torch::embedding(weight, ids);
}

LayerNormImpl::LayerNormImpl(std::int64_t dim, double epsilon) : eps(epsilon) {
    weight = register_parameter("weight", torch::empty({dim}));
    bias = register_parameter("bias", torch::empty({dim}));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) const {
    return torch::layer_norm(x, {weight.size(0)}, weight, bias, eps);
}

RMSNormImpl::RMSNormImpl(std::int64_t dim, double epsilon, bool plusOne) : eps(epsilon), addOne(plusOne) {
    weight = register_parameter("weight", torch::empty({dim}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) const {
    const auto inputType = x.scalar_type();
    const auto xf = inputType == torch::kFloat32 ? x : x.to(torch::kFloat32);
    const auto normed = xf * torch::rsqrt(xf.square().mean(-1, /*keepdim=*/true) + eps);
    if (addOne) // Gemma: (x * (1 + w)) in float32, then cast
        return (normed * (weight.to(torch::kFloat32) + 1.0)).to(inputType);
    // Llama: w * x.to(input dtype)
    return weight * (inputType == torch::kFloat32 ? normed : normed.to(inputType));
}

torch::Tensor activate(const torch::Tensor& x, Activation act) {
    switch (act) {
    case Activation::GeluTanh:
        return torch::gelu(x, "tanh");
    case Activation::Gelu:
        return torch::gelu(x);
    case Activation::Silu:
        return torch::silu(x);
    case Activation::Relu:
        return torch::relu(x);
    }
    return x;
}

namespace {

class SwiGluFunction final : public torch::autograd::Function<SwiGluFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& gate,
                                 const torch::Tensor& up) {
        ctx->save_for_backward({gate, up});
        return torch::silu(gate) * up;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto dtype = saved[0].scalar_type();
        const auto g = saved[0].to(torch::kFloat32), u = saved[1].to(torch::kFloat32);
        const auto grad = grads[0].to(torch::kFloat32);
        // d silu(g) / dg = sigmoid(g) * (1 + g * (1 - sigmoid(g))): LibTorch's fused silu_backward
        // (one vectorised pass instead of six elementwise ops).
        const auto dGate = at::silu_backward(grad * u, g);
        const auto dUp = torch::silu(g).mul_(grad);
        return {dGate.to(dtype), dUp.to(saved[1].scalar_type())};
    }
};

} // namespace

torch::Tensor gatedActivation(const torch::Tensor& gate, const torch::Tensor& up, Activation act) {
    if (act == Activation::Silu && torch::GradMode::is_enabled() && (gate.requires_grad() || up.requires_grad()))
        return SwiGluFunction::apply(gate, up);
    return activate(gate, act) * up;
}

} // namespace ps::model
