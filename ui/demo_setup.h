#pragma once
// The built-in demo for the studio (`peft-studio --demo`, tests): the demo model and data, and
// the demo run configuration (ps/demo.h). The model is the one `peft-studio-cli demo` uses
// (ps::ensureDemoModel): created in the user's data folder on first use and briefly pre-trained
// on the bundled corpus (about half a minute on 2 cores), so GUI and CLI share one demo model.
#include "ps/run_config.h"

#include <QString>

#include <cstdint>

namespace ps::ui {

struct DemoSetup {
    QString modelDir; // a model folder with config.json
    QString dataset;  // the bundled instruction data
    QString error;    // what is missing, when the demo cannot be set up
    bool ok() const { return error.isEmpty(); }
};

// The pre-training steps of a first-use demo model (what `peft-studio-cli demo` does).
constexpr std::int64_t kDemoPretrainSteps = 80;

// Finds the demo data and the demo model; `modelDir` stays empty when the model does not exist
// yet (then prepareDemo() creates it). Fast: safe on the GUI thread.
DemoSetup findDemo();

// Finds the demo data and finds or creates the demo model (pre-trained `pretrainSteps` steps;
// 0: random weights, for tests that do not care about the loss). Creating it takes about half a
// minute: call this from a worker thread.
DemoSetup prepareDemo(std::int64_t pretrainSteps = kDemoPretrainSteps);

// The demo run configuration for `setup` (ps::demoRunConfig).
ps::RunConfig demoConfig(const DemoSetup& setup);

} // namespace ps::ui
