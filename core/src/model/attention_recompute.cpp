#include "model/attention_recompute.h"

#include "model/attention_blocks.h"
#include "model/fast_dropout.h"
#include "system/blas_threads.h"

#include <torch/autograd.h>

#include <cstdlib>
#include <string>

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
        const auto qs = groupedScaled(q, s, 1.0 / divisor);
        auto out = torch::empty({s.B, s.KV, s.T * s.groups, s.D}, q.options()); // grouped layout
        const system::SingleThreadedBlas oneThread(q.device().is_cpu()); // small batched products
        for (const auto& b : queryBlocks(s, blockRows)) {
            auto probs = probabilities(blockRowsOf(qs, s, b), blockKeys(k, s, b), mask, s, b);
            if (keep.defined())
                applyKeepMask_(probs, blockKeep(keep, s, b), 1.0 / (1.0 - dropout));
            auto outB = blockRowsOf(out, s, b);
            torch::bmm_out(outB, probs.to(dtype), blockKeys(v, s, b));
        }
        ctx->save_for_backward({q, k, v, mask.defined() ? mask : torch::Tensor(), keep});
        ctx->saved_data["divisor"] = divisor;
        ctx->saved_data["dropout"] = dropout;
        ctx->saved_data["block_rows"] = blockRows;
        // [B, KV, T, groups, D] -> [B, T, KV, groups, D] = [B, T, H * D]
        return out.view({s.B, s.KV, s.T, s.groups, s.D}).permute({0, 2, 1, 3, 4}).reshape({s.B, s.T, s.H * s.D});
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &q = saved[0], &k = saved[1], &v = saved[2], &mask = saved[3], &keep = saved[4];
        const double divisor = ctx->saved_data["divisor"].toDouble();
        const double dropout = ctx->saved_data["dropout"].toDouble();
        const Shapes s = shapesOf(q, k);
        const auto dtype = q.scalar_type();
        const auto qs = groupedScaled(q, s, 1.0 / divisor);
        // The output gradient [B, T, H * D] = [B, T, KV, groups, D] in the grouped layout.
        const auto gOut = grads[0]
                              .reshape({s.B, s.T, s.KV, s.groups, s.D})
                              .permute({0, 2, 1, 3, 4})
                              .reshape({s.B, s.KV, s.T * s.groups, s.D})
                              .contiguous(); // already, unless groups == 1 made the reshape a view
        const auto blocks = queryBlocks(s, ctx->saved_data["block_rows"].toInt());
        auto dQs = torch::empty({s.B, s.KV, s.T * s.groups, s.D}, q.options()); // d(loss)/d(scores) k, grouped
        auto dK = torch::zeros_like(k), dV = torch::zeros_like(v);
        const system::SingleThreadedBlas oneThread(q.device().is_cpu()); // small batched products
        for (const auto& b : blocks) {
            const auto qb = blockRowsOf(qs, s, b);
            const auto kb = blockKeys(k, s, b), vb = blockKeys(v, s, b);
            const auto probs = probabilities(qb, kb, mask, s, b); // float32
            const auto gOb = blockRowsOf(gOut, s, b);
            torch::Tensor keepB, dropped = probs;
            if (keep.defined()) {
                keepB = blockKeep(keep, s, b);
                dropped = maskScaled(probs, keepB, 1.0 / (1.0 - dropout));
            }
            auto dVb = blockKeys(dV, s, b);
            dVb.baddbmm_(dropped.to(dtype).transpose(1, 2), gOb); // accumulated in the product
            auto dP = torch::bmm(gOb, vb.transpose(1, 2));
            if (dP.scalar_type() != torch::kFloat32)
                dP = dP.to(torch::kFloat32);
            if (keepB.defined())
                applyKeepMask_(dP, keepB, 1.0 / (1.0 - dropout));
            // softmax backward: dS = P * (dP - sum(dP * P)), one fused kernel. The scores were
            // qs k^T with qs = q / divisor: dk = dS^T qs, dq = (dS k) / divisor (scaled below).
            const auto dS = at::_softmax_backward_data(dP, probs, -1, torch::kFloat32).to(dtype);
            auto dQb = blockRowsOf(dQs, s, b);
            torch::bmm_out(dQb, dS, kb);
            auto dKb = blockKeys(dK, s, b);
            dKb.baddbmm_(dS.transpose(1, 2), qb);
        }
        // Back to [B, H, T, D] = [B, KV, groups, T, D], with the 1/divisor, in one pass.
        auto dQ = torch::empty({s.B, s.KV, s.groups, s.T, s.D}, q.options());
        at::mul_out(dQ, dQs.view({s.B, s.KV, s.T, s.groups, s.D}).transpose(2, 3), 1.0 / divisor);
        return {dQ.view({s.B, s.H, s.T, s.D}), dK, dV, torch::Tensor(), torch::Tensor(), torch::Tensor(),
                torch::Tensor()};
    }
};

} // namespace

std::int64_t causalBlockRows(std::int64_t T) {
    static const bool off = [] {
        const char* v = std::getenv("PS_CAUSAL_BLOCKS"); // "0": off, for comparisons in benchmarks
        return v && std::string(v) == "0";
    }();
    return off ? 0 : causalBlockRowsFor(T);
}

torch::Tensor attendRecompute(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& mask, double divisor, double dropout, std::int64_t blockRows) {
    return AttentionFunction::apply(q.contiguous(), k.contiguous(), v.contiguous(), mask, divisor, dropout,
                                    blockRows);
}

} // namespace ps::model
