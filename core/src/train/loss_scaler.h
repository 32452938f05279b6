#pragma once
// Dynamic loss scaling for float16 training on CUDA, as torch.cuda.amp.GradScaler with its
// defaults: the loss is multiplied by `scale` before backward so that small float16 gradients do
// not flush to zero; the gradients are divided by it again before clipping. A step whose
// gradients overflowed (inf / NaN) is skipped and the scale halved; after `growthInterval`
// finite steps in a row the scale doubles. Disabled, it is the identity (scale 1, never skips).
// The scale is not checkpointed: a resumed float16 run starts again at the initial scale and
// finds its level within a few steps (the exact-resume guarantee is for CPU float32).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace ps::train {

class LossScaler final {
public:
    explicit LossScaler(bool enabled, double initialScale = 65536.0, std::int64_t growthInterval = 2000);

    bool enabled() const { return enabled_; }
    double scale() const { return enabled_ ? scale_ : 1.0; }
    // Divides every gradient by the scale; returns false when any gradient is not finite (then
    // the optimizer step must be skipped). Always true when disabled.
    bool unscale(const std::vector<torch::Tensor>& params);
    // Records the outcome of a step: halves on overflow, doubles after growthInterval good steps.
    void update(bool finite);
    std::int64_t skippedSteps() const { return skipped_; }

private:
    bool enabled_;
    double scale_;
    std::int64_t growthInterval_;
    std::int64_t goodSteps_ = 0;
    std::int64_t skipped_ = 0;
};

} // namespace ps::train
