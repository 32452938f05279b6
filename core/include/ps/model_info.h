#pragma once
// What `peft-studio-cli inspect` reports about a Hugging Face model folder. Torch-free.
// Computed from config.json and the safetensors headers only (no weights are read), so it
// is cheap enough for listing a whole HF cache.
#include <cstdint>
#include <string>
#include <vector>

namespace ps {

struct ModelInfo {
    std::string path;
    std::string modelType;      // config.json model_type: "gpt2", "llama", "mistral", "qwen2", ...
    std::string architecture;   // architectures[0], e.g. "LlamaForCausalLM"
    std::int64_t numParameters = 0; // distinct stored parameters (tied weights counted once)
    std::int64_t numLayers = 0;
    std::int64_t hiddenSize = 0;
    std::int64_t intermediateSize = 0;
    std::int64_t numAttentionHeads = 0;
    std::int64_t numKeyValueHeads = 0;
    std::int64_t vocabSize = 0;
    std::int64_t maxPositionEmbeddings = 0;
    std::string torchDtype;     // config.json torch_dtype ("float32", "bfloat16", ...)
    bool tieWordEmbeddings = false;
    std::vector<std::string> linearModules; // distinct names: "q_proj", "c_attn", ... (not lm_head)
    std::uint64_t sizeOnDiskBytes = 0;      // weight files
    bool hasTokenizer = false;
    bool hasChatTemplate = false;
};

// Reads DIR/config.json and the safetensors headers. Throws ps::Error naming the file and
// what is wrong (unsupported model_type lists the supported ones).
ModelInfo inspectModel(const std::string& dir);

// model_types this build can load.
std::vector<std::string> supportedModelTypes();

// Serialises ModelInfo with the JSON keys of the CLI contract (model_type, architecture,
// num_parameters, num_layers, hidden_size, intermediate_size, num_attention_heads,
// num_key_value_heads, vocab_size, max_position_embeddings, torch_dtype,
// tie_word_embeddings, linear_modules) plus size_on_disk_bytes, has_tokenizer,
// has_chat_template and path.
std::string modelInfoToJson(const ModelInfo& info, int indent = 2);

} // namespace ps
