#pragma once
// peft-studio's command-line options.
#include "studio_pages.h"

#include <QString>

#include <optional>

class QCoreApplication;

namespace ps::ui {

struct StartupOptions {
    QString modelDir;               // --model DIR: open this model folder
    QString configFile;             // CONFIG.yaml (positional): a run config to open, as `train` takes
    std::optional<StudioPage> page; // --page NAME
    QString screenshotFile;         // --screenshot FILE: save a PNG of the window when idle, then exit 0
    QString settingsFile;           // --settings FILE: an INI file instead of the user's settings
    bool demo = false;              // --demo: open the demo model and fill the run settings with the demo's
    bool autorun = false;           // --autorun: start training at once (with --demo)
    long long maxSteps = 0;         // --max-steps N (> 0): max_steps of the run settings
    bool compareAll = false;        // --compare-all: select every run on the Runs page (its comparison shows them all)
    bool quitWhenDone = false;      // --quit-when-done: exit once pending work (training too) has finished;
                                    // the exit code is non-zero when the run failed
    QString adapter;                // --adapter DIR: a run or adapter folder for the Playground and Export pages
    QString baseDir;                // --base DIR: their base model folder (default: the run's model)
    QString prompt;                 // --prompt TEXT: the Playground's prompt
    bool generate = false;          // --generate: generate in the Playground at once (both sides)
    bool chat = false;              // --chat: the Playground in chat mode (--prompt is the first message)
    QString error;                  // set when the command line is wrong
};

// Handles --help and --version itself (prints and exits, as QCommandLineParser::process does).
StartupOptions parseStartupOptions(const QCoreApplication& app);

} // namespace ps::ui
