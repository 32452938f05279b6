// The training-memory estimate: a sum of terms that each follow from what the model code keeps
// alive (docs/TRAINING.md "Memory estimate" derives every term). Counts are in bytes.
#include "ps/memory_estimate.h"

#include "model/attention_blocks.h"

#include <algorithm>

namespace ps {
namespace {

// The fused head loss works on chunks of at most this many rows (kHeadChunkRows in
// train/head_loss.h, which includes torch).
constexpr double kHeadChunkRows = 1024;
// Per chunk it holds one [rows, vocab] float32 buffer: the logits, turned into the softmax and
// its gradient in place (a bfloat16 head adds a half-size copy for the gradient product).
constexpr double kHeadChunkBuffers = 1.0;
// The process with LibTorch loaded and its BLAS buffers, measured as the peak RSS of a step of a
// tiny model minus the model's own terms (docs/TRAINING.md); +40 MB in session 13 for the packing
// buffers of oneDNN's products (system/dense_products.h) that glibc keeps in its heaps.
constexpr std::uint64_t kRuntimeBytes = 215'000'000;

bool isLoraFamily(const std::string& method) {
    return method == "lora" || method == "dora" || method == "rslora";
}

struct Shape {
    double hidden = 0, inter = 0, layers = 0, heads = 0, kvDim = 0, vocab = 0;
    bool gpt2 = false; // plain MLP, fused qkv, dropout on by default (attn/resid_pdrop 0.1)
};

Shape shapeOf(const ModelInfo& m) {
    Shape s;
    s.gpt2 = m.modelType == "gpt2";
    s.hidden = static_cast<double>(m.hiddenSize);
    s.inter = static_cast<double>(m.intermediateSize > 0 ? m.intermediateSize : 4 * m.hiddenSize);
    s.layers = static_cast<double>(m.numLayers);
    s.heads = static_cast<double>(std::max<std::int64_t>(1, m.numAttentionHeads));
    const double kvHeads = static_cast<double>(m.numKeyValueHeads > 0 ? m.numKeyValueHeads : m.numAttentionHeads);
    s.kvDim = kvHeads * s.hidden / s.heads;
    s.vocab = static_cast<double>(m.vocabSize);
    return s;
}

// Bytes one decoder layer keeps for backward per query token.
double layerBytesPerToken(const Shape& s, const RunConfig& c, double act) {
    const double H = s.hidden, I = s.inter;
    double bytes = 0;
    // Attention keeps only q, k and v and recomputes the scores in backward; on the CPU its dropout
    // keeps a seed, not a keep mask (core/src/model/attention_recompute.h).
    if (s.gpt2) {
        // ln_1 in and out, q/k/v (one fused output), attention out, ln_2 in and out = 8H; c_fc out
        // (gelu's input) and gelu out = 2I; residual dropout's two masks.
        bytes = act * (8 * H + 2 * I) + 2 * H;
    } else {
        // x and the normed input, q after rope, attention out, residual h and its norm = 6H;
        // k, v = 2 kv dims; gate out, up out and their gated product = 3I (silu(gate) is
        // recomputed in backward: model::gatedActivation).
        bytes = act * (6 * H + 2 * s.kvDim + 3 * I);
    }
    if (isLoraFamily(c.finetuning_type)) {
        const double adapted = s.gpt2 ? 4 : 7;                   // projections per layer ("all" targets: upper bound)
        bytes += 4 * adapted * static_cast<double>(c.lora_rank); // x A^T, kept for B's gradient
        if (c.lora_dropout > 0) // each projection's own dropped float32 input and its mask
            bytes += 5 * (s.gpt2 ? 3 * H + I : 6 * H + I);
        if (c.finetuning_type == "dora") // the base output, kept for the magnitude's gradient
            bytes += 4 * (s.gpt2 ? 5 * H + I : 3 * H + 2 * s.kvDim + 2 * I);
    }
    return bytes;
}

// Per trained parameter besides its weight: the gradient, the optimizer state and the update's
// temporary (one parameter-sized tensor at a time), float32.
double optimizerBytesPerParameter(const RunConfig& c) {
    const double state = c.optimizer == "sgd" ? (c.sgd_momentum > 0 ? 4 : 0) : 8; // AdamW: two moments
    return 4 + state + 4;
}

std::uint64_t bytes(double v) {
    return v <= 0 ? 0 : static_cast<std::uint64_t>(v + 0.5);
}

} // namespace

std::uint64_t trainingRuntimeBytes() {
    return kRuntimeBytes;
}

TrainingMemoryEstimate estimateTrainingMemory(const ModelInfo& model, const RunConfig& c,
                                              std::int64_t trainableParameters) {
    const Shape s = shapeOf(model);
    const bool full = c.finetuning_type == "full";
    const double act = (c.bf16 || c.fp16) ? 2 : 4;
    const double params = static_cast<double>(model.numParameters);
    const double trainable = static_cast<double>(std::max<std::int64_t>(0, trainableParameters));
    const double virtualTokens = static_cast<double>(c.num_virtual_tokens);
    const double batch = static_cast<double>(std::max<std::int64_t>(1, c.per_device_train_batch_size));
    const double T = static_cast<double>(std::max<std::int64_t>(1, c.cutoff_len));
    const double queries = c.finetuning_type == "prompt" ? T + virtualTokens : T;
    const double keys = (c.finetuning_type == "prompt" || c.finetuning_type == "prefix") ? T + virtualTokens : T;
    const double tokens = batch * queries;

    TrainingMemoryEstimate e;
    // Trained weights stay float32 (full fine-tuning trains them all).
    e.weightsBytes = bytes(full ? params * 4 : params * act);
    e.trainableBytes = bytes(trainable * ((full ? 0 : 4) + optimizerBytesPerParameter(c)));

    const double layer = tokens * layerBytesPerToken(s, c, act);
    // In backward one layer's gradients exist at once, and the attention's backward holds the
    // recomputed probabilities and their gradient together (float32; the scores' gradient
    // reuses the latter's block through the caching allocator) — for one causal block of queries
    // at a time (model/attention_blocks.h).
    const auto blockRows = model::causalBlockRowsFor(static_cast<std::int64_t>(queries));
    const double blockQueries = blockRows > 0 ? static_cast<double>(blockRows) : queries;
    const double backward = layer + 2 * batch * blockQueries * s.heads * keys * 4;
    // Gradient checkpointing keeps only each layer's input and recomputes one layer at a time.
    e.activationBytes = bytes(c.gradient_checkpointing ? s.layers * tokens * s.hidden * act + layer + backward
                                                       : s.layers * layer + backward);

    const double rows = batch * T; // labelled rows, at most every token
    const double chunkBuffers = kHeadChunkBuffers + (act < 4 ? act / 4.0 : 0.0);
    e.headBytes = bytes(chunkBuffers * std::min(rows, kHeadChunkRows) * s.vocab * 4 // logits chunk
                        + 2 * rows * s.hidden * 4                                        // selected rows + grad
                        + 3 * tokens * s.hidden * act                                    // embeddings, final norm
                        + batch * queries * keys * 4);                                   // attention mask
    e.runtimeBytes = trainingRuntimeBytes();
    e.totalBytes = e.weightsBytes + e.trainableBytes + e.activationBytes + e.headBytes + e.runtimeBytes;
    return e;
}

} // namespace ps
