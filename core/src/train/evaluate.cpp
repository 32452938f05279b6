#include "ps/evaluate.h"

#include "adapters/peft_model.h"
#include "model/causal_lm.h"
#include "ps/dataset.h"
#include "ps/error.h"
#include "ps/system_info.h"
#include "ps/tokenizer.h"
#include "train/batch_plan.h"
#include "train/step_loss.h"

#include <chrono>
#include <cmath>
#include <numeric>

namespace ps {

namespace {

torch::Device pickDevice(const std::string& name) {
    if (name == "cpu")
        return torch::kCPU;
    if (name == "cuda") {
        if (!cudaUsable())
            throw Error("--device cuda: this LibTorch has no CUDA or no GPU is present");
        return torch::Device(torch::kCUDA, 0);
    }
    if (name == "auto")
        return cudaUsable() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    throw Error("device '" + name + "': expected auto, cpu or cuda");
}

} // namespace

EvalResult evaluateDataset(const EvalOptions& o, const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
    if (o.dtype != "fp32" && o.dtype != "bf16")
        throw Error("dtype '" + o.dtype + "': expected fp32 or bf16");
    if (o.batchSize < 1 || o.cutoffLen < 2)
        throw Error("eval: batch size must be >= 1 and cutoff length >= 2");
    const auto device = pickDevice(o.device);
    if (!device.is_cuda())
        configureThreads(o.threads, o.dtype == "bf16");

    auto tokenizer = Tokenizer::load(o.modelDir);
    ReadOptions read;
    if (o.datasetFormat != "auto") {
        auto f = dataFormatFromName(o.datasetFormat);
        if (!f)
            throw Error("dataset format '" + o.datasetFormat + "' is not a known format");
        read.format = *f;
    }
    TokenizeOptions tok;
    tok.cutoffLen = static_cast<int>(o.cutoffLen);
    tok.trainOnPrompt = o.trainOnPrompt;
    if (o.templateName != "auto") {
        auto family = chatFamilyFromName(o.templateName);
        if (!family)
            throw Error("template '" + o.templateName + "' is not a known chat template family");
        tok.chatFamily = *family;
    }
    const TokenizedDataset data = tokenizeDataset(o.dataset, *tokenizer, read, tok);
    std::vector<std::size_t> indices(data.size());
    std::iota(indices.begin(), indices.end(), std::size_t{0});
    if (o.maxExamples > 0 && indices.size() > static_cast<std::size_t>(o.maxExamples))
        indices.resize(static_cast<std::size_t>(o.maxExamples));
    if (indices.empty())
        throw Error(o.dataset + ": no examples after tokenization");

    model::LoadOptions load;
    load.dtype = o.dtype == "bf16" ? torch::kBFloat16 : torch::kFloat32;
    load.device = device;
    auto model = model::loadCausalLM(o.modelDir, load);
    std::unique_ptr<adapters::PeftModel> peft;
    if (!o.adapterDir.empty()) {
        peft = adapters::PeftModel::load(o.adapterDir, model);
        peft->train(false);
    }
    model->eval();

    // Padded batches in file order; evaluation never packs (each example on its own row).
    RunConfig shape;
    shape.per_device_train_batch_size = o.batchSize;
    shape.cutoff_len = o.cutoffLen;
    shape.packing = false;
    const bool prependsTokens = peft && (peft->spec().method == PeftMethod::PromptTuning ||
                                         peft->spec().method == PeftMethod::PrefixTuning);
    train::BatchPlanner planner(data, indices, shape, !prependsTokens);

    torch::NoGradGuard noGrad;
    const auto t0 = std::chrono::steady_clock::now();
    double sum = 0;
    EvalResult r;
    for (const auto& plan : planner.sequential(indices)) {
        auto mb = planner.materialise(plan, device);
        sum += (peft ? train::microBatchLossSum(*peft, mb) : train::microBatchLossSum(model, mb)).item<double>();
        r.tokens += static_cast<std::uint64_t>(mb.trainedTokens);
        r.examples += plan.size();
        if (progress)
            progress(r.examples, indices.size());
    }
    if (r.tokens == 0)
        throw Error(o.dataset + ": no token carries a label (every response was cut off? raise the cutoff length)");
    r.loss = sum / static_cast<double>(r.tokens);
    r.perplexity = std::exp(r.loss);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.device = device.is_cuda() ? "cuda" : "cpu";
    return r;
}

} // namespace ps
