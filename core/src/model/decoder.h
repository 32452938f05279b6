#pragma once
// The part of a CausalLM that differs per architecture: embeddings, decoder layers and the
// final norm (registered as "transformer" for gpt2, "model" for the llama family). One source
// file per architecture (gpt2.cpp, llama.cpp) implements it; causal_lm.cpp picks the family.
// Internal header: includes torch.
#include "model/attention.h"
#include "model/causal_lm.h"

#include <torch/torch.h>

#include <memory>

namespace ps::model {

// Everything a decoder stack needs besides the input embeddings, computed once per forward.
struct DecoderInputs {
    torch::Tensor positionIds; // [B, T] int64
    AttentionMasks masks;
    KVCache* cache = nullptr;      // keys/values sized to the number of layers when set
    bool checkpointLayers = false; // gradient checkpointing: recompute layers in backward
    torch::Tensor outputRows;      // ForwardInput::outputRows: the last layer's rows, [N] into [B * T]
};

// What a decoder layer goes on with after its attention: the residual stream x [B, T, H] and the
// attention's context before its output projection [B, T, H'] — as they are, or, for the last
// layer (`last`) with in.outputRows, only those rows ([N, H] and [N, H']).
struct LayerRows {
    torch::Tensor residual, context;
};
LayerRows rowsGoingOn(const torch::Tensor& x, const torch::Tensor& context, const DecoderInputs& in, bool last);

class DecoderModelImpl : public torch::nn::Module {
public:
    ~DecoderModelImpl() override = default;
    // Token embeddings [B, T] -> [B, T, H] (raw: no scaling, no position embeddings).
    virtual torch::Tensor embed(const torch::Tensor& ids) = 0;
    virtual torch::Tensor& embeddingWeight() = 0;
    // Input embeddings -> final hidden states (after the final norm): [B, T, H], or [N, H] for
    // in.outputRows.
    virtual torch::Tensor forward(const torch::Tensor& embeds, const DecoderInputs& in) = 0;
};

// Registered under these names by CausalLMImpl.
std::shared_ptr<DecoderModelImpl> makeGpt2Model(const ModelConfig& config);  // "transformer"
std::shared_ptr<DecoderModelImpl> makeLlamaModel(const ModelConfig& config); // "model"

// Runs one decoder layer, either directly or (checkpoint == true, training with grad) without
// keeping its activations: backward recomputes them.
torch::Tensor runLayer(const std::function<torch::Tensor(const torch::Tensor&)>& layer, const torch::Tensor& x,
                       bool checkpoint);

} // namespace ps::model
