#pragma once
// Prompt tuning (peft_type PROMPT_TUNING) — peft's PromptEmbedding: n trainable virtual-token
// embeddings ("prompt_embeddings" [n, hidden]) prepended to the input embeddings; the attention
// mask gets n ones in front and caller position ids are dropped (peft ignores them), so the
// model sees positions 0 .. n+T-1 and returns n+T rows (peft 0.7 returns logits for the
// virtual tokens too). Init RANDOM: N(0, 1) (nn.Embedding's default); TEXT: the embeddings of
// the init text's token ids, repeated / truncated to n as peft does.
#include "model/causal_lm.h"

#include <torch/torch.h>

#include <vector>

namespace ps::adapters {

// peft's TEXT init id list: truncated to n, or repeated ceil(n / len) times and truncated.
std::vector<std::int64_t> promptInitIds(const std::vector<std::int64_t>& textIds, std::int64_t numVirtualTokens);

class PromptEmbeddingImpl final : public torch::nn::Module {
public:
    PromptEmbeddingImpl(std::int64_t numVirtualTokens, std::int64_t tokenDim, torch::Device device);

    // TEXT init: rows = embeddings of promptInitIds(textIds).
    void initFromText(model::CausalLMImpl& model, const std::vector<std::int64_t>& textIds);
    // Prepends the virtual tokens to `embeds` [B, T, H] and adjusts `input` (mask, positions).
    void prepend(model::ForwardInput& input, const torch::Tensor& embeds);

    torch::Tensor embeddings; // [n, H], float32
};
TORCH_MODULE(PromptEmbedding);

} // namespace ps::adapters
