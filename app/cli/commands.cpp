#include "commands.h"

#include <algorithm>

namespace ps::cli {

std::vector<Command>& registry() {
    static std::vector<Command> commands;
    return commands;
}

CommandRegistration::CommandRegistration(const Command& command) { registry().push_back(command); }

const std::vector<Command>& allCommands() {
    auto& commands = registry();
    std::sort(commands.begin(), commands.end(),
              [](const Command& a, const Command& b) { return std::string(a.name) < b.name; });
    return commands;
}

} // namespace ps::cli
