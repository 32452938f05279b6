#pragma once
// ModelConfig — the typed form of a Hugging Face config.json for the architectures we can run
// (internal header, torch-free). Keys and defaults follow transformers' GPT2Config /
// LlamaConfig / MistralConfig / Qwen2Config / Phi3Config / GemmaConfig; a key of the wrong
// type is a ps::Error naming config.json and the key, an unsupported model_type lists the
// supported ones.
#include "util/json_util.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ps::model {

// Which module graph a model_type uses (one source file per family: gpt2.cpp, llama.cpp).
enum class Family { Gpt2, Llama };

enum class Activation {
    GeluTanh, // gelu_new, gelu_pytorch_tanh, gelu_fast: tanh approximation
    Gelu,     // exact erf gelu
    Silu,
    Relu,
};

struct RopeScaling {
    std::string type; // "" (none), "linear", "dynamic", "llama3"
    double factor = 1.0;
    double lowFreqFactor = 1.0;                        // llama3
    double highFreqFactor = 4.0;                       // llama3
    std::int64_t originalMaxPositionEmbeddings = 8192; // llama3
};

struct ModelConfig {
    std::string modelType;    // "gpt2", "llama", "mistral", "qwen2", ...
    std::string architecture; // architectures[0] ("" when absent)
    Family family = Family::Llama;

    std::int64_t vocabSize = 0;
    std::int64_t hiddenSize = 0;
    std::int64_t intermediateSize = 0;
    std::int64_t numLayers = 0;
    std::int64_t numHeads = 0;
    std::int64_t numKvHeads = 0;
    std::int64_t headDim = 0;               // hidden / heads unless config.json sets head_dim
    std::int64_t maxPositionEmbeddings = 0; // n_positions for gpt2
    double normEps = 1e-5;                  // layer_norm_epsilon / rms_norm_eps
    Activation activation = Activation::Silu;
    std::string activationName; // as written in config.json
    bool tieWordEmbeddings = false;
    double initializerRange = 0.02;
    std::string torchDtype; // "float32", "bfloat16", ... ("" when absent)

    // Llama family.
    bool qkvBias = false; // q/k/v projections have a bias (attention_bias, qwen2)
    bool oBias = false;   // o_proj has a bias (attention_bias)
    bool mlpBias = false; // gate/up/down have a bias (mlp_bias)
    double ropeTheta = 10000.0;
    double partialRotaryFactor = 1.0;
    RopeScaling ropeScaling;
    // Sliding-window attention: a query attends to the last `slidingWindow` keys (itself
    // included); 0 = full causal attention. For qwen2 only layers >= maxWindowLayers use it.
    std::int64_t slidingWindow = 0;
    std::int64_t maxWindowLayers = 0;
    double attentionDropout = 0.0;
    // Variants of the llama graph.
    bool fusedQkv = false;        // phi3: self_attn.qkv_proj
    bool fusedGateUp = false;     // phi3: mlp.gate_up_proj
    bool normAddsOne = false;     // gemma: RMSNorm scales by (1 + weight)
    bool scaleEmbeddings = false; // gemma: embeddings * sqrt(hidden_size)

    // GPT-2.
    bool scaleAttnWeights = true;
    bool scaleAttnByInverseLayerIdx = false;
    double embdDropout = 0.0;
    double residDropout = 0.0;
    double attnDropout = 0.0;

    std::int64_t bosTokenId = -1;
    std::vector<std::int64_t> eosTokenIds;
    std::int64_t padTokenId = -1;

    // Rotary dimension (head_dim * partial_rotary_factor).
    std::int64_t rotaryDim() const {
        return static_cast<std::int64_t>(static_cast<double>(headDim) * partialRotaryFactor);
    }
    // Whether decoder layer `layer` uses the sliding window.
    bool layerUsesSlidingWindow(std::int64_t layer) const { return slidingWindow > 0 && layer >= maxWindowLayers; }
};

// model_types this build can load, sorted.
std::vector<std::string> supportedModelTypeNames();

// Parses a config.json object; `what` (the file path) prefixes every error.
ModelConfig parseModelConfig(const Json& json, const std::string& what);
// Reads and parses DIR/config.json.
ModelConfig loadModelConfig(const std::string& dir);

// Module names of the projections of an architecture ("q_proj", "c_attn", ...), lm_head excluded.
std::vector<std::string> linearModuleNames(const ModelConfig& config);

} // namespace ps::model
