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

namespace {

// Llama's float32 RMSNorm as one autograd node: y = w * x * r with r = rsqrt(mean(x^2) + eps) per
// row. It keeps x and r ([rows, 1]) for backward, which is, with g = dy * w and H features,
//   dx = r * g - x * r^3 * sum(g * x) / H,    dw = sum over rows of dy * x * r
// — five passes over [rows, H] instead of the dozen of the recorded elementwise graph. (Not
// addcmul_ with the [rows, 1] factor: LibTorch 1.13 runs that broadcast 3x slower than mul + sub.)
class RmsNormFunction final : public torch::autograd::Function<RmsNormFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& weight, double eps) {
        const auto x2 = x.reshape({-1, x.size(-1)});
        const auto r = torch::rsqrt(x2.square().mean(-1, /*keepdim=*/true) + eps);
        ctx->save_for_backward({x2, r, weight});
        ctx->saved_data["x_sizes"] = x.sizes();
        return (x2 * r).mul_(weight).view(x.sizes());
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &x2 = saved[0], &r = saved[1], &weight = saved[2];
        const auto dy = grads[0].reshape(x2.sizes());
        torch::Tensor dW;
        if (weight.requires_grad())
            dW = (dy * x2).mul_(r).sum(0);
        auto g = dy * weight;
        const auto coef = (g * x2).sum(-1, /*keepdim=*/true).mul_(r.pow(3)).div_(static_cast<double>(x2.size(-1)));
        g.mul_(r).sub_(x2 * coef);
        return {g.view(ctx->saved_data["x_sizes"].toIntVector()), dW, torch::Tensor()};
    }
};

} // namespace

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) const {
    const auto inputType = x.scalar_type();
    if (inputType == torch::kFloat32 && !addOne && weight.scalar_type() == torch::kFloat32 &&
        torch::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad()))
        return RmsNormFunction::apply(x, weight, eps);
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
