// The llama family (transformers' LlamaModel and its close variants): RMSNorm, rotary
// positions, grouped-query attention, gated MLP. Module paths: model.{embed_tokens,
// layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm,
// mlp.{gate,up,down}_proj}, norm}.
//   mistral: sliding-window attention; qwen2: q/k/v bias (+ window on layers >= max_window_layers);
//   phi3: fused self_attn.qkv_proj and mlp.gate_up_proj; gemma: (1 + w) norms, embeddings
//   scaled by sqrt(hidden_size), tied head.
#include "model/decoder.h"
#include "model/layers.h"
#include "model/rope.h"
#include "model/shared_input_projections.h"

#include <cmath>

namespace ps::model {
namespace {

struct LlamaLayerInputs {
    const DecoderInputs* in;
    RopeTables rope;
};

class LlamaAttentionImpl final : public torch::nn::Module {
public:
    LlamaAttentionImpl(const ModelConfig& c, std::int64_t layer)
        : heads_(c.numHeads), kvHeads_(c.numKvHeads), headDim_(c.headDim), layer_(layer),
          sliding_(c.layerUsesSlidingWindow(layer)), dropout_(c.attentionDropout) {
        const auto H = c.hiddenSize, q = heads_ * headDim_, kv = kvHeads_ * headDim_;
        if (c.fusedQkv) {
            qkv_proj = register_module("qkv_proj", Linear(H, q + 2 * kv, c.qkvBias, false));
        } else {
            q_proj = register_module("q_proj", Linear(H, q, c.qkvBias, false));
            k_proj = register_module("k_proj", Linear(H, kv, c.qkvBias, false));
            v_proj = register_module("v_proj", Linear(H, kv, c.qkvBias, false));
        }
        o_proj = register_module("o_proj", Linear(q, H, c.oBias, false));
    }

    // The attention's output before o_proj, [B, T, heads * head_dim].
    torch::Tensor context(const torch::Tensor& x, const LlamaLayerInputs& in) {
        const auto B = x.size(0), T = x.size(1);
        torch::Tensor q, k, v;
        if (qkv_proj) {
            const auto qkv = qkv_proj(x);
            q = qkv.narrow(-1, 0, heads_ * headDim_);
            k = qkv.narrow(-1, heads_ * headDim_, kvHeads_ * headDim_);
            v = qkv.narrow(-1, (heads_ + kvHeads_) * headDim_, kvHeads_ * headDim_);
        } else {
            auto qkv = projectSharedInput({q_proj.get(), k_proj.get(), v_proj.get()}, x);
            q = std::move(qkv[0]);
            k = std::move(qkv[1]);
            v = std::move(qkv[2]);
        }
        q = applyRope(q.view({B, T, heads_, headDim_}).transpose(1, 2), in.rope);
        k = applyRope(k.view({B, T, kvHeads_, headDim_}).transpose(1, 2), in.rope);
        v = v.view({B, T, kvHeads_, headDim_}).transpose(1, 2);
        auto [keys, values] = appendToCache(in.in->cache, static_cast<std::size_t>(layer_), k, v);
        const auto& mask = sliding_ ? in.in->masks.sliding : in.in->masks.full;
        return attend(q, keys, values, mask, std::sqrt(static_cast<double>(headDim_)), dropout_, is_training(),
                      in.in->masks.causal, in.in->masks.plainCausal);
    }

    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, qkv_proj{nullptr}, o_proj{nullptr};

private:
    std::int64_t heads_, kvHeads_, headDim_, layer_;
    bool sliding_;
    double dropout_;
};
TORCH_MODULE(LlamaAttention);

class LlamaMlpImpl final : public torch::nn::Module {
public:
    explicit LlamaMlpImpl(const ModelConfig& c) : act_(c.activation), inter_(c.intermediateSize) {
        const auto H = c.hiddenSize, I = c.intermediateSize;
        if (c.fusedGateUp) {
            gate_up_proj = register_module("gate_up_proj", Linear(H, 2 * I, c.mlpBias, false));
        } else {
            gate_proj = register_module("gate_proj", Linear(H, I, c.mlpBias, false));
            up_proj = register_module("up_proj", Linear(H, I, c.mlpBias, false));
        }
        down_proj = register_module("down_proj", Linear(I, H, c.mlpBias, false));
    }

