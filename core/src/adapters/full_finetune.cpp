#include "adapters/full_finetune.h"

#include "adapters/layer_adapter.h"

namespace ps::adapters {

void makeOwnedTrainable(torch::Tensor& param) {
    replaceData(param, param.detach().clone());
    param.requires_grad_(true);
}

void makeFullyTrainable(model::CausalLMImpl& model) {
    for (auto& p : model.parameters())
        makeOwnedTrainable(p);
}

} // namespace ps::adapters
