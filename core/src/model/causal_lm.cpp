#include "model/causal_lm.h"

#include "model/decoder.h"
#include "model/layers.h"

#include "ps/error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace ps::model {

struct CausalLMImpl::Impl {
    std::shared_ptr<DecoderModelImpl> body;
    Linear lmHead{nullptr};
};

CausalLMImpl::CausalLMImpl(const ModelConfig& config) : config_(config), impl_(std::make_shared<Impl>()) {
    // The family registry: which body a model_type builds, under transformers' prefix.
    if (config.family == Family::Gpt2)
        impl_->body = register_module("transformer", makeGpt2Model(config));
    else
        impl_->body = register_module("model", makeLlamaModel(config));
    impl_->lmHead = config.tieWordEmbeddings ? Linear(impl_->body->embeddingWeight())
                                             : Linear(config.hiddenSize, config.vocabSize, false, false);
    register_module("lm_head", impl_->lmHead);
    for (const auto& item : named_modules("", /*include_self=*/false))
        if (auto* linear = dynamic_cast<LinearImpl*>(item.value().get()))
            linear->path = item.key();
}

torch::Tensor CausalLMImpl::forward(const ForwardInput& input) {
    const bool haveIds = input.inputIds.defined();
    if (haveIds == input.inputsEmbeds.defined())
        throw Error("forward needs exactly one of inputIds and inputsEmbeds");
    torch::Tensor embeds;
    if (haveIds) {
        const auto& ids = input.inputIds;
        if (ids.dim() != 2 || ids.numel() == 0)
            throw Error("inputIds must be a non-empty [batch, seq] tensor");
        const auto lo = ids.min().item<std::int64_t>(), hi = ids.max().item<std::int64_t>();
        if (lo < 0 || hi >= config_.vocabSize)
            throw Error("token id " + std::to_string(lo < 0 ? lo : hi) + " is outside the vocabulary (vocab_size " +
                        std::to_string(config_.vocabSize) + ")");
        embeds = impl_->body->embed(ids);
    } else {
        if (input.inputsEmbeds.dim() != 3 || input.inputsEmbeds.size(2) != config_.hiddenSize)
            throw Error("inputsEmbeds must be [batch, seq, " + std::to_string(config_.hiddenSize) + "]");
        const auto& w = impl_->body->embeddingWeight();
        embeds = input.inputsEmbeds.to(w.device(), w.scalar_type());
    }
    const auto B = embeds.size(0), T = embeds.size(1);
    const auto device = embeds.device();

    DecoderInputs in;
    in.cache = input.cache;
    std::int64_t past = 0;
    if (in.cache) {
        auto& c = *in.cache;
        if (c.keys.size() != static_cast<std::size_t>(config_.numLayers)) {
            if (!c.keys.empty())
                throw Error("KV cache has " + std::to_string(c.keys.size()) + " layers, the model " +
                            std::to_string(config_.numLayers));
            c.keys.resize(static_cast<std::size_t>(config_.numLayers));
            c.values.resize(static_cast<std::size_t>(config_.numLayers));
        }
        past = c.length();
        if (past > 0 && c.keys[0].size(0) != B)
            throw Error("KV cache holds a batch of " + std::to_string(c.keys[0].size(0)) + ", the input " +
                        std::to_string(B));
    }
    if (input.positionIds.defined()) {
        if (input.positionIds.dim() != 2 || input.positionIds.size(1) != T ||
            (input.positionIds.size(0) != B && input.positionIds.size(0) != 1))
            throw Error("positionIds must be [batch, seq]");
        in.positionIds = input.positionIds.to(device, torch::kInt64).expand({B, T});
    } else {
        in.positionIds = defaultPositionIds(input.attentionMask, B, T, past, device);
    }
    in.masks = buildAttentionMasks(B, T, past, input.attentionMask, input.attentionBias, config_.slidingWindow, device);
    in.checkpointLayers = gradientCheckpointing_ && is_training() && !in.cache;
    if (input.outputRows.defined()) {
        const auto& rows = input.outputRows;
        if (rows.dim() != 1 || rows.scalar_type() != torch::kInt64)
            throw Error("outputRows must be a 1-D int64 tensor of positions b * T + t");
        if (rows.numel() > 0 && (rows.min().item<std::int64_t>() < 0 || rows.max().item<std::int64_t>() >= B * T))
            throw Error("outputRows holds a position outside the input's " + std::to_string(B) + " x " +
                        std::to_string(T) + " tokens");
        in.outputRows = rows.to(device);
    }
    return impl_->body->forward(embeds, in);
}

LayerRows rowsGoingOn(const torch::Tensor& x, const torch::Tensor& context, const DecoderInputs& in, bool last) {
    if (!last || !in.outputRows.defined())
        return {x, context};
    return {x.reshape({-1, x.size(-1)}).index_select(0, in.outputRows),
            context.reshape({-1, context.size(-1)}).index_select(0, in.outputRows)};
}

torch::Tensor CausalLMImpl::logits(const torch::Tensor& hidden) {
    return impl_->lmHead(hidden);
}

torch::Tensor CausalLMImpl::embed(const torch::Tensor& ids) {
    return impl_->body->embed(ids);
}

std::vector<std::pair<std::string, Linear>> CausalLMImpl::linearModules(bool includeHead) {
    std::vector<std::pair<std::string, Linear>> out;
    for (const auto& item : named_modules("", /*include_self=*/false)) {
        auto linear = std::dynamic_pointer_cast<LinearImpl>(item.value());
        if (!linear || (!includeHead && item.key() == "lm_head"))
            continue;
        out.emplace_back(item.key(), Linear(linear));
    }
    return out;
}

Linear CausalLMImpl::lmHead() {
    return impl_->lmHead;
}

torch::Tensor& CausalLMImpl::embeddingWeight() {
    return impl_->body->embeddingWeight();
}

CausalLM randomCausalLM(const ModelConfig& config, std::uint64_t seed) {
    CausalLM model(config);
    auto gen = at::detail::createCPUGenerator(seed);
    torch::NoGradGuard noGrad;
    const double std = config.initializerRange;
    // transformers' _init_weights: N(0, initializer_range) for linear and embedding weights,
    // zero biases, unit norms (Gemma's (1 + w) norms: zero); GPT-2 scales the residual
    // projections (c_proj) by 1/sqrt(2 * n_layer).
    for (const auto& item : model->named_modules("", /*include_self=*/false)) {
        auto* m = item.value().get();
        if (auto* lin = dynamic_cast<LinearImpl*>(m)) {
            if (lin->tied)
                continue;
            const bool residual = config.family == Family::Gpt2 && lin->path.size() >= 6 &&
                                  lin->path.compare(lin->path.size() - 6, 6, "c_proj") == 0;
            lin->weight.normal_(0.0, residual ? std / std::sqrt(2.0 * static_cast<double>(config.numLayers)) : std,
                                gen);
            if (lin->bias.defined())
                lin->bias.zero_();
        } else if (auto* emb = dynamic_cast<EmbeddingImpl*>(m)) {
            emb->weight.normal_(0.0, std, gen);
        } else if (auto* ln = dynamic_cast<LayerNormImpl*>(m)) {
            ln->weight.fill_(1.0);
            ln->bias.zero_();
        } else if (auto* rms = dynamic_cast<RMSNormImpl*>(m)) {
            rms->weight.fill_(rms->addOne ? 0.0 : 1.0);
        }
    }
    model->eval();
    return model;
}

} // namespace ps::model
