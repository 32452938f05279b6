// The config diff shared by `runs compare` and the Runs page.
#include "ps/run_compare.h"

#include <algorithm>

namespace ps {

std::vector<ConfigDifference> differingConfigKeys(const std::vector<RunConfig>& configs) {
    std::vector<ConfigDifference> diff;
    if (configs.size() < 2)
        return diff;
    for (const auto& k : runConfigKeys()) {
        if (k.name == "run_name") // always differs; the runs are named in the header
            continue;
        ConfigDifference d{k.name, {}};
        for (const auto& c : configs)
            d.values.push_back(runConfigValue(c, k.name));
        if (std::any_of(d.values.begin(), d.values.end(), [&](const std::string& v) { return v != d.values.front(); }))
            diff.push_back(std::move(d));
    }
    return diff;
}

} // namespace ps
