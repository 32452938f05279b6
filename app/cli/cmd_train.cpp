// train CONFIG.yaml [--set key=value ...]  and  resume RUN_DIR
#include "cli_args.h"
#include "commands.h"
#include "console_observer.h"

#include "ps/error.h"
#include "ps/run_config.h"
#include "ps/trainer.h"

#include <iostream>

namespace ps::cli {
namespace {

int runTrain(const Args& args) {
    CliArgs a(args, {"set"}, {}, {"set"});
    if (a.positionals().size() > 1)
        throw Error("usage: peft-studio-cli train [CONFIG.yaml] [--set key=value ...]");
    RunConfig config;
    if (a.positionals().empty()) {
        // "Copy as CLI command" gives every key as --set, without a file.
        for (const auto& s : a.values("set"))
            applyRunConfigOverride(config, s);
    } else {
        config = loadRunConfig(a.positionals()[0], a.values("set"));
    }
    ConsoleObserver observer;
    StopToken stop;
    StopOnSignal signals(stop);
    Trainer trainer;
    return reportRunEnd(trainer.run(config, observer, stop));
}

int runResume(const Args& args) {
    CliArgs a(args, {}, {});
    if (a.positionals().size() != 1)
        throw Error("usage: peft-studio-cli resume RUN_DIR");
    ConsoleObserver observer;
    StopToken stop;
    StopOnSignal signals(stop);
    Trainer trainer;
    return reportRunEnd(trainer.resume(a.positionals()[0], observer, stop));
}

const CommandRegistration regTrain{
    {"train", "train [CONFIG.yaml] [--set key=value ...]",
     "Fine-tune a model as CONFIG.yaml says (LLaMA-Factory / TrainingArguments key names); prints the run folder.",
     &runTrain}};
const CommandRegistration regResume{
    {"resume", "resume RUN_DIR", "Continue a stopped, paused or failed run from its latest checkpoint.", &runResume}};

} // namespace
} // namespace ps::cli
