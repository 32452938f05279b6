#pragma once
// Bridge between safetensors files and torch tensors (internal: includes torch).
#include "ps/safetensors.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace ps {

torch::Dtype toTorchDtype(DType dtype);
DType fromTorchDtype(torch::Dtype dtype, const std::string& what);

// A tensor viewing the mapped bytes when the data is suitably aligned (zero-copy; it keeps
// `file` alive), else a copy. The result is never written to by core: callers that need to
// modify a weight clone it first.
torch::Tensor tensorFromFile(const std::shared_ptr<const SafetensorsFile>& file, const TensorInfo& info);

// Looks a tensor up in a checkpoint and returns it; throws ps::Error naming it when absent.
torch::Tensor loadTensor(const SafetensorsCheckpoint& ckpt, const std::string& name);

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Writes tensors (made contiguous, moved to CPU) atomically with {"format":"pt"} metadata.
void saveTensors(const std::string& path, const NamedTensors& tensors,
                 std::map<std::string, std::string> metadata = {});

// Reads all tensors of a single .safetensors file (copies, CPU).
NamedTensors loadAllTensors(const std::string& path);

} // namespace ps
