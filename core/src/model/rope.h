#pragma once
// Rotary position embeddings of the llama family, as transformers computes them
// (modeling_rope_utils: _compute_default / _linear_scaling / _dynamic_ntk / _llama3 parameters).
// Internal header: includes torch.
#include "model/model_config.h"

#include <torch/torch.h>

namespace ps::model {

// Unscaled inverse frequencies 1 / base^(2i/dim), i = 0 .. dim/2-1, float32 [dim/2].
torch::Tensor ropeDefaultInvFreq(double base, std::int64_t dim);

// The config's inverse frequencies (float32 [rotaryDim/2]) for a sequence whose largest
// position is seqLen - 1: linear divides by factor; llama3 rescales by wavelength; dynamic
// NTK enlarges the base once seqLen exceeds max_position_embeddings.
torch::Tensor ropeInvFreq(const ModelConfig& config, std::int64_t seqLen);

// cos/sin tables [B, 1, T, rotaryDim] in `dtype` for position ids [B, T] (computed in float32).
struct RopeTables {
    torch::Tensor cos;
    torch::Tensor sin;
};
RopeTables ropeTables(const torch::Tensor& invFreq, const torch::Tensor& positionIds, torch::Dtype dtype);

// x * cos + rotate_half(x) * sin on the first rotaryDim features of x [B, heads, T, head_dim]
// (the rest passes through, for partial rotary factors).
torch::Tensor applyRope(const torch::Tensor& x, const RopeTables& tables);

} // namespace ps::model
