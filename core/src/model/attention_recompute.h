#pragma once
// Scaled dot-product attention for training that keeps only q, k, v (and, with attention
// dropout, a one-byte keep mask) for backward, and recomputes the [B, heads, T, S] scores and
// softmax there — the score-matrix memory that plain autograd keeps per layer (the softmax
// output, and with dropout also its float mask and the dropped probabilities) is gone for the
// price of one extra q k^T matmul per layer in backward (~2 % of a step's FLOPs). The idea of
// FlashAttention's backward, without the tiling. Internal header: includes torch.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

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
//
// Masked keys skipped: with a mask that broadcasts over heads ([B|1, 1, T, S]), each block of each
// batch row leaves out the longest run of at least `minSkippedKeys` keys that none of its queries
// sees — in packed rows (a block-diagonal bias) the keys of the earlier sequences, in right-padded
// rows the padding — computing its products over the key ranges before and after the run. The
// same numbers, as masked scores contribute exactly zero; not for a block with a query that sees no
// key at all (softmaxed over every key, model/attention.h). 0 (or PS_SKIP_MASKED_KEYS=0, or
// setSkipMaskedKeys(false) for benchmarks): off.
torch::Tensor attendRecompute(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& mask, double divisor, double dropout, std::int64_t blockRows = 0,
                              std::int64_t minSkippedKeys = 32);

void setSkipMaskedKeys(bool on);

// Mask, softmax and dropout of each block as row kernels on the CPU (model/attention_rows.h; on
// where the CPU has AVX2 + FMA), or LibTorch's operators (off: PS_ATTENTION_ROW_KERNELS=0, or this
// switch, for tests and benchmarks).
void setAttentionRowKernels(bool on);

// Key columns [from, from + len).
struct KeyRange {
    std::int64_t from = 0, len = 0;
    bool operator==(const KeyRange& o) const { return from == o.from && len == o.len; }
};
// The ranges of `visible` (one flag per key column) around its longest run of unseen columns when
// that run is at least `minSkipped` long (and not every column); otherwise the whole [0, n).
std::vector<KeyRange> visibleKeyRanges(const std::vector<char>& visible, std::int64_t minSkipped);

// The block size attend() uses for T causal queries: causalBlockRowsFor(T) (model/attention_blocks.h),
// or 0 with PS_CAUSAL_BLOCKS=0 in the environment (for comparisons).
std::int64_t causalBlockRows(std::int64_t T);

} // namespace ps::model
