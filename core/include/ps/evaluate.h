#pragma once
// `peft-studio-cli eval`: the mean cross-entropy of a model (optionally with an adapter) on a
// dataset, tokenized exactly as training does (chat template, label mask, cutoff), and its
// perplexity. Torch-free; runs synchronously in the caller's thread.
#include <cstdint>
#include <functional>
#include <string>

namespace ps {

struct EvalOptions {
    std::string modelDir;
    std::string adapterDir;              // empty: the base model alone
    std::string dataset;                 // a data file (any format the Data page reads)
    std::string datasetFormat = "auto";  // as the run config's dataset_format
    std::string templateName = "auto";   // as the run config's template
    std::int64_t cutoffLen = 1024;
    bool trainOnPrompt = false;          // false: only response tokens count (as training)
    std::int64_t batchSize = 4;
    std::int64_t maxExamples = 0;        // > 0: only the first N examples
    std::string dtype = "fp32";          // fp32 | bf16
    std::string device = "auto";         // auto (CUDA when usable) | cpu | cuda
    int threads = 0;                     // configureThreads
};

struct EvalResult {
    double loss = 0.0;       // mean over the tokens that carry a label
    double perplexity = 0.0; // exp(loss)
    std::uint64_t tokens = 0;
    std::uint64_t examples = 0;
    double seconds = 0.0;
    std::string device;
};

// Throws ps::Error for a bad model, adapter or data file, or a dataset with no labelled token.
EvalResult evaluateDataset(const EvalOptions& options,
                           const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});

} // namespace ps
