#include "adapters/layer_adapter.h"

#include <cmath>

namespace ps::adapters {

void replaceData(torch::Tensor& param, const torch::Tensor& value) {
    torch::NoGradGuard noGrad;
    param.set_data(value.detach().to(param.dtype()).contiguous());
}

void setBaseWeight(model::LinearImpl& base, const torch::Tensor& value) {
    if (base.tied) {
        // The tied head's tensor belongs to the embedding; rebinding only this layer's handle
        // unties it (the caller records that the export must then write lm_head.weight).
        base.weight = value.detach().to(base.weight.dtype()).contiguous();
        base.tied = false;
        return;
    }
    replaceData(base.weight, value);
}

void setBaseBias(model::LinearImpl& base, const torch::Tensor& value) {
    replaceData(base.bias, value);
}

torch::TensorOptions adapterOptions(const model::LinearImpl& base) {
    const auto dtype = base.weight.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    return torch::TensorOptions().dtype(dtype).device(base.weight.device());
}

void kaimingUniformSqrt5(torch::Tensor& t) {
    torch::NoGradGuard noGrad;
    torch::nn::init::kaiming_uniform_(t, std::sqrt(5.0));
}

} // namespace ps::adapters
