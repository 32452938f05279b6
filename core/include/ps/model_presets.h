#pragma once
// Model shapes the project can create from scratch (randomly initialised, transformers' init),
// for the demo and the benchmarks. Torch-free.
#include <cstdint>
#include <string>
#include <vector>

namespace ps {

struct ModelPreset {
    std::string name;        // "demo-tiny", "gpt2-124m", "llama-135m"
    std::string description;
};

const std::vector<ModelPreset>& modelPresets();

// config.json for a preset; vocabSize 0 keeps the preset's own vocabulary size.
std::string modelPresetConfigJson(const std::string& preset, std::int64_t vocabSize = 0, std::int64_t bosId = -1,
                                  std::int64_t eosId = -1);

// Writes a HF model folder OUT_DIR: config.json (vocabulary and bos/eos ids taken from the
// tokenizer in TOKENIZER_DIR), random weights (model.safetensors), the tokenizer files and a
// generation_config.json. Throws ps::Error for an unknown preset or an existing OUT_DIR
// (unless overwrite).
void initModel(const std::string& preset, const std::string& tokenizerDir, const std::string& outDir,
               std::uint64_t seed = 0, bool overwrite = false);

} // namespace ps
