#include "adapters/ia3.h"

namespace ps::adapters {

std::vector<std::pair<std::string, std::vector<std::int64_t>>> ia3LayerTensors(const LayerPlan& layer) {
    if (layer.feedforward)
        return {{"ia3_l", {1, layer.linear.in}}};
    return {{"ia3_l", {layer.linear.out, 1}}};
}

Ia3LinearImpl::Ia3LinearImpl(const LayerPlan& layer, model::LinearImpl& base) : feedforward(layer.feedforward) {
    const auto opts = adapterOptions(base);
    const std::vector<std::int64_t> shape = ia3LayerTensors(layer)[0].second;
    scale = register_parameter("ia3_l", torch::ones(shape, opts));
}

torch::Tensor Ia3LinearImpl::forward(const torch::Tensor& x, model::LinearImpl& base) {
    const auto l = scale.flatten();
    if (feedforward) {
        const auto scaled = (x.to(l.scalar_type()) * l).to(x.scalar_type());
        return base.baseForward(scaled);
    }
    const auto result = base.baseForward(x);
    return (result.to(l.scalar_type()) * l).to(result.scalar_type());
}

std::vector<std::pair<std::string, torch::Tensor>> Ia3LinearImpl::namedTensors() {
    return {{"ia3_l", scale}};
}

void Ia3LinearImpl::mergeInto(model::LinearImpl& base) {
    torch::NoGradGuard noGrad;
    // ia3_l is [out, 1] or [1, in], laid out for an [out, in] weight; Conv1D stores [in, out].
    const auto l = base.conv1d ? scale.t() : scale;
    setBaseWeight(base, base.weight.to(l.scalar_type()) * l);
    if (!feedforward && base.bias.defined())
        setBaseBias(base, base.bias.to(l.scalar_type()) * scale.flatten());
}

} // namespace ps::adapters