    torch::Tensor forward(const torch::Tensor& x) {
        if (gate_up_proj) {
            const auto gu = gate_up_proj(x);
            return down_proj(gatedActivation(gu.narrow(-1, 0, inter_), gu.narrow(-1, inter_, inter_), act_));
        }
        const auto gu = projectSharedInput({gate_proj.get(), up_proj.get()}, x);
        return down_proj(gatedActivation(gu[0], gu[1], act_));
    }

    Linear gate_proj{nullptr}, up_proj{nullptr}, gate_up_proj{nullptr}, down_proj{nullptr};

private:
    Activation act_;
    std::int64_t inter_;
};
TORCH_MODULE(LlamaMlp);

class LlamaDecoderLayerImpl final : public torch::nn::Module {
public:
    LlamaDecoderLayerImpl(const ModelConfig& c, std::int64_t layer)
        : input_layernorm(c.hiddenSize, c.normEps, c.normAddsOne), self_attn(c, layer),
          post_attention_layernorm(c.hiddenSize, c.normEps, c.normAddsOne), mlp(c) {
        register_module("input_layernorm", input_layernorm);
        register_module("self_attn", self_attn);
        register_module("post_attention_layernorm", post_attention_layernorm);
        register_module("mlp", mlp);
    }
    // The last layer with outputRows: everything after the attention for those rows only.
    torch::Tensor forward(const torch::Tensor& x, const LlamaLayerInputs& in, bool last) {
        const auto rows = rowsGoingOn(x, self_attn->context(input_layernorm(x), in), *in.in, last);
        const auto h = rows.residual + self_attn->o_proj(rows.context);
        return h + mlp(post_attention_layernorm(h));
    }
    RMSNorm input_layernorm;
    LlamaAttention self_attn;
    RMSNorm post_attention_layernorm;
    LlamaMlp mlp;
};
TORCH_MODULE(LlamaDecoderLayer);

class LlamaModelImpl final : public DecoderModelImpl {
public:
    explicit LlamaModelImpl(const ModelConfig& c)
        : embed_tokens(c.vocabSize, c.hiddenSize), norm(c.hiddenSize, c.normEps, c.normAddsOne), config_(c) {
        register_module("embed_tokens", embed_tokens);
        torch::nn::ModuleList list;
        for (std::int64_t i = 0; i < c.numLayers; ++i) {
            layers_.emplace_back(c, i);
            list->push_back(layers_.back());
        }
        register_module("layers", list);
        register_module("norm", norm);
        // Kept in float32 and out of the module's buffers, so model.to(bf16) leaves it exact.
        if (c.ropeScaling.type != "dynamic")
            invFreq_ = ropeInvFreq(c, c.maxPositionEmbeddings);
    }

    torch::Tensor embed(const torch::Tensor& ids) override { return embed_tokens(ids); }
    torch::Tensor& embeddingWeight() override { return embed_tokens->weight; }

    torch::Tensor forward(const torch::Tensor& embeds, const DecoderInputs& in) override {
        auto h = embeds;
        if (config_.scaleEmbeddings) // Gemma: the normalizer is rounded to the activation dtype first
            h = h * torch::scalar_tensor(std::sqrt(static_cast<double>(config_.hiddenSize)), h.options());
        const auto invFreq =
            invFreq_.defined() ? invFreq_ : ropeInvFreq(config_, in.positionIds.max().item<std::int64_t>() + 1);
        LlamaLayerInputs layerIn{&in, ropeTables(invFreq, in.positionIds, h.scalar_type())};
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            auto run = [layer = layers_[i], layerIn, inputs = in,
                        last = i + 1 == layers_.size()](const torch::Tensor& x) mutable {
                layerIn.in = &inputs;
                return layer(x, layerIn, last);
            };
            h = runLayer(run, h, in.checkpointLayers);
        }
        return norm(h);
    }

    Embedding embed_tokens;
    RMSNorm norm;

private:
    std::vector<LlamaDecoderLayer> layers_;
    ModelConfig config_;
    torch::Tensor invFreq_;
};

} // namespace

std::shared_ptr<DecoderModelImpl> makeLlamaModel(const ModelConfig& config) {
    return std::make_shared<LlamaModelImpl>(config);
}

} // namespace ps::model
