#include "adapters/lokr.h"

#include "adapters/loha.h"

#include <algorithm>

namespace ps::adapters {

std::pair<std::int64_t, std::int64_t> lokrFactorization(std::int64_t dimension, std::int64_t factor) {
    if (factor > 0 && dimension % factor == 0) {
        std::int64_t m = factor, n = dimension / factor;
        if (m > n)
            std::swap(m, n);
        return {m, n};
    }
    if (factor < 0)
        factor = dimension;
    std::int64_t m = 1, n = dimension;
    const std::int64_t length = m + n;
    while (m < n) {
        std::int64_t newM = m + 1;
        while (dimension % newM != 0)
            ++newM;
        const std::int64_t newN = dimension / newM;
        if (newM + newN > length || newM > factor)
            break;
        m = newM;
        n = newN;
    }
    if (m > n)
        std::swap(m, n);
    return {m, n};
}

void planLokrLayer(LayerPlan& layer, const AdapterSpec& spec) {
    const auto [inM, inN] = lokrFactorization(layer.linear.in, spec.decomposeFactor);
    const auto [outL, outK] = lokrFactorization(layer.linear.out, spec.decomposeFactor);
    layer.lokrA = outL;
    layer.lokrB = outK;
    layer.lokrC = inM;
    layer.lokrD = inN;
    const double r = static_cast<double>(layer.r);
    layer.lokrFullW1 = !(spec.decomposeBoth && r < static_cast<double>(std::max(outL, inM)) / 2.0);
    layer.lokrFullW2 = !(r < static_cast<double>(std::max(outK, inN)) / 2.0);
}

std::vector<std::pair<std::string, std::vector<std::int64_t>>> lokrLayerTensors(const LayerPlan& l) {
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
    if (l.lokrFullW1) {
        out.push_back({"lokr_w1", {l.lokrA, l.lokrC}});
    } else {
        out.push_back({"lokr_w1_a", {l.lokrA, l.r}});
        out.push_back({"lokr_w1_b", {l.r, l.lokrC}});
    }
    if (l.lokrFullW2) {
        out.push_back({"lokr_w2", {l.lokrB, l.lokrD}});
    } else {
        out.push_back({"lokr_w2_a", {l.lokrB, l.r}});
        out.push_back({"lokr_w2_b", {l.r, l.lokrD}});
    }
    return out;
}

LokrLinearImpl::LokrLinearImpl(const LayerPlan& layer, const AdapterSpec& spec, model::LinearImpl& base)
    : scaling(layer.scaling), rankDropout(spec.rankDropout), moduleDropout(spec.moduleDropout),
      rankDropoutScale(spec.rankDropoutScale) {
    const auto opts = adapterOptions(base);
    for (const auto& [name, shape] : lokrLayerTensors(layer)) {
        auto t = register_parameter(name, torch::zeros(shape, opts));
        // peft's reset_adapter_parameters: w1 / w1_a zero (so dW starts at 0), the rest kaiming.
        if (name != "lokr_w1" && name != "lokr_w1_a")
            kaimingUniformSqrt5(t);
        if (name == "lokr_w1")
            w1 = t;
        else if (name == "lokr_w1_a")
            w1a = t;
        else if (name == "lokr_w1_b")
            w1b = t;
        else if (name == "lokr_w2")
            w2 = t;
        else if (name == "lokr_w2_a")
            w2a = t;
        else
            w2b = t;
    }
}

torch::Tensor LokrLinearImpl::deltaWeight() {
    const auto f1 = w1.defined() ? w1 : torch::matmul(w1a, w1b);
    const auto f2 = w2.defined() ? w2 : torch::matmul(w2a, w2b);
    auto w = torch::kron(f1, f2) * scaling;
    if (is_training() && rankDropout > 0.0)
        w = applyRankDropout(w, rankDropout, rankDropoutScale);
    return w;
}

torch::Tensor LokrLinearImpl::forward(const torch::Tensor& x, model::LinearImpl& base) {
    auto result = base.baseForward(x);
    if (skipModule(is_training(), moduleDropout))
        return result;
    const auto delta = torch::linear(x.to(w2.defined() ? w2.scalar_type() : w2a.scalar_type()), deltaWeight());
    return result + delta.to(result.scalar_type());
}

std::vector<std::pair<std::string, torch::Tensor>> LokrLinearImpl::namedTensors() {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& [name, t] : std::vector<std::pair<std::string, torch::Tensor>>{{"lokr_w1", w1},
                                                                                    {"lokr_w1_a", w1a},
                                                                                    {"lokr_w1_b", w1b},
                                                                                    {"lokr_w2", w2},
                                                                                    {"lokr_w2_a", w2a},
                                                                                    {"lokr_w2_b", w2b}})
        if (t.defined())
            out.emplace_back(name, t);
    return out;
}

void LokrLinearImpl::mergeInto(model::LinearImpl& base) {
    torch::NoGradGuard noGrad;
    const auto delta = deltaWeight();
    setBaseWeight(base, base.weight.to(delta.scalar_type()) + (base.conv1d ? delta.t() : delta));
}

} // namespace ps::adapters
