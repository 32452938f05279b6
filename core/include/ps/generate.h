#pragma once
// Text generation with a Hugging Face model folder (optionally with a PEFT adapter of any
// method): incremental decoding with a key/value cache, greedy or sampled, streamed token by
// token. Torch-free; runs synchronously in the caller's thread and stops between tokens when
// the caller's stop flag is set. docs/GENERATION.md describes the cache, the sampling order and
// the stop rules.
//
//   Generator gen({modelDir, adapterDir});
//   GenerationOptions opt = generationDefaults(modelDir);   // generation_config.json
//   opt.sampling.temperature = 0.7; opt.maxNewTokens = 200;
//   auto r = gen.generateText("Once upon a time", opt, [](std::int32_t id, const std::string& piece) {
//       std::cout << piece << std::flush; });
//   // r.ids: the new token ids; r.text: their text; r.stop: why it ended.
#include "ps/chat_template.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ps {

class Tokenizer;

// Applied in transformers' order: repetition penalty -> temperature -> top-k -> top-p -> min-p,
// then one token is drawn. temperature 0 = greedy (argmax after the repetition penalty; the
// other filters then change nothing).
struct SamplingOptions {
    double temperature = 0.0;       // 0: greedy; > 0: sample from softmax(logits / temperature)
    std::int64_t topK = 0;          // keep the k most likely tokens (ties with the k-th kept); 0 = off
    double topP = 1.0;              // keep the smallest set whose probability reaches top_p; 1 = off
    double minP = 0.0;              // drop tokens less likely than min_p x the top probability; 0 = off
    double repetitionPenalty = 1.0; // > 1 discourages tokens already in the prompt or output; 1 = off
    std::uint64_t seed = 0;         // the sampler's own generator: same seed, same tokens

    bool greedy() const { return temperature <= 0.0; }
};

struct GenerationOptions {
    std::int64_t maxNewTokens = 128;
    SamplingOptions sampling;
    // Generation ends when the decoded output contains one of these; the text stops just before
    // it (the token that completed it is still in ids). Text that may be the start of a stop
    // string is held back from the stream until it is known not to be one.
    std::vector<std::string> stopStrings;
    // End on an EOS id (config.json, generation_config.json, the tokenizer) or on the chat
    // template's end-of-turn token. The stop token is the last of ids; its text is not shown.
    bool stopOnEos = true;
    // false: recompute the whole sequence for every token (slow; the reference for tests).
    bool useKvCache = true;
};

enum class GenerationStop { MaxNewTokens, Eos, EndOfTurn, StopString, Cancelled, ContextFull };

// "max_new_tokens", "eos", "end_of_turn", "stop_string", "cancelled", "context_full".
const char* generationStopName(GenerationStop stop);

struct GenerationResult {
    std::vector<std::int32_t> ids; // the new tokens only
    std::string text;              // what was streamed: their text, up to a stop string ("" without a tokenizer)
    GenerationStop stop = GenerationStop::MaxNewTokens;
    std::int64_t promptTokens = 0;
    double prefillSeconds = 0.0;       // the prompt's forward pass and the first token
    double decodeSeconds = 0.0;        // every later token
    std::vector<std::string> warnings; // e.g. chat template fallbacks
};

// Called once per generated token with its id and the text it completes: whole UTF-8
// characters only (a character split over several byte tokens arrives with the last of them),
// possibly empty (held back, or a special token). The pieces concatenated are result.text.
using TokenCallback = std::function<void(std::int32_t id, const std::string& piece)>;

struct GeneratorConfig {
    std::string modelDir;
    std::string adapterDir;     // empty: the base model alone
    bool mergeAdapter = false;  // fold a LoRA/IA3/LoHa/LoKr adapter into the weights first (faster)
    std::string dtype = "fp32"; // "fp32" or "bf16"
    std::string device = "cpu"; // "cpu", or "cuda" when LibTorch has CUDA and a GPU is present
    // Where tokenizer.json / tokenizer.model live; empty: the adapter folder if it has them,
    // else the model folder. Without a tokenizer only generate() on ids works (no text).
    std::string tokenizerDir;
};

// GenerationOptions from DIR/generation_config.json as transformers reads it: do_sample
// (false or absent: greedy), temperature, top_k (50 when sampling and not given), top_p, min_p,
// repetition_penalty, max_new_tokens. Defaults when the file is absent.
GenerationOptions generationDefaults(const std::string& modelDir);

// One loaded model (+ adapter, + tokenizer). Not thread-safe: one generation at a time per
// Generator (two Generators, e.g. base and base + adapter side by side, may run in parallel).
class Generator final {
public:
    // Loads the model (and adapter, and tokenizer). Throws ps::Error for a bad folder, dtype or
    // device.
    explicit Generator(const GeneratorConfig& config);
    ~Generator();
    Generator(const Generator&) = delete;
    Generator& operator=(const Generator&) = delete;

    // Continues `promptIds` (at least one id). `stop` (optional) is checked after every token:
    // once set, generation ends with GenerationStop::Cancelled.
    GenerationResult generate(const std::vector<std::int32_t>& promptIds, const GenerationOptions& options,
                              const TokenCallback& onToken = {}, const std::atomic<bool>* stop = nullptr);
    // Tokenizes `prompt` as transformers' tokenizer(prompt) does (BOS etc. added) and continues it.
    GenerationResult generateText(const std::string& prompt, const GenerationOptions& options,
                                  const TokenCallback& onToken = {}, const std::atomic<bool>* stop = nullptr);
    // Renders the conversation with the chat template (family: nullopt = detected from the
    // tokenizer's chat_template, ChatML fallback with a warning) plus the assistant generation
    // prompt, and generates the assistant's reply; the template's end-of-turn token also stops.
    GenerationResult generateChat(const std::vector<ChatMessage>& messages, const GenerationOptions& options,
                                  const TokenCallback& onToken = {}, const std::atomic<bool>* stop = nullptr,
                                  std::optional<ChatFamily> family = std::nullopt);

    // Null when no tokenizer was found.
    const Tokenizer* tokenizer() const;
    // The ids that end generation with stopOnEos (EOS ids; plus the end-of-turn token of the
    // tokenizer's recognised chat template).
    std::vector<std::int32_t> eosIds() const;
    std::int64_t vocabSize() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace ps
