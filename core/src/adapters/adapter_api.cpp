// The public, torch-free adapter API (ps/adapter.h): names, defaults, inspection, counting and
// validation from headers only.
#include "adapters/adapter_config.h"
#include "adapters/adapter_plan.h"
#include "adapters/model_skeleton.h"
#include "ps/adapter.h"
#include "ps/error.h"
#include "util/file_util.h"

#include <algorithm>
#include <map>

namespace ps {
namespace {

bool isFullModelDir(const std::string& dir) {
    return !isRegularFile(joinPath(dir, "adapter_config.json")) && isRegularFile(joinPath(dir, "config.json"));
}

// model_type -> (LoRA targets, IA3 targets, IA3 feed-forward); peft's TRANSFORMERS_MODELS_TO_* tables.
struct Defaults {
    std::vector<std::string> lora, ia3, feedforward;
};
const std::map<std::string, Defaults>& defaultsTable() {
    static const std::map<std::string, Defaults> table{
        {"gpt2", {{"c_attn"}, {"c_attn", "mlp.c_proj"}, {"mlp.c_proj"}}},
        {"llama", {{"q_proj", "v_proj"}, {"k_proj", "v_proj", "down_proj"}, {"down_proj"}}},
        {"mistral", {{"q_proj", "v_proj"}, {"k_proj", "v_proj", "down_proj"}, {"down_proj"}}},
        {"qwen2", {{"q_proj", "v_proj"}, {"q_proj", "v_proj", "down_proj"}, {"down_proj"}}},
        {"gemma", {{"q_proj", "v_proj"}, {"q_proj", "v_proj", "down_proj"}, {"down_proj"}}},
        {"phi3", {{"qkv_proj"}, {"qkv_proj", "down_proj"}, {"down_proj"}}},
    };
    return table;
}

const Defaults& defaultsFor(const std::string& modelType) {
    const auto& table = defaultsTable();
    const auto it = table.find(modelType);
    if (it == table.end()) {
        std::string known;
        for (const auto& [k, v] : table)
            known += (known.empty() ? "" : ", ") + k;
        throw Error("no default target modules for model_type '" + modelType + "' (known: " + known +
                    "); choose the target modules explicitly");
    }
    return it->second;
}

std::vector<std::pair<std::string, std::vector<std::int64_t>>> headerOf(const SafetensorsFile& file) {
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
    for (const auto& t : file.tensors())
        out.emplace_back(t.name, t.shape);
    return out;
}

} // namespace

std::vector<std::string> defaultTargetModules(const std::string& modelType, PeftMethod method) {
    const Defaults& d = defaultsFor(modelType);
    return method == PeftMethod::Ia3 ? d.ia3 : d.lora;
}

std::vector<std::string> defaultFeedforwardModules(const std::string& modelType) {
    return defaultsFor(modelType).feedforward;
}

AdapterInfo inspectAdapter(const std::string& dir) {
    if (!isDirectory(dir))
        throw Error(dir + ": adapter folder not found");
    AdapterInfo info;
    info.path = dir;
    std::vector<std::shared_ptr<SafetensorsFile>> files;
    if (isFullModelDir(dir)) {
        info.spec.method = PeftMethod::Full;
        info.peftType = "FULL";
        info.baseModel = fileName(dir);
        files = SafetensorsCheckpoint::open(dir)->files();
    } else {
        const std::string configPath = joinPath(dir, "adapter_config.json");
        if (!isRegularFile(configPath))
            throw Error(dir + ": no adapter_config.json (not a PEFT adapter folder)");
        const Json config = parseJsonFile(configPath);
        info.spec = adapters::adapterSpecFromJson(config, configPath);
        info.peftType = config.value("peft_type", "");
        if (config.contains("base_model_name_or_path") && config["base_model_name_or_path"].is_string())
            info.baseModel = config["base_model_name_or_path"].get<std::string>();
        const std::string weights = joinPath(dir, "adapter_model.safetensors");
        if (!isRegularFile(weights))
            throw Error(dir + ": no adapter_model.safetensors");
        files.push_back(SafetensorsFile::open(weights));
    }
    for (const auto& file : files)
        for (const auto& t : file->tensors()) {
            info.tensors.push_back({t.name, dtypeName(t.dtype), t.shape});
            info.numParameters += t.numel();
        }
    std::sort(info.tensors.begin(), info.tensors.end(),
              [](const AdapterTensorInfo& a, const AdapterTensorInfo& b) { return a.name < b.name; });
    info.canMerge = peftMethodCanMerge(info.spec.method);
    return info;
}

ParameterCount countTrainableParameters(const std::string& modelDir, const AdapterSpec& spec) {
    const auto skeleton = adapters::skeletonFromDir(modelDir);
    const auto plan = adapters::planAdapter(skeleton, spec);
    ParameterCount count;
    count.trainable = plan.trainable;
    count.total = plan.total;
    for (const auto& layer : plan.layers)
        count.targetPaths.push_back(layer.linear.path);
    count.warnings = plan.warnings;
    return count;
}

void validateAdapter(const std::string& adapterDir, const std::string& modelDir) {
    const auto skeleton = adapters::skeletonFromDir(modelDir);
    if (isFullModelDir(adapterDir)) {
        const auto ckpt = SafetensorsCheckpoint::open(adapterDir);
        for (const auto& p : skeleton.params) {
            const TensorInfo* t = ckpt->find(p.name);
            if (!t)
                throw Error(adapterDir + ": missing tensor '" + p.name + "' (expected shape " +
                            adapters::shapeString(p.shape) + ")");
            if (t->shape != p.shape)
                throw Error(adapterDir + ": tensor '" + p.name + "' has shape " + adapters::shapeString(t->shape) +
                            ", expected " + adapters::shapeString(p.shape));
        }
        return;
    }
    const std::string configPath = joinPath(adapterDir, "adapter_config.json");
    if (!isRegularFile(configPath))
        throw Error(adapterDir + ": no adapter_config.json (not a PEFT adapter folder)");
    const AdapterSpec spec = adapters::adapterSpecFromJson(parseJsonFile(configPath), configPath);
    adapters::AdapterPlan plan;
    try {
        plan = adapters::planAdapter(skeleton, spec);
    } catch (const Error& e) {
        throw Error(configPath + ": " + e.what());
    }
    const std::string weights = joinPath(adapterDir, "adapter_model.safetensors");
    if (!isRegularFile(weights))
        throw Error(adapterDir + ": no adapter_model.safetensors");
    adapters::validateAgainstPlan(plan, skeleton, headerOf(*SafetensorsFile::open(weights)), weights);
}

} // namespace ps
