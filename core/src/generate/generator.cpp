// ps::Generator: loads model + adapter + tokenizer, and runs the token loop (decode_loop.cpp)
// with the text side: UTF-8-safe streaming pieces, stop strings, chat rendering, stop tokens.
#include "adapters/peft_model.h"
#include "generate/decode_loop.h"
#include "generate/generation_config.h"
#include "generate/incremental_detokenizer.h"
#include "generate/stop_strings.h"
#include "model/compute_options.h"
#include "ps/error.h"
#include "ps/generate.h"
#include "ps/tokenizer.h"
#include "util/file_util.h"

#include <algorithm>

namespace ps {
namespace {

// Ids before the first new token that the streamed text is decoded after (see
// IncrementalDetokenizer): enough for a SentencePiece leading space or a split character.
constexpr std::size_t kDetokenizerContext = 5;

bool hasTokenizer(const std::string& dir) {
    return !dir.empty() &&
           (isRegularFile(joinPath(dir, "tokenizer.json")) || isRegularFile(joinPath(dir, "tokenizer.model")));
}

void addUnique(std::vector<std::int32_t>& ids, std::int64_t id, std::int64_t vocab) {
    if (id >= 0 && id < vocab && std::find(ids.begin(), ids.end(), id) == ids.end())
        ids.push_back(static_cast<std::int32_t>(id));
}

} // namespace

struct Generator::Impl {
    model::CausalLM model{nullptr};
    std::unique_ptr<adapters::PeftModel> peft;
    std::unique_ptr<gen::LogitsSource> source;
    std::shared_ptr<Tokenizer> tokenizer;
    std::vector<std::int32_t> eosIds;
    std::vector<std::int32_t> templateEndOfTurn; // of the tokenizer's recognised chat template

    std::vector<std::int32_t> endOfTurnIds(ChatFamily family) const {
        std::vector<std::int32_t> ids;
        const std::string token = gen::endOfTurnToken(family);
        if (tokenizer && !token.empty())
            if (const auto id = tokenizer->tokenToId(token))
                addUnique(ids, *id, model->config().vocabSize);
        return ids;
    }

    const Tokenizer& needTokenizer(const char* what) const {
        if (!tokenizer)
            throw Error(std::string(what) + " needs a tokenizer, and none was found (tokenizer.json or tokenizer.model "
                                            "in the model or adapter folder)");
        return *tokenizer;
    }

