// estimateAdapterFile(): the adapter plan's tensors (exactly what PeftModel::save() writes) laid
// out as the safetensors writer lays them out, without any data.
#include "ps/adapter_file_size.h"

#include "adapters/adapter_plan.h"
#include "adapters/model_skeleton.h"

#include <vector>

namespace ps {

AdapterFileEstimate estimateAdapterFile(const std::string& modelDir, const AdapterSpec& spec, DType dtype) {
    const adapters::ModelSkeleton skeleton = adapters::skeletonFromDir(modelDir);
    const adapters::AdapterPlan plan = adapters::planAdapter(skeleton, spec);
    std::vector<TensorToWrite> tensors;
    tensors.reserve(plan.tensors.size());
    AdapterFileEstimate out;
    for (const adapters::PlannedTensor& t : plan.tensors) {
        TensorToWrite w;
        w.name = t.key;
        w.dtype = dtype;
        w.shape = t.shape;
        tensors.push_back(std::move(w));
        out.numParameters += t.numel();
    }
    out.fileName = spec.method == PeftMethod::Full ? "model.safetensors" : "adapter_model.safetensors";
    out.numTensors = static_cast<std::int64_t>(tensors.size());
    out.bytes = safetensorsFileSize(tensors);
    return out;
}

} // namespace ps
