// The training attention alone (model::attendRecompute, forward + backward of one layer) on packed
// rows: a block-diagonal causal bias with sequence boundaries like the alpaca benchmark data's and
// the 24-token opening train::SharedPrefix puts in front, attention dropout as GPT-2 trains. Four
// ways, alternated call by call so that a VM's slow and fast minutes fall on all of them: every key
// (session 9), masked keys skipped, skipped + the products straight to the BLAS (session 10), and
// that + mask, softmax and dropout as row kernels (model/attention_rows.h). Prints the mean
// milliseconds per layer of each.
//
//   bench_attention [--heads 12] [--kv-heads 12] [--dim 64] [--dropout 0.1] [--reps 40]
#include "model/attention_recompute.h"
#include "model/attention_rows.h"
#include "model/batched_products.h"
#include "ps/system_info.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

using namespace ps;

int main(int argc, char** argv) {
    ps::prepareBlasPool();
    std::int64_t H = 12, KV = 12, D = 64, reps = 40;
    double dropout = 0.1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--heads")
            H = std::stoll(v);
        else if (k == "--kv-heads")
            KV = std::stoll(v);
        else if (k == "--dim")
            D = std::stoll(v);
        else if (k == "--dropout")
            dropout = std::stod(v);
        else if (k == "--reps")
            reps = std::stoll(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    configureThreads(0); // the training policy (and the caching CPU allocator)
    const std::int64_t B = 4, T = 256, P = 24, S = P + T;
    // Sequence lengths per row (after the opening), as best fit decreasing packs alpaca-like data.
    const std::vector<std::vector<std::int64_t>> lengths = {{140, 116}, {90, 166}, {200, 56}, {120, 70, 66}};
    auto bias = torch::full({B, 1, T, S}, std::numeric_limits<float>::lowest());
    for (std::int64_t r = 0; r < B; ++r) {
        std::int64_t start = 0;
        for (const auto len : lengths[static_cast<std::size_t>(r)]) {
            for (std::int64_t i = start; i < start + len; ++i) {
                bias.index_put_({r, 0, i, torch::indexing::Slice(0, P)}, 0.0f);
                bias.index_put_({r, 0, i, torch::indexing::Slice(P + start, P + i + 1)}, 0.0f);
            }
            start += len;
        }
    }
    torch::manual_seed(1);
    const auto q0 = torch::randn({B, H, T, D}), k0 = torch::randn({B, KV, S, D}), v0 = torch::randn({B, KV, S, D});
    const auto g = torch::randn({B, T, H * D});
    const char* names[] = {"every key (session 9)", "masked keys skipped", "skipped + products straight to the BLAS",
                           "all that + row kernels (session 12)"};
    constexpr int ways = 4;
    double total[ways] = {0, 0, 0, 0};
    const std::int64_t warmup = 4;
    for (std::int64_t rep = 0; rep < reps + warmup; ++rep)
        for (int way = 0; way < ways; ++way) {
            model::setSkipMaskedKeys(way > 0);
            model::setDirectBlasProducts(way >= 2);
            model::setAttentionRowKernels(way == 3);
            auto q = q0.clone().requires_grad_(true), k = k0.clone().requires_grad_(true),
                 v = v0.clone().requires_grad_(true);
            const auto t0 = std::chrono::steady_clock::now();
            model::attendRecompute(q, k, v, bias, std::sqrt(static_cast<double>(D)), dropout, model::causalBlockRows(T))
                .backward(g);
            if (rep >= warmup)
                total[way] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
    std::printf("attention of one layer, forward + backward, batch %lld x %lld (+%lld opening keys), %lld heads "
                "(%lld kv), head dim %lld, dropout %.2f, mean of %lld:\n",
                static_cast<long long>(B), static_cast<long long>(T), static_cast<long long>(P),
                static_cast<long long>(H), static_cast<long long>(KV), static_cast<long long>(D), dropout,
                static_cast<long long>(reps));
    for (int way = 0; way < ways; ++way)
        std::printf("  %-45s %7.2f ms\n", names[way], total[way] / static_cast<double>(reps) * 1e3);
    std::printf("  (direct BLAS available: %s; row kernels: %s)\n", model::directBlasProducts() ? "yes" : "no",
                model::attentionRowKernelsAvailable() ? "yes" : "no");
    return 0;
}
