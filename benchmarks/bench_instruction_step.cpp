// In-process A/B of the ways a packed instruction-data step can be computed: with or without the
// shared opening left out of the rows and computed once per step (MicroBatch::prefixIds,
// train::SharedPrefix; a round's block of micro-batches is the step), and with or
// without the last layer restricted to the rows that predict a label (outputRows), with or without
// the attention leaving out the keys of earlier sequences in a packed row (attendRecompute's
// masked-key skipping), with the GELU kernel of model/fast_gelu.h or LibTorch's, with the
// attention's mask, softmax and dropout as row kernels (model/attention_rows.h) or LibTorch's
// operators. Variants:
//   0 everything, 1 opening once per step only, 2 last layer on labelled rows only, 3 none of
//   them (session 8), 4 session 9 (0 without key skipping and GELU kernel), 5 0 without key
//   skipping, 6 0 without the GELU kernel, 7 0 without the attention row kernels, 8 0 without
//   oneDNN's products (system/dense_products.h: LibTorch's, in OpenBLAS).
// In each round
// every variant runs the same micro-batches (forward + backward; the rows are the same in every
// variant) after one uncounted warm-up micro-batch, the variants one after another, so a VM's
// slow and fast minutes fall on all of them alike. Blocks, not alternate micro-batches: the
// caching CPU allocator keeps the blocks of one set of shapes, and switching shapes at every
// micro-batch made every variant remap its buffers (all four then ran at the same slower rate).
// Prints, per variant, trained tokens per second, seconds per micro-batch and the tokens laid out.
//
//   bench_instruction_step --model DIR --data FILE.jsonl [--template alpaca] [--batch 4]
//                          [--cutoff 256] [--rank 16] [--micro-batches 6] [--rounds 3] [--variants 012345678]
//                          [--profile TRACE.json]
// --profile: afterwards, one more block of the first variant under the operator profiler.
#include "adapters/peft_model.h"
#include "model/attention_recompute.h"
#include "system/dense_products.h"
#include "model/fast_gelu.h"
#include "ps/chat_template.h"
#include "ps/dataset.h"
#include "ps/run_method.h"
#include "ps/system_info.h"
#include "ps/train_benchmark.h"
#include "ps/tokenizer.h"
#include "system/blas_threads.h"
#include "train/batch_plan.h"
#include "train/step_loss.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ps;

namespace {

struct Variant {
    Variant(const char* n, bool prefix, bool rows, bool skip = true, bool gelu = true, bool kernels = true,
            bool dnnl = true)
        : name(n), microBatchPrefix(prefix), lastLayerRows(rows), skipMaskedKeys(skip), fastGelu(gelu),
          rowKernels(kernels), oneDnn(dnnl) {}
    const char* name;
    bool microBatchPrefix;
    bool lastLayerRows;
    bool skipMaskedKeys; // attendRecompute leaves out the keys no query of a block sees
    bool fastGelu;       // model/fast_gelu.h instead of LibTorch's gelu
    bool rowKernels;     // the attention's mask, softmax and dropout by model/attention_rows.h
    bool oneDnn;         // the dense products by oneDNN in parts (system/dense_products.h)
    int switchesOff() const {
        return !microBatchPrefix + !lastLayerRows + !skipMaskedKeys + !fastGelu + !rowKernels + !oneDnn;
    }
    double seconds = 0;
    std::int64_t trained = 0, tokens = 0;
    std::vector<double> perMicroBatch;
};

} // namespace

