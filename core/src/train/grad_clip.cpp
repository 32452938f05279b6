#include "train/grad_clip.h"

namespace ps::train {

double clipGradNorm(const std::vector<torch::Tensor>& params, double maxNorm) {
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> grads;
    for (const auto& p : params)
        if (p.grad().defined())
            grads.push_back(p.grad());
    if (grads.empty())
        return 0.0;
    std::vector<torch::Tensor> norms;
    norms.reserve(grads.size());
    const auto device = grads.front().device();
    for (const auto& g : grads)
        norms.push_back(g.norm(2).to(device));
    const torch::Tensor total = torch::stack(norms).norm(2);
    if (maxNorm > 0) {
        // torch: clip_coef = max_norm / (total_norm + 1e-6) -> (t + 1e-6).reciprocal() * max_norm
        const torch::Tensor coef = (total + 1e-6).reciprocal() * maxNorm;
        const torch::Tensor clamped = torch::clamp_max(coef, 1.0);
        for (auto& g : grads)
            g.mul_(clamped.to(g.device()));
    }
    return total.item<double>();
}

} // namespace ps::train
