#pragma once
// AdapterPlan — what a PEFT method does to one particular model, computed from shapes alone:
// which modules it adapts (with their per-module rank / alpha / kind), which tensors it saves
// under which peft key and shape, and how many parameters it trains. Injection builds exactly
// this plan; loading validates an adapter file against it; counting reads its totals.
#include "adapters/model_skeleton.h"
#include "ps/adapter.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ps::adapters {

// peft's key prefix for everything of a causal LM ("base_model.model." + module path).
inline const char* kPeftKeyPrefix = "base_model.model.";

struct LayerPlan {
    LinearDesc linear;
    std::int64_t r = 0;
    double alpha = 0.0;
    double scaling = 0.0;     // LoRA: alpha/r or alpha/sqrt(r); LoHa/LoKr: alpha/r
    bool feedforward = false; // IA3: scale the input instead of the output
    // LoKr factorisation: out = a*b, in = c*d; w1 [a,c], w2 [b,d] (each full or low-rank).
    std::int64_t lokrA = 0, lokrB = 0, lokrC = 0, lokrD = 0;
    bool lokrFullW1 = true;
    bool lokrFullW2 = true;
};

struct PlannedTensor {
    std::string key; // as in adapter_model.safetensors
    std::vector<std::int64_t> shape;
    bool baseParameter = false; // a parameter of the base model made trainable (bias="all")
    std::int64_t numel() const;
};

struct AdapterPlan {
    AdapterSpec spec;                     // resolved: targets explicit, defaults applied
    bool fanInFanOut = false;             // some target is a GPT-2 Conv1D
    std::vector<LayerPlan> layers;        // adapted projections, model order
    std::vector<LinearDesc> savedLinears; // modules_to_save that are projections (lm_head, ...)
    bool saveEmbedding = false;           // modules_to_save includes the token embedding
    // Base parameters trained in place (bias="all" / "lora_only"): (saved key, parameter name).
    std::vector<std::pair<std::string, std::string>> trainableBiases;
    std::vector<PlannedTensor> tensors; // every saved tensor, sorted by key
    std::int64_t trainable = 0;
    std::int64_t total = 0;
    // Prompt / prefix tuning geometry (as written to adapter_config.json).
    std::int64_t tokenDim = 0;
    std::int64_t numAttentionHeads = 0;
    std::int64_t numLayers = 0;
    std::vector<std::string> warnings;

    const PlannedTensor* findTensor(const std::string& key) const;
};

// Plans `spec` on `model`. Throws ps::Error when it cannot apply (no module matches the
// targets, a target that is not a projection, bad values).
AdapterPlan planAdapter(const ModelSkeleton& model, const AdapterSpec& spec);

// Checks the tensors of an adapter file (name -> shape) against the plan: an unknown key, a
// missing key or a shape mismatch throws ps::Error naming the tensor (and `what`, the file).
void validateAgainstPlan(const AdapterPlan& plan, const ModelSkeleton& model,
                         const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& tensors,
                         const std::string& what);

std::string shapeString(const std::vector<std::int64_t>& shape);

} // namespace ps::adapters
