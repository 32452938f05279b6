#include "model/attention_recompute.h"

#include "model/attention_blocks.h"
#include "model/attention_rows.h"
#include "model/batched_products.h"
#include "model/fast_dropout.h"
#include "system/blas_threads.h"
#include "system/parallel_parts.h"
#include "util/env_switch.h"

#include <torch/autograd.h>

#include <atomic>
#include <limits>
#include <optional>
#include <vector>


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

// The key columns a block's products cover: [0, keys) of the block, or (with masked keys
// skipped) the visible ranges around the longest run of keys that no query of the block sees.
using KeyRanges = std::vector<KeyRange>;

KeyRanges allKeys(const QueryBlock& b) {
    return {{0, b.keys}};
}

// For each row of the mask (one when it broadcasts over the batch) and each query block, the key
// ranges its products cover (KeyPlan::of). Empty (every block all its keys) without a mask, with a
// per-head mask, or with skipping off.
struct KeyPlan {
    std::int64_t maskRows = 0, blocks = 0;
    std::vector<KeyRanges> ranges; // [maskRow * blocks + block]
    bool any = false;              // some block of some row skips keys

    bool empty() const { return !any; }
    bool unequalRows() const { return any && maskRows > 1; }
    const KeyRanges& of(std::int64_t maskRow, std::size_t block) const {
        return ranges[static_cast<std::size_t>(maskRow * blocks) + block];
    }
};

KeyPlan planKeys(const torch::Tensor& mask, const Shapes& s, const std::vector<QueryBlock>& blocks,
                 std::int64_t minSkipped) {
    KeyPlan plan;
    if (minSkipped <= 0 || !mask.defined() || mask.size(1) != 1 || !mask.device().is_cpu())
        return plan;
    // Visible = above half of float32 lowest (masked entries are lowest, model/attention.h).
    const auto visible = (mask.select(1, 0).expand({mask.size(0), s.T, s.S}) >
                          std::numeric_limits<float>::lowest() / 2)
                             .contiguous();
    const auto vis = visible.accessor<bool, 3>();
    plan.maskRows = mask.size(0);
    plan.blocks = static_cast<std::int64_t>(blocks.size());
    std::vector<char> column;
    for (std::int64_t r = 0; r < plan.maskRows; ++r)
        for (const auto& b : blocks) {
            column.assign(static_cast<std::size_t>(b.keys), 0);
            bool everyQuerySeesAKey = true;
            for (std::int64_t qi = b.first; qi < b.first + b.rows; ++qi) {
                bool sees = false;
                for (std::int64_t j = 0; j < b.keys; ++j)
                    if (vis[r][qi][j]) {
                        column[static_cast<std::size_t>(j)] = 1;
                        sees = true;
                    }
                everyQuerySeesAKey = everyQuerySeesAKey && sees;
            }
            // A query that sees nothing is softmaxed over every key (model/attention.h): keep them all.
            auto ranges = everyQuerySeesAKey ? visibleKeyRanges(column, minSkipped) : allKeys(b);
            plan.any = plan.any || ranges.size() != 1 || ranges[0].from != 0 || ranges[0].len != b.keys;
            plan.ranges.push_back(std::move(ranges));
        }
    return plan;
}

// A share of the (batch, kv head) pairs that one part works on alone: batches [first, first + count)
// when the batch has two or more rows (unless asked to cut by heads), otherwise kv heads
// [first, first + count) of every row —
// so that every tensor of the share is a narrow() of one dimension and the blocks below stay views.
struct Share {
    int dim = 0; // 0: batch, 1: kv heads
    std::int64_t first = 0, count = 0;
};

