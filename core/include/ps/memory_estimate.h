#pragma once
// How much memory training will take, before it starts: the Method page's estimate for the chosen
// model, method, rank, batch and cutoff. Torch-free; the formula and how it was checked against
// measured peaks are in docs/TRAINING.md ("Memory estimate").
//
// The estimate is for training on the CPU, where the memory plot shows the process's resident set
// size (RSS): it adds what the weights, the trained parameters with their gradients and optimizer
// state, the activations kept for backward, the chunked output head and the runtime itself take.
#include "ps/model_info.h"
#include "ps/run_config.h"

#include <cstdint>

namespace ps {

struct TrainingMemoryEstimate {
    std::uint64_t weightsBytes = 0;    // the model's weights as trained (bf16 halves the frozen ones)
    std::uint64_t trainableBytes = 0;  // trained parameters: weights (adapters), gradients, optimizer state
    std::uint64_t activationBytes = 0; // kept for backward by all layers, plus one layer's gradients
    std::uint64_t headBytes = 0;       // output head and loss (chunked), final norm, attention mask
    std::uint64_t runtimeBytes = 0;    // the process with LibTorch and its BLAS buffers, before any model
    std::uint64_t totalBytes = 0;      // the sum: the expected peak RSS
};

// Typical resident memory of a process that has LibTorch loaded and has run a first matrix
// multiply, without any model (measured on Linux x86-64; see docs/TRAINING.md).
std::uint64_t trainingRuntimeBytes();

// `model` gives the shape (inspectModel()); `config` the method (finetuning_type, lora_rank,
// lora_dropout, num_virtual_tokens), per_device_train_batch_size, cutoff_len, bf16,
// gradient_checkpointing and the optimizer; `trainableParameters` is what
// countTrainableParameters() reports for the method on this model. Every micro-batch is assumed
// full (batch x cutoff_len tokens, all of them labelled): the estimate is for the worst batch.
TrainingMemoryEstimate estimateTrainingMemory(const ModelInfo& model, const RunConfig& config,
                                              std::int64_t trainableParameters);

} // namespace ps
