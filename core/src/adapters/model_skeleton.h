#pragma once
// ModelSkeleton — the shapes a PEFT method needs to know about a base model (projections with
// their in/out features, every parameter name and shape, attention geometry), taken either
// from a built CausalLM or from config.json + safetensors headers alone. Planning an adapter
// on a skeleton lets us count parameters and validate adapter files without loading weights.
#include <cstdint>
#include <string>
#include <vector>

namespace ps::model {
class CausalLMImpl;
}

namespace ps::adapters {

struct LinearDesc {
    std::string path; // HF module path, "model.layers.0.self_attn.q_proj"
    std::int64_t in = 0;
    std::int64_t out = 0;
    bool conv1d = false; // GPT-2 Conv1D: weight stored [in, out]
    bool hasBias = false;
    bool isHead = false; // lm_head (never matched by "all-linear")
};

struct ParamDesc {
    std::string name; // transformers state-dict key
    std::vector<std::int64_t> shape;
    std::int64_t numel() const;
};

struct ModelSkeleton {
    std::string modelType;
    std::int64_t numLayers = 0;
    std::int64_t hiddenSize = 0;
    std::int64_t numHeads = 0;
    std::int64_t numKvHeads = 0;
    std::int64_t headDim = 0;
    std::int64_t vocabSize = 0;
    bool tiedEmbeddings = false;
    std::string embeddingPath;       // "model.embed_tokens" / "transformer.wte"
    std::vector<LinearDesc> linears; // every projection in model order, lm_head last
    std::vector<ParamDesc> params;   // every parameter once (a tied head is not repeated)

    const LinearDesc* findLinear(const std::string& path) const;
    const ParamDesc* findParam(const std::string& name) const;
    std::int64_t totalParameters() const;
    // Every module path: parents of the parameters plus the projections (for error messages
    // that tell "no such module" from "not a projection").
    bool hasModule(const std::string& path) const;
};

// From a built model (before any adapter is injected).
ModelSkeleton skeletonFromModel(model::CausalLMImpl& model);
// From DIR/config.json and the safetensors headers of DIR (no weights read).
ModelSkeleton skeletonFromDir(const std::string& dir);

} // namespace ps::adapters
