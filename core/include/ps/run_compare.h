#pragma once
// Comparing the settings of several runs (torch-free): what `peft-studio-cli runs compare` prints
// and what the studio's Runs page shows as its config diff, so that both agree on "what differs".
#include "ps/run_config.h"

#include <string>
#include <vector>

namespace ps {

struct ConfigDifference {
    std::string key;                 // "learning_rate"
    std::vector<std::string> values; // runConfigValue() of each config, in the order given
};

// The keys (in runConfigKeys() order) whose values are not all equal across `configs`.
// run_name is left out: it always differs and the runs are named elsewhere. Fewer than two
// configs have no differences.
std::vector<ConfigDifference> differingConfigKeys(const std::vector<RunConfig>& configs);

} // namespace ps
