#pragma once
// The head's softmax cross-entropy over rows of float32 logits, fused into one kernel per row
// (internal header; no torch).
//
// Why: the fused head loss (head_loss.h) turned each chunk of logits ([~600, 50 257] float32 for
// a GPT-2 micro-batch of instruction data) into the loss and its gradient with six LibTorch
// operations (gather, amax, sub_, exp_, sum, div_ + scatter_add_), each a pass over 120 MB on
// LibTorch's one intra-op thread: ~70 ms per micro-batch, ~2.5 % of a step (benchmarks/RESULTS.md,
// session 11). Here a row is three passes — the maximum, exp(x - max) with its sum, the scaling —
// with the AVX2 exp of model/vector_exp.h where the CPU has it, and the rows are shared out
// between the free cores (system::runRangeParts).
#include <cstdint>

namespace ps::train {

// For rows [first, first + count) of `logits` (row i starts at logits + i * stride; `vocab`
// values): loss[i - first] = log(sum_j exp(x_j)) - x_target[i] (in double), and with `gradient`
// the row is replaced in place by softmax(x) minus one at its target — the gradient of the loss
// by the logits. A row holding NaN or an infinity gets a NaN loss (and NaN gradient), so the
// trainer's non-finite-loss check stops the run. Targets must lie in [0, vocab).
void softmaxCrossEntropyRows(float* logits, std::int64_t first, std::int64_t count, std::int64_t vocab,
                             std::int64_t stride, const std::int64_t* targets, bool gradient, double* loss);

// The same with double-precision std::exp, element by element: the tests' reference, and the path
// of CPUs without AVX2 + FMA.
void softmaxCrossEntropyRowsReference(float* logits, std::int64_t first, std::int64_t count, std::int64_t vocab,
                                      std::int64_t stride, const std::int64_t* targets, bool gradient, double* loss);

} // namespace ps::train
