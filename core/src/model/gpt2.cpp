// GPT-2 (transformers' GPT2LMHeadModel body): learned positions, pre-LayerNorm blocks, fused
// Conv1D c_attn, gelu_new MLP. Module paths: transformer.{wte, wpe, h.N.{ln_1, attn.{c_attn,
// c_proj}, ln_2, mlp.{c_fc, c_proj}}, ln_f}.
#include "model/decoder.h"
#include "model/fast_dropout.h"
#include "model/layers.h"

#include "ps/error.h"

#include <cmath>

namespace ps::model {
namespace {

class Gpt2AttentionImpl final : public torch::nn::Module {
public:
    Gpt2AttentionImpl(const ModelConfig& c, std::int64_t layer)
        : c_attn(c.hiddenSize, 3 * c.hiddenSize, true, true), c_proj(c.hiddenSize, c.hiddenSize, true, true),
          heads_(c.numHeads), headDim_(c.headDim), layer_(layer), dropout_(c.attnDropout),
          residDropout_(c.residDropout) {
        register_module("c_attn", c_attn);
        register_module("c_proj", c_proj);
        divisor_ = c.scaleAttnWeights ? std::sqrt(static_cast<double>(headDim_)) : 1.0;
        if (c.scaleAttnByInverseLayerIdx)
            divisor_ *= static_cast<double>(layer + 1);
    }

    // The attention's output before c_proj, [B, T, H].
    torch::Tensor context(const torch::Tensor& x, const DecoderInputs& in) {
        const auto B = x.size(0), T = x.size(1), H = heads_ * headDim_;
        // split(), not three narrow()s: one backward node that concatenates the three gradients,
        // instead of three full-width zero-filled gradients summed (measured 69 ms of a 4.6 s step).
        const auto qkv = c_attn(x).split(H, -1);
        auto split = [&](std::size_t i) { return qkv[i].view({B, T, heads_, headDim_}).transpose(1, 2); };
        auto [k, v] = appendToCache(in.cache, static_cast<std::size_t>(layer_), split(1), split(2));
        // GPT-2's causal mask replaces masked scores by finfo.min (masked_bias); the additive
        // lowest-valued mask gives the same probabilities.
        return attend(split(0), k, v, in.masks.full, divisor_, dropout_, is_training(), in.masks.causal,
                      in.masks.plainCausal);
    }
    torch::Tensor project(const torch::Tensor& context) {
        return model::dropout(c_proj(context), residDropout_, is_training());
    }

    Linear c_attn, c_proj;

private:
    std::int64_t heads_, headDim_, layer_;
    double divisor_ = 1.0, dropout_, residDropout_;
};
TORCH_MODULE(Gpt2Attention);

class Gpt2MlpImpl final : public torch::nn::Module {
public:
    explicit Gpt2MlpImpl(const ModelConfig& c)
        : c_fc(c.hiddenSize, c.intermediateSize, true, true), c_proj(c.intermediateSize, c.hiddenSize, true, true),
          act_(c.activation), dropout_(c.residDropout) {
        register_module("c_fc", c_fc);
        register_module("c_proj", c_proj);
    }
    torch::Tensor forward(const torch::Tensor& x) {
        return model::dropout(c_proj(activate(c_fc(x), act_)), dropout_, is_training());
    }
    Linear c_fc, c_proj;

private:
    Activation act_;
    double dropout_;
};
TORCH_MODULE(Gpt2Mlp);

class Gpt2BlockImpl final : public torch::nn::Module {
public:
    Gpt2BlockImpl(const ModelConfig& c, std::int64_t layer)
        : ln_1(c.hiddenSize, c.normEps), attn(c, layer), ln_2(c.hiddenSize, c.normEps), mlp(c) {
        register_module("ln_1", ln_1);
        register_module("attn", attn);
        register_module("ln_2", ln_2);
        register_module("mlp", mlp);
    }
    // The last layer with in.outputRows: everything after the attention for those rows only.
    torch::Tensor forward(const torch::Tensor& x, const DecoderInputs& in, bool last) {
        const auto rows = rowsGoingOn(x, attn->context(ln_1(x), in), in, last);
        const auto h = rows.residual + attn->project(rows.context);
        return h + mlp(ln_2(h));
    }
    LayerNorm ln_1;
    Gpt2Attention attn;
    LayerNorm ln_2;
    Gpt2Mlp mlp;
};
TORCH_MODULE(Gpt2Block);

class Gpt2ModelImpl final : public DecoderModelImpl {
public:
    explicit Gpt2ModelImpl(const ModelConfig& c)
        : wte(c.vocabSize, c.hiddenSize), wpe(c.maxPositionEmbeddings, c.hiddenSize), ln_f(c.hiddenSize, c.normEps),
          maxPositions_(c.maxPositionEmbeddings), embdDropout_(c.embdDropout) {
        register_module("wte", wte);
        register_module("wpe", wpe);
        torch::nn::ModuleList list;
        for (std::int64_t i = 0; i < c.numLayers; ++i) {
            blocks_.emplace_back(c, i);
            list->push_back(blocks_.back());
        }
        register_module("h", list);
        register_module("ln_f", ln_f);
    }

    torch::Tensor embed(const torch::Tensor& ids) override { return wte(ids); }
    torch::Tensor& embeddingWeight() override { return wte->weight; }

    torch::Tensor forward(const torch::Tensor& embeds, const DecoderInputs& in) override {
        const auto maxPos = in.positionIds.max().item<std::int64_t>();
        if (maxPos >= maxPositions_ || in.positionIds.min().item<std::int64_t>() < 0)
            throw Error("position " + std::to_string(maxPos) + " is beyond this GPT-2 model's n_positions (" +
                        std::to_string(maxPositions_) + ")");
        auto h = model::dropout(embeds + wpe(in.positionIds), embdDropout_, is_training());
        for (std::size_t i = 0; i < blocks_.size(); ++i) {
            auto run = [block = blocks_[i], in, last = i + 1 == blocks_.size()](const torch::Tensor& x) mutable {
                return block(x, in, last);
            };
            h = runLayer(run, h, in.checkpointLayers);
        }
        return ln_f(h);
    }

    Embedding wte, wpe;
    LayerNorm ln_f;

private:
    std::vector<Gpt2Block> blocks_;
    std::int64_t maxPositions_;
    double embdDropout_;
};

} // namespace

std::shared_ptr<DecoderModelImpl> makeGpt2Model(const ModelConfig& config) {
    return std::make_shared<Gpt2ModelImpl>(config);
}

} // namespace ps::model
