#include "export/gguf_names.h"

#include "ps/error.h"

#include <cctype>

namespace ps::gguf {
namespace {

// model_type -> (GGUF architecture, q/k permutation); the classes convert_hf_to_gguf.py registers
// for these HF architectures (MistralForCausalLM converts with LlamaModel, hence "llama").
const ArchitectureMapping kArchitectures[] = {
    {"llama", "llama", true},  {"mistral", "llama", true}, {"qwen2", "qwen2", false},
    {"gemma", "gemma", false}, {"phi3", "phi3", false},    {"gpt2", "gpt2", false},
};

struct Suffix {
    const char* hf;   // module path after the layer prefix
    const char* gguf; // tensor name after "blk.N."
};

// gguf-py tensor_mapping.py block tensors for the decoder layers we build.
const Suffix kLlamaLayer[] = {
    {"self_attn.q_proj", "attn_q"},      {"self_attn.k_proj", "attn_k"},     {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"}, {"self_attn.qkv_proj", "attn_qkv"}, // phi3
    {"mlp.gate_proj", "ffn_gate"},       {"mlp.up_proj", "ffn_up"},          {"mlp.down_proj", "ffn_down"},
    {"mlp.gate_up_proj", "ffn_up"}, // phi3: fused gate|up is llama.cpp's ffn_up
};
const Suffix kGpt2Layer[] = {
    {"attn.c_attn", "attn_qkv"}, // fused q|k|v Conv1D
    {"attn.c_proj", "attn_output"},
    {"mlp.c_fc", "ffn_up"},
    {"mlp.c_proj", "ffn_down"},
};

// "<prefix><N>.<rest>" -> (N, rest) when path starts with prefix and N is a decimal layer index.
bool splitLayer(const std::string& path, const std::string& prefix, std::string* layer, std::string* rest) {
    if (path.compare(0, prefix.size(), prefix) != 0)
        return false;
    std::size_t i = prefix.size();
    const std::size_t start = i;
    while (i < path.size() && std::isdigit(static_cast<unsigned char>(path[i])))
        ++i;
    if (i == start || i >= path.size() || path[i] != '.' || i - start > 9)
        return false;
    if (path[start] == '0' && i - start > 1)
        return false; // "01" is not a layer index a model has
    *layer = path.substr(start, i - start);
    *rest = path.substr(i + 1);
    return true;
}

} // namespace

ArchitectureMapping architectureFor(const std::string& modelType) {
    for (const auto& a : kArchitectures)
        if (a.modelType == modelType)
            return a;
    std::string known;
    for (const auto& t : supportedModelTypes())
        known += (known.empty() ? "" : ", ") + t;
    throw Error("GGUF export: model_type '" + modelType +
                "' has no llama.cpp architecture mapping here (supported: " + known + ")");
}

std::vector<std::string> supportedModelTypes() {
    std::vector<std::string> out;
    for (const auto& a : kArchitectures)
        out.push_back(a.modelType);
    return out;
}

std::optional<std::string> tensorNameFor(const std::string& modelType, const std::string& modulePath) {
    const bool gpt2 = modelType == "gpt2";
    if (modulePath == "lm_head")
        return std::string("output.weight");
    if (modulePath == (gpt2 ? "transformer.wte" : "model.embed_tokens"))
        return std::string("token_embd.weight");
    std::string layer, rest;
    if (!splitLayer(modulePath, gpt2 ? "transformer.h." : "model.layers.", &layer, &rest))
        return std::nullopt;
    if (gpt2) {
        for (const auto& s : kGpt2Layer)
            if (rest == s.hf)
                return "blk." + layer + "." + s.gguf + ".weight";
    } else {
        for (const auto& s : kLlamaLayer)
            if (rest == s.hf)
                return "blk." + layer + "." + s.gguf + ".weight";
    }
    return std::nullopt;
}

std::vector<std::int64_t> ropeRowPermutation(std::int64_t rows, std::int64_t nHeads) {
    if (nHeads <= 0 || rows % (2 * nHeads) != 0)
        throw Error("GGUF export: cannot permute " + std::to_string(rows) + " rows for " + std::to_string(nHeads) +
                    " rotary heads (rows must be a multiple of 2 x heads)");
    const std::int64_t headDim = rows / nHeads;
    const std::int64_t half = headDim / 2;
    std::vector<std::int64_t> perm(static_cast<std::size_t>(rows));
    for (std::int64_t h = 0; h < nHeads; ++h)
        for (std::int64_t j = 0; j < half; ++j)
            for (std::int64_t t = 0; t < 2; ++t)
                perm[static_cast<std::size_t>(h * headDim + j * 2 + t)] = h * headDim + t * half + j;
    return perm;
}

} // namespace ps::gguf