std::vector<Share> sharesOf(const Shapes& s, int parts, bool byHeads) {
    // By heads only when they divide evenly (llama-135m's 3 kv heads on 2 cores would be 2:1).
    byHeads = byHeads && parts > 1 && s.KV % parts == 0;
    const int dim = (s.B >= 2 && !byHeads) || s.KV < 2 ? 0 : 1;
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
// free for it (system::smallProductParts(), inside a SingleThreadedBlas scope). `byHeads`: cut by
// kv heads even when there are several batch rows, if they divide evenly among the parts (rows
// whose blocks skip different keys are unequal work; every kv head of a row is the same work).
template <typename Fn> void forEachShare(const Shapes& s, bool cpu, bool byHeads, Fn&& fn) {
    const auto shares = sharesOf(s, cpu ? system::smallProductParts() : 1, byHeads);
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

// Keys or values [r.from, r.from + r.len) as [B * KV, len, D] (a view).
torch::Tensor keyRange(const torch::Tensor& kv, const Shapes& s, const KeyRange& r) {
    return kv.narrow(2, r.from, r.len).view({s.B * s.KV, r.len, s.D});
}

std::int64_t widthOf(const KeyRanges& ranges) {
    std::int64_t w = 0;
    for (const auto& r : ranges)
        w += r.len;
    return w;
}

// The columns of `t` (last dimension) in `ranges`, side by side: a narrow() when there is one range.
torch::Tensor columnsOf(const torch::Tensor& t, const KeyRanges& ranges) {
    const auto d = t.dim() - 1;
    if (ranges.size() == 1)
        return t.narrow(d, ranges[0].from, ranges[0].len);
    std::vector<torch::Tensor> parts;
    for (const auto& r : ranges)
        parts.push_back(t.narrow(d, r.from, r.len));
    return torch::cat(parts, d);
}

// fn(i, range, its first column in the block's score matrix) for each key range.
template <typename Fn> void forEachRange(const KeyRanges& ranges, Fn&& fn) {
    std::int64_t column = 0;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        fn(i, ranges[i], column);
        column += ranges[i].len;
    }
}

// Where the dropout's keep flags come from. They are those of one keep mask for the whole
// [B, KV, groups * T, S] score matrix in (head, position) order — attend()'s draw on this device,
// whatever the blocking. On the CPU the draw is counter-based (model/fast_dropout.h: each flag a
// function of the seed and its index), so each block generates only its own rows and visible
// columns, in forward and again in backward, and the node keeps the seed, not a byte per score
// (GPT-2 at 4 x 1024: ~50 MB per layer). Elsewhere the whole mask is drawn once and kept.
struct KeepSource {
    std::optional<KeepDraw> draw; // the CPU
    torch::Tensor mask;           // other devices: [B, KV, groups * T, S], narrowed like the other tensors
    std::int64_t batch0 = 0;      // with `draw`: the whole batch's row and kv head that index 0 of a share is
    std::int64_t kv0 = 0;
    bool defined() const { return draw.has_value() || mask.defined(); }
};

KeepSource shareOf(const KeepSource& k, const Share& sh) {
    KeepSource out = k;
    out.mask = shareOf(k.mask, sh);
    (sh.dim == 0 ? out.batch0 : out.kv0) += sh.first;
    return out;
}

KeepSource rowsOf(const KeepSource& k, std::int64_t first, std::int64_t count) {
    KeepSource out = k;
    out.mask = k.mask.defined() ? k.mask.narrow(0, first, count) : k.mask;
    out.batch0 += first;
    return out;
}

// A block's keep flags in the grouped (position, head) order, the columns of `ranges`:
// [B * KV, rows * groups, width] for the share's shapes `s`; `whole` the whole call's shapes.
torch::Tensor blockKeep(const KeepSource& keep, const Shapes& s, const Shapes& whole, const QueryBlock& b,
                        const KeyRanges& ranges) {
    if (!keep.draw) {
        const auto rows = keep.mask.view({s.B, s.KV, s.groups, s.T, s.S}).narrow(3, b.first, b.rows).transpose(2, 3);
        return columnsOf(rows, ranges).reshape({s.B * s.KV, b.rows * s.groups, widthOf(ranges)});
    }
    const auto width = widthOf(ranges);
    auto out = torch::empty({s.B * s.KV, b.rows * s.groups, width}, torch::TensorOptions().dtype(torch::kBool));
    bool* flags = out.data_ptr<bool>();
    for (std::int64_t bi = 0; bi < s.B; ++bi)
        for (std::int64_t kv = 0; kv < s.KV; ++kv)
            for (std::int64_t r = 0; r < b.rows; ++r)
                for (std::int64_t g = 0; g < s.groups; ++g) {
                    // Row (head kv * groups + g, position b.first + r) of the whole mask.
                    const auto wholeRow =
                        (((keep.batch0 + bi) * whole.KV + keep.kv0 + kv) * whole.groups + g) * whole.T + b.first + r;
                    bool* row = flags + (((bi * s.KV + kv) * b.rows + r) * s.groups + g) * width;
                    forEachRange(ranges, [&](std::size_t, const KeyRange& range, std::int64_t column) {
                        keepFlags(*keep.draw, wholeRow * whole.S + range.from, range.len, row + column);
                    });
                }
    return out;
}

// out = x kv over the key ranges: x [B * KV, rows, width] holds the ranges' columns side by side
// (probabilities or dS), kv the keys or values; the first range writes, the others accumulate.
void productOverRanges(torch::Tensor& out, const torch::Tensor& x, const torch::Tensor& kv, const Shapes& s,
                       const KeyRanges& ranges) {
    forEachRange(ranges, [&](std::size_t i, const KeyRange& r, std::int64_t column) {
        const auto xr = x.narrow(2, column, r.len);
        if (i == 0)
            bmmInto(out, xr, keyRange(kv, s, r));
        else
            bmmAddInto(out, xr, keyRange(kv, s, r));
    });
}

std::atomic<bool>& rowKernelsSwitch() {
    static std::atomic<bool> on{!envIs("PS_ATTENTION_ROW_KERNELS", "0")}; // off: LibTorch's operators
    return on;
}

bool useRowKernels(const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && t.is_contiguous() && rowKernelsSwitch() &&
           attentionRowKernelsAvailable();
}

// Row i of a block's [B * KV, rows * groups, width] score matrix, as (batch row, kv head, query row,
// group), and a [B * KV, rows * groups, width] tensor's row pointer (last dimension contiguous:
// scores, dP, probabilities and, on the CPU, blockKeep's flags are all fresh tensors).
struct ScoreRow {
    std::int64_t b, kv, r, g;
};
ScoreRow scoreRow(std::int64_t i, const Shapes& s, std::int64_t rows) {
    const auto perMatrix = rows * s.groups;
    const auto bk = i / perMatrix, rg = i % perMatrix;
    return {bk / s.KV, bk % s.KV, rg / s.groups, rg % s.groups};
}
template <typename T> T* rowOf(const torch::Tensor& t, std::int64_t i, std::int64_t perMatrix) {
    return t.data_ptr<T>() + (i / perMatrix) * t.stride(0) + (i % perMatrix) * t.stride(1);
}

// softmax(qs k^T + mask) in float32 for one block over the keys of `ranges`, qs the grouped
// queries already scaled by 1/divisor: [B * KV, rows * groups, width]. The mask [B|1, 1|H, T, S]
// is added per head. With `keep`, the result is dropped out (keep ? p * keepScale : 0): the
// forward's probabilities. On the CPU in float32, mask, softmax and dropout are one row kernel
// (model/attention_rows.h); otherwise LibTorch's add_, softmax and the dropout pass.
torch::Tensor probabilities(const torch::Tensor& qb, const torch::Tensor& k, const torch::Tensor& mask,
                            const Shapes& s, const QueryBlock& b, const KeyRanges& ranges,
                            const torch::Tensor& keep = {}, double keepScale = 1.0) {
    auto scores = torch::empty({s.B * s.KV, b.rows * s.groups, widthOf(ranges)}, qb.options());
    forEachRange(ranges, [&](std::size_t, const KeyRange& r, std::int64_t column) {
        auto part = scores.narrow(2, column, r.len);
        bmmInto(part, qb, keyRange(k, s, r).transpose(1, 2));
    });
    if (scores.scalar_type() != torch::kFloat32)
        scores = scores.to(torch::kFloat32);
    const auto m = mask.defined() ? columnsOf(mask.narrow(2, b.first, b.rows), ranges) : torch::Tensor();
    if (useRowKernels(scores)) {
        const auto w = scores.size(2), perMatrix = scores.size(1);
        const auto mc = m.defined() ? m.contiguous() : m;
        const float* mp = mc.defined() ? mc.data_ptr<float>() : nullptr;
        for (std::int64_t i = 0; i < scores.size(0) * perMatrix; ++i) {
            const float* maskRow = nullptr;
            if (mp) {
                const auto at = scoreRow(i, s, b.rows);
                const auto mb = mc.size(0) == 1 ? 0 : at.b, mh = mc.size(1) == 1 ? 0 : at.kv * s.groups + at.g;
                maskRow = mp + ((mb * mc.size(1) + mh) * b.rows + at.r) * w;
            }
            maskedSoftmaxRow(rowOf<float>(scores, i, perMatrix), maskRow,
                             keep.defined() ? rowOf<bool>(keep, i, perMatrix) : nullptr, static_cast<float>(keepScale), w);
        }
        return scores;
    }
    if (m.defined()) {
        const auto w = m.size(3);
        const auto perHead = m.size(1) == 1 ? m.view({m.size(0), 1, b.rows, 1, w})
                                            : m.view({m.size(0), s.KV, s.groups, b.rows, w}).transpose(2, 3);
        scores.view({s.B, s.KV, b.rows, s.groups, w}).add_(perHead);
    }
    auto probs = torch::softmax(scores, -1);
    if (keep.defined())
        applyKeepMask_(probs, keep, keepScale);
    return probs;
}

// dS = softmax backward of (dP with the dropout mask, when `keep` is defined) at `probs`, in float32.
torch::Tensor softmaxBackward(torch::Tensor dP, const torch::Tensor& probs, const torch::Tensor& keep, double keepScale) {
    if (dP.scalar_type() != torch::kFloat32)
        dP = dP.to(torch::kFloat32);
    if (useRowKernels(dP) && probs.is_contiguous()) {
        const auto w = dP.size(2), perMatrix = dP.size(1);
        for (std::int64_t i = 0; i < dP.size(0) * perMatrix; ++i)
            softmaxBackwardRow(rowOf<float>(probs, i, perMatrix), rowOf<float>(dP, i, perMatrix),
                               keep.defined() ? rowOf<bool>(keep, i, perMatrix) : nullptr, static_cast<float>(keepScale), w);
        return dP;
    }
    if (keep.defined())
        applyKeepMask_(dP, keep, keepScale);
    return at::_softmax_backward_data(dP, probs, -1, torch::kFloat32);
}

// The rows of a share that one set of products covers: all of them when every row's block has the
// same key ranges, otherwise one row at a time with its own ranges; always one at a time in a
// share of kv heads of several rows, whose (row, head) dimensions do not merge into one batch
// dimension. fn(first row, row count, ranges).
template <typename Fn>
void forEachRowGroup(const KeyPlan& plan, const Share& sh, const Shapes& ss, std::size_t blockIndex,
                     const QueryBlock& b, Fn&& fn) {
    const KeyRanges whole = allKeys(b);
    const auto rangesOfRow = [&](std::int64_t i) -> const KeyRanges& {
        if (plan.empty())
            return whole;
        return plan.of(plan.maskRows == 1 ? 0 : sh.dim == 0 ? sh.first + i : i, blockIndex);
    };
    bool together = !(sh.dim == 1 && ss.B > 1);
    for (std::int64_t i = 1; i < ss.B && together; ++i)
        together = rangesOfRow(i) == rangesOfRow(0);
    if (together)
        return fn(0, ss.B, rangesOfRow(0));
    for (std::int64_t i = 0; i < ss.B; ++i)
        fn(i, 1, rangesOfRow(i));
}

// A tensor laid out [B|1, ...] narrowed to `count` rows from `first` (a broadcast dimension stays).
torch::Tensor rowsOf(const torch::Tensor& t, std::int64_t first, std::int64_t count) {
    return !t.defined() || t.size(0) == 1 ? t : t.narrow(0, first, count);
}

Shapes withRows(Shapes s, std::int64_t rows) {
    s.B = rows;
    return s;
}

std::atomic<bool>& skipMaskedKeysSwitch() {
    static std::atomic<bool> on{!envIs("PS_SKIP_MASKED_KEYS", "0")}; // off: for comparisons in benchmarks
    return on;
}

class AttentionFunction final : public torch::autograd::Function<AttentionFunction> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v, const torch::Tensor& mask, double divisor, double dropout,
                                 std::int64_t blockRows, std::int64_t minSkipped) {
        const Shapes s = shapesOf(q, k);
        const auto dtype = q.scalar_type();
        KeepSource keep; // see KeepSource
        if (dropout > 0.0) {
            if (q.device().is_cpu())
                keep.draw = drawKeep(dropout);
            else
                keep.mask = torch::empty({s.B, s.KV, s.groups * s.T, s.S}, q.options().dtype(dtype))
                                .bernoulli_(1.0 - dropout)
                                .to(torch::kBool);
        }
        const auto blocks = queryBlocks(s, blockRows);
        const auto plan = planKeys(mask, s, blocks, minSkipped);
        auto out = torch::empty({s.B, s.T, s.KV, s.groups, s.D}, q.options()); // = [B, T, H * D]
        const system::SingleThreadedBlas oneThread(q.device().is_cpu());       // small batched products
        forEachShare(s, q.device().is_cpu(), plan.unequalRows(), [&](const Share& sh, const Shapes& ss) {
            const auto qsP = groupedScaled(headsShareOf(q, sh, s), ss, 1.0 / divisor);
            const auto kP = shareOf(k, sh), vP = shareOf(v, sh);
            const auto maskP = headsShareOf(mask, sh, s);
            const auto keepP = shareOf(keep, sh);
            auto outP = torch::empty_like(qsP); // grouped layout
            for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
                const auto& b = blocks[bi];
                forEachRowGroup(plan, sh, ss, bi, b, [&](std::int64_t row, std::int64_t rows, const KeyRanges& ranges) {
                    const Shapes su = withRows(ss, rows);
                    const auto vU = rowsOf(vP, row, rows);
                    const auto keepU = rowsOf(keepP, row, rows);
                    const auto probs = probabilities(blockRowsOf(rowsOf(qsP, row, rows), su, b), rowsOf(kP, row, rows),
                                                     rowsOf(maskP, row, rows), su, b, ranges,
                                                     keepU.defined() ? blockKeep(keepU, su, s, b, ranges) : torch::Tensor(),
                                                     1.0 / (1.0 - dropout));
                    const auto p = probs.to(dtype);
                    auto outB = blockRowsOf(rowsOf(outP, row, rows), su, b);
                    productOverRanges(outB, p, vU, su, ranges);
                });
            }
            // [B, KV, T, groups, D] -> [B, T, KV, groups, D]
            tokensShareOf(out, sh).copy_(outP.view({ss.B, ss.KV, ss.T, ss.groups, ss.D}).permute({0, 2, 1, 3, 4}));
        });
        ctx->save_for_backward({q, k, v, mask.defined() ? mask : torch::Tensor(), keep.mask});
        ctx->saved_data["keep_drawn"] = keep.draw.has_value();
        ctx->saved_data["keep_seed"] = static_cast<std::int64_t>(keep.draw ? keep.draw->seed : 0);
        ctx->saved_data["keep_threshold"] = static_cast<std::int64_t>(keep.draw ? keep.draw->threshold : 0);
        ctx->saved_data["divisor"] = divisor;
        ctx->saved_data["dropout"] = dropout;
        ctx->saved_data["block_rows"] = blockRows;
        ctx->saved_data["min_skipped"] = minSkipped;
        return out.view({s.B, s.T, s.H * s.D});
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &q = saved[0], &k = saved[1], &v = saved[2], &mask = saved[3];
        KeepSource keep;
        keep.mask = saved[4];
        if (ctx->saved_data["keep_drawn"].toBool())
            keep.draw = KeepDraw{static_cast<std::uint64_t>(ctx->saved_data["keep_seed"].toInt()),
                                 static_cast<std::uint64_t>(ctx->saved_data["keep_threshold"].toInt())};
        const double divisor = ctx->saved_data["divisor"].toDouble();
        const double dropout = ctx->saved_data["dropout"].toDouble();
        const Shapes s = shapesOf(q, k);
        const auto dtype = q.scalar_type();
        // The output gradient [B, T, H * D] = [B, T, KV, groups, D].
        const auto gOut = grads[0].reshape({s.B, s.T, s.KV, s.groups, s.D});
        const auto blocks = queryBlocks(s, ctx->saved_data["block_rows"].toInt());
        const auto plan = planKeys(mask, s, blocks, ctx->saved_data["min_skipped"].toInt());
        auto dQ = torch::empty({s.B, s.KV, s.groups, s.T, s.D}, q.options()); // = [B, H, T, D]
        auto dK = torch::zeros_like(k), dV = torch::zeros_like(v);
        const system::SingleThreadedBlas oneThread(q.device().is_cpu()); // small batched products
        forEachShare(s, q.device().is_cpu(), plan.unequalRows(), [&](const Share& sh, const Shapes& ss) {
            const auto qsP = groupedScaled(headsShareOf(q, sh, s), ss, 1.0 / divisor);
            const auto kP = shareOf(k, sh), vP = shareOf(v, sh);
            // The output gradient of the share in the grouped layout [B, KV, T * groups, D].
            auto gOutP = torch::empty_like(qsP);
            gOutP.view({ss.B, ss.KV, ss.T, ss.groups, ss.D}).copy_(tokensShareOf(gOut, sh).permute({0, 2, 1, 3, 4}));
            const auto maskP = headsShareOf(mask, sh, s);
            const auto keepP = shareOf(keep, sh);
            auto dQsP = torch::empty_like(qsP); // d(loss)/d(scores) k, grouped
            const auto dKP = shareOf(dK, sh), dVP = shareOf(dV, sh);
            for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
                const auto& b = blocks[bi];
                forEachRowGroup(plan, sh, ss, bi, b, [&](std::int64_t row, std::int64_t rows, const KeyRanges& ranges) {
                    const Shapes su = withRows(ss, rows);
                    const auto kU = rowsOf(kP, row, rows), vU = rowsOf(vP, row, rows);
                    const auto keepU = rowsOf(keepP, row, rows);
                    const auto dKU = rowsOf(dKP, row, rows), dVU = rowsOf(dVP, row, rows);
                    const auto qb = blockRowsOf(rowsOf(qsP, row, rows), su, b);
                    const auto probs = probabilities(qb, kU, rowsOf(maskP, row, rows), su, b, ranges); // float32
                    const auto gOb = blockRowsOf(rowsOf(gOutP, row, rows), su, b);
                    torch::Tensor keepB, dropped = probs;
                    if (keepU.defined()) {
                        keepB = blockKeep(keepU, su, s, b, ranges);
                        dropped = maskScaled(probs, keepB, 1.0 / (1.0 - dropout));
                    }
                    const auto droppedT = dropped.to(dtype).transpose(1, 2);
                    auto dP = torch::empty({su.B * su.KV, b.rows * su.groups, widthOf(ranges)}, gOb.options());
                    forEachRange(ranges, [&](std::size_t, const KeyRange& r, std::int64_t column) {
                        auto dVr = keyRange(dVU, su, r);
                        bmmAddInto(dVr, droppedT.narrow(1, column, r.len), gOb); // accumulated in the product
                        auto dPr = dP.narrow(2, column, r.len);
                        bmmInto(dPr, gOb, keyRange(vU, su, r).transpose(1, 2));
                    });
                    // softmax backward: dS = P * (dP - sum(dP * P)), dP with the dropout mask. The scores
                    // were qs k^T with qs = q / divisor: dk = dS^T qs, dq = (dS k) / divisor (scaled below).
                    const auto dS = softmaxBackward(dP, probs, keepB, 1.0 / (1.0 - dropout)).to(dtype);
                    auto dQb = blockRowsOf(rowsOf(dQsP, row, rows), su, b);
                    productOverRanges(dQb, dS, kU, su, ranges);
                    forEachRange(ranges, [&](std::size_t, const KeyRange& r, std::int64_t column) {
                        auto dKr = keyRange(dKU, su, r);
                        bmmAddInto(dKr, dS.narrow(2, column, r.len).transpose(1, 2), qb);
                    });
                });
            }
            // Back to [B, H, T, D] = [B, KV, groups, T, D], with the 1/divisor, in one pass.
            auto dQP = shareOf(dQ, sh);
            at::mul_out(dQP, dQsP.view({ss.B, ss.KV, ss.T, ss.groups, ss.D}).transpose(2, 3), 1.0 / divisor);
        });
        return {dQ.view({s.B, s.H, s.T, s.D}),
                dK,
                dV,
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor()};
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
                              const torch::Tensor& mask, double divisor, double dropout, std::int64_t blockRows,
                              std::int64_t minSkippedKeys) {
    return AttentionFunction::apply(q.contiguous(), k.contiguous(), v.contiguous(), mask, divisor, dropout, blockRows,
                                    skipMaskedKeysSwitch() ? minSkippedKeys : 0);
}

void setSkipMaskedKeys(bool on) {
    skipMaskedKeysSwitch() = on;
}

void setAttentionRowKernels(bool on) {
    rowKernelsSwitch() = on;
}

std::vector<KeyRange> visibleKeyRanges(const std::vector<char>& visible, std::int64_t minSkipped) {
    const auto n = static_cast<std::int64_t>(visible.size());
    std::int64_t bestFrom = 0, bestLen = 0;
    for (std::int64_t j = 0; j < n;) {
        if (visible[static_cast<std::size_t>(j)]) {
            ++j;
            continue;
        }
        std::int64_t end = j;
        while (end < n && !visible[static_cast<std::size_t>(end)])
            ++end;
        if (end - j > bestLen) {
            bestFrom = j;
            bestLen = end - j;
        }
        j = end;
    }
    if (minSkipped <= 0 || bestLen < minSkipped || bestLen == n)
        return {{0, n}};
    std::vector<KeyRange> out;
    if (bestFrom > 0)
        out.push_back({0, bestFrom});
    if (bestFrom + bestLen < n)
        out.push_back({bestFrom + bestLen, n - bestFrom - bestLen});
    return out;
}

} // namespace ps::model