int main(int argc, char** argv) {
    ps::prepareBlasPool();
    std::string model, data, templateName = "alpaca";
    std::int64_t batch = 4, cutoff = 256, rank = 16, count = 6, rounds = 3;
    std::string only = "012345678"; // which variants run, by index
    std::string profile;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--model")
            model = v;
        else if (k == "--data")
            data = v;
        else if (k == "--template")
            templateName = v;
        else if (k == "--batch")
            batch = std::stoll(v);
        else if (k == "--cutoff")
            cutoff = std::stoll(v);
        else if (k == "--rank")
            rank = std::stoll(v);
        else if (k == "--micro-batches")
            count = std::stoll(v);
        else if (k == "--rounds")
            rounds = std::stoll(v);
        else if (k == "--variants")
            only = v;
        else if (k == "--profile")
            profile = v;
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (model.empty() || data.empty()) {
        std::fprintf(stderr, "usage: bench_instruction_step --model DIR --data FILE.jsonl [options]\n");
        return 2;
    }
    try {
        configureThreads(0);
        const auto configs = system::blasConfigurations();
        if (!configs.empty())
            system::applyBlasConfiguration(configs.front()); // the pool, small products split
        auto tokenizer = Tokenizer::load(model);
        TokenizeOptions tok;
        tok.cutoffLen = cutoff;
        tok.chatFamily = *chatFamilyFromName(templateName);
        const auto ds = tokenizeDataset(data, *tokenizer, {}, tok);
        std::vector<std::size_t> all(ds.size());
        for (std::size_t i = 0; i < all.size(); ++i)
            all[i] = i;

        RunConfig rc;
        rc.model_name_or_path = model;
        rc.finetuning_type = "lora";
        rc.lora_rank = rank;
        rc.lora_alpha = 2.0 * static_cast<double>(rank);
        rc.lora_target = "all";
        rc.per_device_train_batch_size = batch;
        rc.cutoff_len = cutoff;
        rc.packing = true;
        rc.gradient_accumulation_steps = 8; // the planner decides on the shared opening per step
        adapters::PeftModel peft(model::loadCausalLM(model, {}), adapterSpecForRun(rc), 1);
        peft.train(true);
        const train::BatchPlanner withPrefix(ds, all, rc, true);
        RunConfig noPrefixConfig = rc;
        noPrefixConfig.gradient_checkpointing = true; // the planner's switch for it; the model's stays off
        const train::BatchPlanner withoutPrefix(ds, all, noPrefixConfig, true);
        std::printf("%s\n", withPrefix.packingSummary().c_str());

        std::vector<Variant> variants = {{"everything", true, true},
                                         {"opening once per step", true, false, false, false},
                                         {"last layer on labelled rows", false, true, false, false},
                                         {"session 8's computation", false, false, false, false},
                                         {"session 9's (no key skipping, LibTorch's GELU)", true, true, false, false},
                                         {"everything but key skipping", true, true, false, true},
                                         {"everything but the GELU kernel", true, true, true, false},
                                         {"everything but the attention row kernels", true, true, true, true, false},
                                         {"everything but oneDNN's products", true, true, true, true, true, false}};
        {
            std::vector<Variant> kept; // in the order given
            for (char c : only)
                if (c >= '0' && c < static_cast<char>('0' + variants.size()))
                    kept.push_back(variants[static_cast<std::size_t>(c - '0')]);
            variants = kept;
            if (variants.empty())
                throw std::runtime_error("--variants: none of 012345678 chosen");
        }
        const auto plans = withPrefix.epoch(0);
        count = std::min<std::int64_t>(count, static_cast<std::int64_t>(plans.size()) - 1);
        auto params = peft.trainableParameters();
        // A block of micro-batches is one optimizer step: with the opening left out of the rows,
        // its pass runs once for the block (train::SharedPrefix), timed with the block.
        const auto runBlock = [&](Variant& v, std::int64_t first, std::int64_t n, bool counted) {
            train::setLastLayerOnLabelledRows(v.lastLayerRows);
            model::setSkipMaskedKeys(v.skipMaskedKeys);
            model::setFastGeluTanh(v.fastGelu);
            model::setAttentionRowKernels(v.rowKernels);
            system::setOneDnnProducts(v.oneDnn);
            std::vector<train::MicroBatch> mbs;
            for (std::int64_t i = first; i < first + n; ++i)
                mbs.push_back((v.microBatchPrefix ? withPrefix : withoutPrefix)
                                  .materialise(plans[static_cast<std::size_t>(i)], torch::kCPU));
            for (auto& p : params)
                if (p.grad().defined())
                    p.mutable_grad().zero_();
            const auto t0 = std::chrono::steady_clock::now();
            std::unique_ptr<train::SharedPrefix> shared;
            if (mbs.front().prefixIds.defined())
                shared = std::make_unique<train::SharedPrefix>(peft, mbs.front().prefixIds);
            std::vector<double> each;
            auto last = t0;
            for (const auto& mb : mbs) {
                (train::microBatchLossSum(peft, mb, shared.get()) /
                 static_cast<double>(std::max<std::int64_t>(1, mb.trainedTokens)))
                    .backward();
                const auto now = std::chrono::steady_clock::now();
                each.push_back(std::chrono::duration<double>(now - last).count());
                last = now;
            }
            if (shared)
                shared->backward();
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (!counted)
                return;
            v.seconds += s;
            for (const auto& mb : mbs) {
                v.trained += mb.trainedTokens;
                v.tokens += mb.tokens;
            }
            v.perMicroBatch.insert(v.perMicroBatch.end(), each.begin(), each.end());
        };
        for (std::int64_t r = 0; r < rounds; ++r)
            for (auto& v : variants) {
                runBlock(v, count, 1, false); // warm-up: this variant's shapes
                runBlock(v, 0, count, true);
            }
        if (!profile.empty()) {
            Variant scratch = variants.front();
            profileOperators(profile, [&] { runBlock(scratch, 0, count, false); });
            std::printf("operator trace of one block of '%s': %s\n", scratch.name, profile.c_str());
        }
        std::printf("%lld rounds of %lld micro-batches of %lld rows x %lld per variant; GEMM now %.1f GFLOP/s\n",
                    static_cast<long long>(rounds), static_cast<long long>(count), static_cast<long long>(batch),
                    static_cast<long long>(cutoff), measureMatmulGflops(1024, 3));
        const auto last = std::max_element(variants.begin(), variants.end(), [](const Variant& a, const Variant& b) {
            return a.switchesOff() < b.switchesOff();
        }); // the variant with the most switched off: the base the others are compared with
        const double base = static_cast<double>(last->trained) / last->seconds;
        for (auto& v : variants) {
            std::sort(v.perMicroBatch.begin(), v.perMicroBatch.end());
            const double rate = static_cast<double>(v.trained) / v.seconds;
            std::printf("%-60s %7.1f trained tok/s (%.3fx)  %6.3f s/micro-batch median  %lld tokens laid out\n", v.name,
                        rate, rate / base, v.perMicroBatch[v.perMicroBatch.size() / 2],
                        static_cast<long long>(v.tokens));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_instruction_step: %s\n", e.what());
        return 1;
    }
    return 0;
}
