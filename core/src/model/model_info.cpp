// inspectModel: what a model folder holds, from config.json and the safetensors headers only.
#include "ps/model_info.h"

#include "model/model_config.h"
#include "ps/error.h"
#include "ps/safetensors.h"
#include "util/file_util.h"
#include "util/json_util.h"

namespace ps {
namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Tensors some checkpoints carry that are buffers, not parameters.
bool isBuffer(const std::string& name) {
    return endsWith(name, ".attn.bias") || endsWith(name, ".attn.masked_bias") || endsWith(name, "rotary_emb.inv_freq");
}

const char* dtypeLongName(DType d) {
    switch (d) {
    case DType::F32:
        return "float32";
    case DType::F16:
        return "float16";
    case DType::BF16:
        return "bfloat16";
    case DType::F64:
        return "float64";
    default:
        return "";
    }
}

bool hasChatTemplate(const std::string& dir) {
    if (isRegularFile(joinPath(dir, "chat_template.jinja")) || isRegularFile(joinPath(dir, "chat_template.json")))
        return true;
    const std::string path = joinPath(dir, "tokenizer_config.json");
    if (!isRegularFile(path))
        return false;
    try {
        const Json j = parseJsonFile(path, 64ull << 20);
        return j.is_object() && j.contains("chat_template") && !j.at("chat_template").is_null();
    } catch (const Error&) {
        return false; // a broken tokenizer_config.json is the tokenizer's problem, not inspect's
    }
}

} // namespace

ModelInfo inspectModel(const std::string& dir) {
    const model::ModelConfig c = model::loadModelConfig(dir);
    const auto ckpt = SafetensorsCheckpoint::open(dir);
    ModelInfo info;
    info.path = dir;
    info.modelType = c.modelType;
    info.architecture = c.architecture;
    info.numLayers = c.numLayers;
    info.hiddenSize = c.hiddenSize;
    info.intermediateSize = c.intermediateSize;
    info.numAttentionHeads = c.numHeads;
    info.numKeyValueHeads = c.numKvHeads;
    info.vocabSize = c.vocabSize;
    info.maxPositionEmbeddings = c.maxPositionEmbeddings;
    info.tieWordEmbeddings = c.tieWordEmbeddings;
    info.linearModules = model::linearModuleNames(c);
    info.torchDtype = c.torchDtype;

    const std::string embedding = c.family == model::Family::Gpt2 ? "wte.weight" : "embed_tokens.weight";
    bool haveEmbedding = false;
    for (const auto& name : ckpt->names())
        haveEmbedding = haveEmbedding || endsWith(name, embedding);
    for (const auto& file : ckpt->files()) {
        info.sizeOnDiskBytes += file->fileSize();
        for (const auto& t : file->tensors()) {
            if (isBuffer(t.name))
                continue;
            if (t.name == "lm_head.weight" && c.tieWordEmbeddings && haveEmbedding)
                continue; // tied: the same matrix as the embedding, counted once
            if (info.torchDtype.empty() && endsWith(t.name, embedding))
                info.torchDtype = dtypeLongName(t.dtype);
            info.numParameters += t.numel();
        }
    }
    info.hasTokenizer =
        isRegularFile(joinPath(dir, "tokenizer.json")) || isRegularFile(joinPath(dir, "tokenizer.model"));
    info.hasChatTemplate = hasChatTemplate(dir);
    return info;
}

std::vector<std::string> supportedModelTypes() {
    return model::supportedModelTypeNames();
}

std::string modelInfoToJson(const ModelInfo& info, int indent) {
    nlohmann::ordered_json j;
    j["model_type"] = info.modelType;
    j["architecture"] = info.architecture;
    j["num_parameters"] = info.numParameters;
    j["num_layers"] = info.numLayers;
    j["hidden_size"] = info.hiddenSize;
    j["intermediate_size"] = info.intermediateSize;
    j["num_attention_heads"] = info.numAttentionHeads;
    j["num_key_value_heads"] = info.numKeyValueHeads;
    j["vocab_size"] = info.vocabSize;
    j["max_position_embeddings"] = info.maxPositionEmbeddings;
    j["torch_dtype"] = info.torchDtype;
    j["tie_word_embeddings"] = info.tieWordEmbeddings;
    j["linear_modules"] = info.linearModules;
    j["size_on_disk_bytes"] = info.sizeOnDiskBytes;
    j["has_tokenizer"] = info.hasTokenizer;
    j["has_chat_template"] = info.hasChatTemplate;
    j["path"] = info.path;
    return j.dump(indent);
}

} // namespace ps
