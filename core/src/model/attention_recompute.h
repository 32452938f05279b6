#pragma once
// Scaled dot-product attention for training that keeps only q, k, v (and, with attention
// dropout, a one-byte keep mask) for backward, and recomputes the [B, heads, T, S] scores and
// softmax there — the score-matrix memory that plain autograd keeps per layer (the softmax
// output, and with dropout also its float mask and the dropped probabilities) is gone for the
// price of one extra q k^T matmul per layer in backward (~2 % of a step's FLOPs). The idea of
// FlashAttention's backward, without the tiling. Internal header: includes torch.
#include <torch/torch.h>

namespace ps::model {

// Same contract and numbers as attend() (attention.h): q [B, H, T, D], k/v [B, KV, S, D],
// additive float32 mask (no gradient) or undefined; returns [B, T, H * D] contiguous. On the
// CPU, dropout draws its keep mask as attend()'s does (model::dropout, fast_dropout.h), so a
// seeded run drops the same entries with either implementation; on CUDA it draws bernoulli on
// the scores' dtype (torch::dropout's fused kernel draws differently there).
torch::Tensor attendRecompute(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& mask, double divisor, double dropout);

} // namespace ps::model
