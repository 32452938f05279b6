#include "model/model_config.h"

#include "ps/error.h"
#include "util/file_util.h"

#include <algorithm>

namespace ps::model {
namespace {

// The model_types we run, with the family whose graph they use. Defaults below follow the
// transformers config class of each type (used when config.json omits a key).
struct ModelTypeEntry {
    const char* modelType;
    Family family;
};
constexpr ModelTypeEntry kModelTypes[] = {
    {"gemma", Family::Llama},   {"gpt2", Family::Gpt2},  {"llama", Family::Llama},
    {"mistral", Family::Llama}, {"phi3", Family::Llama}, {"qwen2", Family::Llama},
};

struct LlamaDefaults {
    std::int64_t vocab, hidden, intermediate, layers, heads, kvHeads, headDim, maxPositions;
    double eps;
    bool tie;
    std::int64_t slidingWindow;
    const char* act;
};

LlamaDefaults llamaDefaults(const std::string& type) {
    if (type == "mistral")
        return {32000, 4096, 14336, 32, 32, 8, 0, 4096 * 32, 1e-6, false, 4096, "silu"};
    if (type == "qwen2")
        return {151936, 4096, 22016, 32, 32, 32, 0, 32768, 1e-6, false, 4096, "silu"};
    if (type == "phi3")
        return {32064, 3072, 8192, 32, 32, 0, 0, 4096, 1e-5, false, 0, "silu"};
    if (type == "gemma")
        return {256000, 3072, 24576, 28, 16, 16, 256, 8192, 1e-6, true, 0, "gelu_pytorch_tanh"};
    return {32000, 4096, 11008, 32, 32, 0, 0, 2048, 1e-6, false, 0, "silu"};
}

Activation parseActivation(const std::string& name, const std::string& key, const std::string& what) {
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
        return Activation::GeluTanh;
    if (name == "gelu")
        return Activation::Gelu;
    if (name == "silu" || name == "swish")
        return Activation::Silu;
    if (name == "relu")
        return Activation::Relu;
    throw Error(what + ": " + key + " '" + name +
                "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu, swish, relu)");
}

void requirePositive(std::int64_t v, const char* key, const std::string& what) {
    if (v <= 0)
        throw Error(what + ": key '" + key + "' must be a positive integer, found " + std::to_string(v));
}

RopeScaling parseRopeScaling(const Json& obj, const std::string& what) {
    RopeScaling rs;
    auto it = obj.find("rope_scaling");
    if (it == obj.end() || it->is_null())
        return rs;
    if (!it->is_object())
        throw Error(what + ": key 'rope_scaling' must be an object or null, found " + jsonTypeName(*it));
    const Json& r = *it;
    const std::string sub = what + " (rope_scaling)";
    std::string type = jsonString(r, "rope_type", "", sub);
    if (type.empty())
        type = jsonString(r, "type", "", sub);
    if (type.empty() || type == "default")
        return rs;
    if (type != "linear" && type != "dynamic" && type != "llama3")
        throw Error(what + ": rope_scaling type '" + type + "' is not supported (supported: linear, dynamic, llama3)");
    rs.type = type;
    if (!r.contains("factor") || r.at("factor").is_null())
        throw Error(sub + ": missing key 'factor' (a number expected)");
    rs.factor = jsonNumber(r, "factor", 1.0, sub);
    if (!(rs.factor > 0.0))
        throw Error(sub + ": key 'factor' must be positive");
    if (type == "llama3") {
        for (const char* key : {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"})
            if (!r.contains(key) || r.at(key).is_null())
                throw Error(sub + ": missing key '" + std::string(key) + "' (required for llama3)");
        rs.lowFreqFactor = jsonNumber(r, "low_freq_factor", 1.0, sub);
        rs.highFreqFactor = jsonNumber(r, "high_freq_factor", 4.0, sub);
        rs.originalMaxPositionEmbeddings = jsonInt(r, "original_max_position_embeddings", 8192, sub);
        if (!(rs.highFreqFactor > rs.lowFreqFactor))
            throw Error(sub + ": high_freq_factor must be greater than low_freq_factor");
        requirePositive(rs.originalMaxPositionEmbeddings, "original_max_position_embeddings", sub);
    }
    return rs;
}

void parseGpt2(const Json& j, const std::string& what, ModelConfig& c) {
    c.vocabSize = jsonInt(j, "vocab_size", 50257, what);
    c.maxPositionEmbeddings = jsonInt(j, "n_positions", 1024, what);
    c.hiddenSize = jsonInt(j, "n_embd", 768, what);
    c.numLayers = jsonInt(j, "n_layer", 12, what);
    c.numHeads = jsonInt(j, "n_head", 12, what);
    c.numKvHeads = c.numHeads;
    c.intermediateSize = jsonInt(j, "n_inner", 4 * c.hiddenSize, what);
    c.activationName = jsonString(j, "activation_function", "gelu_new", what);
    c.activation = parseActivation(c.activationName, "activation_function", what);
    c.normEps = jsonNumber(j, "layer_norm_epsilon", 1e-5, what);
    c.tieWordEmbeddings = jsonBool(j, "tie_word_embeddings", true, what);
    c.scaleAttnWeights = jsonBool(j, "scale_attn_weights", true, what);
    c.scaleAttnByInverseLayerIdx = jsonBool(j, "scale_attn_by_inverse_layer_idx", false, what);
    jsonBool(j, "reorder_and_upcast_attn", false, what); // numerics only: we upcast softmax anyway
    c.attnDropout = jsonNumber(j, "attn_pdrop", 0.1, what);
    c.residDropout = jsonNumber(j, "resid_pdrop", 0.1, what);
    c.embdDropout = jsonNumber(j, "embd_pdrop", 0.1, what);
}

void parseLlama(const Json& j, const std::string& what, ModelConfig& c) {
    const LlamaDefaults d = llamaDefaults(c.modelType);
    c.vocabSize = jsonInt(j, "vocab_size", d.vocab, what);
    c.hiddenSize = jsonInt(j, "hidden_size", d.hidden, what);
    c.intermediateSize = jsonInt(j, "intermediate_size", d.intermediate, what);
    c.numLayers = jsonInt(j, "num_hidden_layers", d.layers, what);
    c.numHeads = jsonInt(j, "num_attention_heads", d.heads, what);
    c.numKvHeads = jsonInt(j, "num_key_value_heads", d.kvHeads > 0 ? d.kvHeads : c.numHeads, what);
    c.headDim = jsonInt(j, "head_dim", d.headDim, what);
    c.maxPositionEmbeddings = jsonInt(j, "max_position_embeddings", d.maxPositions, what);
    c.normEps = jsonNumber(j, "rms_norm_eps", d.eps, what);
    c.tieWordEmbeddings = jsonBool(j, "tie_word_embeddings", d.tie, what);
    c.ropeTheta = jsonNumber(j, "rope_theta", 10000.0, what);
    c.partialRotaryFactor = jsonNumber(j, "partial_rotary_factor", 1.0, what);
    c.ropeScaling = parseRopeScaling(j, what);
    c.attentionDropout = jsonNumber(j, "attention_dropout", 0.0, what);
    const bool attentionBias = jsonBool(j, "attention_bias", false, what);
    c.qkvBias = attentionBias || c.modelType == "qwen2";
    c.oBias = attentionBias;
    c.mlpBias = jsonBool(j, "mlp_bias", false, what);
    if (c.modelType == "gemma") {
        // transformers' Gemma uses the tanh approximation whatever hidden_act says, unless
        // hidden_activation is set.
        c.activationName = jsonString(j, "hidden_activation", d.act, what);
        c.activation = parseActivation(c.activationName, "hidden_activation", what);
        c.normAddsOne = true;
        c.scaleEmbeddings = true;
    } else {
        c.activationName = jsonString(j, "hidden_act", d.act, what);
        c.activation = parseActivation(c.activationName, "hidden_act", what);
    }
    if (c.modelType == "phi3") {
        c.fusedQkv = true;
        c.fusedGateUp = true;
    }
    if (c.modelType == "mistral" || c.modelType == "phi3") {
        c.slidingWindow = jsonInt(j, "sliding_window", d.slidingWindow, what);
    } else if (c.modelType == "qwen2") {
        const std::int64_t window = jsonInt(j, "sliding_window", d.slidingWindow, what);
        c.maxWindowLayers = jsonInt(j, "max_window_layers", 28, what);
        if (jsonBool(j, "use_sliding_window", false, what))
            c.slidingWindow = window;
    }
    if (c.slidingWindow < 0)
        throw Error(what + ": key 'sliding_window' must be positive or null, found " + std::to_string(c.slidingWindow));
}

std::vector<std::int64_t> parseTokenIds(const Json& j, const char* key, const std::string& what) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return {};
    if (it->is_array()) {
        std::vector<std::int64_t> out;
        for (std::size_t i = 0; i < it->size(); ++i) {
            if (!(*it)[i].is_number_integer())
                throw Error(what + ": key '" + key + "' must be an integer or a list of integers");
            out.push_back((*it)[i].get<std::int64_t>());
        }
        return out;
    }
    return {jsonInt(j, key, -1, what)};
}

} // namespace

std::vector<std::string> supportedModelTypeNames() {
    std::vector<std::string> out;
    for (const auto& e : kModelTypes)
        out.emplace_back(e.modelType);
    std::sort(out.begin(), out.end());
    return out;
}

ModelConfig parseModelConfig(const Json& j, const std::string& what) {
    if (!j.is_object())
        throw Error(what + ": expected a JSON object, found " + jsonTypeName(j));
    ModelConfig c;
    c.modelType = jsonRequireString(j, "model_type", what);
    const ModelTypeEntry* entry = nullptr;
    for (const auto& e : kModelTypes)
        if (c.modelType == e.modelType)
            entry = &e;
    if (!entry) {
        std::string list;
        for (const auto& name : supportedModelTypeNames())
            list += (list.empty() ? "" : ", ") + name;
        throw Error(what + ": model_type '" + c.modelType + "' is not supported (supported: " + list + ")");
    }
    c.family = entry->family;
    if (auto it = j.find("architectures"); it != j.end() && !it->is_null()) {
        if (!it->is_array() || (!it->empty() && !(*it)[0].is_string()))
            throw Error(what + ": key 'architectures' must be a list of strings, found " + jsonTypeName(*it));
        if (!it->empty())
            c.architecture = (*it)[0].get<std::string>();
    }
    c.torchDtype = jsonString(j, "torch_dtype", "", what);
    c.initializerRange = jsonNumber(j, "initializer_range", 0.02, what);
    c.bosTokenId = jsonInt(j, "bos_token_id", -1, what);
    c.eosTokenIds = parseTokenIds(j, "eos_token_id", what);
    c.padTokenId = jsonInt(j, "pad_token_id", -1, what);

    if (c.family == Family::Gpt2)
        parseGpt2(j, what, c);
    else
        parseLlama(j, what, c);

    const char* names[][2] = {{"vocab_size", "vocab_size"},
                              {"hidden_size", c.family == Family::Gpt2 ? "n_embd" : "hidden_size"},
                              {"layers", c.family == Family::Gpt2 ? "n_layer" : "num_hidden_layers"},
                              {"heads", c.family == Family::Gpt2 ? "n_head" : "num_attention_heads"},
                              {"positions", c.family == Family::Gpt2 ? "n_positions" : "max_position_embeddings"},
                              {"inner", c.family == Family::Gpt2 ? "n_inner" : "intermediate_size"}};
    requirePositive(c.vocabSize, names[0][1], what);
    requirePositive(c.hiddenSize, names[1][1], what);
    requirePositive(c.numLayers, names[2][1], what);
    requirePositive(c.numHeads, names[3][1], what);
    requirePositive(c.maxPositionEmbeddings, names[4][1], what);
    requirePositive(c.intermediateSize, names[5][1], what);
    requirePositive(c.numKvHeads, "num_key_value_heads", what);
    if (c.headDim <= 0) {
        if (c.hiddenSize % c.numHeads != 0)
            throw Error(what + ": " + names[1][1] + " (" + std::to_string(c.hiddenSize) + ") must be divisible by " +
                        names[3][1] + " (" + std::to_string(c.numHeads) + ")");
        c.headDim = c.hiddenSize / c.numHeads;
    }
    if (c.numHeads % c.numKvHeads != 0)
        throw Error(what + ": num_attention_heads (" + std::to_string(c.numHeads) +
                    ") must be a multiple of num_key_value_heads (" + std::to_string(c.numKvHeads) + ")");
    if (c.family == Family::Llama) {
        const std::int64_t rot = c.rotaryDim();
        if (rot <= 0 || rot % 2 != 0 || rot > c.headDim)
            throw Error(what + ": rotary dimension " + std::to_string(rot) + " (head_dim " + std::to_string(c.headDim) +
                        " x partial_rotary_factor) must be even and in 2..head_dim");
        if (!(c.ropeTheta > 0.0))
            throw Error(what + ": key 'rope_theta' must be positive");
    }
    if (!(c.normEps > 0.0))
        throw Error(what + ": the norm epsilon must be positive");
    return c;
}

ModelConfig loadModelConfig(const std::string& dir) {
    const std::string path = isDirectory(dir) ? joinPath(dir, "config.json") : dir;
    if (!isRegularFile(path))
        throw Error(path + ": not found (a model folder needs config.json)");
    return parseModelConfig(parseJsonFile(path, 16ull << 20), path);
}

std::vector<std::string> linearModuleNames(const ModelConfig& c) {
    if (c.family == Family::Gpt2)
        return {"c_attn", "c_proj", "c_fc"};
    std::vector<std::string> out;
    if (c.fusedQkv)
        out = {"qkv_proj", "o_proj"};
    else
        out = {"q_proj", "k_proj", "v_proj", "o_proj"};
    if (c.fusedGateUp)
        out.insert(out.end(), {"gate_up_proj", "down_proj"});
    else
        out.insert(out.end(), {"gate_proj", "up_proj", "down_proj"});
    return out;
}

} // namespace ps::model
