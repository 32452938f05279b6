#pragma once
// The check that refuses a training run which cannot fit in memory, before any weight is loaded.
#include "ps/run_config.h"

#include <string>

namespace ps::train {

// Throws ps::Error with the estimate (weights, trained parameters, activations) and the memory
// available when the estimated peak of training MODEL_DIR as CONFIG says exceeds
// availableMemoryBytes() (ps/system_info.h). Reads config.json and the safetensors headers only.
// For CPU training; does nothing when the available memory is unknown.
void checkMemoryBeforeLoading(const std::string& modelDir, const RunConfig& config);

} // namespace ps::train
