#pragma once
// The dtype and device names that the CLI, inference, generation, evaluation and the benchmarks
// take ("fp32", "bf16"; "cpu", "cuda", "auto"), parsed in one place (internal: torch).
#include <torch/torch.h>

#include <string>

namespace ps::model {

// "fp32" / "float32" or "bf16" / "bfloat16"; anything else is a ps::Error.
torch::Dtype parseComputeDtype(const std::string& name);
// "" / "cpu", "cuda" (an error when LibTorch has no CUDA or no GPU is present) or "auto" (CUDA
// when usable, else the CPU); anything else is a ps::Error.
torch::Device parseComputeDevice(const std::string& name);

} // namespace ps::model