    GenerationResult run(const std::vector<std::int32_t>& prompt, const GenerationOptions& options,
                         const TokenCallback& onToken, const std::atomic<bool>* stop,
                         const std::vector<std::int32_t>& endOfTurn) {
        gen::DecodeSettings settings;
        settings.maxNewTokens = options.maxNewTokens;
        settings.sampling = options.sampling;
        settings.useKvCache = options.useKvCache;
        settings.cancel = stop;
        if (options.stopOnEos) {
            settings.eosIds = eosIds;
            for (const auto id : endOfTurn)
                if (std::find(eosIds.begin(), eosIds.end(), id) == eosIds.end())
                    settings.endOfTurnIds.push_back(id);
        }
        const bool stopStrings = std::any_of(options.stopStrings.begin(), options.stopStrings.end(),
                                             [](const std::string& s) { return !s.empty(); });
        if (stopStrings)
            needTokenizer("stopping on a string");

        GenerationResult result;
        result.promptTokens = static_cast<std::int64_t>(prompt.size());
        std::unique_ptr<gen::IncrementalDetokenizer> detokenizer;
        if (tokenizer) {
            const auto from = prompt.size() - std::min(prompt.size(), kDetokenizerContext);
            const std::vector<std::int32_t> context(prompt.begin() + static_cast<std::ptrdiff_t>(from), prompt.end());
            const auto tok = tokenizer;
            detokenizer = std::make_unique<gen::IncrementalDetokenizer>(
                [tok](const std::vector<std::int32_t>& ids) { return tok->decode(ids, /*skipSpecialTokens=*/true); },
                context);
        }
        gen::StopStringFilter filter(options.stopStrings);
        const auto sink = [&](std::int32_t id, bool last) {
            std::string piece;
            if (detokenizer) {
                piece = filter.push(detokenizer->push(id));
                if (last && !filter.stopped())
                    piece += filter.push(detokenizer->flush());
                if (last && !filter.stopped())
                    piece += filter.flush();
            }
            result.text += piece;
            if (onToken)
                onToken(id, piece);
            return filter.stopped();
        };
        const auto outcome = gen::decodeTokens(*source, prompt, settings, sink);
        result.ids = outcome.ids;
        result.stop = outcome.stop;
        result.prefillSeconds = outcome.prefillSeconds;
        result.decodeSeconds = outcome.decodeSeconds;
        return result;
    }
};

Generator::Generator(const GeneratorConfig& config) : impl_(std::make_unique<Impl>()) {
    model::LoadOptions load;
    load.dtype = model::parseComputeDtype(config.dtype);
    load.device = model::parseComputeDevice(config.device);
    load.copyWeights = config.mergeAdapter; // merging writes into the base weights
    if (config.mergeAdapter && config.adapterDir.empty())
        throw Error("merging needs an adapter");
    impl_->model = model::loadCausalLM(config.modelDir, load);
    if (!config.adapterDir.empty()) {
        impl_->peft = adapters::PeftModel::load(config.adapterDir, impl_->model);
        if (config.mergeAdapter)
            impl_->peft->merge();
        impl_->peft->train(false);
    }
    impl_->model->eval();
    impl_->source = std::make_unique<gen::LogitsSource>(impl_->model, impl_->peft.get());

    std::string tokDir = config.tokenizerDir;
    if (tokDir.empty())
        tokDir = hasTokenizer(config.adapterDir) ? config.adapterDir : config.modelDir;
    if (!config.tokenizerDir.empty() || hasTokenizer(tokDir))
        impl_->tokenizer = Tokenizer::load(tokDir);

    const auto vocab = impl_->model->config().vocabSize;
    for (const auto id : impl_->model->config().eosTokenIds)
        addUnique(impl_->eosIds, id, vocab);
    for (const auto id : gen::generationConfigEosIds(config.modelDir))
        addUnique(impl_->eosIds, id, vocab);
    if (impl_->tokenizer) {
        if (const auto eos = impl_->tokenizer->eosId())
            addUnique(impl_->eosIds, *eos, vocab);
        const auto detected = detectTemplateFamily(impl_->tokenizer->chatTemplate());
        if (detected.recognised)
            impl_->templateEndOfTurn = impl_->endOfTurnIds(detected.family);
    }
}

Generator::~Generator() = default;

GenerationResult Generator::generate(const std::vector<std::int32_t>& promptIds, const GenerationOptions& options,
                                     const TokenCallback& onToken, const std::atomic<bool>* stop) {
    return impl_->run(promptIds, options, onToken, stop, impl_->templateEndOfTurn);
}

GenerationResult Generator::generateText(const std::string& prompt, const GenerationOptions& options,
                                         const TokenCallback& onToken, const std::atomic<bool>* stop) {
    const auto ids = impl_->needTokenizer("a text prompt").encode(prompt, /*addSpecialTokens=*/true);
    if (ids.empty())
        throw Error("the prompt is empty (no tokens, and the tokenizer adds no BOS)");
    return impl_->run(ids, options, onToken, stop, impl_->templateEndOfTurn);
}

GenerationResult Generator::generateChat(const std::vector<ChatMessage>& messages, const GenerationOptions& options,
                                         const TokenCallback& onToken, const std::atomic<bool>* stop,
                                         std::optional<ChatFamily> family) {
    const auto& tok = impl_->needTokenizer("chat");
    if (messages.empty())
        throw Error("chat: the conversation has no messages");
    const RenderedChat rendered = renderChat(tok, messages, family, /*addGenerationPrompt=*/true);
    if (rendered.ids.empty())
        throw Error("chat: the rendered conversation has no tokens");
    auto endOfTurn = impl_->endOfTurnIds(rendered.family);
    for (const auto id : impl_->templateEndOfTurn)
        addUnique(endOfTurn, id, impl_->model->config().vocabSize);
    auto result = impl_->run(rendered.ids, options, onToken, stop, endOfTurn);
    result.warnings = rendered.warnings;
    return result;
}

const Tokenizer* Generator::tokenizer() const {
    return impl_->tokenizer.get();
}

std::vector<std::int32_t> Generator::eosIds() const {
    auto ids = impl_->eosIds;
    for (const auto id : impl_->templateEndOfTurn)
        addUnique(ids, id, impl_->model->config().vocabSize);
    return ids;
}

std::int64_t Generator::vocabSize() const {
    return impl_->model->config().vocabSize;
}

} // namespace ps
