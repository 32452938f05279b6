// Forward throughput of randomly initialised models shaped like GPT-2 small (124M) and
// SmolLM-135M (llama: hidden 576, 30 layers, 9 heads / 3 kv heads, tied), batch x seq tokens,
// fp32 and bf16, under NoGradGuard. Prints tokens/s and the process's peak RSS.
//
//   bench_forward [--model gpt2|smollm|all] [--dtype fp32|bf16|all] [--batch 4] [--seq 256]
//                 [--iters 3] [--threads 0]
// Run one model/dtype per process for a clean peak RSS.
#include "model/causal_lm.h"
#include "ps/system_info.h"

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <string>

using namespace ps;

namespace {

model::ModelConfig gpt2Small() {
    return model::parseModelConfig(Json::parse(R"({"model_type":"gpt2","n_layer":12,"n_embd":768,"n_head":12,
        "vocab_size":50257,"n_positions":1024})"),
                                   "gpt2-small");
}

model::ModelConfig smolLm135() {
    return model::parseModelConfig(Json::parse(R"({"model_type":"llama","hidden_size":576,"num_hidden_layers":30,
        "num_attention_heads":9,"num_key_value_heads":3,"intermediate_size":1536,"vocab_size":49152,
        "tie_word_embeddings":true,"max_position_embeddings":2048,"rope_theta":10000.0,"rms_norm_eps":1e-5})"),
                                   "smollm-135m");
}

double mb(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void run(const char* name, const model::ModelConfig& config, const std::string& dtypes, int batch, int seq, int iters) {
    auto m = model::randomCausalLM(config, 0);
    std::int64_t params = 0;
    for (const auto& p : m->parameters())
        params += p.numel();
    std::printf("%s: %.1fM parameters, batch %d x seq %d, %d intra-op thread(s)\n", name, params / 1e6, batch, seq,
                torch::get_num_threads());
    for (const char* dt : {"fp32", "bf16"}) {
        if (dtypes != "all" && dtypes != dt)
            continue;
        if (std::strcmp(dt, "bf16") == 0)
            m->to(torch::kBFloat16);
        torch::NoGradGuard noGrad;
        const auto ids = torch::randint(0, config.vocabSize, {batch, seq}, torch::kInt64);
        model::ForwardInput in;
        in.inputIds = ids;
        m->logits(m->forward(in)); // warm-up
        const auto t0 = std::chrono::steady_clock::now();
        const std::clock_t c0 = std::clock();
        for (int i = 0; i < iters; ++i)
            m->logits(m->forward(in));
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // Process CPU time (all threads): on a shared machine wall time says little.
        const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
        std::printf(
            "  %s: %.0f tokens/s (%.2f s wall per forward incl. lm_head; %.2f CPU-s per forward, %.0f tokens per "
            "CPU-second), RSS %.0f MiB, peak RSS %.0f MiB\n",
            dt, batch * seq * iters / s, s / iters, cpu / iters, batch * seq * iters / cpu, mb(currentRssBytes()),
            mb(peakRssBytes()));
        std::fflush(stdout);
    }
}

} // namespace

int main(int argc, char** argv) {
    ps::prepareBlasPool(); // as the apps do: this CPU's OpenBLAS kernels, short idle spin
    std::string which = "all", dtypes = "all";
    int batch = 4, seq = 256, iters = 3, threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--model")
            which = v;
        else if (k == "--dtype")
            dtypes = v;
        else if (k == "--batch")
            batch = std::stoi(v);
        else if (k == "--seq")
            seq = std::stoi(v);
        else if (k == "--iters")
            iters = std::stoi(v);
        else if (k == "--threads")
            threads = std::stoi(v);
    }
    configureThreads(threads);
    if (which == "all" || which == "gpt2")
        run("GPT-2 small shape", gpt2Small(), dtypes, batch, seq, iters);
    if (which == "all" || which == "smollm")
        run("SmolLM-135M shape", smolLm135(), dtypes, batch, seq, iters);
    return 0;
}
