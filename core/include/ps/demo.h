#pragma once
// The built-in demo: the run configuration that `peft-studio-cli demo` and the GUI's --demo use.
#include "ps/run_config.h"

#include <string>

namespace ps {

// LoRA r=8 on all linear layers of the demo model, packed 256-token sequences, the Alpaca
// template (the demo tokenizer is GPT-2's, which has no chat template), a 10 % validation
// split evaluated every 20 steps, 120 steps: under 2 minutes on 2 cores.
RunConfig demoRunConfig(const std::string& modelDir, const std::string& datasetPath);

} // namespace ps
