#include "model/attention_recompute.h"

#include "model/attention_blocks.h"
#include "model/fast_dropout.h"
#include "system/blas_threads.h"
#include "system/parallel_parts.h"
#include "util/env_switch.h"

#include <torch/autograd.h>


namespace ps::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Shapes {
    std::int64_t B, H, T, D, KV, S, groups;
};

Shapes shapesOf(const torch::Tensor& q, const torch::Tensor& k) {
    Shapes s{q.size(0), q.size(1), q.size(2), q.size(3), k.size(1), k.size(2), 1};
    s.groups = s.H / s.KV;
    return s;
}

// A block of query rows [first, first + rows) and the keys it may see, [0, keys): all of them
// without causal blocking; with it, none after the block's last query (S - T + first + rows).
struct QueryBlock {
    std::int64_t first, rows, keys;
};

std::vector<QueryBlock> queryBlocks(const Shapes& s, std::int64_t blockRows) {
    if (blockRows <= 0 || blockRows >= s.T)
        return {{0, s.T, s.S}};
    std::vector<QueryBlock> out;
    for (std::int64_t first = 0; first < s.T; first += blockRows) {
        const auto rows = std::min(blockRows, s.T - first);
        out.push_back({first, rows, s.S - s.T + first + rows});
    }
    return out;
}

// A share of the (batch, kv head) pairs that one part works on alone: batches [first, first + count)
// when the batch has two or more rows, otherwise kv heads [first, first + count) of its one row —
// so that every tensor of the share is a narrow() of one dimension and the blocks below stay views.
struct Share {
    int dim = 0; // 0: batch, 1: kv heads
    std::int64_t first = 0, count = 0;
};

std::vector<Share> sharesOf(const Shapes& s, int parts) {
    const int dim = s.B >= 2 || s.KV < 2 ? 0 : 1;
    const auto n = dim == 0 ? s.B : s.KV;
    parts = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(parts, n)));
    std::vector<Share> out;
    for (int p = 0; p < parts; ++p) {
        const auto r = system::partRange(n, parts, p);
        out.push_back({dim, r.first, r.count});
    }
    return out;
}

Shapes shapesOf(const Shapes& s, const Share& sh) {
    Shapes out = s;
    (sh.dim == 0 ? out.B : out.KV) = sh.count;
    return out;
}

// A tensor laid out [B, KV, ...] (grouped queries, k, v, keep mask, their gradients), narrowed to a share.
torch::Tensor shareOf(const torch::Tensor& t, const Share& sh) {
    return t.defined() ? t.narrow(sh.dim, sh.first, sh.count) : t;
}

// A tensor laid out [B|1, H|1, ...] (q, its gradient, the additive mask) narrowed to a share: its
// batch rows, or its heads (`groups` per kv head); a dimension of size 1 broadcasts and stays.
torch::Tensor headsShareOf(const torch::Tensor& t, const Share& sh, const Shapes& s) {
    if (!t.defined() || t.size(sh.dim) == 1)
        return t;
    return sh.dim == 0 ? t.narrow(0, sh.first, sh.count) : t.narrow(1, sh.first * s.groups, sh.count * s.groups);
}

// A tensor laid out [B, T, KV, groups, D] (the attention's output and its gradient) narrowed to a share.
torch::Tensor tokensShareOf(const torch::Tensor& t, const Share& sh) {
    return t.narrow(sh.dim == 0 ? 0 : 2, sh.first, sh.count);
}

// Runs fn(share, shapes of the share) for each share, the shares in parallel when the cores are
// free for it (system::smallProductParts(), inside a SingleThreadedBlas scope).
template <typename Fn> void forEachShare(const Shapes& s, bool cpu, Fn&& fn) {
    const auto shares = sharesOf(s, cpu ? system::smallProductParts() : 1);
    system::runParts(static_cast<int>(shares.size()), [&](int p) {
        const auto& sh = shares[static_cast<std::size_t>(p)];
        fn(sh, shapesOf(s, sh));
    });
}

// Layout: the queries of the `groups` heads that share a kv head are stacked per kv head in
// (position, head) order, [B, KV, T * groups, D]: one product per kv head serves the whole group
// (the same numbers as repeating k and v), and a block of query positions is a contiguous range
// of rows, so products read and write it in place. scaled = x * `scale`, laid out so: [B, H, T, D]
// -> [B, KV, T * groups, D] (one pass that also applies the 1/divisor of the scores).
torch::Tensor groupedScaled(const torch::Tensor& x, const Shapes& s, double scale) {
    auto out = torch::empty({s.B, s.KV, s.T, s.groups, s.D}, x.options());
    at::mul_out(out, x.view({s.B, s.KV, s.groups, s.T, s.D}).transpose(2, 3), scale);
    return out.view({s.B, s.KV, s.T * s.groups, s.D});
}

