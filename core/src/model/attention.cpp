#include "model/attention.h"

#include "model/attention_recompute.h"
#include "model/fast_dropout.h"
#include "util/env_switch.h"

#include "ps/error.h"

#include <cstdlib>
#include <limits>
#include <string>

namespace ps::model {
namespace {

constexpr float kMaskValue = std::numeric_limits<float>::lowest();

std::string shapeString(torch::IntArrayRef s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

torch::Tensor causalAllowed(std::int64_t T, std::int64_t past, std::int64_t window, torch::Device device) {
    const auto opts = torch::TensorOptions().dtype(torch::kInt64).device(device);
    const auto q = torch::arange(past, past + T, opts).unsqueeze(1); // absolute query positions
    const auto k = torch::arange(0, past + T, opts).unsqueeze(0);
    auto allowed = k <= q;
    if (window > 0)
        allowed = allowed.logical_and((q - k) < window);
    return allowed.view({1, 1, T, past + T});
}

torch::Tensor additive(const torch::Tensor& allowed) {
    return torch::zeros(allowed.sizes(), allowed.options().dtype(torch::kFloat32))
        .masked_fill_(allowed.logical_not(), kMaskValue);
}

// Whether an additive mask [B|1, 1|heads, T, past + T] hides every key after each query's own
// position and leaves every query at least one key.
bool isCausal(const torch::Tensor& mask, std::int64_t T, std::int64_t past) {
    const auto visible = mask > kMaskValue;
    const auto future = causalAllowed(T, past, 0, mask.device()).logical_not();
    return !visible.logical_and(future).any().item<bool>() && visible.any(-1).all().item<bool>();
}

} // namespace

AttentionMasks buildAttentionMasks(std::int64_t batch, std::int64_t T, std::int64_t past,
                                   const torch::Tensor& attentionMask, const torch::Tensor& attentionBias,
                                   std::int64_t slidingWindow, torch::Device device) {
    const std::int64_t total = past + T;
    AttentionMasks m;
    if (attentionBias.defined()) {
        const auto s = attentionBias.sizes();
        if (s.size() != 4 || (s[0] != batch && s[0] != 1) || s[2] != T || s[3] != total)
            throw Error("attentionBias has shape " + shapeString(s) + ", expected [" + std::to_string(batch) +
                        " or 1, 1, " + std::to_string(T) + ", " + std::to_string(total) + "]");
        m.full = attentionBias.to(device, torch::kFloat32).clamp_min(kMaskValue);
        m.sliding = m.full;
        m.causal = isCausal(m.full, T, past);
        return m;
    }
    torch::Tensor padding; // [B, 1, 1, total] bool, undefined when nothing is padded
    if (attentionMask.defined()) {
        if (attentionMask.dim() != 2 || attentionMask.size(0) != batch || attentionMask.size(1) != total)
            throw Error("attention mask has shape " + shapeString(attentionMask.sizes()) + ", expected [" +
                        std::to_string(batch) + ", " + std::to_string(total) + "] (cached + new tokens)");
        const auto keep = attentionMask.to(device) != 0;
        if (!keep.all().item<bool>())
            padding = keep.view({batch, 1, 1, total});
    }
    const bool windowActive = slidingWindow > 0 && total > slidingWindow;
    // The masks are built causal; with padding a query may see nothing at all (left padding),
    // and such a row is softmaxed over every key as transformers does, so no causal blocks then.
    m.causal = true;
    const auto build = [&](std::int64_t window) {
        auto allowed = causalAllowed(T, past, window, device);
        if (padding.defined()) {
            allowed = allowed.logical_and(padding);
            m.causal = m.causal && allowed.any(-1).all().item<bool>();
        }
        return additive(allowed);
    };
    // One new token with nothing padded sees every cached key: no mask at all.
    if (!(T == 1 && !padding.defined()))
        m.full = build(0);
    m.sliding = windowActive ? build(slidingWindow) : m.full;
    m.causal = m.causal && m.full.defined();
    m.plainCausal = m.causal && !padding.defined() && past == 0 && !windowActive;
    return m;
}

torch::Tensor defaultPositionIds(const torch::Tensor& attentionMask, std::int64_t batch, std::int64_t T,
                                 std::int64_t past, torch::Device device) {
    if (attentionMask.defined()) {
        const auto mask = attentionMask.to(device, torch::kInt64);
        auto pos = mask.cumsum(-1) - 1;
        pos.masked_fill_(mask == 0, 1);
        return pos.narrow(1, pos.size(1) - T, T);
    }
    return torch::arange(past, past + T, torch::TensorOptions().dtype(torch::kInt64).device(device))
        .unsqueeze(0)
        .expand({batch, T});
}

std::pair<torch::Tensor, torch::Tensor> appendToCache(KVCache* cache, std::size_t layer, const torch::Tensor& k,
                                                      const torch::Tensor& v) {
    if (!cache)
        return {k, v};
    auto& ck = cache->keys[layer];
    auto& cv = cache->values[layer];
    if (ck.defined()) {
        ck = torch::cat({ck, k}, 2);
        cv = torch::cat({cv, v}, 2);
    } else {
        ck = k.contiguous();
        cv = v.contiguous();
    }
    return {ck, cv};
}

bool fusedAttentionActive(torch::Device device) {
#ifdef PS_HAVE_SDPA
    static const bool enabled = !envIs("PS_SDPA", "0");
    return enabled && device.is_cuda();
#else
    (void)device;
    return false;
#endif
}

#ifdef PS_HAVE_SDPA
namespace {
// at::scaled_dot_product_attention (LibTorch >= 2.1; detected by the build, core/src/model/CMakeLists.txt).
// k/v heads are repeated for grouped queries (enable_gqa is 2.5+). A mask other than the plain
// causal one goes in as an additive mask of q's dtype, clamped to that dtype's lowest finite value
// so a fully masked (padding) row stays finite as in the matmul path.
torch::Tensor fusedAttend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                          const torch::Tensor& mask, double divisor, double dropout, bool plainCausal) {
    const auto B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
    const auto KV = k.size(1), S = k.size(2);
    const auto groups = H / KV;
    const auto dtype = q.scalar_type();
    const auto repeat = [&](const torch::Tensor& t) {
        auto r = t.scalar_type() == dtype ? t : t.to(dtype);
        return groups == 1 ? r : r.unsqueeze(2).expand({B, KV, groups, S, D}).reshape({B, H, S, D});
    };
    torch::Tensor bias;
    if (mask.defined() && !plainCausal) {
        double lowest = std::numeric_limits<float>::lowest();
        if (dtype == torch::kHalf)
            lowest = -65504.0;
        else if (dtype == torch::kBFloat16)
            lowest = -3.38e38;
        bias = (dtype == torch::kFloat32 ? mask : mask.clamp_min(lowest).to(dtype)).expand({B, H, T, S});
    }
    const auto kr = repeat(k), vr = repeat(v);
    // Both calls leave the optional mask's type to the overload (c10::optional before 2.4, std:: after).
    auto out = bias.defined()
                   ? at::scaled_dot_product_attention(q, kr, vr, bias, dropout, false, 1.0 / divisor)
                   : at::scaled_dot_product_attention(q, kr, vr, {}, dropout, plainCausal && mask.defined(), 1.0 / divisor);
    return out.transpose(1, 2).reshape({B, T, H * D});
}
} // namespace
#endif

torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask,
                     double divisor, double dropout, bool training, bool causal, bool plainCausal) {
    const auto B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
    const auto KV = k.size(1), S = k.size(2);
    if (H % KV != 0 || k.size(3) != D)
        throw Error("attention: " + std::to_string(H) + " query heads cannot share " + std::to_string(KV) +
                    " key/value heads");
    const auto groups = H / KV;
#ifdef PS_HAVE_SDPA
    if (fusedAttentionActive(q.device()) && !(mask.defined() && mask.requires_grad()))
        return fusedAttend(q, k, v, mask, divisor, training ? dropout : 0.0, plainCausal && T == S);
#endif
    // Training: keep q, k, v only and recompute the scores in backward (attention_recompute.h).
    if (torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad()) &&
        !(mask.defined() && mask.requires_grad()))
        return attendRecompute(q, k, v, mask, divisor, training ? dropout : 0.0,
                               causal && mask.defined() ? causalBlockRows(T) : 0);
    // Query heads of one kv head are adjacent: [B, H, T, D] -> [B, KV, groups*T, D] lets one
    // matmul per kv head serve the whole group (the same numbers as repeating k and v).
    const auto qg = groups == 1 ? q : q.reshape({B, KV, groups * T, D});
    auto scores = torch::matmul(qg, k.transpose(-1, -2)).view({B, H, T, S});
    if (divisor != 1.0)
        scores.div_(divisor);
    const auto dtype = q.scalar_type();
    if (dtype != torch::kFloat32)
        scores = scores.to(torch::kFloat32);
    if (mask.defined())
        scores.add_(mask);
    auto probs = torch::softmax(scores, -1);
    if (dtype != torch::kFloat32)
        probs = probs.to(dtype);
    if (training && dropout > 0.0)
        probs = model::dropout(probs, dropout, true);
    auto out = torch::matmul(groups == 1 ? probs : probs.view({B, KV, groups * T, S}), v);
    return out.view({B, H, T, D}).transpose(1, 2).reshape({B, T, H * D});
}

} // namespace ps::model
