#include "model/compute_options.h"

#include "ps/error.h"

namespace ps::model {

torch::Dtype parseComputeDtype(const std::string& name) {
    if (name == "fp32" || name == "float32")
        return torch::kFloat32;
    if (name == "bf16" || name == "bfloat16")
        return torch::kBFloat16;
    throw Error("unknown dtype '" + name + "' (expected fp32 or bf16)");
}

torch::Device parseComputeDevice(const std::string& name) {
    if (name == "cpu" || name.empty())
        return torch::kCPU;
    if (name == "cuda") {
        if (!torch::cuda::is_available())
            throw Error("device 'cuda' requested but LibTorch has no CUDA or no GPU is present");
        return torch::Device(torch::kCUDA, 0);
    }
    if (name == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    throw Error("unknown device '" + name + "' (expected cpu, cuda or auto)");
}

} // namespace ps::model
