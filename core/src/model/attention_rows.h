#pragma once
// Row kernels of the training attention on the CPU (internal header; no torch): the additive mask,
// the softmax and the dropout of one row of scores in three passes, and the softmax backward with
// the dropout mask in two. AVX2 + FMA only (attentionRowKernelsAvailable()); elsewhere the
// attention keeps LibTorch's operators.
//
// Why: per causal block the attention ran the mask as a broadcast add_, then torch::softmax, then
// the dropout pass, and in backward the dropout pass over dP and _softmax_backward_data: five to
// six passes over the scores plus LibTorch's per-operator cost, for blocks of ~78 x 100–250
// scores. One [6, 78, 102] block: 128 us (add_ + softmax) → 60 us (benchmarks/RESULTS.md, session 12).
#include <cstdint>

namespace ps::model {

// Whether this CPU and build run the kernels below.
bool attentionRowKernelsAvailable();

// One row of n scores in place: x = softmax(x + mask) (mask may be null: none), then, with `keep`
// (may be null), x = keep ? x * keepScale : 0. A row holding NaN becomes all NaN. A masked score
// (float32 lowest added) gets exactly 0; a row whose every score is masked gets the softmax of its
// raw scores, as torch::softmax gives it.
void maskedSoftmaxRow(float* x, const float* mask, const bool* keep, float keepScale, std::int64_t n);

// One row of the softmax backward with the dropout mask, in place over dP: with g = keep ? dP *
// keepScale : 0 (g = dP without `keep`), dS = p * (g - sum_j g_j p_j). p: the probabilities before
// dropout.
void softmaxBackwardRow(const float* p, float* dP, const bool* keep, float keepScale, std::int64_t n);

} // namespace ps::model
