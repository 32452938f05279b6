#include "adapters/lora.h"

#include "model/fast_dropout.h"
#include "model/shared_input_projections.h"
#include "system/blas_threads.h"

#include <cmath>

namespace ps::adapters {
namespace {

// torch.linalg.norm(w, dim=1): the 2-norm of each output row.
torch::Tensor rowNorms(const torch::Tensor& w) {
    return w.norm(2, torch::IntArrayRef{1});
}

} // namespace

std::vector<std::pair<std::string, std::vector<std::int64_t>>> loraLayerTensors(const LayerPlan& layer, bool dora) {
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> out{
        {"lora_A.weight", {layer.r, layer.linear.in}},
        {"lora_B.weight", {layer.linear.out, layer.r}},
    };
    if (dora)
        out.push_back({"lora_magnitude_vector", {layer.linear.out}});
    return out;
}

LoraLinearImpl::LoraLinearImpl(const LayerPlan& layer, const AdapterSpec& spec, model::LinearImpl& base)
    : scaling(layer.scaling), dropout(spec.dropout), dora(spec.useDora) {
    torch::NoGradGuard noGrad;
    const auto opts = adapterOptions(base);
    loraA = register_parameter("lora_A", torch::empty({layer.r, layer.linear.in}, opts));
    loraB = register_parameter("lora_B", torch::zeros({layer.linear.out, layer.r}, opts));
    if (spec.gaussianInit)
        loraA.normal_(0.0, 1.0 / static_cast<double>(layer.r));
    else
        kaimingUniformSqrt5(loraA);
    if (dora) {
        // peft's dora_init: ||W + s B A||_row with B = 0, i.e. the row norms of W.
        const auto w = base.weightOutIn().to(loraA.scalar_type());
        magnitude = register_parameter("lora_magnitude_vector", rowNorms(w + deltaWeight()));
    }
}

torch::Tensor LoraLinearImpl::deltaWeight() const {
    return torch::matmul(loraB, loraA) * scaling;
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x, model::LinearImpl& base) {
    // Training without DoRA or dropout: base and low-rank products as one node (shared_input_projections.h).
    if (auto y = model::projectWithLowRank(base, x))
        return *y;
    auto result = base.baseForward(x);
    // DoRA's norms stay in float32; plain LoRA follows autocast on CUDA (model::lowRankComputeDtype).
    const auto dtype = dora ? loraA.scalar_type() : model::lowRankComputeDtype(x, loraA.scalar_type());
    const auto a = loraA.to(dtype), b = loraB.to(dtype);
    auto xa = x.to(dtype);
    const bool dropping = is_training() && dropout > 0.0;
    if (dropping)
        xa = model::dropout(xa, dropout, true);
    if (!dora && result.scalar_type() == dtype) {
        // result + scaling * (xa A^T) B^T as one GEMM that accumulates into a copy of result
        // (addmm, beta 1): no separate scaled [tokens, out] tensor and sum, forward or backward.
        const system::SingleThreadedBlas oneThread(x.device().is_cpu()); // rank-r products
        const auto out = b.size(0);
        const auto xaA = torch::linear(xa, a).reshape({-1, a.size(0)});
        return torch::addmm(result.reshape({-1, out}), xaA, b.t(), 1.0, scaling).view(result.sizes());
    }
    const auto lora = torch::linear(torch::linear(xa, a), b);
    if (!dora)
        return result + (lora * scaling).to(result.scalar_type());
    // DoRA, as peft's DoraLinearLayer: the norm is a constant for the gradient.
    const auto w = base.weightOutIn().to(xa.scalar_type());
    const auto norm = rowNorms(w + deltaWeight()).detach();
    const auto magScale = (magnitude / norm).view({1, -1});
    torch::Tensor baseResult;
    if (!dropping) {
        baseResult = result.to(xa.scalar_type());
        if (base.bias.defined())
            baseResult = baseResult - base.bias.to(xa.scalar_type());
    } else {
        baseResult = torch::linear(xa, w);
    }
    const auto extra = (magScale - 1) * baseResult + magScale * lora * scaling;
    return result + extra.to(result.scalar_type());
}

std::optional<model::LowRankDelta> LoraLinearImpl::lowRankDelta() const {
    if (dora || (is_training() && dropout > 0.0))
        return std::nullopt;
    return model::LowRankDelta{loraA, loraB, scaling};
}

std::vector<std::pair<std::string, torch::Tensor>> LoraLinearImpl::namedTensors() {
    std::vector<std::pair<std::string, torch::Tensor>> out{{"lora_A.weight", loraA}, {"lora_B.weight", loraB}};
    if (dora)
        out.emplace_back("lora_magnitude_vector", magnitude);
    return out;
}

void LoraLinearImpl::mergeInto(model::LinearImpl& base) {
    torch::NoGradGuard noGrad;
    auto w = base.weightOutIn().to(loraA.scalar_type()) + deltaWeight();
    if (dora) {
        const auto norm = rowNorms(w);
        w = (magnitude / norm).view({-1, 1}) * w;
    }
    setBaseWeight(base, base.conv1d ? w.t() : w);
}

} // namespace ps::adapters
