#pragma once
// LoKr (peft_type LOKR) — peft's lokr.Linear: a Kronecker product of two factors,
//   dW = kron(w1, w2) * alpha / r,   y = base(x) + x dW^T
// out = a*b and in = c*d are factored by peft's factorization() (m <= n, m as close to
// sqrt(dim) as possible, or decompose_factor); w1 [a, c], w2 [b, d]. w2 is low-rank
// (lokr_w2_a [b, r] @ lokr_w2_b [r, d]) when r < max(b, d) / 2, and w1 likewise
// (lokr_w1_a [a, r] @ lokr_w1_b [r, c]) with decompose_both when r < max(a, c) / 2.
// Init: w1 (or w1_a) = 0, the others kaiming-uniform(a=sqrt(5)).
// peft < 0.14 left out alpha / r (scaling 1; spec.lokrUnscaled, recognised by the absence of
// "rank_dropout_scale" in the config) — its adapters, like the fixture, are computed that way.
#include "adapters/adapter_plan.h"
#include "adapters/layer_adapter.h"

#include <utility>

namespace ps::adapters {

// peft's factorization(dimension, factor): (m, n) with m * n == dimension and m <= n.
std::pair<std::int64_t, std::int64_t> lokrFactorization(std::int64_t dimension, std::int64_t factor = -1);

// Fills layer.lokr* from the layer's in/out features and the spec.
void planLokrLayer(LayerPlan& layer, const AdapterSpec& spec);

std::vector<std::pair<std::string, std::vector<std::int64_t>>> lokrLayerTensors(const LayerPlan& layer);

class LokrLinearImpl final : public LayerAdapterImpl {
public:
    LokrLinearImpl(const LayerPlan& layer, const AdapterSpec& spec, model::LinearImpl& base);

    torch::Tensor forward(const torch::Tensor& x, model::LinearImpl& base) override;
    std::vector<std::pair<std::string, torch::Tensor>> namedTensors() override;
    void mergeInto(model::LinearImpl& base) override;

    torch::Tensor deltaWeight();

    // Full factors, or the low-rank pairs (the unused ones stay undefined).
    torch::Tensor w1, w1a, w1b, w2, w2a, w2b;
    double scaling = 1.0;
    double rankDropout = 0.0;
    double moduleDropout = 0.0;
    bool rankDropoutScale = false;
};
TORCH_MODULE(LokrLinear);

} // namespace ps::adapters
