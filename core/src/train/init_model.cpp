#include "ps/model_presets.h"

#include "adapters/model_folder_writer.h"
#include "model/causal_lm.h"
#include "ps/error.h"
#include "ps/tokenizer.h"
#include "util/file_util.h"
#include "util/json_util.h"

namespace ps {

const std::vector<ModelPreset>& modelPresets() {
    static const std::vector<ModelPreset> presets = {
        {"demo-tiny", "Llama architecture, 4 layers, hidden 128, 4 heads / 2 KV heads, tied embeddings (the demo)"},
        {"gpt2-124m", "GPT-2 small shape: 12 layers, hidden 768, 12 heads (124M parameters)"},
        {"llama-135m", "SmolLM-135M shape: Llama, 30 layers, hidden 576, 9 heads / 3 KV heads, tied (135M)"},
    };
    return presets;
}

std::string modelPresetConfigJson(const std::string& preset, std::int64_t vocabSize, std::int64_t bosId,
                                  std::int64_t eosId) {
    Json c;
    if (preset == "demo-tiny" || preset == "llama-135m") {
        const bool demo = preset == "demo-tiny";
        c = {{"architectures", {"LlamaForCausalLM"}},
             {"model_type", "llama"},
             {"hidden_size", demo ? 128 : 576},
             {"intermediate_size", demo ? 344 : 1536},
             {"num_hidden_layers", demo ? 4 : 30},
             {"num_attention_heads", demo ? 4 : 9},
             {"num_key_value_heads", demo ? 2 : 3},
             {"vocab_size", vocabSize > 0 ? vocabSize : 49152},
             {"max_position_embeddings", demo ? 1024 : 2048},
             {"rms_norm_eps", 1e-5},
             {"rope_theta", 10000.0},
             {"hidden_act", "silu"},
             {"tie_word_embeddings", true},
             {"initializer_range", 0.02},
             {"torch_dtype", "float32"}};
    } else if (preset == "gpt2-124m") {
        c = {{"architectures", {"GPT2LMHeadModel"}},
             {"model_type", "gpt2"},
             {"n_embd", 768},
             {"n_layer", 12},
             {"n_head", 12},
             {"n_positions", 1024},
             {"vocab_size", vocabSize > 0 ? vocabSize : 50257},
             {"activation_function", "gelu_new"},
             {"layer_norm_epsilon", 1e-5},
             {"initializer_range", 0.02},
             {"torch_dtype", "float32"}};
    } else {
        std::string names;
        for (const auto& p : modelPresets())
            names += (names.empty() ? "" : ", ") + p.name;
        throw Error("unknown model preset '" + preset + "' (known: " + names + ")");
    }
    if (bosId >= 0)
        c["bos_token_id"] = bosId;
    if (eosId >= 0)
        c["eos_token_id"] = eosId;
    return c.dump(2);
}

void initModel(const std::string& preset, const std::string& tokenizerDir, const std::string& outDir,
               std::uint64_t seed, bool overwrite) {
    auto tokenizer = Tokenizer::load(tokenizerDir);
    const auto vocab = static_cast<std::int64_t>(tokenizer->vocabSize());
    const std::int64_t eos = tokenizer->eosId() ? *tokenizer->eosId() : -1;
    const std::int64_t bos = tokenizer->bosId() ? *tokenizer->bosId() : eos;
    const Json config = parseJson(modelPresetConfigJson(preset, vocab, bos, eos), "preset " + preset);
    auto model = model::randomCausalLM(model::parseModelConfig(config, "preset " + preset), seed);
    adapters::ModelFolderContent content;
    const bool tied = config.value("tie_word_embeddings", preset == "gpt2-124m");
    for (const auto& item : model->named_parameters()) {
        if (tied && item.key() == "lm_head.weight")
            continue;
        content.tensors.emplace_back(item.key(), item.value().detach());
    }
    content.config = config;
    content.copyFrom = {tokenizerDir};
    content.dtype = torch::kFloat32;
    adapters::writeModelFolder(content, outDir, overwrite);
    Json generation = {{"_from_model_config", true}};
    if (bos >= 0)
        generation["bos_token_id"] = bos;
    if (eos >= 0)
        generation["eos_token_id"] = eos;
    writeFileAtomic(joinPath(outDir, "generation_config.json"), generation.dump(2) + "\n");
}

} // namespace ps
