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

namespace ps {

class TrainerObserver;

// The run configuration of the demo model's brief pre-training: full training of the randomly
// initialised demo-tiny model on `corpusPath` (plain text the project owns), packed 128-token
// sequences, `steps` optimizer steps.
RunConfig demoPretrainConfig(const std::string& modelDir, const std::string& corpusPath, std::int64_t steps);

// <userDataDir()>/demo-model: where the demo model lives once created (the CLI and the GUI share it).
std::string demoModelDir();

// The demo model folder (demoModelDir()), created on first use: a demo-tiny model
// with the tokenizer in <demoResources>/tokenizer, briefly pre-trained on
// <demoResources>/corpus.txt so that the demo's fine-tuning starts from a model that knows the
// language's common words (about half a minute on 2 cores; skipped when pretrainSteps is 0).
// The folder appears atomically, so an interrupted first run leaves nothing half-made. `observer`
// sees the pre-training run. Throws ps::Error when the resources are incomplete.
constexpr std::int64_t kDemoPretrainSteps = 80;
std::string ensureDemoModel(const std::string& demoResources, TrainerObserver& observer,
                            std::int64_t pretrainSteps = kDemoPretrainSteps);

// True when demoModelDir() holds a demo model made by this version's recipe with at least
// `pretrainSteps` steps of pre-training (0: any demo model). A folder left by an older version
// (without the marker file peft_studio_demo.json) is not ready: ensureDemoModel replaces it.
bool demoModelReady(std::int64_t pretrainSteps = kDemoPretrainSteps);

} // namespace ps
