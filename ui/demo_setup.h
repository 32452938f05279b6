#pragma once
// The built-in demo for the studio (`peft-studio --demo`, tests): the demo model and data, and
// the demo run configuration (ps/demo.h). The model is bundled with installed builds; elsewhere
// it is created the first time, as `peft-studio-cli demo` does (~30 MB of random weights in
// the user's data folder, well under a second).
#include "ps/run_config.h"

#include <QString>

namespace ps::ui {

struct DemoSetup {
    QString modelDir; // a model folder with config.json
    QString dataset;  // the bundled instruction data
    QString error;    // what is missing, when the demo cannot be set up
    bool ok() const { return error.isEmpty(); }
};

// Finds (or creates) the demo model and finds the demo data.
DemoSetup prepareDemo();

// The demo run configuration for `setup` (ps::demoRunConfig).
ps::RunConfig demoConfig(const DemoSetup& setup);

} // namespace ps::ui
