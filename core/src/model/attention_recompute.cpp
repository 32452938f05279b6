#include "model/attention_recompute.h"

#include "model/attention_blocks.h"
#include "model/fast_dropout.h"

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

// The block's queries with the heads of one kv head adjacent: [B, H, T, D] -> [B, KV, groups*rows, D]
// lets one matmul per kv head serve the whole group (the same numbers as repeating k and v).
torch::Tensor blockQueries(const torch::Tensor& q, const Shapes& s, const QueryBlock& b) {
    if (b.rows == s.T)
        return s.groups == 1 ? q : q.reshape({s.B, s.KV, s.groups * s.T, s.D});
    return q.view({s.B, s.KV, s.groups, s.T, s.D}).narrow(3, b.first, b.rows).reshape({s.B, s.KV, s.groups * b.rows, s.D});
}

torch::Tensor blockMask(const torch::Tensor& mask, const QueryBlock& b) {
    if (!mask.defined())
        return mask;
    return mask.narrow(2, b.first, b.rows).narrow(3, 0, b.keys);
}

torch::Tensor blockKeep(const torch::Tensor& keep, const Shapes& s, const QueryBlock& b) {
    if (b.rows == s.T && b.keys == s.S)
        return keep;
    return keep.view({s.B, s.KV, s.groups, s.T, s.S})
        .narrow(3, b.first, b.rows)
        .narrow(4, 0, b.keys)
        .reshape({s.B, s.KV, s.groups * b.rows, b.keys});
}

// softmax(q k^T / divisor + mask) in float32 for one block, grouped: [B, KV, groups*rows, keys].
torch::Tensor probabilities(const torch::Tensor& qb, const torch::Tensor& kb, const torch::Tensor& maskB,
                            double divisor, const Shapes& s, const QueryBlock& b) {
    auto scores = torch::matmul(qb, kb.transpose(-1, -2));
    if (scores.scalar_type() != torch::kFloat32)
        scores = scores.to(torch::kFloat32);
    if (divisor != 1.0)
        scores.div_(divisor);
    if (maskB.defined())
        scores.view({s.B, s.H, b.rows, b.keys}).add_(maskB);
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
        auto out = torch::empty({s.B, s.KV, s.groups, s.T, s.D}, q.options());
        for (const auto& b : queryBlocks(s, blockRows)) {
            auto probs = probabilities(blockQueries(q, s, b), k.narrow(2, 0, b.keys), blockMask(mask, b), divisor, s, b);
            if (keep.defined())
                applyKeepMask_(probs, blockKeep(keep, s, b), 1.0 / (1.0 - dropout));
            const auto o = torch::matmul(probs.to(dtype), v.narrow(2, 0, b.keys)); // [B, KV, groups*rows, D]
            out.narrow(3, b.first, b.rows).copy_(o.view({s.B, s.KV, s.groups, b.rows, s.D}));
        }
        ctx->save_for_backward({q, k, v, mask.defined() ? mask : torch::Tensor(), keep});
        ctx->saved_data["divisor"] = divisor;
        ctx->saved_data["dropout"] = dropout;
        ctx->saved_data["block_rows"] = blockRows;
        return out.view({s.B, s.H, s.T, s.D}).transpose(1, 2).reshape({s.B, s.T, s.H * s.D});
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &q = saved[0], &k = saved[1], &v = saved[2], &mask = saved[3], &keep = saved[4];
        const double divisor = ctx->saved_data["divisor"].toDouble();
        const double dropout = ctx->saved_data["dropout"].toDouble();
        const Shapes s = shapesOf(q, k);
        const auto dtype = q.scalar_type();
        // The output gradient as [B, KV, groups, T, D] (heads split, queries grouped).
        const auto gOut = grads[0].reshape({s.B, s.T, s.H, s.D}).transpose(1, 2).reshape(
            {s.B, s.KV, s.groups, s.T, s.D});
        const auto blocks = queryBlocks(s, ctx->saved_data["block_rows"].toInt());
        auto dQ = torch::empty({s.B, s.KV, s.groups, s.T, s.D}, q.options());
        torch::Tensor dK, dV;
        if (blocks.size() > 1) {
            dK = torch::zeros_like(k);
            dV = torch::zeros_like(v);
        }
        for (const auto& b : blocks) {
            const auto qb = blockQueries(q, s, b);
            const auto kb = k.narrow(2, 0, b.keys), vb = v.narrow(2, 0, b.keys);
            const auto probs = probabilities(qb, kb, blockMask(mask, b), divisor, s, b); // float32
            const auto gOb = gOut.narrow(3, b.first, b.rows).reshape({s.B, s.KV, s.groups * b.rows, s.D});
            torch::Tensor keepB, dropped = probs;
            if (keep.defined()) {
                keepB = blockKeep(keep, s, b);
                dropped = maskScaled(probs, keepB, 1.0 / (1.0 - dropout));
            }
            const auto dVb = torch::matmul(dropped.to(dtype).transpose(-1, -2), gOb);
            auto dP = torch::matmul(gOb, vb.transpose(-1, -2));
            if (dP.scalar_type() != torch::kFloat32)
                dP = dP.to(torch::kFloat32);
            if (keepB.defined())
                applyKeepMask_(dP, keepB, 1.0 / (1.0 - dropout));
            // softmax backward: dS = P * (dP - sum(dP * P)), then the 1 / divisor of the scores.
            auto dS = at::_softmax_backward_data(dP, probs, -1, torch::kFloat32); // one fused kernel
            if (divisor != 1.0)
                dS.div_(divisor);
            const auto dS_ = dS.to(dtype);
            dQ.narrow(3, b.first, b.rows).copy_(torch::matmul(dS_, kb).view({s.B, s.KV, s.groups, b.rows, s.D}));
            const auto dKb = torch::matmul(dS_.transpose(-1, -2), qb);
            if (blocks.size() == 1) {
                dK = dKb;
                dV = dVb;
            } else {
                dK.narrow(2, 0, b.keys).add_(dKb);
                dV.narrow(2, 0, b.keys).add_(dVb);
            }
        }
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
