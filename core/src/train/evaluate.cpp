#include "ps/evaluate.h"

#include "adapters/peft_model.h"
#include "model/causal_lm.h"
#include "model/compute_options.h"
#include "ps/error.h"
#include "ps/system_info.h"
#include "ps/tokenizer.h"
#include "train/batch_plan.h"
#include "train/run_data.h"
#include "train/step_loss.h"

#include <chrono>
#include <cmath>
#include <numeric>

namespace ps {

EvalResult evaluateDataset(const EvalOptions& o, const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
    const torch::Dtype dtype = model::parseComputeDtype(o.dtype);
    const torch::Device device = model::parseComputeDevice(o.device);
    if (o.batchSize < 1 || o.cutoffLen < 2)
        throw Error("eval: batch size must be >= 1 and cutoff length >= 2");
    if (!device.is_cuda())
        configureThreads(o.threads, dtype != torch::kFloat32);

    // Read and tokenized exactly as a training run with these settings would; evaluation never
    // packs (each example on its own padded row, in file order).
    RunConfig shape;
    shape.dataset = o.dataset;
    shape.dataset_format = o.datasetFormat;
    shape.template_ = o.templateName;
    shape.cutoff_len = o.cutoffLen;
    shape.train_on_prompt = o.trainOnPrompt;
    shape.per_device_train_batch_size = o.batchSize;
    shape.packing = false;
    auto tokenizer = Tokenizer::load(o.modelDir);
    const TokenizedDataset data = train::tokenizeRunData(shape, *tokenizer, "");
    std::vector<std::size_t> indices(data.size());
    std::iota(indices.begin(), indices.end(), std::size_t{0});
    if (o.maxExamples > 0 && indices.size() > static_cast<std::size_t>(o.maxExamples))
        indices.resize(static_cast<std::size_t>(o.maxExamples));
    if (indices.empty())
        throw Error(o.dataset + ": no examples after tokenization");

    model::LoadOptions load;
    load.dtype = dtype;
    load.device = device;
    auto model = model::loadCausalLM(o.modelDir, load);
    std::unique_ptr<adapters::PeftModel> peft;
    if (!o.adapterDir.empty()) {
        peft = adapters::PeftModel::load(o.adapterDir, model);
        peft->train(false);
    }
    model->eval();

    train::BatchPlanner planner(data, indices, shape, !peft || train::methodAllowsPacking(peft->spec().method));

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
