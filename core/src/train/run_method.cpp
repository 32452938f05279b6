#include "ps/run_method.h"

#include "train/adapter_from_config.h"

namespace ps {

AdapterSpec adapterSpecForRun(const RunConfig& config) {
    return train::adapterSpecFromRunConfig(config);
}

} // namespace ps
