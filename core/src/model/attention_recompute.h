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
//
// Causal blocking: with `blockRows` > 0 the caller promises that query i sees no key after
// S - T + i and that every query sees at least one key (AttentionMasks::causal). The queries are
// then taken `blockRows` at a time, each block against the keys up to its last query only: the
// score products and softmax skip most of the masked upper triangle (T = 256 in 4 blocks: 10/16
// of the work) and give the same numbers, as masked scores contribute exactly zero.
torch::Tensor attendRecompute(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& mask, double divisor, double dropout, std::int64_t blockRows = 0);

// The block size attend() uses for T causal queries: causalBlockRowsFor(T) (model/attention_blocks.h),
// or 0 with PS_CAUSAL_BLOCKS=0 in the environment (for comparisons).
std::int64_t causalBlockRows(std::int64_t T);

} // namespace ps::model
