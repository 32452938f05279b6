// PeftModel: reading and writing adapter folders in the HF PEFT layout.
#include "adapters/adapter_config.h"
#include "adapters/model_folder_writer.h"
#include "adapters/peft_model.h"
#include "io/torch_tensors.h"
#include "ps/error.h"
#include "util/file_util.h"

#include <filesystem>
#include <set>

namespace ps::adapters {
namespace {

const char* kAdapterConfig = "adapter_config.json";
const char* kAdapterWeights = "adapter_model.safetensors";

bool isFullModelDir(const std::string& dir) {
    return !isRegularFile(joinPath(dir, kAdapterConfig)) && isRegularFile(joinPath(dir, "config.json"));
}

} // namespace

std::unique_ptr<PeftModel> PeftModel::load(const std::string& dir, model::CausalLM model) {
    if (!isDirectory(dir))
        throw Error(dir + ": adapter folder not found");
    if (isFullModelDir(dir)) {
        // A full fine-tuning output is a model folder: every parameter comes from it.
        AdapterSpec spec;
        spec.method = PeftMethod::Full;
        auto pm = std::unique_ptr<PeftModel>(new PeftModel(std::move(model), spec, 0, false));
        const auto ckpt = SafetensorsCheckpoint::open(dir);
        NamedTensorList tensors;
        for (const auto& t : pm->plan_.tensors) {
            const SafetensorsFile* file = nullptr;
            const TensorInfo* info = ckpt->find(t.key, &file);
            if (!info)
                throw Error(dir + ": missing tensor '" + t.key + "' (expected shape " + shapeString(t.shape) + ")");
            if (info->shape != t.shape)
                throw Error(dir + ": tensor '" + t.key + "' has shape " + shapeString(info->shape) + ", expected " +
                            shapeString(t.shape));
            tensors.emplace_back(t.key, loadTensor(*ckpt, t.key));
        }
        pm->loadTensors(tensors, dir);
        return pm;
    }
    const std::string configPath = joinPath(dir, kAdapterConfig);
    const std::string weightsPath = joinPath(dir, kAdapterWeights);
    if (!isRegularFile(configPath))
        throw Error(dir + ": no " + std::string(kAdapterConfig) + " (not a PEFT adapter folder)");
    if (!isRegularFile(weightsPath)) {
        if (isRegularFile(joinPath(dir, "adapter_model.bin")))
            throw Error(pickleRefusalMessage(joinPath(dir, "adapter_model.bin")) +
                        "; or save the adapter again with peft's default safe_serialization=True");
        throw Error(dir + ": no " + std::string(kAdapterWeights));
    }
    const AdapterSpec spec = adapterSpecFromJson(parseJsonFile(configPath), configPath);
    // Plan and validate against the file before touching the model.
    const ModelSkeleton skeleton = skeletonFromModel(*model);
    AdapterPlan plan;
    try {
        plan = planAdapter(skeleton, spec);
    } catch (const Error& e) {
        throw Error(configPath + ": " + e.what());
    }
    const auto file = SafetensorsFile::open(weightsPath);
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> header;
    for (const auto& info : file->tensors())
        header.emplace_back(info.name, info.shape);
    validateAgainstPlan(plan, skeleton, header, weightsPath);

    auto pm = std::unique_ptr<PeftModel>(new PeftModel(std::move(model), spec, 0, false));
    NamedTensorList tensors;
    for (const auto& info : file->tensors())
        tensors.emplace_back(info.name, tensorFromFile(file, info));
    pm->loadTensors(tensors, weightsPath);
    return pm;
}

void PeftModel::loadTensors(const NamedTensorList& tensors, const std::string& what) {
    if (merged_)
        throw Error(what + ": cannot load adapter weights into a merged model");
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> header;
    for (const auto& [name, t] : tensors)
        header.emplace_back(name, t.sizes().vec());
    if (plan_.spec.method != PeftMethod::Full)
        validateAgainstPlan(plan_, skeleton_, header, what);
    std::map<std::string, const torch::Tensor*> byName;
    for (const auto& [name, t] : tensors)
        byName[name] = &t;
    torch::NoGradGuard noGrad;
    for (auto& [key, dst] : tensors_) {
        const auto it = byName.find(key);
        if (it == byName.end())
            throw Error(what + ": missing tensor '" + key + "'");
        const torch::Tensor& src = *it->second;
        if (!src.is_floating_point())
            throw Error(what + ": tensor '" + key + "' has an integer dtype, expected floating point");
        dst.copy_(src.to(dst.device(), dst.scalar_type()));
    }
}

void PeftModel::save(const std::string& dir, const std::string& baseModelDir) const {
    if (merged_)
        throw Error(dir + ": the adapter was merged into the weights; save it before merging");
    if (plan_.spec.method == PeftMethod::Full) {
        if (baseModelDir.empty())
            throw Error(dir + ": saving a full fine-tune needs the base model folder (config.json, tokenizer files)");
        ModelFolderContent content;
        content.tensors = tensors_;
        content.config = parseJsonFile(joinPath(baseModelDir, "config.json"));
        content.dtype = tensors_.empty() ? torch::kFloat32 : tensors_.front().second.scalar_type();
        content.config["torch_dtype"] = torchDtypeName(content.dtype);
        content.copyFrom = {baseModelDir};
        writeModelFolder(content, dir, true);
        return;
    }
    std::filesystem::create_directories(dir);
    const std::string baseName =
        !plan_.spec.baseModelNameOrPath.empty() ? plan_.spec.baseModelNameOrPath : baseModelDir;
    writeFileAtomic(joinPath(dir, kAdapterConfig), adapterConfigJson(plan_, baseName));
    NamedTensors out;
    for (const auto& [key, t] : tensors_)
        out.emplace_back(key, t.detach());
    saveTensors(joinPath(dir, kAdapterWeights), out);
}

} // namespace ps::adapters
