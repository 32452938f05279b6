#pragma once
// Logits of a Hugging Face model folder (optionally with a PEFT adapter) for rows of token
// ids: what `peft-studio-cli forward` writes and what the reference fixtures are checked
// against. Torch-free; runs synchronously in the caller's thread (threads: configureThreads).
#include <cstdint>
#include <string>
#include <vector>

namespace ps {

struct LogitsRequest {
    std::string modelDir;
    std::string adapterDir;                      // empty: the base model alone
    bool mergeAdapter = false;                   // merge the adapter into the base weights before running
    std::string dtype = "fp32";                  // weights and activations: "fp32" or "bf16"
    std::string device = "cpu";                  // "cpu", or "cuda" when LibTorch has CUDA and a GPU is present
    std::vector<std::vector<std::int64_t>> rows; // token ids; all rows of the same length
};

struct Logits {
    std::int64_t batch = 0;
    std::int64_t seq = 0;
    std::int64_t vocab = 0;
    std::vector<float> values; // row-major [batch, seq, vocab], float32 whatever the dtype
};

// Loads the model (and adapter), runs one forward pass without gradients and returns float32
// logits. Throws ps::Error for a bad folder, unequal rows, an id outside the vocabulary, an
// unknown dtype/device.
Logits computeLogits(const LogitsRequest& request);

} // namespace ps
