#include "adapters/loha.h"

namespace ps::adapters {

std::vector<std::pair<std::string, std::vector<std::int64_t>>> lohaLayerTensors(const LayerPlan& layer) {
    const auto r = layer.r, in = layer.linear.in, out = layer.linear.out;
    return {{"hada_w1_a", {out, r}}, {"hada_w1_b", {r, in}}, {"hada_w2_a", {out, r}}, {"hada_w2_b", {r, in}}};
}

torch::Tensor applyRankDropout(const torch::Tensor& weight, double rankDropout, bool rescale) {
    auto keep = (torch::rand({weight.size(0)}, weight.options()) > rankDropout).to(weight.scalar_type());
    if (rescale)
        keep = keep / keep.mean();
    return weight * keep.view({-1, 1});
}

bool skipModule(bool training, double moduleDropout) {
    return training && moduleDropout > 0.0 && torch::rand({1}).item<double>() <= moduleDropout;
}

LohaLinearImpl::LohaLinearImpl(const LayerPlan& layer, const AdapterSpec& spec, model::LinearImpl& base)
    : scaling(layer.scaling), rankDropout(spec.rankDropout), moduleDropout(spec.moduleDropout) {
    const auto opts = adapterOptions(base);
    const auto shapes = lohaLayerTensors(layer);
    w1a = register_parameter("hada_w1_a", torch::empty(shapes[0].second, opts));
    w1b = register_parameter("hada_w1_b", torch::empty(shapes[1].second, opts));
    w2a = register_parameter("hada_w2_a", torch::empty(shapes[2].second, opts));
    w2b = register_parameter("hada_w2_b", torch::zeros(shapes[3].second, opts));
    kaimingUniformSqrt5(w1a);
    kaimingUniformSqrt5(w1b);
    kaimingUniformSqrt5(w2a);
}

torch::Tensor LohaLinearImpl::deltaWeight() {
    auto w = torch::matmul(w1a, w1b) * torch::matmul(w2a, w2b) * scaling;
    if (is_training() && rankDropout > 0.0)
        w = applyRankDropout(w, rankDropout, true);
    return w;
}

torch::Tensor LohaLinearImpl::forward(const torch::Tensor& x, model::LinearImpl& base) {
    auto result = base.baseForward(x);
    if (skipModule(is_training(), moduleDropout))
        return result;
    const auto delta = torch::linear(x.to(w1a.scalar_type()), deltaWeight());
    return result + delta.to(result.scalar_type());
}

std::vector<std::pair<std::string, torch::Tensor>> LohaLinearImpl::namedTensors() {
    return {{"hada_w1_a", w1a}, {"hada_w1_b", w1b}, {"hada_w2_a", w2a}, {"hada_w2_b", w2b}};
}

void LohaLinearImpl::mergeInto(model::LinearImpl& base) {
    torch::NoGradGuard noGrad;
    const auto delta = deltaWeight();
    setBaseWeight(base, base.weight.to(delta.scalar_type()) + (base.conv1d ? delta.t() : delta));
}

} // namespace ps::adapters
