#pragma once
// Capturing and restoring random number generator state for checkpoints (internal: torch).
// Resuming a run must reproduce the uninterrupted one: dropout masks come from torch's default
// generators, the data order from a std::mt19937_64 owned by the trainer.
#include "io/torch_tensors.h"

#include <random>
#include <string>

namespace ps::train {

// "torch_cpu" and, with `includeCuda` (training on CUDA) and CUDA available, "torch_cuda_<i>":
// each a 1-D uint8 tensor. A CPU run does not touch CUDA at all.
NamedTensors captureTorchRngState(bool includeCuda = false);
// Restores what captureTorchRngState() returned. A CUDA state with no such device now is
// skipped (resuming on another machine); a malformed state is a ps::Error naming `what`.
void restoreTorchRngState(const NamedTensors& state, const std::string& what);

std::string mt19937State(const std::mt19937_64& rng);
void restoreMt19937State(std::mt19937_64& rng, const std::string& state, const std::string& what);

} // namespace ps::train