// Rows of a block in the grouped layout, as [B * KV, rows * groups, D]: a view (products write
// into it), so view() rather than reshape(), which could copy.
torch::Tensor blockRowsOf(const torch::Tensor& grouped, const Shapes& s, const QueryBlock& b) {
    return grouped.narrow(2, b.first * s.groups, b.rows * s.groups).view({s.B * s.KV, b.rows * s.groups, s.D});
}

// Keys or values up to the block's last visible key, as [B * KV, keys, D] (a view).
torch::Tensor blockKeys(const torch::Tensor& kv, const Shapes& s, const QueryBlock& b) {
    return kv.narrow(2, 0, b.keys).view({s.B * s.KV, b.keys, s.D});
}

// The keep mask is drawn for [B, KV, groups * T, S] in (head, position) order — attend()'s
// draw — and read here in the grouped (position, head) order of the block: [B * KV, rows * groups, keys].
torch::Tensor blockKeep(const torch::Tensor& keep, const Shapes& s, const QueryBlock& b) {
    return keep.view({s.B, s.KV, s.groups, s.T, s.S})
        .narrow(3, b.first, b.rows)
        .narrow(4, 0, b.keys)
        .transpose(2, 3)
        .reshape({s.B * s.KV, b.rows * s.groups, b.keys});
}

// softmax(qs k^T + mask) in float32 for one block, qs the grouped queries already scaled by
// 1/divisor: [B * KV, rows * groups, keys]. The mask [B|1, 1|H, T, S] is added per head.
torch::Tensor probabilities(const torch::Tensor& qb, const torch::Tensor& kb, const torch::Tensor& mask,
                            const Shapes& s, const QueryBlock& b) {
    auto scores = torch::bmm(qb, kb.transpose(1, 2));
    if (scores.scalar_type() != torch::kFloat32)
        scores = scores.to(torch::kFloat32);
    if (mask.defined()) {
        const auto m = mask.narrow(2, b.first, b.rows).narrow(3, 0, b.keys);
        const auto perHead = m.size(1) == 1 ? m.view({m.size(0), 1, b.rows, 1, b.keys})
                                            : m.view({m.size(0), s.KV, s.groups, b.rows, b.keys}).transpose(2, 3);
        scores.view({s.B, s.KV, b.rows, s.groups, b.keys}).add_(perHead);
    }
    return torch::softmax(scores, -1);
}

