#pragma once
// Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_ (internal: torch).
#include <torch/torch.h>

#include <vector>

namespace ps::train {

// total = ||(||g_1||, ..., ||g_n||)||_2 over the parameters that have a gradient. With
// maxNorm > 0 every gradient is multiplied by min(1, maxNorm / (total + 1e-6)), computed in the
// gradients' dtype exactly as torch does (a non-finite total therefore makes them non-finite or
// zero: callers check the returned norm and skip the step). Returns total (0 when no gradient).
double clipGradNorm(const std::vector<torch::Tensor>& params, double maxNorm);

} // namespace ps::train
