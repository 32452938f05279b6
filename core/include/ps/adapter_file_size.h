#pragma once
// What saving a PEFT method's result will write, known before training from config.json and the
// safetensors headers alone: the Method page's "adapter file size". Torch-free.
#include "ps/adapter.h"
#include "ps/safetensors.h"

#include <cstdint>
#include <string>

namespace ps {

struct AdapterFileEstimate {
    // "adapter_model.safetensors", or "model.safetensors" for full fine-tuning (which writes a
    // whole model folder; above 2 GB it is split into shards of the same total size).
    std::string fileName;
    std::uint64_t bytes = 0; // exact size of that file, header included
    std::int64_t numTensors = 0;
    std::int64_t numParameters = 0; // values stored in it
};

// The file that saving `spec` trained on the model in MODEL_DIR writes, with its tensors stored
// in `dtype` (trained weights are float32). Throws ps::Error when the spec cannot apply, as
// countTrainableParameters() does.
AdapterFileEstimate estimateAdapterFile(const std::string& modelDir, const AdapterSpec& spec, DType dtype = DType::F32);

} // namespace ps
