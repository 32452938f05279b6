#include "adapters/prompt_tuning.h"

#include "ps/error.h"

namespace ps::adapters {

std::vector<std::int64_t> promptInitIds(const std::vector<std::int64_t>& textIds, std::int64_t n) {
    if (textIds.empty())
        throw Error("prompt tuning TEXT init: the init text has no tokens");
    std::vector<std::int64_t> ids;
    while (static_cast<std::int64_t>(ids.size()) < n)
        ids.insert(ids.end(), textIds.begin(), textIds.end());
    ids.resize(static_cast<std::size_t>(n));
    return ids;
}

PromptEmbeddingImpl::PromptEmbeddingImpl(std::int64_t numVirtualTokens, std::int64_t tokenDim, torch::Device device) {
    embeddings = register_parameter(
        "prompt_embeddings",
        torch::randn({numVirtualTokens, tokenDim}, torch::TensorOptions().dtype(torch::kFloat32).device(device)));
}

void PromptEmbeddingImpl::initFromText(model::CausalLMImpl& model, const std::vector<std::int64_t>& textIds) {
    torch::NoGradGuard noGrad;
    const auto ids = promptInitIds(textIds, embeddings.size(0));
    const auto vocab = model.config().vocabSize;
    for (const auto id : ids)
        if (id < 0 || id >= vocab)
            throw Error("prompt tuning TEXT init: token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                        std::to_string(vocab - 1) + ")");
    const auto idTensor = torch::tensor(ids, torch::TensorOptions().dtype(torch::kInt64).device(embeddings.device()));
    embeddings.copy_(model.embed(idTensor.unsqueeze(0)).squeeze(0).to(torch::kFloat32));
}

void PromptEmbeddingImpl::prepend(model::ForwardInput& input, const torch::Tensor& embeds) {
    if (input.attentionBias.defined())
        throw Error("prompt tuning: a custom attention bias (packed sequences) is not supported");
    const auto batch = embeds.size(0);
    const auto n = embeddings.size(0);
    const auto prompts = embeddings.to(embeds.scalar_type()).unsqueeze(0).expand({batch, n, embeddings.size(1)});
    input.inputsEmbeds = torch::cat({prompts, embeds}, 1);
    input.inputIds = torch::Tensor();
    if (input.attentionMask.defined())
        input.attentionMask =
            torch::cat({torch::ones({batch, n}, input.attentionMask.options()), input.attentionMask}, 1);
    // peft: "Position ids are not supported for parameter efficient tuning. Ignoring position ids."
    input.positionIds = torch::Tensor();
}

} // namespace ps::adapters
