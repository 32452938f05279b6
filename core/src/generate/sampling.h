#pragma once
// Logits processing and token drawing, as transformers' generate() does it: repetition penalty
// -> temperature -> top-k -> top-p -> min-p, then argmax (greedy) or one draw from the softmax.
// Every function works on one row of float32 CPU logits [V]; filtered tokens get -inf.
// Internal header: includes torch.
#include "ps/generate.h"

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

namespace ps::gen {

// Throws ps::Error naming the option that is out of range.
void validateSampling(const SamplingOptions& options);

// transformers' RepetitionPenaltyLogitsProcessor: for every distinct id of `history`, a logit
// l becomes l / penalty when l > 0 and l * penalty otherwise. In place.
void applyRepetitionPenalty(torch::Tensor& logits, const std::vector<std::int32_t>& history, double penalty);
// TopKLogitsWarper: keeps the tokens whose logit is >= the k-th largest (k clamped to [1, V]).
void filterTopK(torch::Tensor& logits, std::int64_t k);
// TopPLogitsWarper: sorts ascending, removes tokens while the cumulative probability stays
// <= 1 - top_p; the most likely token is always kept.
void filterTopP(torch::Tensor& logits, double topP);
// MinPLogitsWarper: removes tokens with probability < min_p x the largest probability.
void filterMinP(torch::Tensor& logits, double minP);

// The whole chain for sampling (temperature > 0): the processed logits whose softmax is drawn
// from. For greedy only the repetition penalty applies. Returns a new tensor.
torch::Tensor processLogits(const torch::Tensor& logits, const std::vector<std::int32_t>& history,
                            const SamplingOptions& options);

// Draws tokens with its own generator (std::mt19937_64 seeded with options.seed), so a seed
// gives the same tokens on every platform and device.
class TokenSampler final {
public:
    explicit TokenSampler(const SamplingOptions& options);
    // `logits`: the model's next-token logits [V] (any dtype/device); `history`: prompt + output.
    std::int32_t next(const torch::Tensor& logits, const std::vector<std::int32_t>& history);
    // A uniform draw in [0, 1) from 53 random bits (what next() uses).
    double uniform();

private:
    SamplingOptions options_;
    std::mt19937_64 rng_;
};

} // namespace ps::gen
