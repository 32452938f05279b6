#pragma once
// Helpers shared by the generation suites: fixture folders and their reference tensors, a
// runner over model + adapter, and a small random model folder with a real tokenizer.
#include "core/adapters/adapter_test_util.h"

#include "adapters/peft_model.h"
#include "generate/decode_loop.h"
#include "io/torch_tensors.h"
#include "model/causal_lm.h"
#include "ps/error.h"
#include "ps/generate.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace ps::test {

// Fixture paths, reference tensors and comparisons are the adapter suites' (adapter_test_util.h).
using testing::adapterFixture;
using testing::errorOf;
using testing::maxAbsDiff;
using testing::modelFixture;
using testing::referenceTensor;
inline std::string baseOfAdapter(const std::string& adapter) {
    return testing::baseOfAdapterFixture(adapter);
}

inline std::string tokenizerFixture(const std::string& name) {
    return std::string(PS_FIXTURES) + "/tokenizers/" + name;
}

inline std::vector<std::int32_t> idsOfRow(const torch::Tensor& ids, std::int64_t row) {
    std::vector<std::int32_t> out;
    for (std::int64_t i = 0; i < ids.size(1); ++i)
        out.push_back(static_cast<std::int32_t>(ids[row][i].item<std::int64_t>()));
    return out;
}

inline GeneratorConfig generatorConfig(const std::string& modelDir, const std::string& adapterDir = "") {
    GeneratorConfig c;
    c.modelDir = modelDir;
    c.adapterDir = adapterDir;
    return c;
}

// A model folder (fixture or not) with an optional adapter, ready for gen::decodeTokens.
struct Runner {
    model::CausalLM model{nullptr};
    std::unique_ptr<adapters::PeftModel> peft;
    std::unique_ptr<gen::LogitsSource> source;

    Runner(model::CausalLM m, const std::string& adapterDir = "") : model(std::move(m)) {
        if (!adapterDir.empty()) {
            peft = adapters::PeftModel::load(adapterDir, model);
            peft->train(false);
        }
        model->eval();
        source = std::make_unique<gen::LogitsSource>(model, peft.get());
    }
    Runner(model::CausalLM m, std::unique_ptr<adapters::PeftModel> adapter)
        : model(std::move(m)), peft(std::move(adapter)) {
        source = std::make_unique<gen::LogitsSource>(model, peft.get());
    }
    static Runner fromDirs(const std::string& modelDir, const std::string& adapterDir = "") {
        model::LoadOptions options;
        options.dtype = torch::kFloat32;
        return Runner(model::loadCausalLM(modelDir, options), adapterDir);
    }
};

// DIR/config.json + model.safetensors of a random llama-shaped model whose vocabulary is the
// tokenizer fixture's, plus that tokenizer's files: a model folder that generates real text.
inline std::int64_t tokenizerVocab(const std::string& tokDir) {
    const Json tok = parseJsonFile(tokDir + "/tokenizer.json");
    std::int64_t vocab = static_cast<std::int64_t>(tok["model"]["vocab"].size());
    for (const auto& added : tok["added_tokens"])
        vocab = std::max(vocab, added["id"].get<std::int64_t>() + 1);
    return vocab;
}

inline void writeTextModel(const std::string& dir, const std::string& tokenizer, std::uint64_t seed) {
    const std::string tokDir = tokenizerFixture(tokenizer);
    const std::int64_t vocab = tokenizerVocab(tokDir);
    const Json config = {{"model_type", "llama"},       {"hidden_size", 64},
                         {"intermediate_size", 128},    {"num_hidden_layers", 2},
                         {"num_attention_heads", 4},    {"num_key_value_heads", 2},
                         {"vocab_size", vocab},         {"max_position_embeddings", 512},
                         {"tie_word_embeddings", true}, {"initializer_range", 0.5}};
    writeFileAtomic(joinPath(dir, "config.json"), config.dump(2));
    auto m = model::randomCausalLM(model::parseModelConfig(config, "config.json"), seed);
    NamedTensors tensors;
    for (const auto& item : m->named_parameters())
        if (item.key() != "lm_head.weight")
            tensors.emplace_back(item.key(), item.value().detach());
    saveTensors(joinPath(dir, "model.safetensors"), tensors);
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
        writeFileAtomic(joinPath(dir, f), readFile(joinPath(tokDir, f)));
}

// A GPT-2 shaped model folder that predicts `forcedToken` after any input (final norm gives
// all-ones hidden states, the untied head scores only that token), with the tokenizer
// fixture's files; tokenizer_config.json's eos_token replaced by `eosToken` when given.
inline void writeForcingModel(const std::string& dir, const std::string& tokenizer, std::int32_t forcedToken,
                              const std::string& eosToken = "") {
    const std::string tokDir = tokenizerFixture(tokenizer);
    const Json config = {{"model_type", "gpt2"},
                         {"n_layer", 1},
                         {"n_embd", 16},
                         {"n_head", 2},
                         {"n_positions", 64},
                         {"vocab_size", tokenizerVocab(tokDir)},
                         {"tie_word_embeddings", false}};
    writeFileAtomic(joinPath(dir, "config.json"), config.dump(2));
    auto m = model::randomCausalLM(model::parseModelConfig(config, "config.json"), 1);
    NamedTensors tensors;
    for (const auto& item : m->named_parameters()) {
        auto t = item.value().detach().clone();
        if (item.key() == "transformer.ln_f.weight")
            t.zero_();
        else if (item.key() == "transformer.ln_f.bias")
            t.fill_(1.0);
        else if (item.key() == "lm_head.weight")
            t.zero_()[forcedToken].fill_(1.0);
        tensors.emplace_back(item.key(), t);
    }
    saveTensors(joinPath(dir, "model.safetensors"), tensors);
    writeFileAtomic(joinPath(dir, "tokenizer.json"), readFile(joinPath(tokDir, "tokenizer.json")));
    Json tc = parseJsonFile(joinPath(tokDir, "tokenizer_config.json"));
    if (!eosToken.empty())
        tc["eos_token"] = eosToken;
    writeFileAtomic(joinPath(dir, "tokenizer_config.json"), tc.dump(2));
}

} // namespace ps::test