class AttentionFunction final : public torch::autograd::Function<AttentionFunction> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v, const torch::Tensor& mask, double divisor, double dropout,
                                 std::int64_t blockRows) {
        const Shapes s = shapesOf(q, k);
        const auto dtype = q.scalar_type();
        torch::Tensor keep;
        if (dropout > 0.0) {
            // One draw for the whole [B, KV, groups*T, S] score matrix — the same draw as attend()'s
            // dropout (model::dropout) on this device, whatever the blocking below.
            const std::vector<std::int64_t> full{s.B, s.KV, s.groups * s.T, s.S};
            keep = q.device().is_cpu()
                       ? dropoutKeepMask(full, dropout)
                       : torch::empty(full, q.options().dtype(dtype)).bernoulli_(1.0 - dropout).to(torch::kBool);
        }
        auto out = torch::empty({s.B, s.T, s.KV, s.groups, s.D}, q.options()); // = [B, T, H * D]
        const system::SingleThreadedBlas oneThread(q.device().is_cpu());       // small batched products
        forEachShare(s, q.device().is_cpu(), [&](const Share& sh, const Shapes& ss) {
            const auto qsP = groupedScaled(headsShareOf(q, sh, s), ss, 1.0 / divisor);
            const auto kP = shareOf(k, sh), vP = shareOf(v, sh);
            const auto maskP = headsShareOf(mask, sh, s), keepP = shareOf(keep, sh);
            auto outP = torch::empty_like(qsP); // grouped layout
            for (const auto& b : queryBlocks(ss, blockRows)) {
                auto probs = probabilities(blockRowsOf(qsP, ss, b), blockKeys(kP, ss, b), maskP, ss, b);
                if (keepP.defined())
                    applyKeepMask_(probs, blockKeep(keepP, ss, b), 1.0 / (1.0 - dropout));
                auto outB = blockRowsOf(outP, ss, b);
                torch::bmm_out(outB, probs.to(dtype), blockKeys(vP, ss, b));
            }
            // [B, KV, T, groups, D] -> [B, T, KV, groups, D]
            tokensShareOf(out, sh).copy_(outP.view({ss.B, ss.KV, ss.T, ss.groups, ss.D}).permute({0, 2, 1, 3, 4}));
        });
        ctx->save_for_backward({q, k, v, mask.defined() ? mask : torch::Tensor(), keep});
        ctx->saved_data["divisor"] = divisor;
        ctx->saved_data["dropout"] = dropout;
        ctx->saved_data["block_rows"] = blockRows;
        return out.view({s.B, s.T, s.H * s.D});
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &q = saved[0], &k = saved[1], &v = saved[2], &mask = saved[3], &keep = saved[4];
        const double divisor = ctx->saved_data["divisor"].toDouble();
        const double dropout = ctx->saved_data["dropout"].toDouble();
        const Shapes s = shapesOf(q, k);
        const auto dtype = q.scalar_type();
        // The output gradient [B, T, H * D] = [B, T, KV, groups, D].
        const auto gOut = grads[0].reshape({s.B, s.T, s.KV, s.groups, s.D});
        const auto blocks = queryBlocks(s, ctx->saved_data["block_rows"].toInt());
        auto dQ = torch::empty({s.B, s.KV, s.groups, s.T, s.D}, q.options()); // = [B, H, T, D]
        auto dK = torch::zeros_like(k), dV = torch::zeros_like(v);
        const system::SingleThreadedBlas oneThread(q.device().is_cpu()); // small batched products
        forEachShare(s, q.device().is_cpu(), [&](const Share& sh, const Shapes& ss) {
            const auto qsP = groupedScaled(headsShareOf(q, sh, s), ss, 1.0 / divisor);
            const auto kP = shareOf(k, sh), vP = shareOf(v, sh);
            // The output gradient of the share in the grouped layout [B, KV, T * groups, D].
            auto gOutP = torch::empty_like(qsP);
            gOutP.view({ss.B, ss.KV, ss.T, ss.groups, ss.D}).copy_(tokensShareOf(gOut, sh).permute({0, 2, 1, 3, 4}));
            const auto maskP = headsShareOf(mask, sh, s), keepP = shareOf(keep, sh);
            auto dQsP = torch::empty_like(qsP); // d(loss)/d(scores) k, grouped
            const auto dKP = shareOf(dK, sh), dVP = shareOf(dV, sh);
            for (const auto& b : blocks) {
                const auto qb = blockRowsOf(qsP, ss, b);
                const auto kb = blockKeys(kP, ss, b), vb = blockKeys(vP, ss, b);
                const auto probs = probabilities(qb, kb, maskP, ss, b); // float32
                const auto gOb = blockRowsOf(gOutP, ss, b);
                torch::Tensor keepB, dropped = probs;
                if (keepP.defined()) {
                    keepB = blockKeep(keepP, ss, b);
                    dropped = maskScaled(probs, keepB, 1.0 / (1.0 - dropout));
                }
                auto dVb = blockKeys(dVP, ss, b);
                dVb.baddbmm_(dropped.to(dtype).transpose(1, 2), gOb); // accumulated in the product
                auto dP = torch::bmm(gOb, vb.transpose(1, 2));
                if (dP.scalar_type() != torch::kFloat32)
                    dP = dP.to(torch::kFloat32);
                if (keepB.defined())
                    applyKeepMask_(dP, keepB, 1.0 / (1.0 - dropout));
                // softmax backward: dS = P * (dP - sum(dP * P)), one fused kernel. The scores were
                // qs k^T with qs = q / divisor: dk = dS^T qs, dq = (dS k) / divisor (scaled below).
                const auto dS = at::_softmax_backward_data(dP, probs, -1, torch::kFloat32).to(dtype);
                auto dQb = blockRowsOf(dQsP, ss, b);
                torch::bmm_out(dQb, dS, kb);
                auto dKb = blockKeys(dKP, ss, b);
                dKb.baddbmm_(dS.transpose(1, 2), qb);
            }
            // Back to [B, H, T, D] = [B, KV, groups, T, D], with the 1/divisor, in one pass.
            auto dQP = shareOf(dQ, sh);
            at::mul_out(dQP, dQsP.view({ss.B, ss.KV, ss.T, ss.groups, ss.D}).transpose(2, 3), 1.0 / divisor);
        });
        return {
            dQ.view({s.B, s.H, s.T, s.D}), dK, dV, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

std::int64_t causalBlockRows(std::int64_t T) {
    static const bool off = [] {
        return envIs("PS_CAUSAL_BLOCKS", "0"); // off, for comparisons in benchmarks
    }();
    return off ? 0 : causalBlockRowsFor(T);
}

torch::Tensor attendRecompute(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& mask, double divisor, double dropout, std::int64_t blockRows) {
    return AttentionFunction::apply(q.contiguous(), k.contiguous(), v.contiguous(), mask, divisor, dropout, blockRows);
}

} // namespace ps::model
