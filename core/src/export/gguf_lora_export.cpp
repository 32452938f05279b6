// exportGgufLora: a PEFT LoRA adapter as llama.cpp's GGUF LoRA (+ an Ollama Modelfile).
//
// Per adapted projection W [out, in] (HF Linear orientation; peft stores GPT-2 Conv1D LoRA in the
// same orientation: A [r, in], B [out, r]) llama.cpp computes y += B (A x) * alpha / r with
// `<tensor>.lora_a` of ne {in, r} and `<tensor>.lora_b` of ne {r, out}: the row-major bytes of A
// and B as they are. Two transforms may apply (docs/EXPORT.md):
//  - q_proj / k_proj of llama-arch bases: B's rows get convert_hf_to_gguf.py's RoPE permutation,
//    as the base GGUF's attn_q / attn_k rows did;
//  - a module whose scaling is not adapter.lora.alpha / r (rsLoRA, alpha_pattern) gets the
//    ratio folded into B, since llama.cpp has one alpha per file and divides by each tensor's rank.
#include "adapters/adapter_config.h"
#include "adapters/adapter_plan.h"
#include "adapters/model_skeleton.h"
#include "export/gguf_names.h"
#include "export/gguf_writer.h"
#include "export/ollama_modelfile.h"
#include "io/torch_tensors.h"
#include "ps/adapter.h"
#include "ps/error.h"
#include "ps/export.h"
#include "ps/runs.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <cmath>
#include <cstring>
#include <filesystem>

