#include "adapters/model_skeleton.h"

#include "model/causal_lm.h"
#include "model/model_config.h"
#include "ps/error.h"
#include "ps/safetensors.h"

#include <algorithm>
#include <set>

namespace ps::adapters {
namespace {

std::string parentOf(const std::string& name) {
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? std::string() : name.substr(0, dot);
}

std::string lastComponent(const std::string& path) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
}

void fillGeometry(ModelSkeleton& s, const model::ModelConfig& c) {
    s.modelType = c.modelType;
    s.numLayers = c.numLayers;
    s.hiddenSize = c.hiddenSize;
    s.numHeads = c.numHeads;
    s.numKvHeads = c.numKvHeads > 0 ? c.numKvHeads : c.numHeads;
    s.headDim = c.headDim > 0 ? c.headDim : (c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0);
    s.vocabSize = c.vocabSize;
    s.tiedEmbeddings = c.tieWordEmbeddings;
    s.embeddingPath = c.family == model::Family::Gpt2 ? "transformer.wte" : "model.embed_tokens";
}

// Checkpoint entries that are buffers, not parameters (older GPT-2 files carry the causal mask,
// some llama files the rotary inverse frequencies); transformers ignores them on load.
bool isBufferName(const std::string& name) {
    auto endsWith = [&](const std::string& suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return endsWith(".attn.bias") || endsWith(".attn.masked_bias") || endsWith("rotary_emb.inv_freq");
}

} // namespace

std::int64_t ParamDesc::numel() const {
    std::int64_t n = 1;
    for (const auto d : shape)
        n *= d;
    return n;
}

const LinearDesc* ModelSkeleton::findLinear(const std::string& path) const {
    for (const auto& l : linears)
        if (l.path == path)
            return &l;
    return nullptr;
}

const ParamDesc* ModelSkeleton::findParam(const std::string& name) const {
    for (const auto& p : params)
        if (p.name == name)
            return &p;
    return nullptr;
}

std::int64_t ModelSkeleton::totalParameters() const {
    std::int64_t n = 0;
    for (const auto& p : params)
        n += p.numel();
    return n;
}

bool ModelSkeleton::hasModule(const std::string& path) const {
    if (findLinear(path))
        return true;
    for (const auto& p : params)
        for (std::string parent = parentOf(p.name); !parent.empty(); parent = parentOf(parent))
            if (parent == path)
                return true;
    return false;
}

ModelSkeleton skeletonFromModel(model::CausalLMImpl& model) {
    ModelSkeleton s;
    fillGeometry(s, model.config());
    for (auto& [path, linear] : model.linearModules(true)) {
        LinearDesc d;
        d.path = path;
        d.in = linear->inFeatures;
        d.out = linear->outFeatures;
        d.conv1d = linear->conv1d;
        d.hasBias = linear->bias.defined();
        d.isHead = path == "lm_head";
        s.linears.push_back(std::move(d));
    }
    for (const auto& item : model.named_parameters(true))
        s.params.push_back({item.key(), item.value().sizes().vec()});
    return s;
}

ModelSkeleton skeletonFromDir(const std::string& dir) {
    const model::ModelConfig config = model::loadModelConfig(dir);
    ModelSkeleton s;
    fillGeometry(s, config);
    const auto ckpt = SafetensorsCheckpoint::open(dir);
    const auto names = linearModuleNames(config);
    const std::set<std::string> linearNames(names.begin(), names.end());
    const bool conv1d = config.family == model::Family::Gpt2;
    std::vector<std::string> tensorNames = ckpt->names();
    // Model order: the checkpoint is sorted by name; keep that (peft iterates named_modules(),
    // whose order only matters for display).
    for (const auto& name : tensorNames) {
        if (isBufferName(name))
            continue;
        const TensorInfo* info = ckpt->find(name);
        s.params.push_back({name, info->shape});
        const std::string module = parentOf(name);
        if (lastComponent(name) != "weight" || info->shape.size() != 2 || module == "lm_head" ||
            !linearNames.count(lastComponent(module)))
            continue;
        LinearDesc d;
        d.path = module;
        d.conv1d = conv1d;
        d.in = conv1d ? info->shape[0] : info->shape[1];
        d.out = conv1d ? info->shape[1] : info->shape[0];
        d.hasBias = ckpt->find(module + ".bias") != nullptr;
        s.linears.push_back(std::move(d));
    }
    LinearDesc head;
    head.path = "lm_head";
    head.isHead = true;
    head.in = s.hiddenSize;
    head.out = s.vocabSize;
    if (const TensorInfo* info = ckpt->find("lm_head.weight")) {
        head.in = info->shape.size() == 2 ? info->shape[1] : 0;
        head.out = info->shape.empty() ? 0 : info->shape[0];
        head.hasBias = ckpt->find("lm_head.bias") != nullptr;
    } else if (!config.tieWordEmbeddings) {
        throw Error(dir + ": the checkpoint has no lm_head.weight and config.json does not tie the embeddings");
    }
    s.linears.push_back(head);
    // Projections in layer order (model.layers.10 after model.layers.9), as named_modules() gives.
    auto layerKey = [](const std::string& path) {
        std::vector<std::pair<std::int64_t, std::string>> key;
        std::size_t start = 0;
        while (start <= path.size()) {
            const auto dot = path.find('.', start);
            const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            const bool numeric =
                !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
            key.emplace_back(numeric ? std::stoll(part) : -1, numeric ? std::string() : part);
            if (dot == std::string::npos)
                break;
            start = dot + 1;
        }
        return key;
    };
    std::stable_sort(s.linears.begin(), s.linears.end() - 1,
                     [&](const LinearDesc& a, const LinearDesc& b) { return layerKey(a.path) < layerKey(b.path); });
    return s;
}

} // namespace ps::adapters
