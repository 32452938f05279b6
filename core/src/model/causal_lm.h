#pragma once
// ps::model::CausalLM — a decoder-only language model built from a HF config.json, with
// module paths identical to transformers' so adapter targets and state-dict keys map 1:1
// (internal header: includes torch).
//
//   gpt2:                     transformer.wte / wpe / h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2,
//                             mlp.c_fc, mlp.c_proj} / ln_f, lm_head (tied to wte)
//   llama, mistral, qwen2...: model.embed_tokens / layers.N.{input_layernorm,
//                             self_attn.{q,k,v,o}_proj, post_attention_layernorm,
//                             mlp.{gate,up,down}_proj} / norm, lm_head (maybe tied)
//
// Forward is split in two so that training can compute logits only where labels are not
// -100, in chunks: forward() returns final hidden states (after the final norm), logits()
// applies the output head to any [N, H] or [B, T, H] slice.
#include "model/linear.h"
#include "model/model_config.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace ps::model {

// Per-layer key/value cache: keys[l], values[l] are [B, kv_heads, S, head_dim] (post-RoPE for
// the llama family). Prefix tuning pre-fills it with its virtual tokens; generation appends.
struct KVCache {
    std::vector<torch::Tensor> keys;
    std::vector<torch::Tensor> values;
    std::int64_t length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }
};

struct ForwardInput {
    torch::Tensor inputIds;      // [B, T] int64; or leave undefined and give inputsEmbeds
    torch::Tensor inputsEmbeds;  // [B, T, H] (prompt tuning prepends its virtual tokens here)
    // [B, S + T] with 1 for real tokens, 0 for padding, covering cached positions too
    // (S = cache length). Undefined: all ones.
    torch::Tensor attentionMask;
    // [B, T]. Undefined: computed as transformers does — from the attention mask
    // (cumsum(mask) - 1, padding positions set to 1) when one is given, else S .. S+T-1.
    torch::Tensor positionIds;
    // Optional additive attention bias [B, 1, T, S + T] (0 = attend, -inf = blocked) used
    // instead of the causal + padding mask, e.g. block-diagonal masks for packed sequences.
    torch::Tensor attentionBias;
    KVCache* cache = nullptr;    // when set: attends to it, then appends this step's k/v
    // Optional int64 [N]: positions b * T + t of the flattened [B, T] input (T counts prompt
    // tuning's prepended rows) whose final hidden states are wanted. forward() then returns
    // [N, H], and the last decoder layer computes its output projection and MLP for these rows
    // only (its keys and values still cover every position): training needs the rows that
    // predict a label, and the others' last-layer outputs reach nothing.
    torch::Tensor outputRows;
};

class CausalLMImpl : public torch::nn::Module {
public:
    // Allocates the module graph with UNINITIALISED parameters; use loadCausalLM or
    // randomCausalLM to get a usable model.
    explicit CausalLMImpl(const ModelConfig& config);

    // Final hidden states [B, T, H] (after the final norm); [N, H] with input.outputRows.
    torch::Tensor forward(const ForwardInput& input);
    // Output head applied to hidden states of any leading shape: [..., H] -> [..., V].
    torch::Tensor logits(const torch::Tensor& hidden);
    // Token embeddings [B, T] -> [B, T, H] (for prompt tuning and TEXT init).
    torch::Tensor embed(const torch::Tensor& ids);

    const ModelConfig& config() const { return config_; }
    // Every projection, keyed by HF module path (excluding lm_head unless includeHead).
    std::vector<std::pair<std::string, Linear>> linearModules(bool includeHead = false);
    // The output head (a Linear whose weight may be the embedding matrix when tied).
    Linear lmHead();
    // The token embedding weight [V, H].
    torch::Tensor& embeddingWeight();

    // Recompute each decoder layer's activations in backward instead of storing them.
    void setGradientCheckpointing(bool on) { gradientCheckpointing_ = on; }
    bool gradientCheckpointing() const { return gradientCheckpointing_; }

private:
    struct Impl;
    ModelConfig config_;
    std::shared_ptr<Impl> impl_;
    bool gradientCheckpointing_ = false;
};
TORCH_MODULE(CausalLM);

struct LoadOptions {
    // Weights dtype: kFloat32, kBFloat16, kFloat16; or undefined (nullopt) = checkpoint dtype.
    c10::optional<torch::Dtype> dtype;
    torch::Device device = torch::kCPU;
    // Weights that need neither a dtype conversion nor a device move stay zero-copy views of
    // the memory-mapped checkpoint, which is READ-ONLY: code that modifies a base weight in
    // place (merging an adapter) must give the parameter its own storage first
    // (param.set_data(param.clone())), or load with copyWeights = true.
    bool copyWeights = false;
};

struct LoadReport {
    std::vector<std::string> unusedWeights; // in the checkpoint, not used by the model
    // config.json says the head is untied but the checkpoint has no lm_head.weight: the head
    // uses the embedding matrix (never a random head).
    bool lmHeadTiedByFallback = false;
};

// Builds the model from DIR/config.json and loads DIR's safetensors weights (mmap,
// zero-copy where possible). A missing or mis-shaped weight is a ps::Error naming it.
CausalLM loadCausalLM(const std::string& dir, const LoadOptions& options = {}, LoadReport* report = nullptr);

// A randomly initialised model of a config (transformers' init: N(0, initializer_range),
// zero biases, unit norms), for benchmarks and the demo model.
CausalLM randomCausalLM(const ModelConfig& config, std::uint64_t seed);

} // namespace ps::model
