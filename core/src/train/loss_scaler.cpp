#include "train/loss_scaler.h"

namespace ps::train {

LossScaler::LossScaler(bool enabled, double initialScale, std::int64_t growthInterval)
    : enabled_(enabled), scale_(initialScale), growthInterval_(growthInterval) {}

bool LossScaler::unscale(const std::vector<torch::Tensor>& params) {
    if (!enabled_)
        return true;
    torch::NoGradGuard noGrad;
    const double inv = 1.0 / scale_;
    torch::Tensor finite; // one device-side flag, read once: no GPU sync per parameter
    for (const auto& p : params) {
        auto g = p.grad();
        if (!g.defined())
            continue;
        g.mul_(inv);
        auto ok = torch::isfinite(g).all();
        finite = finite.defined() ? finite.logical_and(ok) : ok;
    }
    return !finite.defined() || finite.item<bool>();
}

void LossScaler::update(bool finite) {
    if (!enabled_)
        return;
    if (!finite) {
        scale_ = std::max(1.0, scale_ * 0.5);
        goodSteps_ = 0;
        ++skipped_;
        return;
    }
    if (++goodSteps_ >= growthInterval_) {
        scale_ *= 2.0;
        goodSteps_ = 0;
    }
}

} // namespace ps::train
