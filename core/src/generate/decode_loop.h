#pragma once
// The token loop of generation: prefill the prompt, then one forward pass per new token, with
// the key/value cache (each step feeds only the new token) or by recomputing the whole sequence
// (the reference). Text, stop strings and streaming live above it (generator.cpp).
// Internal header: includes torch.
#include "adapters/peft_model.h"
#include "model/causal_lm.h"
#include "ps/generate.h"

#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <vector>

namespace ps::gen {

// What computes next-token logits: a base model, or a PEFT model on top of it (every method:
// layer adapters act inside the projections, prompt tuning prepends its virtual tokens on the
// first pass, prefix tuning pre-fills the cache with its key/values).
class LogitsSource final {
public:
    explicit LogitsSource(model::CausalLM model, adapters::PeftModel* peft = nullptr);

    // Logits [V] (float32, CPU) of the token after `ids` [1, T] (int64, any device). With a
    // cache, `ids` are the tokens not yet in it; without one, the whole sequence.
    torch::Tensor next(const torch::Tensor& ids, model::KVCache* cache);

    // Positions taken by virtual tokens (prompt and prefix tuning) before the real ones.
    std::int64_t virtualTokens() const { return virtualTokens_; }
    // The most positions the model can embed (learned position embeddings: GPT-2's n_positions);
    // 0 = no fixed limit (rotary positions).
    std::int64_t positionLimit() const { return positionLimit_; }
    std::int64_t vocabSize() const { return model_->config().vocabSize; }
    torch::Device device() { return model_->embeddingWeight().device(); }
    model::CausalLM& model() { return model_; }

private:
    model::CausalLM model_;
    adapters::PeftModel* peft_;
    std::int64_t virtualTokens_ = 0;
    std::int64_t positionLimit_ = 0;
};

struct DecodeSettings {
    std::int64_t maxNewTokens = 128;
    SamplingOptions sampling;
    std::vector<std::int32_t> eosIds;       // end with GenerationStop::Eos
    std::vector<std::int32_t> endOfTurnIds; // end with GenerationStop::EndOfTurn
    bool useKvCache = true;
    const std::atomic<bool>* cancel = nullptr; // checked after every token
    // Tests: receives the raw next-token logits [V] of every step, before sampling.
    std::vector<torch::Tensor>* recordLogits = nullptr;
};

// Called once per new token; `last` is true when the loop ends after it anyway (stop id, token
// limit, context full, cancelled). Return true to end generation here (a stop string).
using TokenSink = std::function<bool(std::int32_t id, bool last)>;

struct DecodeOutcome {
    std::vector<std::int32_t> ids;                      // new tokens
    GenerationStop stop = GenerationStop::MaxNewTokens; // StopString when the sink ended it
    double prefillSeconds = 0.0;
    double decodeSeconds = 0.0;
};

// Generates after `prompt` (non-empty ids below the vocabulary size). Runs under NoGradGuard.
DecodeOutcome decodeTokens(LogitsSource& source, const std::vector<std::int32_t>& prompt,
                           const DecodeSettings& settings, const TokenSink& sink = {});

} // namespace ps::gen
