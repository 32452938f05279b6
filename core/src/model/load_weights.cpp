// loadCausalLM: config.json -> module graph -> every parameter bound to the checkpoint tensor of
// the same name. Tensors stay zero-copy views of the mmap'd file when no dtype conversion or
// device move is needed (those pages are read-only: nothing may write into them in place).
#include "model/causal_lm.h"

#include "io/torch_tensors.h"
#include "ps/error.h"
#include "ps/safetensors.h"
#include "ps/system_info.h"

#include <cstdio>

#include <set>

namespace ps::model {
namespace {

std::string shapeString(const std::vector<std::int64_t>& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

bool isFloating(DType d) {
    return d == DType::F32 || d == DType::F16 || d == DType::BF16 || d == DType::F64;
}

struct Located {
    const TensorInfo* info = nullptr;
    std::shared_ptr<SafetensorsFile> file;
};

// Finds `name`, also without the base-model prefix ("transformer." / "model."): checkpoints
// saved from the bare GPT2Model (the original gpt2 upload) name tensors "h.0.attn...".
Located locate(const SafetensorsCheckpoint& ckpt, const std::string& name, const std::string& prefix) {
    const SafetensorsFile* file = nullptr;
    const TensorInfo* info = ckpt.find(name, &file);
    if (!info && name.compare(0, prefix.size(), prefix) == 0)
        info = ckpt.find(name.substr(prefix.size()), &file);
    Located out;
    if (!info)
        return out;
    out.info = info;
    for (const auto& f : ckpt.files())
        if (f.get() == file)
            out.file = f;
    return out;
}

// Decimal gigabytes, as formatByteSize() (ps/human_format.h) writes them elsewhere.
std::string byteSize(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / 1e9);
    return buf;
}

// The weights as they will sit in memory (floating tensors converted to `dtype`) against what
// the system can still give: a model that cannot fit is refused from the headers alone, before
// the module is built, rather than ending in an allocation failure or the OOM killer.
void checkWeightsFitInMemory(const std::string& dir, const SafetensorsCheckpoint& ckpt, torch::Dtype dtype) {
    const std::uint64_t available = availableMemoryBytes();
    if (available == 0)
        return;
    const std::uint64_t target = static_cast<std::uint64_t>(torch::elementSize(dtype));
    std::uint64_t needed = 0;
    for (const auto& file : ckpt.files())
        for (const auto& t : file->tensors())
            needed += isFloating(t.dtype) ? static_cast<std::uint64_t>(t.numel()) * target : t.nbytes;
    if (needed > available)
        throw Error(dir + ": the weights need about " + byteSize(needed) + " of memory as " +
                    std::string(c10::toString(dtype)) + " but only " + byteSize(available) +
                    " is available: refused before loading. Use a smaller model or bfloat16, or close other "
                    "programs (PEFT_STUDIO_AVAILABLE_MEMORY=<bytes> overrides the available figure)");
}

} // namespace

CausalLM loadCausalLM(const std::string& dir, const LoadOptions& options, LoadReport* report) {
    ModelConfig config = loadModelConfig(dir);
    const auto ckpt = SafetensorsCheckpoint::open(dir);
    const std::string prefix = config.family == Family::Gpt2 ? "transformer." : "model.";
    const std::string embeddingName = prefix + (config.family == Family::Gpt2 ? "wte.weight" : "embed_tokens.weight");

    // An untied config whose checkpoint has no lm_head: use the embedding (as tied models do)
    // rather than a random head.
    bool headFallback = false;
    if (!config.tieWordEmbeddings && !locate(*ckpt, "lm_head.weight", "").info) {
        config.tieWordEmbeddings = true;
        headFallback = true;
    }

    const Located embedding = locate(*ckpt, embeddingName, prefix);
    if (!embedding.info)
        throw Error(dir + ": the checkpoint has no tensor '" + embeddingName + "'");
    if (!isFloating(embedding.info->dtype))
        throw Error(dir + ": tensor '" + embeddingName + "' has dtype " + dtypeName(embedding.info->dtype) +
                    ", expected a floating-point type");
    const torch::Dtype dtype = options.dtype ? *options.dtype : toTorchDtype(embedding.info->dtype);
    if (options.device.is_cpu())
        checkWeightsFitInMemory(dir, *ckpt, dtype);

    CausalLM model(config);
    std::set<std::string> used;
    {
        torch::NoGradGuard noGrad;
        for (auto& item : model->named_parameters(/*recurse=*/true)) {
            const std::string& name = item.key();
            const Located t = locate(*ckpt, name, prefix);
            const auto expected = item.value().sizes().vec();
            if (!t.info)
                throw Error(dir + ": the checkpoint has no tensor '" + name + "' (the model needs " +
                            shapeString(expected) + " for model_type " + config.modelType + ")");
            if (t.info->shape != expected)
                throw Error(dir + ": tensor '" + t.info->name + "' has shape " + shapeString(t.info->shape) +
                            " in the checkpoint, but the model (config.json) expects " + shapeString(expected));
            if (!isFloating(t.info->dtype))
                throw Error(dir + ": tensor '" + t.info->name + "' has dtype " + dtypeName(t.info->dtype) +
                            ", expected a floating-point type");
            used.insert(t.info->name);
            torch::Tensor value = tensorFromFile(t.file, *t.info);
            if (value.scalar_type() != dtype || options.device != value.device())
                value = value.to(options.device, dtype);
            else if (options.copyWeights)
                value = value.clone();
            item.value().set_data(value);
        }
    }
    if (report) {
        report->unusedWeights.clear();
        for (const auto& name : ckpt->names())
            if (!used.count(name) && !(config.tieWordEmbeddings && name == "lm_head.weight"))
                report->unusedWeights.push_back(name);
        report->lmHeadTiedByFallback = headFallback;
    }
    model->eval();
    return model;
}

} // namespace ps::model
