#include "train/memory_check.h"

#include "ps/adapter.h"
#include "ps/error.h"
#include "ps/human_format.h"
#include "ps/memory_estimate.h"
#include "ps/model_info.h"
#include "ps/run_method.h"
#include "ps/system_info.h"

#include <algorithm>

namespace ps::train {

// Refuses a CPU run whose estimated peak (ps/memory_estimate.h: weights, trained parameters with
// their optimizer state, activations, head, runtime) does not fit in the memory the system can
// still give, from config.json and the safetensors headers only: a clear error before loading
// beats the kernel's OOM killer half-way through. The runtime part is already resident here.
void checkMemoryBeforeLoading(const std::string& modelDir, const RunConfig& config) {
    const std::uint64_t available = availableMemoryBytes();
    if (available == 0)
        return; // unknown on this system: nothing to compare with
    const ModelInfo info = inspectModel(modelDir);
    const auto count = countTrainableParameters(modelDir, adapterSpecForRun(config));
    const TrainingMemoryEstimate e = estimateTrainingMemory(info, config, count.trainable);
    const std::uint64_t resident = std::min(currentRssBytes(), e.runtimeBytes);
    const std::uint64_t needed = e.totalBytes > resident ? e.totalBytes - resident : 0;
    if (needed <= available)
        return;
    throw Error("model " + modelDir + " needs about " + formatByteSize(e.totalBytes) + " to train (weights " +
                formatByteSize(e.weightsBytes) + ", trained parameters with optimizer state " +
                formatByteSize(e.trainableBytes) + ", activations " + formatByteSize(e.activationBytes + e.headBytes) +
                ") but only " + formatByteSize(available) +
                " of memory is available: refused before loading. Lower per_device_train_batch_size or "
                "cutoff_len, turn on gradient_checkpointing or bf16, use a smaller model, or close other programs "
                "(PEFT_STUDIO_AVAILABLE_MEMORY=<bytes> overrides the available figure)");
}

} // namespace ps::train
