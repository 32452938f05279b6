#pragma once
// Hugging Face -> llama.cpp naming: which GGUF architecture a model_type converts to, and which
// GGUF tensor a HF module path becomes (the names convert_hf_to_gguf.py gives the base model,
// which a LoRA adapter's `<name>.lora_a` / `.lora_b` must match). Torch-free.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ps::gguf {

struct ArchitectureMapping {
    std::string modelType;    // HF config.json model_type
    std::string architecture; // GGUF general.architecture
    // convert_hf_to_gguf.py's LlamaModel permutes the rows of q_proj / k_proj (HF's rotate-half
    // RoPE layout -> llama.cpp's interleaved one); LoRA B matrices of those projections must
    // get the same row permutation.
    bool permuteQK = false;
};

// Throws ps::Error naming the model_type and listing the supported ones.
ArchitectureMapping architectureFor(const std::string& modelType);
std::vector<std::string> supportedModelTypes();

// "model.layers.3.self_attn.q_proj" -> "blk.3.attn_q.weight" for model_type llama;
// nullopt when llama.cpp has no such tensor for that model_type.
std::optional<std::string> tensorNameFor(const std::string& modelType, const std::string& modulePath);

// The row permutation convert_hf_to_gguf.py applies to q_proj (nHeads = attention heads) or
// k_proj (nHeads = key/value heads) weights: within each head, rows [0, d/2) and [d/2, d) are
// interleaved. Returns new-row -> old-row indices for `rows` rows.
std::vector<std::int64_t> ropeRowPermutation(std::int64_t rows, std::int64_t nHeads);

} // namespace ps::gguf
