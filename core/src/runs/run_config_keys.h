#pragma once
// The binding of each config key to its RunConfig member (internal to runs/).
#include "ps/run_config.h"

#include <variant>

namespace ps::runs {

using MemberPtr =
    std::variant<std::string RunConfig::*, std::int64_t RunConfig::*, double RunConfig::*, bool RunConfig::*>;

struct KeyBinding {
    RunConfigKey key;
    MemberPtr member;
};

const std::vector<KeyBinding>& keyBindings();
const KeyBinding* findKeyBinding(const std::string& name);

// "unknown key 'x' (did you mean 'y'?)" / "unknown key 'x'".
std::string unknownKeyMessage(const std::string& name);

} // namespace ps::runs
