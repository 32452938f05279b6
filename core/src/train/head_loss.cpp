#include "train/head_loss.h"

namespace ps::train {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

torch::Tensor chunkLogits(const torch::Tensor& h, const torch::Tensor& weight, const torch::Tensor& bias) {
    auto logits = torch::matmul(h, weight.t()).to(torch::kFloat32);
    if (bias.defined() && bias.numel() > 0)
        logits = logits + bias.to(torch::kFloat32);
    return logits;
}

struct FusedHeadCrossEntropy : public torch::autograd::Function<FusedHeadCrossEntropy> {
    static torch::Tensor forward(AutogradContext* ctx, torch::Tensor hidden, torch::Tensor weight, torch::Tensor bias,
                                 torch::Tensor targets, std::int64_t chunkRows) {
        torch::NoGradGuard noGrad;
        const auto n = hidden.size(0);
        auto total = torch::zeros({}, hidden.options().dtype(torch::kFloat32));
        for (std::int64_t s = 0; s < n; s += chunkRows) {
            const auto len = std::min(chunkRows, n - s);
            auto logits = chunkLogits(hidden.narrow(0, s, len), weight, bias);
            auto t = targets.narrow(0, s, len).unsqueeze(1);
            total += (torch::logsumexp(logits, 1) - logits.gather(1, t).squeeze(1)).sum();
        }
        ctx->save_for_backward({hidden, weight, bias, targets});
        ctx->saved_data["chunk"] = chunkRows;
        return total;
    }

    static variable_list backward(AutogradContext* ctx, variable_list gradOutputs) {
        auto saved = ctx->get_saved_variables();
        auto hidden = saved[0], weight = saved[1], bias = saved[2], targets = saved[3];
        const auto chunkRows = ctx->saved_data["chunk"].toInt();
        const auto g = gradOutputs[0].to(torch::kFloat32);
        const bool needW = weight.requires_grad();
        const bool needB = bias.numel() > 0 && bias.requires_grad();
        torch::NoGradGuard noGrad;
        const auto n = hidden.size(0);
        auto gradHidden = torch::empty_like(hidden);
        torch::Tensor gradW = needW ? torch::zeros(weight.sizes(), weight.options().dtype(torch::kFloat32)) : torch::Tensor();
        torch::Tensor gradB = needB ? torch::zeros(bias.sizes(), bias.options().dtype(torch::kFloat32)) : torch::Tensor();
        for (std::int64_t s = 0; s < n; s += chunkRows) {
            const auto len = std::min(chunkRows, n - s);
            auto h = hidden.narrow(0, s, len);
            auto p = torch::softmax(chunkLogits(h, weight, bias), 1);
            auto t = targets.narrow(0, s, len).unsqueeze(1);
            p.scatter_add_(1, t, torch::full({len, 1}, -1.0f, p.options()));
            p.mul_(g);
            auto pc = p.to(weight.scalar_type());
            gradHidden.narrow(0, s, len).copy_(torch::matmul(pc, weight));
            if (needW)
                gradW.add_(torch::matmul(p.t(), h.to(torch::kFloat32)));
            if (needB)
                gradB.add_(p.sum(0));
        }
        return {gradHidden, needW ? gradW.to(weight.scalar_type()) : torch::Tensor(),
                needB ? gradB.to(bias.scalar_type()) : torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

torch::Tensor fusedHeadCrossEntropySum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                       const torch::Tensor& bias, const torch::Tensor& targets,
                                       std::int64_t chunkRows) {
    if (hidden.size(0) == 0)
        return torch::zeros({}, hidden.options().dtype(torch::kFloat32));
    // Autograd functions cannot take undefined tensors (LibTorch 1.13): "no bias" is an empty one.
    const torch::Tensor b = bias.defined() ? bias : torch::empty({0}, weight.options().requires_grad(false));
    return FusedHeadCrossEntropy::apply(hidden, weight, b, targets, chunkRows);
}

torch::Tensor chunkedHeadCrossEntropySum(const std::function<torch::Tensor(const torch::Tensor&)>& head,
                                         const torch::Tensor& hidden, const torch::Tensor& targets,
                                         std::int64_t chunkRows) {
    auto total = torch::zeros({}, hidden.options().dtype(torch::kFloat32));
    const auto n = hidden.size(0);
    for (std::int64_t s = 0; s < n; s += chunkRows) {
        const auto len = std::min(chunkRows, n - s);
        auto logits = head(hidden.narrow(0, s, len)).to(torch::kFloat32);
        total = total + torch::nn::functional::cross_entropy(
                            logits, targets.narrow(0, s, len),
                            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    }
    return total;
}

std::pair<torch::Tensor, torch::Tensor> labelledRows(const torch::Tensor& hidden, const torch::Tensor& labels) {
    const auto h = hidden.size(-1);
    auto shiftedHidden = hidden.narrow(1, 0, hidden.size(1) - 1).reshape({-1, h});
    auto shiftedLabels = labels.narrow(1, 1, labels.size(1) - 1).reshape({-1});
    auto keep = shiftedLabels.ne(-100).nonzero().squeeze(1);
    return {shiftedHidden.index_select(0, keep), shiftedLabels.index_select(0, keep)};
}

} // namespace ps::train
