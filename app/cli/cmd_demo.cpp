// demo  and  init-model --preset NAME --tokenizer DIR --out DIR
#include "cli_args.h"
#include "commands.h"
#include "console_observer.h"

#include "ps/error.h"
#include "ps/demo.h"
#include "ps/model_presets.h"
#include "ps/resources.h"
#include "ps/run_config.h"
#include "ps/trainer.h"

#include <filesystem>
#include <iostream>

namespace ps::cli {

std::string executablePath(); // main.cpp

namespace {

namespace fs = std::filesystem;

int runInitModel(const Args& args) {
    CliArgs a(args, {"preset", "tokenizer", "out", "seed"}, {"force"});
    initModel(a.require("preset"), a.require("tokenizer"), a.require("out"),
              static_cast<std::uint64_t>(a.intValue("seed", 0)), a.flag("force"));
    std::cout << a.require("out") << std::endl;
    return 0;
}

int runDemo(const Args& args) {
    CliArgs a(args, {"output-dir", "max-steps", "set"}, {}, {"set"});
    const std::string resources = findResourcesDir(executablePath());
    if (resources.empty())
        throw Error("demo resources not found next to the executable (expected share/peft-studio/demo or resources/demo); "
                    "set PEFT_STUDIO_RESOURCES");
    const fs::path demo = fs::path(resources) / "demo";
    const fs::path modelDir = demoModelDir();
    if (!demoModelReady()) {
        std::cout << (fs::exists(modelDir / "config.json") ? "Re-creating the outdated demo model in "
                                                            : "Creating the demo model in ")
                  << modelDir.string()
                  << ": Llama architecture, 4 layers, pre-trained briefly on the bundled corpus (once)" << std::endl;
        ConsoleObserver pretrainObserver;
        ensureDemoModel(demo.string(), pretrainObserver);
    }
    RunConfig config = demoRunConfig(modelDir.string(), (demo / "instructions.jsonl").string());
    config.output_dir = a.value("output-dir").value_or(""); // empty: defaultRunsRoot(), as every run
    if (a.has("max-steps"))
        config.max_steps = a.intValue("max-steps", config.max_steps);
    for (const auto& s : a.values("set"))
        applyRunConfigOverride(config, s);
    ConsoleObserver observer;
    StopToken stop;
    StopOnSignal signals(stop);
    Trainer trainer;
    return reportRunEnd(trainer.run(config, observer, stop));
}

const CommandRegistration regDemo{
    {"demo", "demo [--output-dir DIR] [--max-steps N] [--set key=value ...]",
     "Fine-tune the bundled tiny model on the bundled instruction data with LoRA and print the run folder.", &runDemo}};
const CommandRegistration regInit{
    {"init-model", "init-model --preset demo-tiny|gpt2-124m|llama-135m --tokenizer DIR --out DIR [--seed N] [--force]",
     "Create a randomly initialised Hugging Face model folder of a preset shape with the given tokenizer.",
     &runInitModel}};

} // namespace
} // namespace ps::cli
