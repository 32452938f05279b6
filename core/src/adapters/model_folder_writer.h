#pragma once
// Writes a standalone Hugging Face model folder — config.json, safetensors weights (sharded with
// model.safetensors.index.json above a size, as transformers' save_pretrained does), tokenizer
// files and generation_config.json copied — into a temporary folder renamed into place at the
// end, so a failed export never leaves a half-written model where the user expects one.
#include "ps/adapter.h"
#include "util/json_util.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace ps::adapters {

struct ModelFolderContent {
    std::vector<std::pair<std::string, torch::Tensor>> tensors; // state-dict keys, in order
    Json config;                                                // config.json
    std::vector<std::string> copyFrom; // folders to take tokenizer / generation files from (first wins)
    torch::Dtype dtype = torch::kFloat32;
    std::uint64_t maxShardBytes = 2'000'000'000ull;
};

MergedExportReport writeModelFolder(const ModelFolderContent& content, const std::string& outDir, bool overwrite);

// "float32", "bfloat16", "float16" (config.json torch_dtype).
std::string torchDtypeName(torch::Dtype dtype);

// The files copied next to the weights.
const std::vector<std::string>& modelSideFiles();

} // namespace ps::adapters
