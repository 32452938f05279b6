#pragma once
// The PEFT method a run trains, as peft's options: what the trainer injects for a RunConfig
// (finetuning_type, lora_rank, lora_alpha, lora_dropout, lora_target, num_virtual_tokens). With
// countTrainableParameters() and estimateAdapterFile() (ps/adapter.h, ps/adapter_file_size.h) it
// tells what a run will train before it starts. Torch-free.
#include "ps/adapter.h"
#include "ps/run_config.h"

namespace ps {

// lora_target "all" means every linear layer but the head (IA3: the model_type's default
// targets), a string with regex characters a full-match regex, anything else a comma list of
// module names. Throws ps::Error for an unknown finetuning_type.
AdapterSpec adapterSpecForRun(const RunConfig& config);

} // namespace ps
