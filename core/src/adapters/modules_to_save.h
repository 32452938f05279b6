#pragma once
// modules_to_save — peft's ModulesToSaveWrapper: a trainable full copy of a module, used in
// its place and saved in the adapter under the module's own key
// ("base_model.model.lm_head.weight"). For projections the copy is a LinearAdapter; the token
// embedding's copy is applied by PeftModel (it computes inputs_embeds from it), so that a tied
// head keeps using the original matrix, as in peft.
#include "adapters/layer_adapter.h"

namespace ps::adapters {

class SavedLinearCopyImpl final : public LayerAdapterImpl {
public:
    explicit SavedLinearCopyImpl(model::LinearImpl& base);

    torch::Tensor forward(const torch::Tensor& x, model::LinearImpl& base) override;
    std::vector<std::pair<std::string, torch::Tensor>> namedTensors() override;
    void mergeInto(model::LinearImpl& base) override;

    torch::Tensor weight; // same layout and dtype as the base weight
    torch::Tensor bias;   // undefined when the base has none
    bool conv1d = false;
};
TORCH_MODULE(SavedLinearCopy);

} // namespace ps::adapters
