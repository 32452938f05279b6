#pragma once
// RunConfig (LLaMA-Factory-style keys) -> AdapterSpec (peft's options). Torch-free.
#include "ps/adapter.h"
#include "ps/run_config.h"

namespace ps::train {

// finetuning_type lora|dora|rslora|ia3|loha|lokr|prompt|prefix|full; lora_target "all" means
// every linear layer but the head (IA3: the model_type's default targets, which carry the
// feed-forward split), a string with regex characters is a full-match regex, anything else a
// comma-separated list of module names.
AdapterSpec adapterSpecFromRunConfig(const RunConfig& config);

} // namespace ps::train
