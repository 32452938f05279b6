#include "adapters/modules_to_save.h"

namespace ps::adapters {

SavedLinearCopyImpl::SavedLinearCopyImpl(model::LinearImpl& base) : conv1d(base.conv1d) {
    torch::NoGradGuard noGrad;
    weight = register_parameter("weight", base.weight.clone());
    if (base.bias.defined())
        bias = register_parameter("bias", base.bias.clone());
}

torch::Tensor SavedLinearCopyImpl::forward(const torch::Tensor& x, model::LinearImpl& base) {
    if (!conv1d)
        return torch::linear(x, weight, bias);
    auto y = torch::matmul(x, weight);
    return bias.defined() ? y + bias : y;
}

std::vector<std::pair<std::string, torch::Tensor>> SavedLinearCopyImpl::namedTensors() {
    std::vector<std::pair<std::string, torch::Tensor>> out{{"weight", weight}};
    if (bias.defined())
        out.emplace_back("bias", bias);
    return out;
}

void SavedLinearCopyImpl::mergeInto(model::LinearImpl& base) {
    setBaseWeight(base, weight);
    if (bias.defined())
        setBaseBias(base, bias);
}

} // namespace ps::adapters
