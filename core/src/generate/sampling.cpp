#include "generate/sampling.h"

#include "ps/error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ps::gen {
namespace {

constexpr float kFiltered = -std::numeric_limits<float>::infinity();

void checkRow(const torch::Tensor& logits, const char* what) {
    if (logits.dim() != 1 || logits.scalar_type() != torch::kFloat32 || !logits.device().is_cpu())
        throw Error(std::string(what) + ": expected one row of float32 CPU logits");
}

} // namespace

void validateSampling(const SamplingOptions& o) {
    if (!(o.temperature >= 0.0) || !std::isfinite(o.temperature))
        throw Error("temperature must be >= 0 (0 = greedy), got " + std::to_string(o.temperature));
    if (o.topK < 0)
        throw Error("top_k must be >= 0 (0 = off), got " + std::to_string(o.topK));
    if (!(o.topP > 0.0 && o.topP <= 1.0))
        throw Error("top_p must be in (0, 1] (1 = off), got " + std::to_string(o.topP));
    if (!(o.minP >= 0.0 && o.minP <= 1.0))
        throw Error("min_p must be in [0, 1] (0 = off), got " + std::to_string(o.minP));
    if (!(o.repetitionPenalty > 0.0) || !std::isfinite(o.repetitionPenalty))
        throw Error("repetition_penalty must be > 0 (1 = off), got " + std::to_string(o.repetitionPenalty));
}

void applyRepetitionPenalty(torch::Tensor& logits, const std::vector<std::int32_t>& history, double penalty) {
    checkRow(logits, "repetition penalty");
    if (penalty == 1.0 || history.empty())
        return;
    const auto V = logits.size(0);
    std::vector<std::int64_t> ids;
    ids.reserve(history.size());
    for (const auto id : history)
        if (id >= 0 && id < V)
            ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    auto* p = logits.data_ptr<float>();
    const auto f = static_cast<float>(penalty); // transformers multiplies in the logits' dtype
    for (const auto id : ids)
        p[id] = p[id] < 0.0f ? p[id] * f : p[id] / f;
}

void filterTopK(torch::Tensor& logits, std::int64_t k) {
    checkRow(logits, "top-k");
    if (k <= 0)
        return;
    k = std::min(k, logits.size(0));
    const auto kth = std::get<0>(logits.topk(k)).select(0, k - 1);
    logits.masked_fill_(logits < kth, kFiltered);
}

void filterTopP(torch::Tensor& logits, double topP) {
    checkRow(logits, "top-p");
    if (topP >= 1.0)
        return;
    const auto sorted = logits.sort(0, /*descending=*/false);
    const auto& values = std::get<0>(sorted);
    const auto& order = std::get<1>(sorted);
    auto removeSorted = values.softmax(0).cumsum(0) <= static_cast<float>(1.0 - topP);
    removeSorted.select(0, removeSorted.size(0) - 1).fill_(false); // the most likely token stays
    const auto remove = torch::zeros_like(removeSorted).scatter(0, order, removeSorted);
    logits.masked_fill_(remove, kFiltered);
}

void filterMinP(torch::Tensor& logits, double minP) {
    checkRow(logits, "min-p");
    if (minP <= 0.0)
        return;
    const auto probs = logits.softmax(0);
    // The top token has probability max >= min_p * max, so at least one token always stays.
    logits.masked_fill_(probs < probs.max() * static_cast<float>(minP), kFiltered);
}

torch::Tensor processLogits(const torch::Tensor& logits, const std::vector<std::int32_t>& history,
                            const SamplingOptions& o) {
    auto out = logits.detach().to(torch::kCPU, torch::kFloat32).flatten().clone();
    applyRepetitionPenalty(out, history, o.repetitionPenalty);
    if (o.greedy())
        return out;
    if (o.temperature != 1.0)
        out.div_(static_cast<float>(o.temperature));
    filterTopK(out, o.topK);
    filterTopP(out, o.topP);
    filterMinP(out, o.minP);
    return out;
}

TokenSampler::TokenSampler(const SamplingOptions& options) : options_(options), rng_(options.seed) {
    validateSampling(options);
}

double TokenSampler::uniform() {
    return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

std::int32_t TokenSampler::next(const torch::Tensor& logits, const std::vector<std::int32_t>& history) {
    const auto processed = processLogits(logits, history, options_);
    if (options_.greedy())
        return static_cast<std::int32_t>(processed.argmax().item<std::int64_t>());
    const auto probs = processed.to(torch::kFloat64).softmax(0).contiguous();
    if (!std::isfinite(probs[0].item<double>()))
        throw Error("sampling: the logits hold NaN or every token was filtered");
    const double* p = probs.data_ptr<double>();
    const auto V = probs.size(0);
    double total = 0.0;
    for (std::int64_t i = 0; i < V; ++i)
        total += p[i];
    // Inverse CDF: the first token whose cumulative probability passes the draw.
    const double target = uniform() * total;
    double cumulative = 0.0;
    std::int64_t last = -1;
    for (std::int64_t i = 0; i < V; ++i) {
        if (p[i] <= 0.0)
            continue;
        cumulative += p[i];
        last = i;
        if (cumulative > target)
            return static_cast<std::int32_t>(i);
    }
    if (last < 0)
        throw Error("sampling: every token was filtered");
    return static_cast<std::int32_t>(last); // rounding left the draw just past the end
}

} // namespace ps::gen
