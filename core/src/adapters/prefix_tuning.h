#pragma once
// Prefix tuning (peft_type PREFIX_TUNING, prefix_projection=false) — peft's PrefixEncoder:
// "prompt_embeddings" [n, num_layers * 2 * kv_dim] (kv_dim = kv heads x head_dim), viewed as
// [n, 2 * num_layers, kv_heads, head_dim]; layer l's key prefix is slot 2l and its value prefix
// slot 2l+1, each [B, kv_heads, n, head_dim], given to the model as past key/values (no RoPE is
// applied to them). The input tokens' positions are offset by n and the model returns T rows.
// Init: N(0, 1) (nn.Embedding's default).
#include "model/causal_lm.h"

#include <torch/torch.h>

namespace ps::adapters {

class PrefixEncoderImpl final : public torch::nn::Module {
public:
    PrefixEncoderImpl(std::int64_t numVirtualTokens, std::int64_t numLayers, std::int64_t kvHeads, std::int64_t headDim,
                      torch::Device device);

    // Key/value prefixes for a batch, in `dtype`.
    model::KVCache makeCache(std::int64_t batch, torch::Dtype dtype) const;
    // Points `input` at `cache` (filled with the prefixes unless it already holds them) and
    // prepends n ones to a caller attention mask (which covers only the caller's tokens).
    void prepare(model::ForwardInput& input, model::KVCache& cache, std::int64_t batch, torch::Dtype dtype) const;

    torch::Tensor embeddings; // [n, L * 2 * kv_dim], float32
    std::int64_t numLayers = 0;
    std::int64_t kvHeads = 0;
    std::int64_t headDim = 0;
};
TORCH_MODULE(PrefixEncoder);

} // namespace ps::adapters
