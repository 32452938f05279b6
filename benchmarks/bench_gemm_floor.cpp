// The GEMM-only floor of a LoRA training step: every matrix product a step of `peft-studio-cli
// bench` runs (projections and head forward + input gradient, LoRA's low-rank products, the
// training attention's causal-block products forward + backward with the scores recomputed),
// each timed alone at its own shape with the training thread policy, summed with its count per
// step. Prints the table, the floor in seconds per step and the tokens/s it allows, next to the
// 1024^3 GEMM rate that `doctor` reports. What a step costs beyond the floor is everything else
// (element-wise work, copies, the optimizer, autograd).
//
//   bench_gemm_floor [--preset llama-135m|gpt2-124m] [--batch 4] [--seq 256] [--rank 16] [--reps 5]
#include "model/attention_blocks.h"
#include "model/causal_lm.h"
#include "ps/model_presets.h"
#include "ps/system_info.h"
#include "util/json_util.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>

using namespace ps;

namespace {

struct Product {
    std::string what;
    double count = 0;   // per training step
    double flops = 0;   // of one product
    double seconds = 0; // of one product, measured
};

double timeOne(const std::function<void()>& f, int reps) {
    f(); // warm-up (allocations, page faults)
    double best = 1e30;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

// One m x k times k x n product (as `count` batched ones when batch > 1).
Product gemm(const std::string& what, double count, std::int64_t batch, std::int64_t m, std::int64_t k,
             std::int64_t n, int reps) {
    const auto a = torch::randn({batch, m, k}), b = torch::randn({batch, k, n});
    auto c = torch::empty({batch, m, n});
    auto c2 = c[0];
    const auto a2 = a[0], b2 = b[0];
    const double secs = batch == 1 ? timeOne([&] { torch::mm_out(c2, a2, b2); }, reps)
                                   : timeOne([&] { torch::bmm_out(c, a, b); }, reps);
    return {what, count, 2.0 * static_cast<double>(batch * m * k * n), secs};
}

} // namespace

int main(int argc, char** argv) {
    ps::prepareBlasPool(); // as the apps do: this CPU's OpenBLAS kernels, short idle spin
    std::string preset = "llama-135m";
    std::int64_t batch = 4, seq = 256, rank = 16;
    int reps = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        const char* value = argv[i + 1];
        if (key == "--preset")
            preset = value;
        else if (key == "--batch")
            batch = std::stoll(value);
        else if (key == "--seq")
            seq = std::stoll(value);
        else if (key == "--rank")
            rank = std::stoll(value);
        else if (key == "--reps")
            reps = std::stoi(value);
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    configureThreads(0); // the training policy (one LibTorch thread beside OpenBLAS's pool)
    torch::NoGradGuard noGrad;
    const auto config = model::parseModelConfig(Json::parse(modelPresetConfigJson(preset)), preset);
    auto lm = model::randomCausalLM(config, 0);
    const std::int64_t N = batch * seq;

    // Projections and the head: forward x W^T and the input gradient dy W, N rows each (the bench
    // labels every position but the last of each row; the difference is < 0.4 %).
    std::map<std::pair<std::int64_t, std::int64_t>, double> shapes; // (in, out) -> layers using it
    for (auto& [path, lin] : lm->linearModules(true))
        shapes[{lin->inFeatures, lin->outFeatures}] += 1;
    std::vector<Product> products;
    for (const auto& [io, count] : shapes) {
        const auto [in, out] = io;
        const auto name = std::to_string(in) + "->" + std::to_string(out);
        products.push_back(gemm("linear " + name + " forward", count, 1, N, in, out, reps));
        products.push_back(gemm("linear " + name + " input grad", count, 1, N, out, in, reps));
        // LoRA on every linear layer but the head: x A^T, z B^T; backward dz = dy B, dB = dy^T z,
        // dA = dz^T x, dx += dz A.
        const double lora = count - (out == config.vocabSize ? 1.0 : 0.0);
        if (lora <= 0)
            continue;
        products.push_back(gemm("lora " + name + " x A^T", lora, 1, N, in, rank, reps));
        products.push_back(gemm("lora " + name + " z B^T", lora, 1, N, rank, out, reps));
        products.push_back(gemm("lora " + name + " dy B", lora, 1, N, out, rank, reps));
        products.push_back(gemm("lora " + name + " dz A", lora, 1, N, rank, in, reps));
        products.push_back(gemm("lora " + name + " dB", lora, 1, out, N, rank, reps));
        products.push_back(gemm("lora " + name + " dA", lora, 1, rank, N, in, reps));
    }
    // Attention (attendRecompute): per layer and causal block of `rows` queries against `keys`
    // keys, grouped per kv head: forward q k^T and p v; backward recomputes q k^T, then dv = p^T dO,
    // dp = dO v^T, dq = dS k, dk = dS^T q.
    const std::int64_t D = config.headDim, KV = config.numKvHeads, g = config.numHeads / config.numKvHeads;
    const std::int64_t blockRows = model::causalBlockRowsFor(seq) > 0 ? model::causalBlockRowsFor(seq) : seq;
    const double L = static_cast<double>(config.numLayers);
    for (std::int64_t first = 0; first < seq; first += blockRows) {
        const auto rows = std::min(blockRows, seq - first) * g;
        const auto keys = model::causalBlockRowsFor(seq) > 0 ? first + std::min(blockRows, seq - first) : seq;
        const auto tag = "attention block " + std::to_string(first) + " ";
        products.push_back(gemm(tag + "q k^T (x2) / dp", 3 * L, batch * KV, rows, D, keys, reps));
        products.push_back(gemm(tag + "p v / dq", 2 * L, batch * KV, rows, keys, D, reps));
        products.push_back(gemm(tag + "dv / dk", 2 * L, batch * KV, keys, rows, D, reps));
    }

    const double peak = measureMatmulGflops(1024, 5);
    double total = 0, totalFlops = 0;
    std::printf("%-44s %7s %10s %9s %9s\n", "product", "count", "GFLOP", "GFLOP/s", "ms/step");
    for (const auto& p : products) {
        const double ms = p.count * p.seconds * 1e3;
        total += ms;
        totalFlops += p.count * p.flops;
        std::printf("%-44s %7.0f %10.3f %9.1f %9.1f\n", p.what.c_str(), p.count, p.flops / 1e9,
                    p.flops / p.seconds / 1e9, ms);
    }
    std::printf("\n%s, batch %lld x %lld, LoRA r%lld on every linear layer: %.0f GFLOP of products per step\n",
                preset.c_str(), static_cast<long long>(batch), static_cast<long long>(seq),
                static_cast<long long>(rank), totalFlops / 1e9);
    std::printf("GEMM-only floor: %.2f s/step = %.1f tokens/s at most (%.1f GFLOP/s on average; 1024^3 GEMM %.1f GFLOP/s)\n",
                total / 1e3, static_cast<double>(N) / (total / 1e3), totalFlops / (total / 1e3) / 1e9, peak);
    return 0;
}
