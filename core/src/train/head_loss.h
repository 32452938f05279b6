#pragma once
// Cross-entropy of the output head, computed only where there is a label and in chunks
// (internal: torch). Never materialises a [tokens, vocab] float tensor for the whole batch:
// the fused path keeps no logits for backward at all — it computes each chunk's gradient in
// forward, while the chunk's logits exist (the "fused linear cross-entropy" technique), and
// backward only scales it: memory is O(chunk x vocab), and the head product runs once per step.
#include <torch/torch.h>

#include <functional>

namespace ps::train {

// Rows of logits computed at once: [1 024, 50 257] float32 is 196 MiB for GPT-2's vocabulary.
// Fewer rows per chunk save memory but stream the [V, H] head weight (154 MB for GPT-2) through
// memory twice per chunk: 3 chunks of ~200 rows instead of one of ~600 made instruction-data
// training ~5 % slower end to end (benchmarks/RESULTS.md, session 11).
constexpr std::int64_t kHeadChunkRows = 1024;

// Sum over rows of -log softmax(hidden W^T + b)[target]. hidden [N, H], weight [V, H],
// bias [V] or undefined, targets [N] int64. Gradients flow to hidden, and to weight / bias
// when they require grad. Logits are computed in float32 whatever the weight dtype.
torch::Tensor fusedHeadCrossEntropySum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                       const torch::Tensor& bias, const torch::Tensor& targets,
                                       std::int64_t chunkRows = kHeadChunkRows);

// The same through any head function (an adapted head, e.g. LoRA or a trained copy on
// lm_head): chunked, with ordinary autograd (each chunk's logits are kept for backward).
torch::Tensor chunkedHeadCrossEntropySum(const std::function<torch::Tensor(const torch::Tensor&)>& head,
                                         const torch::Tensor& hidden, const torch::Tensor& targets,
                                         std::int64_t chunkRows = kHeadChunkRows);

// The positions that predict a label, for model::ForwardInput::outputRows. From labels [B, T] (HF
// convention: labels[t] is predicted by position t-1; -100 = no loss) returns {positions [N] into
// the flattened [B, prepended + T] input (b * (prepended + T) + prepended + t - 1), targets [N]},
// row-major; `prepended` counts the rows prompt tuning puts before each row's tokens.
struct LabelledPositions {
    torch::Tensor positions, targets;
};
LabelledPositions labelledPositions(const torch::Tensor& labels, std::int64_t prepended = 0);

} // namespace ps::train
