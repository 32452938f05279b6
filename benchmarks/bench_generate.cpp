// Decode throughput of generation on randomly initialised models of the two benchmark presets
// (ps/model_presets.h: gpt2-124m, llama-135m), with the key/value cache (one token per forward
// pass) and by full recomputation (the whole sequence per token), greedy, batch 1, under
// NoGradGuard. Prints one line per preset and mode: decode tokens/s (tokens after the first,
// wall clock, and per CPU-second of the process) and the prefill time of the prompt.
//
//   bench_generate [--model gpt2-124m|llama-135m|all] [--device cpu|cuda] [--dtype fp32|bf16]
//                  [--prompt 32] [--new 64] [--threads 0] [--no-recompute]
#include "generate/decode_loop.h"
#include "model/causal_lm.h"
#include "model/compute_options.h"
#include "ps/model_presets.h"
#include "ps/system_info.h"
#include "util/json_util.h"

#include <cstdio>
#include <ctime>
#include <string>

using namespace ps;

namespace {

struct Options {
    std::string model = "all";
    std::string device = "cpu";
    std::string dtype = "fp32";
    int prompt = 32;
    int newTokens = 64;
    int threads = 0;
    bool recompute = true;
};

void run(const std::string& preset, const Options& o) {
    const auto config = model::parseModelConfig(parseJson(modelPresetConfigJson(preset), preset), preset);
    auto m = model::randomCausalLM(config, 0);
    m->to(model::parseComputeDevice(o.device), model::parseComputeDtype(o.dtype));
    gen::LogitsSource source(m);
    std::vector<std::int32_t> prompt;
    for (int i = 0; i < o.prompt; ++i)
        prompt.push_back(static_cast<std::int32_t>((i * 7919 + 13) % config.vocabSize));

    gen::DecodeSettings warm;
    warm.maxNewTokens = 4;
    gen::decodeTokens(source, prompt, warm); // first-call allocations, kernel selection

    for (const bool cache : {true, false}) {
        if (!cache && !o.recompute)
            continue;
        gen::DecodeSettings s;
        s.maxNewTokens = o.newTokens;
        s.useKvCache = cache;
        // Process CPU time of the decode phase (all threads), from the first token on: on a
        // shared machine wall time says little.
        std::clock_t firstToken = 0;
        const auto out = gen::decodeTokens(source, prompt, s, [&](std::int32_t, bool) {
            if (firstToken == 0)
                firstToken = std::clock();
            return false;
        });
        const double cpu = static_cast<double>(std::clock() - firstToken) / CLOCKS_PER_SEC;
        const double decoded = static_cast<double>(out.ids.size() - 1);
        std::printf("%-10s %s %s %-14s %8.1f tokens/s, %7.1f tokens/CPU-s  (%d-token prompt, %zu new; prefill "
                    "%.3f s, decode %.2f s wall / %.2f s CPU, %d thread(s))\n",
                    preset.c_str(), o.dtype.c_str(), o.device.c_str(), cache ? "kv-cache" : "full-recompute",
                    decoded / out.decodeSeconds, decoded / cpu, o.prompt, out.ids.size(), out.prefillSeconds,
                    out.decodeSeconds, cpu, torch::get_num_threads());
        std::fflush(stdout);
    }
}

} // namespace

int main(int argc, char** argv) {
    ps::prepareBlasPool(); // as the apps do: this CPU's OpenBLAS kernels, short idle spin
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        const std::string v = i + 1 < argc ? argv[i + 1] : "";
        if (k == "--no-recompute") {
            o.recompute = false;
            continue;
        }
        ++i;
        if (k == "--model")
            o.model = v;
        else if (k == "--device")
            o.device = v;
        else if (k == "--dtype")
            o.dtype = v;
        else if (k == "--prompt")
            o.prompt = std::stoi(v);
        else if (k == "--new")
            o.newTokens = std::stoi(v);
        else if (k == "--threads")
            o.threads = std::stoi(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    try { // the same names and checks as the CLI
        model::parseComputeDevice(o.device);
        model::parseComputeDtype(o.dtype);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    if (o.prompt < 1 || o.newTokens < 2) {
        std::fprintf(stderr, "--prompt must be >= 1 and --new >= 2\n");
        return 2;
    }
    configureThreads(o.threads, o.dtype != "fp32");
    for (const char* preset : {"gpt2-124m", "llama-135m"})
        if (o.model == "all" || o.model == preset)
            run(preset, o);
    return 0;
}
