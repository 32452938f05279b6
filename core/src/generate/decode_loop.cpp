#include "generate/decode_loop.h"

#include "generate/sampling.h"
#include "ps/error.h"

#include <algorithm>
#include <chrono>

namespace ps::gen {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

bool contains(const std::vector<std::int32_t>& ids, std::int32_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

torch::Tensor idTensor(const std::int32_t* ids, std::size_t n, torch::Device device) {
    std::vector<std::int64_t> wide(ids, ids + n);
    return torch::tensor(wide, torch::kInt64).view({1, static_cast<std::int64_t>(n)}).to(device);
}

} // namespace

LogitsSource::LogitsSource(model::CausalLM model, adapters::PeftModel* peft) : model_(std::move(model)), peft_(peft) {
    if (peft_ && !peft_->merged()) {
        const auto method = peft_->spec().method;
        if (method == PeftMethod::PromptTuning || method == PeftMethod::PrefixTuning)
            virtualTokens_ = peft_->spec().numVirtualTokens;
    }
    if (model_->config().family == model::Family::Gpt2)
        positionLimit_ = model_->config().maxPositionEmbeddings;
}

torch::Tensor LogitsSource::next(const torch::Tensor& ids, model::KVCache* cache) {
    model::ForwardInput in;
    in.inputIds = ids;
    in.cache = cache;
    const auto hidden = peft_ ? peft_->forward(in) : model_->forward(in);
    // Only the last position's logits are needed: the head runs on one row, not T.
    const auto last = hidden.select(1, hidden.size(1) - 1);
    const auto logits = peft_ ? peft_->logits(last) : model_->logits(last);
    return logits.squeeze(0).to(torch::kCPU, torch::kFloat32);
}

DecodeOutcome decodeTokens(LogitsSource& source, const std::vector<std::int32_t>& prompt,
                           const DecodeSettings& settings, const TokenSink& sink) {
    if (prompt.empty())
        throw Error("generation needs at least one prompt token");
    if (settings.maxNewTokens < 0)
        throw Error("max_new_tokens must be >= 0, got " + std::to_string(settings.maxNewTokens));
    const auto vocab = source.vocabSize();
    for (const auto id : prompt)
        if (id < 0 || id >= vocab)
            throw Error("prompt token id " + std::to_string(id) + " is outside the vocabulary (vocab_size " +
                        std::to_string(vocab) + ")");
    const std::int64_t virtualTokens = source.virtualTokens();
    const std::int64_t limit = source.positionLimit();
    if (limit > 0 && virtualTokens + static_cast<std::int64_t>(prompt.size()) > limit)
        throw Error("the prompt has " + std::to_string(prompt.size()) + " tokens" +
                    (virtualTokens ? " (+ " + std::to_string(virtualTokens) + " virtual)" : std::string()) +
                    "; the model has only " + std::to_string(limit) + " positions");
    TokenSampler sampler(settings.sampling);

    DecodeOutcome out;
    if (settings.maxNewTokens == 0)
        return out;
    const auto cancelled = [&] { return settings.cancel && settings.cancel->load(std::memory_order_acquire); };
    if (cancelled()) {
        out.stop = GenerationStop::Cancelled;
        return out;
    }
    torch::NoGradGuard noGrad;
    const auto device = source.device();
    std::vector<std::int32_t> history = prompt;
    model::KVCache cache;
    model::KVCache* cachePtr = settings.useKvCache ? &cache : nullptr;

    const auto start = Clock::now();
    auto decodeStart = start;
    torch::Tensor logits = source.next(idTensor(history.data(), history.size(), device), cachePtr);
    while (true) {
        if (settings.recordLogits)
            settings.recordLogits->push_back(logits);
        const std::int32_t id = sampler.next(logits, history);
        history.push_back(id);
        out.ids.push_back(id);
        if (out.ids.size() == 1) {
            out.prefillSeconds = secondsSince(start);
            decodeStart = Clock::now();
        }
        bool last = true;
        if (contains(settings.eosIds, id))
            out.stop = GenerationStop::Eos;
        else if (contains(settings.endOfTurnIds, id))
            out.stop = GenerationStop::EndOfTurn;
        else if (static_cast<std::int64_t>(out.ids.size()) >= settings.maxNewTokens)
            out.stop = GenerationStop::MaxNewTokens;
        else if (limit > 0 && virtualTokens + static_cast<std::int64_t>(history.size()) > limit)
            out.stop = GenerationStop::ContextFull; // no position left for the token just drawn
        else if (cancelled())
            out.stop = GenerationStop::Cancelled;
        else
            last = false;
        if (sink && sink(id, last)) {
            out.stop = GenerationStop::StopString;
            last = true;
        }
        if (last)
            break;
        logits = cachePtr ? source.next(idTensor(&id, 1, device), cachePtr)
                          : source.next(idTensor(history.data(), history.size(), device), nullptr);
    }
    out.decodeSeconds = secondsSince(decodeStart);
    return out;
}

} // namespace ps::gen
