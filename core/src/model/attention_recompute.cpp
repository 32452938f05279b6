#include "model/attention_recompute.h"

#include "model/fast_dropout.h"

#include <torch/autograd.h>

namespace ps::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Shapes {
    std::int64_t B, H, T, D, KV, S, groups;
};

Shapes shapesOf(const torch::Tensor& q, const torch::Tensor& k) {
    Shapes s{q.size(0), q.size(1), q.size(2), q.size(3), k.size(1), k.size(2), 1};
    s.groups = s.H / s.KV;
    return s;
}

// Query heads of one kv head are adjacent: [B, H, T, D] -> [B, KV, groups*T, D] (as attend()).
torch::Tensor groupQueries(const torch::Tensor& q, const Shapes& s) {
    return s.groups == 1 ? q : q.reshape({s.B, s.KV, s.groups * s.T, s.D});
}

// softmax(q k^T / divisor + mask) in float32, grouped: [B, KV, groups*T, S].
torch::Tensor probabilities(const torch::Tensor& qg, const torch::Tensor& k, const torch::Tensor& mask,
                            double divisor, const Shapes& s) {
    auto scores = torch::matmul(qg, k.transpose(-1, -2));
    if (scores.scalar_type() != torch::kFloat32)
        scores = scores.to(torch::kFloat32);
    if (divisor != 1.0)
        scores.div_(divisor);
    if (mask.defined())
        scores.view({s.B, s.H, s.T, s.S}).add_(mask);
    return torch::softmax(scores, -1);
}

class AttentionFunction final : public torch::autograd::Function<AttentionFunction> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v, const torch::Tensor& mask, double divisor, double dropout) {
        const Shapes s = shapesOf(q, k);
        const auto dtype = q.scalar_type();
        auto probs = probabilities(groupQueries(q, s), k, mask, divisor, s);
        torch::Tensor keep;
        if (dropout > 0.0) {
            // The same draw as attend()'s dropout (model::dropout) on this device.
            keep = probs.device().is_cpu()
                       ? dropoutKeepMask(probs.sizes(), dropout)
                       : torch::empty(probs.sizes(), probs.options().dtype(dtype)).bernoulli_(1.0 - dropout).to(torch::kBool);
            applyKeepMask_(probs, keep, 1.0 / (1.0 - dropout));
        }
        const auto out = torch::matmul(probs.to(dtype), v); // [B, KV, groups*T, D]
        ctx->save_for_backward({q, k, v, mask.defined() ? mask : torch::Tensor(), keep});
        ctx->saved_data["divisor"] = divisor;
        ctx->saved_data["dropout"] = dropout;
        return out.view({s.B, s.H, s.T, s.D}).transpose(1, 2).reshape({s.B, s.T, s.H * s.D});
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &q = saved[0], &k = saved[1], &v = saved[2], &mask = saved[3], &keep = saved[4];
        const double divisor = ctx->saved_data["divisor"].toDouble();
        const double dropout = ctx->saved_data["dropout"].toDouble();
        const Shapes s = shapesOf(q, k);
        const auto dtype = q.scalar_type();
        const auto qg = groupQueries(q, s);
        const auto probs = probabilities(qg, k, mask, divisor, s); // float32 [B, KV, groups*T, S]
        // The output gradient as [B, KV, groups*T, D] (heads split, queries grouped).
        const auto gOut = grads[0].reshape({s.B, s.T, s.H, s.D}).transpose(1, 2).reshape(
            {s.B, s.KV, s.groups * s.T, s.D});
        torch::Tensor dropped = probs;
        if (keep.defined())
            dropped = maskScaled(probs, keep, 1.0 / (1.0 - dropout));
        const auto dV = torch::matmul(dropped.to(dtype).transpose(-1, -2), gOut);
        auto dP = torch::matmul(gOut, v.transpose(-1, -2));
        if (dP.scalar_type() != torch::kFloat32)
            dP = dP.to(torch::kFloat32);
        if (keep.defined())
            applyKeepMask_(dP, keep, 1.0 / (1.0 - dropout));
        // softmax backward: dS = P * (dP - sum(dP * P)), then the 1 / divisor of the scores.
        auto dS = at::_softmax_backward_data(dP, probs, -1, torch::kFloat32); // one fused kernel
        if (divisor != 1.0)
            dS.div_(divisor);
        const auto dS_ = dS.to(dtype);
        const auto dQ = torch::matmul(dS_, k).view({s.B, s.H, s.T, s.D});
        const auto dK = torch::matmul(dS_.transpose(-1, -2), qg);
        return {dQ, dK, dV, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

torch::Tensor attendRecompute(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& mask, double divisor, double dropout) {
    return AttentionFunction::apply(q.contiguous(), k.contiguous(), v.contiguous(), mask, divisor, dropout);
}

} // namespace ps::model