namespace ps {
namespace {

const char* kMergedHint = "; export it with --format merged (a full model) and convert that with llama.cpp's "
                          "convert_hf_to_gguf.py instead";

// Everything llama.cpp's LoRA loader cannot represent, checked before any tensor is read.
void rejectUnsupported(const AdapterInfo& info, const std::string& dir) {
    const AdapterSpec& s = info.spec;
    switch (s.method) {
    case PeftMethod::Lora:
        break;
    case PeftMethod::PromptTuning:
    case PeftMethod::PrefixTuning:
        throw Error(dir + ": " + info.peftType +
                    " adapters (virtual tokens) cannot be exported as GGUF: llama.cpp and Ollama load LoRA adapters "
                    "only, and this method cannot be merged either; export it with --format peft");
    case PeftMethod::Full:
        throw Error(dir + ": a full fine-tune is a whole model, not a LoRA adapter" + kMergedHint);
    default:
        throw Error(dir + ": " + info.peftType +
                    " adapters cannot be exported as GGUF: llama.cpp and Ollama load LoRA adapters only" + kMergedHint);
    }
    if (s.useDora)
        throw Error(dir + ": DoRA (use_dora) adds magnitude vectors that llama.cpp's LoRA format cannot carry" +
                    kMergedHint);
    if (s.bias != "none")
        throw Error(dir + ": LoRA with bias=\"" + s.bias +
                    "\" trains bias vectors that llama.cpp's LoRA format cannot carry" + kMergedHint);
    if (!s.modulesToSave.empty())
        throw Error(dir + ": modules_to_save (" + s.modulesToSave.front() +
                    ") stores fully trained modules that llama.cpp's LoRA format cannot carry" + kMergedHint);
}

std::string sanitizedFileName(const std::string& name) {
    return sanitizeNameComponent(name, 64, "adapter");
}

// OUT ending in ".gguf" is the file; anything else is a folder that receives "<name>.gguf".
std::string ggufPathFor(const std::string& out, const std::string& name) {
    const bool isFile = out.size() > 5 && out.compare(out.size() - 5, 5, ".gguf") == 0;
    return isFile ? out : joinPath(out, sanitizedFileName(name) + ".gguf");
}

gguf::TensorToWrite toGguf(const std::string& name, const torch::Tensor& t, DType dtype) {
    // A torch tensor [rows, cols] is GGML ne {cols, rows}: the same row-major bytes.
    gguf::TensorToWrite out;
    out.name = name;
    out.ne = {static_cast<std::uint64_t>(t.size(1)), static_cast<std::uint64_t>(t.size(0))};
    out.type = dtype == DType::F16 ? kGgmlTypeF16 : kGgmlTypeF32;
    const auto c = t.to(dtype == DType::F16 ? torch::kFloat16 : torch::kFloat32).contiguous();
    out.bytes.resize(static_cast<std::size_t>(c.numel() * c.element_size()));
    std::memcpy(out.bytes.data(), c.data_ptr(), out.bytes.size());
    return out;
}

torch::Tensor loadFloat(const std::shared_ptr<const SafetensorsFile>& file, const std::string& key) {
    const TensorInfo* info = file->find(key);
    if (!info)
        throw Error(file->path() + ": missing tensor '" + key + "'");
    return tensorFromFile(file, *info).to(torch::kFloat32);
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

GgufExportReport exportGgufLora(const std::string& sourcePath, const std::string& baseDir, const std::string& out,
                                const GgufExportOptions& options) {
    if (options.dtype != DType::F32 && options.dtype != DType::F16)
        throw Error(std::string("GGUF export: --dtype ") + dtypeName(options.dtype) + " is not supported (f32 or f16)");
    const ExportSource src = resolveExportSource(sourcePath);
    const std::string base = !baseDir.empty() ? baseDir : src.baseHint;
    if (base.empty() || !isDirectory(base))
        throw Error(sourcePath + ": the GGUF export needs the base model folder (--base MODEL_DIR)" +
                    (base.empty() ? std::string() : "; '" + base + "' is not a folder"));
    const AdapterInfo info = inspectAdapter(src.adapterDir);
    rejectUnsupported(info, src.adapterDir);

    const adapters::ModelSkeleton skeleton = adapters::skeletonFromDir(base);
    gguf::ArchitectureMapping arch;
    try {
        arch = gguf::architectureFor(skeleton.modelType);
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + kMergedHint);
    }
    validateAdapter(src.adapterDir, base);
    const adapters::AdapterPlan plan = adapters::planAdapter(skeleton, info.spec);

    GgufExportReport report;
    report.architecture = arch.architecture;
    const AdapterSpec& spec = plan.spec;
    // llama.cpp scales by alpha / rank of each tensor pair; rsLoRA's alpha / sqrt(r) becomes an
    // equivalent alpha when every module has the same rank.
    double alpha = spec.alpha;
    if (spec.useRslora)
        alpha = spec.alpha * std::sqrt(static_cast<double>(spec.r));
    report.alpha = static_cast<float>(alpha);

    const std::shared_ptr<const SafetensorsFile> file =
        SafetensorsFile::open(joinPath(src.adapterDir, "adapter_model.safetensors"));
    gguf::GgufWriter writer;
    writer.addString("general.architecture", arch.architecture);
    writer.addString("general.type", "adapter");
    writer.addString("general.name", src.name);
    writer.addUint32("general.file_type", options.dtype == DType::F16 ? 1 : 0); // ALL_F32 / MOSTLY_F16
    writer.addUint32("general.quantization_version", 2);
    writer.addString("adapter.type", "lora");
    writer.addFloat32("adapter.lora.alpha", static_cast<float>(report.alpha));

    bool permuted = false, folded = false;
    for (const auto& layer : plan.layers) {
        const std::string& path = layer.linear.path;
        const auto baseName = gguf::tensorNameFor(skeleton.modelType, path);
        if (!baseName)
            throw Error(src.adapterDir + ": target module '" + path + "' has no llama.cpp tensor for model_type " +
                        skeleton.modelType + kMergedHint);
        if (layer.linear.isHead && skeleton.tiedEmbeddings)
            throw Error(src.adapterDir +
                        ": a LoRA on lm_head of a model with tied embeddings has no separate "
                        "output tensor in llama.cpp" +
                        kMergedHint);
        torch::Tensor a = loadFloat(file, adapters::kPeftKeyPrefix + path + ".lora_A.weight"); // [r, in]
        torch::Tensor b = loadFloat(file, adapters::kPeftKeyPrefix + path + ".lora_B.weight"); // [out, r]
        const double llamaScale = report.alpha != 0.0 ? report.alpha / static_cast<double>(layer.r) : 1.0;
        const double factor = layer.scaling / llamaScale;
        if (std::fabs(factor - 1.0) > 1e-9) {
            b = b * factor;
            folded = true;
        }
        if (arch.permuteQK && (endsWith(path, ".q_proj") || endsWith(path, ".k_proj"))) {
            const std::int64_t heads = endsWith(path, ".q_proj") ? skeleton.numHeads : skeleton.numKvHeads;
            const auto perm = gguf::ropeRowPermutation(b.size(0), heads);
            b = b.index_select(0, torch::tensor(perm, torch::kInt64));
            permuted = true;
        }
        writer.addTensor(toGguf(*baseName + ".lora_a", a, options.dtype));
        writer.addTensor(toGguf(*baseName + ".lora_b", b, options.dtype));
        report.numTensors += 2;
    }
    if (report.numTensors == 0)
        throw Error(src.adapterDir + ": the adapter has no LoRA tensors to export");
    if (permuted)
        report.notes.push_back("q_proj / k_proj lora_b rows permuted as convert_hf_to_gguf.py permutes the base's "
                               "attn_q / attn_k (llama.cpp's interleaved RoPE layout)");
    if (folded)
        report.notes.push_back("per-module scaling that differs from adapter.lora.alpha / r folded into lora_b");

    // Parse what we are about to write with our own reader before it lands on disk.
    const std::string ggufPath = ggufPathFor(out, src.name);
    const std::string bytes = writer.serialize();
    const auto check = GgufFile::fromBytes(bytes, ggufPath);
    if (static_cast<std::int64_t>(check->tensors().size()) != report.numTensors ||
        check->requireString("general.type") != "adapter")
        throw Error(ggufPath + ": internal error: the GGUF file does not read back as written");

    const std::string modelfilePath = joinPath(std::filesystem::path(ggufPath).parent_path().string(), "Modelfile");
    if (!options.overwrite) {
        if (std::filesystem::exists(ggufPath))
            throw Error(ggufPath + ": file exists (use --force to replace it)");
        if (options.writeModelfile && std::filesystem::exists(modelfilePath))
            throw Error(modelfilePath + ": file exists (use --force to replace it)");
    }
    exporting::ModelfileContent modelfile;
    if (options.writeModelfile) {
        modelfile.chat = exporting::chooseChatFamily(options.chatFamily, src.runDir, base);
        modelfile.from = options.ollamaFrom;
        modelfile.baseName = sanitizedFileName(adapters::portableBaseModelName(base));
        modelfile.adapterFile = fileName(ggufPath);
    }
    writeFileAtomic(ggufPath, bytes);
    report.ggufPath = ggufPath;
    if (options.writeModelfile) {
        writeFileAtomic(modelfilePath, exporting::ollamaModelfile(modelfile));
        report.modelfilePath = modelfilePath;
        report.chatFamily = chatFamilyName(modelfile.chat.family.value_or(ChatFamily::Plain));
    }
    return report;
}

} // namespace ps
