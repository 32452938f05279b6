#pragma once
// Attention shared by every architecture: causal + padding (+ sliding-window) masks, position
// ids as transformers computes them, the KV cache, and scaled dot-product attention with
// grouped key/value heads. Plain matmul + softmax (identical on LibTorch 1.13 and 2.x).
// Internal header: includes torch.
#include "model/causal_lm.h"

#include <torch/torch.h>

namespace ps::model {

// Additive float32 masks, broadcastable to the scores [B, heads, T, S + T]: 0 where a query may
// attend, float32 lowest (transformers' finfo.min) where it may not, so a row with nothing to
// attend to (a padding query) stays finite. Undefined = nothing is masked.
struct AttentionMasks {
    torch::Tensor full;    // causal (+ padding) or the caller's attentionBias
    torch::Tensor sliding; // the same with the sliding window applied (layers that use one)
    // Both masks hide every key after a query's own position and leave each query at least one
    // key: attention may then skip the masked upper triangle (attendRecompute's causal blocks).
    bool causal = false;
    // Causal and nothing else (no padding, no cached keys, no bias, no active sliding window):
    // fused attention kernels can then take is_causal instead of a mask.
    bool plainCausal = false;
};

// Builds the masks for T new tokens after `pastLength` cached ones. `attentionMask` [B, S + T]
// (1 = token, 0 = padding) or undefined; `attentionBias` [B|1, 1|heads, T, S + T] additive,
// replaces causal + padding when defined (-inf entries are clamped to lowest).
AttentionMasks buildAttentionMasks(std::int64_t batch, std::int64_t T, std::int64_t pastLength,
                                   const torch::Tensor& attentionMask, const torch::Tensor& attentionBias,
                                   std::int64_t slidingWindow, torch::Device device);

// transformers' position ids: with a mask, cumsum(mask) - 1 with padding set to 1 (so left
// and right padding give real tokens the positions of the unpadded row), the last T columns;
// without one, pastLength .. pastLength + T - 1. Returns int64 [B, T].
torch::Tensor defaultPositionIds(const torch::Tensor& attentionMask, std::int64_t batch, std::int64_t T,
                                 std::int64_t pastLength, torch::Device device);

// Appends this step's k/v [B, kv_heads, T, D] to the cache slot of `layer` (when cache is set)
// and returns the keys/values to attend to.
std::pair<torch::Tensor, torch::Tensor> appendToCache(KVCache* cache, std::size_t layer, const torch::Tensor& k,
                                                      const torch::Tensor& v);

// softmax((q k^T) / divisor + mask) v for q [B, H, T, D], k/v [B, KV, S, D] with H a multiple
// of KV (query head h uses kv head h / (H / KV), as transformers' repeat_kv; done by grouping
// the queries, so k/v are never copied). Scores are softmaxed in float32. Returns the heads
// merged: [B, T, H * D], contiguous.
// `causal`: the mask is one of AttentionMasks with causal set (training then skips its upper triangle).
// `plainCausal`: the mask is exactly the causal one (AttentionMasks::plainCausal).
// On CUDA with LibTorch >= 2.1 (PS_HAVE_SDPA) this runs at::scaled_dot_product_attention instead
// (flash / memory-efficient kernels; PS_SDPA=0 switches it off).
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask,
                     double divisor, double dropout, bool training, bool causal = false, bool plainCausal = false);

// Whether attend() uses the fused scaled_dot_product_attention for tensors on `device`.
bool fusedAttentionActive(torch::Device device);

} // namespace ps::model
