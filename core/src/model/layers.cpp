#include "model/layers.h"

#include "model/fast_gelu.h"
#include "system/parallel_parts.h"

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
        // Row by row, so the rows are cut across the free cores (system/parallel_parts.h).
        auto g = torch::empty_like(x2);
        system::runRangeParts(x2.device().is_cpu(), x2.size(0), 64, 1, [&](long long first, long long count) {
            const auto xP = x2.narrow(0, first, count), rP = r.narrow(0, first, count);
            auto gP = g.narrow(0, first, count);
            at::mul_out(gP, dy.narrow(0, first, count), weight);
            const auto coef =
                (gP * xP).sum(-1, /*keepdim=*/true).mul_(rP.pow(3)).div_(static_cast<double>(x2.size(-1)));
            gP.mul_(rP).sub_(xP * coef);
        });
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

namespace {

// A range of a contiguous tensor's flattened elements: in(t) is t's elements in it.
struct ElementRange {
    long long first, count;
    torch::Tensor operator()(const torch::Tensor& t) const { return t.view(-1).narrow(0, first, count); }
};

// fn(range) over 64-aligned element ranges of `t` on the free cores (system::runRangeParts): the
// elementwise kernels see the same vector lanes as in one call, so they give the same bits.
template <typename Fn> void forEachElementRange(const torch::Tensor& t, Fn&& fn) {
    system::runRangeParts(true, t.numel(), 1 << 16, 64, [&](long long first, long long count) {
        fn(ElementRange{first, count});
    });
}

// GELU (exact or tanh) while training on the CPU in float32, by element ranges on the free cores:
// the tanh form with the vector kernel of model/fast_gelu.h where the CPU has it, otherwise (and
// the exact form) LibTorch's own gelu and gelu_backward kernels.
class GeluFunction final : public torch::autograd::Function<GeluFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, bool tanh) {
        ctx->save_for_backward({x});
        ctx->saved_data["tanh"] = tanh;
        auto out = torch::empty_like(x);
        const bool fast = tanh && fastGeluTanhAvailable();
        forEachElementRange(x, [&](const ElementRange& in) {
            auto o = in(out);
            if (fast)
                geluTanhForward(in(x).data_ptr<float>(), o.data_ptr<float>(), in.count);
            else
                at::gelu_out(o, in(x), tanh ? "tanh" : "none");
        });
        return out;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto x = ctx->get_saved_variables()[0];
        const bool tanh = ctx->saved_data["tanh"].toBool();
        const bool fast = tanh && fastGeluTanhAvailable();
        const auto g = grads[0].contiguous();
        auto dx = torch::empty_like(x);
        forEachElementRange(x, [&](const ElementRange& in) {
            auto d = in(dx);
            if (fast)
                geluTanhBackward(in(g).data_ptr<float>(), in(x).data_ptr<float>(), d.data_ptr<float>(), in.count);
            else
                at::gelu_backward_out(d, in(g), in(x), tanh ? "tanh" : "none");
        });
        return {dx, torch::Tensor()};
    }
};

} // namespace

torch::Tensor activate(const torch::Tensor& x, Activation act) {
    if ((act == Activation::Gelu || act == Activation::GeluTanh) && torch::GradMode::is_enabled() &&
        x.requires_grad() && x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && x.is_contiguous())
        return GeluFunction::apply(x, act == Activation::GeluTanh);
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

// silu(gate) * up. On the CPU in float32 with contiguous inputs, forward and backward run by
// element ranges on the free cores (forEachElementRange).
class SwiGluFunction final : public torch::autograd::Function<SwiGluFunction> {
    static bool splittable(const torch::Tensor& gate, const torch::Tensor& up) {
        return gate.device().is_cpu() && gate.scalar_type() == torch::kFloat32 && up.scalar_type() == torch::kFloat32 &&
               gate.sizes() == up.sizes() && gate.is_contiguous() && up.is_contiguous();
    }

public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& gate,
                                 const torch::Tensor& up) {
        ctx->save_for_backward({gate, up});
        if (!splittable(gate, up))
            return torch::silu(gate) * up;
        auto out = torch::empty_like(gate);
        forEachElementRange(gate, [&](const ElementRange& in) {
            auto o = in(out);
            at::silu_out(o, in(gate)).mul_(in(up));
        });
        return out;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &gate = saved[0], &up = saved[1];
        if (splittable(gate, up)) { // the same kernels as below, by ranges on the free cores
            const auto grad = grads[0].contiguous();
            auto dGate = torch::empty_like(gate), dUp = torch::empty_like(up);
            forEachElementRange(gate, [&](const ElementRange& in) {
                auto dg = in(dGate), du = in(dUp);
                at::silu_backward_out(dg, in(grad)*in(up), in(gate));
                at::silu_out(du, in(gate)).mul_(in(grad));
            });
            return {dGate, dUp};
        }
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
