#pragma once
// The commands of peft-studio-cli. Each lives in its own cmd_<name>.cpp and registers itself
// (see CommandRegistration). A command returns the process exit code; a ps::Error it throws becomes
// "peft-studio-cli: error: <message>" on stderr and exit code 1.
#include <string>
#include <vector>

namespace ps::cli {

using Args = std::vector<std::string>;

struct Command {
    const char* name;
    const char* usage;   // one line: "inspect DIR [--json]"
    const char* summary; // one sentence
    int (*run)(const Args& args);
};

const std::vector<Command>& allCommands();

// Each cmd_<name>.cpp registers itself:
//   static const CommandRegistration reg{{"inspect", "inspect DIR [--json]", "...", &runInspect}};
struct CommandRegistration {
    explicit CommandRegistration(const Command& command);
};

} // namespace ps::cli
